"""Every difference between two versions of the case-record schema, and whether the version moved
as far as the differences require.

Each difference is one of:

- **breaking**: a record valid under the old schema may be invalid under the new one (a field
  removed or made required, a type or enum narrowed, a pattern or format added or changed, a
  range or length tightened, a new constraint, an alternative removed);
- **compatible**: every record valid under the old schema stays valid (a field or enum value added,
  a constraint loosened or dropped);
- **editorial**: nothing that validates changes (titles, descriptions, examples, comments, the
  order of fields or values).

Where jiesu cannot prove that a change only loosens (a pattern rewritten, a condition of
``if``/``not`` changed, a keyword it does not know) the change counts as breaking: a schema diff
may overstate a break, never hide one.

The versions (``x-schema-version``, ``MAJOR.MINOR.PATCH``) must then move at least as far as the
worst difference asks: a breaking change needs a new major version, a compatible one a new minor
version (or more), an editorial one a new patch version (or more); no difference, no bump needed.
A version never goes down, and a new version has a new ``$id`` (docs/schema.md, "Change policy").
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .errors import InputError

BREAKING, COMPATIBLE, EDITORIAL = "breaking", "compatible", "editorial"
KINDS = (BREAKING, COMPATIBLE, EDITORIAL)
#: the version part each kind of change needs to move
BUMP_NEEDED = {BREAKING: "major", COMPATIBLE: "minor", EDITORIAL: "patch"}
_BUMP_RANK = {"none": 0, "patch": 1, "minor": 2, "major": 3}

#: keywords that annotate and never change what validates
ANNOTATIONS = frozenset({"title", "description", "$comment", "examples", "default", "deprecated",
                         "readOnly", "writeOnly", "$anchor"})
_LOWER = ("minLength", "minimum", "exclusiveMinimum", "minItems", "minProperties", "minContains")
_UPPER = ("maxLength", "maximum", "exclusiveMaximum", "maxItems", "maxProperties", "maxContains")
_ROOT_META = ("$schema", "$id", "x-schema-version", "$defs", "definitions")
_HANDLED = frozenset({"type", "enum", "const", "pattern", "format", "required", "properties",
                      "additionalProperties", "items", "$ref", "anyOf", "oneOf", "allOf", "if", "then",
                      "else", "not", "multipleOf", "uniqueItems", *_LOWER, *_UPPER})


@dataclass(frozen=True)
class Change:
    """One difference: its kind, where (a JSON pointer into the schema) and what."""

    kind: str
    path: str
    what: str


@dataclass
class SchemaDiff:
    old_version: str | None
    new_version: str | None
    old_id: str | None
    new_id: str | None
    changes: list[Change] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def count(self, kind: str) -> int:
        return sum(c.kind == kind for c in self.changes)

    @property
    def kind(self) -> str | None:
        """The worst kind of change, or None when the schemas validate and read alike."""
        return next((k for k in KINDS if self.count(k)), None)

    @property
    def bump_needed(self) -> str:
        return BUMP_NEEDED[self.kind] if self.kind else "none"

    @property
    def bump(self) -> str | None:
        """How far the version moved: major, minor, patch, none, or down (None: unreadable)."""
        old, new = _semver(self.old_version), _semver(self.new_version)
        if old is None or new is None:
            return None
        if new < old:
            return "down"
        return next((part for i, part in enumerate(("major", "minor", "patch")) if new[i] != old[i]), "none")

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "old": {"version": self.old_version, "id": self.old_id},
            "new": {"version": self.new_version, "id": self.new_id},
            "kind": self.kind,
            "bump_needed": self.bump_needed,
            "bump": self.bump,
            "counts": {k: self.count(k) for k in KINDS},
            "changes": [asdict(c) for c in self.changes],
            "problems": list(self.problems),
        }


def _semver(version: Any) -> tuple[int, int, int] | None:
    m = re.fullmatch(r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)", version) if isinstance(version, str) else None
    return (int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None


# --------------------------------------------------------------------------------- reading

def load_schema(path: str | Path) -> dict[str, Any]:
    """A schema file as a dict; InputError when it cannot be read or is not a JSON object."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{p}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{p}: cannot be read ({exc.__class__.__name__})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{p}: not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    if not isinstance(data, dict):
        raise InputError(f"{p}: not a JSON Schema (the top level is not an object)")
    return data


def schema_diff(old: str | Path | dict[str, Any], new: str | Path | dict[str, Any]) -> SchemaDiff:
    """Compare two versions of the case-record schema (files or parsed dicts)."""
    a = old if isinstance(old, dict) else load_schema(old)
    b = new if isinstance(new, dict) else load_schema(new)
    return _Differ(a, b).run()


