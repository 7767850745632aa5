"""The validation report: notices grouped by (code, field) with counts and a few samples."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ..safe import shown
from ..schema import date_time_range

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class CheckInfo:
    code: str
    severity: str
    summary: str
    kind: str  # schema | semantic | file


# Every code jiesu validate can emit, with its severity. cli.md and the tests are built from this.
CHECKS: dict[str, CheckInfo] = {c.code: c for c in [
    CheckInfo("missing-required", ERROR, "A required field is absent or null.", "schema"),
    CheckInfo("wrong-type", ERROR, "A value has the wrong JSON type (for example a number where text is expected).", "schema"),
    CheckInfo("invalid-date-time", ERROR, "A date-time is not RFC 3339 with an offset (e.g. 2024-05-01T08:30:00+08:00).", "schema"),
    CheckInfo("not-in-enum", ERROR, "A value is not one of the field's allowed values.", "schema"),
    CheckInfo("pattern-mismatch", ERROR, "A code or identifier has characters the schema does not allow.", "schema"),
    CheckInfo("bad-length", ERROR, "A text value is too short or too long.", "schema"),
    CheckInfo("out-of-range", ERROR, "A number is outside the field's range.", "schema"),
    CheckInfo("unknown-field", ERROR, "A field that the schema does not define holds a value (personal data must never be exported).", "schema"),
    CheckInfo("conditional-required", ERROR, "A field required by another field's value is missing (a dispatched case needs dispatched_at, unit, unit_level, deadline_at; an excluded case needs exclusion_reason).", "schema"),
    CheckInfo("not-an-object", ERROR, "A JSON record is not an object.", "schema"),
    CheckInfo("invalid-json", ERROR, "A line of NDJSON is not valid JSON, or is nested too deeply to read (more than about 1,000 levels).", "file"),
    CheckInfo("duplicate-case-id", ERROR, "A case_id appears more than once across all inputs.", "semantic"),
    CheckInfo("date-time-out-of-range", ERROR, f"A date-time lies outside the supported range, {date_time_range()} (the schema's x-date-time-range): not every command could compute with it.", "semantic"),
    CheckInfo("time-order", ERROR, "Timestamps out of order (answered, dispatched, closed before received; first contact, deadline, callback before dispatch).", "semantic"),
    CheckInfo("unknown-unit", ERROR, "The handling unit is not in the city profile.", "semantic"),
    CheckInfo("unknown-category", ERROR, "The category is not in the city profile's taxonomy.", "semantic"),
    CheckInfo("unknown-district", ERROR, "The district is not in the city profile.", "semantic"),
    CheckInfo("unknown-street", ERROR, "The street or township is not in the city profile.", "semantic"),
    CheckInfo("answer-without-valid-callback", ERROR, "Callback answers (contacted, resolved, satisfaction) on a case without a valid callback.", "semantic"),
    CheckInfo("personal-data", ERROR, "A text field holds what looks like a phone number (with or without separators, +86 or 0086), a 15- or 18-digit ID-card number or an e-mail address.", "semantic"),
    CheckInfo("street-outside-district", WARNING, "The street does not belong to the case's district in the profile.", "semantic"),
    CheckInfo("unit-level-mismatch", WARNING, "unit_level differs from the unit's level in the profile.", "semantic"),
    CheckInfo("closed-without-closed-at", WARNING, "status is closed but closed_at is empty.", "semantic"),
    CheckInfo("callback-before-deadline", WARNING, "The callback came before the case's deadline (the model calls back after it).", "semantic"),
    CheckInfo("valid-callback-without-answers", WARNING, "A valid callback with none of the answers recorded.", "semantic"),
]}


@dataclass
class Sample:
    file: str
    row: int  # 1-based data row in the file (header excluded)
    value: str | None
    explanation: str | None = None


@dataclass
class Notice:
    code: str
    severity: str
    field: str | None
    message: str
    count: int = 0
    samples: list[Sample] = field(default_factory=list)
    by_file: dict[str, int] = field(default_factory=dict)  # rows per file (paths as shown)


@dataclass
class FileInfo:
    path: str
    format: str
    rows: int
    encoding: str | None = None


@dataclass
class Report:
    schema_id: str
    schema_version: str
    profile: str
    files: list[FileInfo]
    rows: int
    notices: list[Notice]
    strict: bool = False

    @property
    def errors(self) -> int:
        return sum(n.count for n in self.notices if n.severity == ERROR)

    @property
    def warnings(self) -> int:
        return sum(n.count for n in self.notices if n.severity == WARNING)

    @property
    def valid(self) -> bool:
        return self.errors == 0 and not (self.strict and self.warnings)


    def to_dict(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "strict": self.strict,
            "schema": {"id": self.schema_id, "version": self.schema_version},
            "profile": self.profile,
            "files": [asdict(f) for f in self.files],
            "rows": self.rows,
            "errors": self.errors,
            "warnings": self.warnings,
            "notices": [asdict(n) for n in self.notices],
        }


class NoticeBook:
    """Accumulates notices across batches: one entry per (code, field), samples capped.

    Whatever a notice shows that came from the data (a field's name, a sample's file, value and
    explanation) is masked, cut to ``jiesu.safe.SAMPLE_CHARS`` and made printable here, whatever
    the check: a report never shows a phone or ID number, nor a control character.
    """

    def __init__(self, max_samples: int) -> None:
        self.max_samples = max_samples
        self.by_key: dict[tuple[str, str | None], Notice] = {}
        #: the file being checked: the rows of each ``add`` are counted against it, unless
        #: ``by_file`` says where they are (a check across files)
        self.file: str | None = None

    def add(self, code: str, field_name: str | None, message: str, count: int, samples: list[Sample],
            by_file: dict[str, int] | None = None) -> None:
        if count <= 0:
            return
        field_name = shown(field_name)
        key = (code, field_name)
        notice = self.by_key.get(key)
        if notice is None:
            notice = self.by_key[key] = Notice(code, CHECKS[code].severity, field_name, message)
        notice.count += count
        for path, n in (by_file or ({self.file: count} if self.file is not None else {})).items():
            path = shown(path) or ""
            notice.by_file[path] = notice.by_file.get(path, 0) + n
        room = self.max_samples - len(notice.samples)
        if room > 0:
            notice.samples.extend(Sample(shown(s.file) or "", s.row, shown(s.value), shown(s.explanation))
                                  for s in samples[:room])

    def room(self, code: str, field_name: str | None) -> int:
        notice = self.by_key.get((code, shown(field_name)))
        return self.max_samples - (len(notice.samples) if notice else 0)

    def notices(self) -> list[Notice]:
        order = list(CHECKS)
        return sorted(self.by_key.values(), key=lambda n: (n.severity != ERROR, order.index(n.code), n.field or ""))
