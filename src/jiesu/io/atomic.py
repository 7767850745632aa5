"""Writing outputs: the one guard every writer goes through.

- :func:`output_target` decides what a target names: ``-`` (or nothing) is stdout, a path that is
  this process's stdout (``/dev/stdout``) is stdout too, ``/dev/null`` discards, a regular file (or
  a name not yet taken) is replaced atomically, and a symlink is written *through* (the file it
  points to is replaced, the link stays). Anything else is refused with an :class:`OutputError`:
  an empty name, a folder, another device, a FIFO or socket, a missing folder, or a file that is
  also an input of the run (same inode), which would destroy the data being read.
- :func:`atomic_path` and :func:`open_output` write a temporary file beside the target, renamed into
  place only when the whole output is written, so a failed or interrupted run never leaves half a
  file. Temporary files are named ``.NAME.jiesu-PID-XXXXXXXX.tmp``; one whose process is gone (or
  older than a day) is removed by the next run that writes into the same folder.
- Binary formats go to stdout only when stdout is not a terminal.
- :func:`temp_folder_prefix` names scratch folders (``jiesu-ids-PID-XXXXXXXX`` in the temporary
  directory) and removes stale ones the same way.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import stat
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ..errors import OutputError

STDOUT = "-"
#: a temporary file or folder older than this is stale even if its process still runs
STALE_SECONDS = 24 * 3600

_TEMP_FILE = re.compile(r"^\..+\.jiesu-(\d+)-[A-Za-z0-9_]+\.tmp$")
_TEMP_FOLDER = re.compile(r"^jiesu-(?:ids|demo)-(?:(\d+)-)?[A-Za-z0-9_]+$")


@dataclass(frozen=True)
class Target:
    """Where an output goes: ``kind`` is ``stdout``, ``null`` (discarded) or ``file``; ``path`` is the
    regular file that will be replaced (symlinks followed), ``name`` the target as given."""

    kind: str
    name: str
    path: Path | None = None

    @property
    def is_stdout(self) -> bool:
        return self.kind == "stdout"


def is_stdout(target: str | os.PathLike[str] | None) -> bool:
    return target is None or os.fspath(target) == STDOUT


def stdout_is_terminal() -> bool:
    try:
        return os.isatty(sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):  # replaced stdout without a file descriptor
        return bool(getattr(sys.stdout, "isatty", lambda: False)())


def _same_file(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def _stdout_stat() -> os.stat_result | None:
    try:
        return os.fstat(sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):
        return None


def _kind_of(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _input_stats(inputs: Iterable[str | os.PathLike[str]]) -> list[os.stat_result]:
    """The files a run reads (folders expanded as the readers expand them)."""
    from .sources import format_of

    out = []
    for raw in inputs:
        path = Path(raw)
        try:
            if path.is_dir():
                for p in path.rglob("*"):
                    if format_of(p) and p.is_file():
                        out.append(p.stat())
            elif path.exists():
                out.append(path.stat())
        except OSError:
            continue
    return out


def output_target(target: str | os.PathLike[str] | None, inputs: Iterable[str | os.PathLike[str]] = (),
                  *, binary: bool = False) -> Target:
    """What ``target`` names (see the module docstring); OutputError for what jiesu must not write,
    and for a ``binary`` output to stdout when stdout is a terminal."""
    where = _target(target, inputs)
    if binary and where.is_stdout and stdout_is_terminal():
        raise OutputError("a binary format is not written to a terminal: give --output FILE or "
                          "redirect stdout to a file or pipe")
    return where


def _target(target: str | os.PathLike[str] | None, inputs: Iterable[str | os.PathLike[str]]) -> Target:
    if is_stdout(target):
        return Target("stdout", STDOUT)
    assert target is not None
    name = os.fspath(target)
    if not name.strip():
        raise OutputError("the output name is empty: give a file name, or - for stdout")
    real = Path(os.path.realpath(name))  # a symlink is written through: its target is replaced
    try:
        st = os.stat(name)  # follows links, also /proc's magic ones (/dev/stdout to a pipe)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise OutputError(f"{name}: cannot be used as output ({exc.strerror or exc.__class__.__name__})") from None
    if st is not None:
        out = _stdout_stat()
        if out is not None and _same_file(st, out):
            return Target("stdout", name)  # /dev/stdout, /proc/self/fd/1: this process's stdout
        if stat.S_ISDIR(st.st_mode):
            raise OutputError(f"{name}: is a folder; give a file name")
        if stat.S_ISCHR(st.st_mode) and _same_file(st, os.stat(os.devnull)):
            return Target("null", name)
        if not stat.S_ISREG(st.st_mode):
            raise OutputError(f"{name}: is {_kind_of(st.st_mode)}, not a regular file; jiesu writes files "
                              "(or stdout with -o -)")
        if any(_same_file(st, s) for s in _input_stats(inputs)):
            raise OutputError(f"{name}: is also an input of this run; write the output to another file")
    folder = real.parent
    if not folder.is_dir():
        raise OutputError(f"{name}: the folder {folder} does not exist")
    return Target("file", name, real)


# --------------------------------------------------------------------------------- stale temporaries

def _process_gone(pid: int) -> bool:
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError, OSError):
        return False  # another user's process (or an impossible pid): leave it alone
    return False


def _stale(entry: os.DirEntry[str], pid: str | None, now: float) -> bool:
    try:
        st = entry.stat(follow_symlinks=False)
    except OSError:
        return False
    if st.st_uid != os.getuid():
        return False
    return now - st.st_mtime > STALE_SECONDS or (pid is not None and _process_gone(int(pid)))


def remove_stale(folder: str | os.PathLike[str], *, folders: bool = False) -> int:
    """Remove jiesu's temporary files (or, with ``folders``, scratch folders) in ``folder`` whose
    process is gone or that are older than a day; returns how many were removed. Only entries with
    jiesu's own names, owned by this user, are touched; symlinks never."""
    pattern = _TEMP_FOLDER if folders else _TEMP_FILE
    removed = 0
    now = time.time()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    for entry in entries:
        m = pattern.match(entry.name)
        if m is None or entry.is_symlink():
            continue
        if (entry.is_dir(follow_symlinks=False) if folders else entry.is_file(follow_symlinks=False)) \
                and _stale(entry, m.group(1), now):
            with contextlib.suppress(OSError):
                if folders:
                    shutil.rmtree(entry.path)
                else:
                    os.unlink(entry.path)
                removed += 1
    return removed


