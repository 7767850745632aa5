"""CLI plumbing: progress bars on terminals only, and errors that start on a line of their own."""

from __future__ import annotations

import io
import re
import sys

from jiesu.cli.common import ProgressBar, fail
from jiesu.errors import InputError


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_error_after_progress_starts_on_its_own_line(monkeypatch):
    err = FakeTTY()
    monkeypatch.setattr(sys, "stderr", err)
    monkeypatch.setenv("NO_COLOR", "1")
    bar = ProgressBar("validating")
    bar(5, 10)
    exit_ = fail(InputError("x.csv: not a text file"))
    assert exit_.exit_code == 3
    text = err.getvalue()
    assert "validating" in text and "50%" in text  # Rich's bar
    visible = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)  # the cursor shown again is invisible
    assert visible.endswith("\njiesu: error: x.csv: not a text file [unreadable-input]\n")
    bar.close()  # closing again writes nothing more
    assert err.getvalue() == text


def test_no_progress_bar_when_stderr_is_not_a_terminal(monkeypatch):
    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    bar = ProgressBar("validating")
    bar(5, 10)
    bar.close()
    assert err.getvalue() == ""
