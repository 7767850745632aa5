"""Neutralising values for where they go, and keeping personal numbers out of everything jiesu prints.

Every value that came from data or a profile passes through here before it reaches a person:

- :func:`mask` hides what could be a phone or ID number (any run of 11 or more digits, separators
  and country prefixes allowed) and e-mail addresses, in samples, messages, errors and outputs;
- :func:`clip` cuts a sample to a fixed length;
- :func:`printable` turns control, bidirectional-override and other invisible format characters
  into visible escapes (nothing a terminal would act on reaches it);
- :func:`spreadsheet_text` applies OWASP's rule against formula injection to a CSV cell;
  :func:`xlsx_text` makes a text an inert XLSX string;
- :func:`markdown_text` escapes a Markdown table cell.

The detection of personal data in case records (``jiesu validate``'s ``personal-data`` check) is
stricter and lives here too, as :data:`PERSONAL_DATA_RE2`, so that both say the same thing about the
same forms: mobile numbers with or without separators and +86/0086 prefixes, 15- and 18-digit
resident ID numbers, e-mail addresses.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

#: Samples and data values shown in messages are cut to this many characters.
SAMPLE_CHARS = 200

# --------------------------------------------------------------------------------- masking

# A run of digits, single spaces or hyphens allowed between them, an optional + or 00 prefix and
# an optional final X (ID numbers). Masked when it holds 11 or more digits: a Chinese mobile number
# (11), a landline with its area code (11-12), any number with a country prefix, an ID number (15,
# 18). Shorter runs (division codes of 6 and 9 digits, counts, dates) are left alone. Full-width
# digits, plus, hyphen, space and X (what a Chinese input method types in full-width mode) count
# as their ASCII forms; a no-break space or an invisible zero-width character between digits
# (copied from a web page, or put there to slip past) separates them like a space.
_D = "0-9\uff10-\uff19"
_SEP = " \\-\u00a0\u3000\uff0d\u200b-\u200d\u2060\ufeff"
_DIGIT_RUN = re.compile(rf"(?<![{_D}])[+\uff0b]?[{_D}](?:[{_D}]|[{_SEP}](?=[{_D}]))*[Xx\uff38\uff58]?"
                        rf"(?![{_D}])")
# bounded repeats keep the search linear in the text's length (an unbounded local part is
# quadratic on a long run of letters without an @)
_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63}){0,8}"
                    r"\.[A-Za-z]{2,24}")
MIN_MASKED_DIGITS = 11


_NOT_DIGIT = re.compile(rf"[^{_D}]")
_DIGIT_OR_X = re.compile(rf"[{_D}Xx\uff38\uff58]")


def _mask_run(m: re.Match[str]) -> str:
    run = m.group(0)
    if len(_NOT_DIGIT.sub("", run)) < MIN_MASKED_DIGITS:
        return run
    marks = [d.start() for d in _DIGIT_OR_X.finditer(run, 0, 8)][:3]  # the first three digits stay
    tail = [d.start() for d in _DIGIT_OR_X.finditer(run, max(0, len(run) - 8))][-2:]  # and the last two
    lo, hi = marks[-1] + 1, tail[0]
    return run[:lo] + _DIGIT_OR_X.sub("*", run[lo:hi]) + run[hi:]


def _mask_email(m: re.Match[str]) -> str:
    local, _, domain = m.group(0).partition("@")
    tld = domain.rsplit(".", 1)[-1]
    return f"{local[:1]}***@***.{tld}"


def mask(text: str) -> str:
    """``text`` with every possible phone or ID number (11+ digits; first 3 and last 2 kept) and
    e-mail address masked."""
    if not text:
        return text
    return _DIGIT_RUN.sub(_mask_run, _EMAIL.sub(_mask_email, text))


def masked(value: Any, terminal: bool = False) -> Any:
    """``value`` (text, or dicts and lists of it, as JSON holds them) with every text masked, and
    made printable too when it goes to a ``terminal``."""
    if isinstance(value, str):
        return printable(mask(value)) if terminal else mask(value)
    if isinstance(value, dict):
        return {k: masked(v, terminal) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [masked(v, terminal) for v in value]
    return value


def clip(text: str, limit: int = SAMPLE_CHARS) -> str:
    """At most ``limit`` characters, an ellipsis saying that the rest was cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def shown(value: Any, limit: int = SAMPLE_CHARS) -> str | None:
    """A data value as it may be shown in a sample or message: text, masked, clipped, printable."""
    if value is None:
        return None
    text = str(value)
    # cut first (a long value costs nothing more), with room so a number at the cut is still masked
    return printable(clip(mask(text[: limit + 64]), limit))