# --------------------------------------------------------------------------------- comparing

def _canon(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _show(value: Any) -> str:
    from .safe import shown

    return shown(json.dumps(value, ensure_ascii=False), 80) or ""


def _strip_annotations(node: Any) -> Any:
    """A schema without its annotations (to recognise a renamed field)."""
    if isinstance(node, dict):
        return {k: _strip_annotations(v) for k, v in node.items() if k not in ANNOTATIONS}
    if isinstance(node, list):
        return [_strip_annotations(v) for v in node]
    return node


def _as_schema(node: Any) -> dict[str, Any]:
    """Boolean schemas as objects: true accepts everything, false nothing."""
    if node is True or node is None:
        return {}
    if node is False:
        return {"not": {}}
    return node


def _types(node: dict[str, Any]) -> set[str] | None:
    t = node.get("type")
    if t is None:
        return None
    types = {t} if isinstance(t, str) else set(t)
    if "number" in types:
        types.add("integer")  # number accepts integers
    return types


class _Differ:
    def __init__(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        self.old, self.new = old, new
        self.changes: list[Change] = []
        self.users = self._def_users(new)

    def add(self, kind: str, path: str, what: str) -> None:
        self.changes.append(Change(kind, path or "/", what))

    # ---------------------------------------------------------------- root

    def run(self) -> SchemaDiff:
        old, new = self.old, self.new
        if old.get("$schema") != new.get("$schema"):
            self.add(BREAKING, "/$schema", f"dialect changed from {_show(old.get('$schema'))} to {_show(new.get('$schema'))}")
        self.node("", old, new, root=True)
        self.defs(old.get("$defs", {}), new.get("$defs", {}))
        diff = SchemaDiff(old.get("x-schema-version"), new.get("x-schema-version"), old.get("$id"), new.get("$id"),
                          self.changes)
        diff.problems = _version_problems(diff)
        return diff

    def _def_users(self, schema: dict[str, Any]) -> dict[str, list[str]]:
        users: dict[str, list[str]] = {}
        for name, prop in schema.get("properties", {}).items():
            for ref in re.findall(r'"\$ref": "#/\$defs/([^"]+)"', _canon(prop)):
                users.setdefault(ref, []).append(name)
        return users

    def defs(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        """Definitions: a change inside one counts where it is used; adding or dropping one changes
        nothing by itself (a field that starts or stops using it is compared on its own)."""
        for name in old.keys() - new.keys():
            self.add(EDITORIAL, f"/$defs/{name}", "definition removed (no field uses it any more)")
        for name in new.keys() - old.keys():
            self.add(EDITORIAL, f"/$defs/{name}", "definition added")
        for name in sorted(old.keys() & new.keys(), key=list(new).index):
            before = len(self.changes)
            self.node(f"/$defs/{name}", _as_schema(old[name]), _as_schema(new[name]))
            used = self.users.get(name)
            if used:
                for i in range(before, len(self.changes)):
                    c = self.changes[i]
                    self.changes[i] = Change(c.kind, c.path, f"{c.what} (used by {', '.join(used)})")

    # ---------------------------------------------------------------- one schema node

    def node(self, path: str, a: Any, b: Any, root: bool = False) -> None:
        a, b = _as_schema(a), _as_schema(b)
        if a == b:
            return
        keys = list(dict.fromkeys([*a, *b]))
        for key in keys:
            if root and key in _ROOT_META:
                continue
            if key in ANNOTATIONS or key.startswith("x-"):
                if a.get(key) != b.get(key):
                    verb = "added" if key not in a else "removed" if key not in b else "changed"
                    self.add(EDITORIAL, f"{path}/{key}", f"{key} {verb}")
                continue
            if key in _HANDLED:
                continue
            if _canon(a.get(key)) != _canon(b.get(key)):
                verb = "added" if key not in a else "removed" if key not in b else "changed"
                self.add(BREAKING, f"{path}/{key}",
                         f"{key} {verb} (a keyword jiesu does not compare: counted as breaking)")
        self.ref(path, a, b)
        self.types(path, a, b)
        self.enum(path, a, b)
        self.const(path, a, b)
        self.bounds(path, a, b)
        self.pattern_format(path, a, b)
        self.multiple_unique(path, a, b)
        self.required(path, a, b)
        self.properties(path, a, b)
        if "items" in a or "items" in b:
            self.node(f"{path}/items", a.get("items", True), b.get("items", True))
        self.alternatives(path, a, b)
        self.conditional(path, a, b)

    def ref(self, path: str, a: dict[str, Any], b: dict[str, Any]) -> None:
        ra, rb = a.get("$ref"), b.get("$ref")
        if ra == rb:
            return  # the same definition: its changes are reported under /$defs
        ta, tb = self.resolve(self.old, ra), self.resolve(self.new, rb)
        if (ra is not None and ta is None) or (rb is not None and tb is None):
            self.add(BREAKING, f"{path}/$ref", f"reference changed from {_show(ra)} to {_show(rb)}")
            return
        self.node(f"{path}/$ref", ta if ta is not None else {}, tb if tb is not None else {})

    @staticmethod
    def resolve(schema: dict[str, Any], ref: str | None) -> dict[str, Any] | None:
        if ref is None:
            return None
        m = re.fullmatch(r"#/(\$defs|definitions)/([^/]+)", ref)
        if not m or m.group(2) not in schema.get(m.group(1), {}):
            return None
        return _as_schema(schema[m.group(1)][m.group(2)])

    def types(self, path: str, a: dict[str, Any], b: dict[str, Any]) -> None:
        ta, tb = _types(a), _types(b)
        if ta == tb:
            return
        p = f"{path}/type"
        if tb is None:
            self.add(COMPATIBLE, p, f"type {_show(a['type'])} dropped: any type allowed")
        elif ta is None:
            self.add(BREAKING, p, f"type {_show(b['type'])} added")
        else:
            if ta - tb:
                self.add(BREAKING, p, f"type narrowed: {', '.join(sorted(ta - tb))} no longer allowed")
            if tb - ta:
                self.add(COMPATIBLE, p, f"type widened: {', '.join(sorted(tb - ta))} now allowed")

    def enum(self, path: str, a: dict[str, Any], b: dict[str, Any]) -> None:
        ea, eb = a.get("enum"), b.get("enum")
        if ea == eb:
            return
        p = f"{path}/enum"
        if eb is None:
            self.add(COMPATIBLE, p, "enum dropped: any value allowed")
            return
        if ea is None:
            self.add(BREAKING, p, f"enum added: only {_show(eb)} allowed")
            return
        ca, cb = {_canon(v): v for v in ea}, {_canon(v): v for v in eb}
        for k in ca.keys() - cb.keys():
            self.add(BREAKING, p, f"value {_show(ca[k])} removed")
        for k in cb.keys() - ca.keys():
            self.add(COMPATIBLE, p, f"value {_show(cb[k])} added")
        if ca.keys() == cb.keys():
            self.add(EDITORIAL, p, "order of the values changed")

    def const(self, path: str, a: dict[str, Any], b: dict[str, Any]) -> None:
        if ("const" in a) == ("const" in b) and _canon(a.get("const")) == _canon(b.get("const")):
            return
        p = f"{path}/const"
        if "const" not in b:
            self.add(COMPATIBLE, p, "const dropped")
        elif "const" not in a:
            self.add(BREAKING, p, f"const {_show(b['const'])} added")
        else:
            self.add(BREAKING, p, f"const changed from {_show(a['const'])} to {_show(b['const'])}")

    def bounds(self, path: str, a: dict[str, Any], b: dict[str, Any]) -> None:
        for key in (*_LOWER, *_UPPER):
            va, vb = a.get(key), b.get(key)
            if va == vb:
                continue
            lower = key in _LOWER
            p = f"{path}/{key}"
            if vb is None:
                self.add(COMPATIBLE, p, f"{key} {va} dropped")
            elif va is None:
                self.add(BREAKING, p, f"{key} {vb} added")
            elif (vb > va) == lower:
                self.add(BREAKING, p, f"{key} tightened from {va} to {vb}")
            else:
                self.add(COMPATIBLE, p, f"{key} loosened from {va} to {vb}")

    def pattern_format(self, path: str, a: dict[str, Any], b: dict[str, Any]) -> None:
        for key in ("pattern", "format"):
            va, vb = a.get(key), b.get(key)
            if va == vb:
                continue
            p = f"{path}/{key}"
            if vb is None:
                self.add(COMPATIBLE, p, f"{key} {_show(va)} dropped")
            elif va is None:
                self.add(BREAKING, p, f"{key} {_show(vb)} added")
            else:
                self.add(BREAKING, p, f"{key} changed from {_show(va)} to {_show(vb)} "
                         "(that it only loosens cannot be proven: counted as breaking)")

    def multiple_unique(self, path: str, a: dict[str, Any], b: dict[str, Any]) -> None:
        ma, mb = a.get("multipleOf"), b.get("multipleOf")
        if ma != mb:
            p = f"{path}/multipleOf"
            if mb is None:
                self.add(COMPATIBLE, p, f"multipleOf {ma} dropped")
            elif ma is not None and (ma / mb).is_integer():
                self.add(COMPATIBLE, p, f"multipleOf loosened from {ma} to {mb}")
            else:
                self.add(BREAKING, p, f"multipleOf {'added' if ma is None else 'changed'}: {mb}")
        ua, ub = bool(a.get("uniqueItems")), bool(b.get("uniqueItems"))
        if ua != ub:
            self.add(BREAKING if ub else COMPATIBLE, f"{path}/uniqueItems", f"uniqueItems {'added' if ub else 'dropped'}")

    def required(self, path: str, a: dict[str, Any], b: dict[str, Any]) -> None:
        ra, rb = list(a.get("required", [])), list(b.get("required", []))
        for name in [n for n in rb if n not in ra]:
            self.add(BREAKING, f"{path}/required", f"field {_show(name)} made required")
        for name in [n for n in ra if n not in rb]:
            self.add(COMPATIBLE, f"{path}/required", f"field {_show(name)} no longer required")

    def properties(self, path: str, a: dict[str, Any], b: dict[str, Any]) -> None:
        pa_, pb = a.get("properties", {}), b.get("properties", {})
        closed_a = _as_schema(a.get("additionalProperties", True)) == {"not": {}}
        closed_b = _as_schema(b.get("additionalProperties", True)) == {"not": {}}
        removed = [n for n in pa_ if n not in pb]
        added = [n for n in pb if n not in pa_]
        renamed = {}
        for old_name in removed:
            same = [n for n in added if n not in renamed.values()
                    and _canon(_strip_annotations(pa_[old_name])) == _canon(_strip_annotations(pb[n]))]
            if len(same) == 1:
                renamed[old_name] = same[0]
        for old_name, new_name in renamed.items():
            self.add(BREAKING, f"{path}/properties/{old_name}",
                     f"field {_show(old_name)} renamed to {_show(new_name)}")
        for name in removed:
            if name in renamed:
                continue
            if closed_b:
                self.add(BREAKING, f"{path}/properties/{name}", f"field {_show(name)} removed (records holding it become invalid)")
            else:
                self.add(COMPATIBLE, f"{path}/properties/{name}", f"constraints on field {_show(name)} removed")
        for name in added:
            if name in renamed.values():
                continue
            if closed_a:
                self.add(COMPATIBLE, f"{path}/properties/{name}", f"field {_show(name)} added")
            else:
                self.add(BREAKING, f"{path}/properties/{name}", f"constraints on field {_show(name)} added")
        for name in [n for n in pb if n in pa_]:
            self.node(f"{path}/properties/{name}", pa_[name], pb[name])
        common_a = [n for n in pa_ if n in pb]
        common_b = [n for n in pb if n in pa_]
        if common_a != common_b:
            self.add(EDITORIAL, f"{path}/properties", "order of the fields changed")
        if "additionalProperties" in a or "additionalProperties" in b:
            ap_a, ap_b = a.get("additionalProperties", True), b.get("additionalProperties", True)
            if _canon(ap_a) != _canon(ap_b):
                if closed_b and not closed_a:
                    self.add(BREAKING, f"{path}/additionalProperties", "fields outside the schema no longer allowed")
                elif closed_a and not closed_b:
                    self.add(COMPATIBLE, f"{path}/additionalProperties", "fields outside the schema now allowed")
                else:
                    self.node(f"{path}/additionalProperties", ap_a, ap_b)

    def alternatives(self, path: str, a: dict[str, Any], b: dict[str, Any]) -> None:
        for key in ("anyOf", "oneOf", "allOf"):
            la, lb = a.get(key), b.get(key)
            if la == lb:
                continue
            p = f"{path}/{key}"
            if la is None or lb is None:
                self.add(BREAKING if lb is not None else COMPATIBLE, p, f"{key} {'added' if lb is not None else 'dropped'}")
                continue
            pairs, gone, new = _pair(la, lb)
            every = key == "allOf"  # allOf: each item is one more constraint; anyOf/oneOf: a choice
            for i in gone:
                self.add(COMPATIBLE if every else BREAKING, f"{p}/{i}",
                         f"{'constraint' if every else 'alternative'} removed{_described(la[i])}")
            for j in new:
                kind = BREAKING if every or key == "oneOf" else COMPATIBLE
                self.add(kind, f"{p}/{j}", f"{'constraint' if every else 'alternative'} added{_described(lb[j])}")
            for i, j in pairs:
                self.node(f"{p}/{j}", la[i], lb[j])

    def conditional(self, path: str, a: dict[str, Any], b: dict[str, Any]) -> None:
        if _canon(a.get("if")) != _canon(b.get("if")):
            self.add(BREAKING, f"{path}/if", "condition changed (counted as breaking: records it selects may differ)")
        for key in ("then", "else"):
            if key in a or key in b:
                self.node(f"{path}/{key}", a.get(key, True), b.get(key, True))
        na, nb = a.get("not"), b.get("not")
        if _canon(na) != _canon(nb):
            if nb is None:
                self.add(COMPATIBLE, f"{path}/not", "not dropped")
            else:
                self.add(BREAKING, f"{path}/not", f"not {'added' if na is None else 'changed'} (counted as breaking)")


def _described(node: Any) -> str:
    return f": {_show(node['description'])}" if isinstance(node, dict) and node.get("description") else ""


def _pair(la: list[Any], lb: list[Any]) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """Match the items of two lists: equal ones, then equal descriptions, then in order."""
    left, right = list(range(len(la))), list(range(len(lb)))
    pairs: list[tuple[int, int]] = []

    def match(key) -> None:
        for i in list(left):
            ki = key(la[i])
            if ki is None:
                continue
            j = next((j for j in right if key(lb[j]) == ki), None)
            if j is not None:
                pairs.append((i, j))
                left.remove(i)
                right.remove(j)

    match(_canon)
    match(lambda n: n.get("description") if isinstance(n, dict) else None)
    while left and right:
        pairs.append((left.pop(0), right.pop(0)))
    return sorted(pairs, key=lambda p: p[1]), left, right


def _version_problems(diff: SchemaDiff) -> list[str]:
    problems = []
    old, new = _semver(diff.old_version), _semver(diff.new_version)
    for label, version, parsed in (("old", diff.old_version, old), ("new", diff.new_version, new)):
        if parsed is None:
            problems.append(f"the {label} schema's x-schema-version {_show(version)} is not MAJOR.MINOR.PATCH")
    if old is None or new is None:
        return problems
    bump, needed = diff.bump, diff.bump_needed
    if bump == "down":
        problems.append(f"the version went down, from {diff.old_version} to {diff.new_version}")
    elif _BUMP_RANK[bump or "none"] < _BUMP_RANK[needed]:
        worst = diff.kind or ""
        problems.append(
            f"{diff.count(worst)} {worst} change{'s' * (diff.count(worst) != 1)} need{'s' * (diff.count(worst) == 1)} "
            f"a new {needed} version, but the version went from {diff.old_version} to {diff.new_version}"
            f" ({'unchanged' if bump == 'none' else 'a ' + str(bump) + ' bump'})")
    if bump not in ("none", "down") and diff.old_id is not None and diff.old_id == diff.new_id:
        problems.append(f"the version changed but $id did not ({_show(diff.new_id)}): every version has its own $id")
    return problems


# --------------------------------------------------------------------------------- rendering

def render_diff(diff: SchemaDiff, fmt: str = "table") -> str:
    """The diff as text (table), JSON or Markdown; every value from a schema shown safely."""
    if fmt == "json":
        return json.dumps(diff.to_dict(), ensure_ascii=False, indent=2)
    if fmt == "markdown":
        from .safe import markdown_text as md

        out = [f"## jiesu schema diff: {md(_verdict(diff))}", ""]
        if diff.changes:
            out += ["| kind | where | what |", "| --- | --- | --- |"]
            out += [f"| {c.kind} | {md(c.path)} | {md(c.what)} |" for c in diff.changes]
            out.append("")
        out += [f"- {md(p)}" for p in diff.problems]
        return "\n".join(out).rstrip("\n") + "\n"
    from tabulate import tabulate

    from .safe import printable

    lines = [f"jiesu schema diff: {_verdict(diff)}"]
    if diff.changes:
        lines += ["", tabulate([[c.kind, printable(c.path), c.what] for c in diff.changes],
                               headers=["kind", "where", "what"])]
    lines += [f"problem: {p}" for p in diff.problems]
    return "\n".join(lines)


def _verdict(diff: SchemaDiff) -> str:
    from .safe import shown

    counts = ", ".join(f"{diff.count(k)} {k}" for k in KINDS)
    versions = f"{shown(diff.old_version)} -> {shown(diff.new_version)}"
    if diff.kind is None:
        head = f"{versions}: no difference"
    else:
        head = f"{versions}: {counts}; needs a {diff.bump_needed} version"
    return f"{head} — {'ok' if diff.ok else 'VERSION DOES NOT MATCH'}"