def temp_folder_prefix(kind: str) -> str:
    """The prefix of a scratch folder (``jiesu-KIND-PID-``) for ``tempfile``; stale scratch folders
    of earlier runs in the temporary directory are removed first."""
    remove_stale(tempfile.gettempdir(), folders=True)
    return f"jiesu-{kind}-{os.getpid()}-"


# --------------------------------------------------------------------------------- writing

def _file_mode(path: Path) -> int:
    """The mode an ordinary write would give (or the old file's)."""
    try:
        return path.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str] | Target, inputs: Iterable[str | os.PathLike[str]] = ()) -> Iterator[Path]:
    """Yield a temporary path beside the file ``target`` names; rename it into place only if the
    block succeeds. OutputError for what :func:`output_target` refuses, and for stdout or
    ``/dev/null`` (use :func:`open_output` for those)."""
    where = target if isinstance(target, Target) else output_target(target, inputs)
    if where.path is None:
        raise OutputError(f"{where.name}: this output must be a file")
    real = where.path
    remove_stale(real.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{real.name}.jiesu-{os.getpid()}-", suffix=".tmp", dir=real.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, _file_mode(real))  # mkstemp makes the file 0600
        os.replace(tmp_path, real)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
        raise


@contextlib.contextmanager
def open_output(target: str | os.PathLike[str] | Target | None, *, binary: bool = True,
                inputs: Iterable[str | os.PathLike[str]] = ()) -> Iterator[IO[bytes]]:
    """A binary file to write one output to: stdout, /dev/null, or a temporary file renamed into
    place when the block succeeds. ``binary`` outputs are refused on a terminal."""
    where = target if isinstance(target, Target) else output_target(target, inputs, binary=binary)
    if where.kind == "stdout":
        if binary and stdout_is_terminal():
            output_target(STDOUT, binary=True)  # refuses
        out = sys.stdout.buffer
        yield out
        out.flush()
        return
    if where.kind == "null":
        with open(os.devnull, "wb") as fh:
            yield fh
        return
    with atomic_path(where) as tmp, open(tmp, "wb") as fh:
        yield fh


def write_bytes_atomic(target: str | os.PathLike[str] | Target, data: bytes,
                       inputs: Iterable[str | os.PathLike[str]] = ()) -> None:
    """``data`` to a file atomically (or to stdout / /dev/null as :func:`output_target` decides)."""
    with open_output(target, binary=False, inputs=inputs) as fh:
        fh.write(data)