# --------------------------------------------------------------------------------- detection

# RE2 syntax (pyarrow's match_substring_regex), one alternative per form.
_MOBILE = r"(?:^|[^0-9])(?:(?:\+|00)?86[ \-]?)?1[3-9][0-9](?:[ \-]?[0-9]{4}){2}(?:[^0-9]|$)"
_ID18 = (r"(?:^|[^0-9])[1-9][0-9]{5}(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
         r"[0-9]{3}[0-9Xx](?:[^0-9A-Za-z]|$)")
_ID15 = r"(?:^|[^0-9])[1-9][0-9]{5}[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}(?:[^0-9]|$)"
_EMAIL_RE2 = r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
#: What ``personal-data`` looks for in free text (RE2 and Python ``re`` read it alike).
PERSONAL_DATA_RE2 = f"{_MOBILE}|{_ID18}|{_ID15}|{_EMAIL_RE2}"

# --------------------------------------------------------------------------------- terminals

# C0 and C1 controls, DEL, and the format characters that reorder or hide text (bidi overrides and
# isolates, zero-width characters): Unicode category Cc and Cf, plus line and paragraph separators.
_INVISIBLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]")


def _escape(m: re.Match[str]) -> str:
    ch = m.group(0)
    return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"


def printable(text: str) -> str:
    """``text`` with every control or invisible format character shown as an escape (``\\x1b``)."""
    if not text:
        return text
    out = _INVISIBLE.sub(_escape, text)
    if out.isprintable() or not any(unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs") for ch in out):
        return out
    return "".join(_escape_char(ch) for ch in out)


def _escape_char(ch: str) -> str:
    if unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs"):
        return f"\\u{ord(ch):04x}" if ord(ch) < 0x10000 else f"\\U{ord(ch):08x}"
    return ch


# --------------------------------------------------------------------------------- spreadsheets

#: OWASP: a cell starting with one of these is read as a formula by some spreadsheet.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def is_formula_like(text: str) -> bool:
    return text.lstrip(" ").startswith(FORMULA_START)


def spreadsheet_text(text: str) -> str:
    """A CSV text cell no spreadsheet reads as a formula: OWASP's leading apostrophe when it
    starts (after spaces) with = + - @, a tab or a line break (or their full-width forms)."""
    return "'" + text if is_formula_like(text) else text


# XLSX cannot hold C0 controls other than tab, line feed and carriage return.
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def xlsx_text(text: str) -> str:
    """Text an XLSX cell can hold (illegal control characters shown as escapes). The caller writes it
    as a string cell with a quote prefix when :func:`is_formula_like`, so it is never a formula."""
    return _XLSX_ILLEGAL.sub(_escape, text)


# --------------------------------------------------------------------------------- Markdown

# In a table cell these start emphasis, code, links, HTML, strike-through or end the cell; the
# others (# + - . at a line start) cannot act there.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&])")


def markdown_text(text: str) -> str:
    """A Markdown table cell: punctuation Markdown acts on escaped, line breaks as spaces."""
    text = printable(text.replace("\r\n", " ").replace("\n", " ").replace("\r", " "))
    return _MD_SPECIAL.sub(r"\\\1", text)
