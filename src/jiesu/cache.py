"""A small on-disk cache for start-up: parsed TOML documents (profiles, scenarios) as JSON.

Python's ``tomllib`` is pure Python: the built-in Beijing profile (40 KB) takes about 15 ms to
parse, 40 times as long as the same document read back as JSON. Each document is kept under the
user's cache folder (``$XDG_CACHE_HOME/jiesu`` or ``~/.cache/jiesu``; ``JIESU_CACHE_DIR``
overrides, ``JIESU_NO_CACHE=1`` turns it off) named by the BLAKE2 hash of its text, so an edited
file is parsed again. Nothing depends on the cache: when it cannot be read or written, the text
is parsed as usual.
"""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Any

try:  # the built-in BLAKE2, without loading OpenSSL as hashlib does (a few ms of start-up)
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - other Python builds
    from hashlib import blake2b


#: shorter documents parse in well under a millisecond: not worth a file
MIN_CACHED_CHARS = 8192


def cache_dir() -> Path | None:
    if os.environ.get("JIESU_NO_CACHE"):
        return None
    if os.environ.get("JIESU_CACHE_DIR"):
        return Path(os.environ["JIESU_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "jiesu"


def loads_toml(text: str) -> dict[str, Any]:
    """``tomllib.loads(text)``, read from the cache when this exact text was parsed before."""
    folder = cache_dir()
    if folder is None or len(text) < MIN_CACHED_CHARS:
        return tomllib.loads(text)
    path = folder / f"toml-{blake2b(text.encode('utf-8'), digest_size=20).hexdigest()}.json"
    try:
        return json.loads(path.read_bytes())
    except (OSError, ValueError):
        pass
    data = tomllib.loads(text)  # errors (TOMLDecodeError) reach the caller as before
    try:
        encoded = json.dumps(data, ensure_ascii=False, allow_nan=True).encode("utf-8")
        if json.loads(encoded) != data:  # dates and times have no JSON form: not cached
            return data
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{path.name}.{os.getpid()}.tmp"
        tmp.write_bytes(encoded)
        os.replace(tmp, path)
    except (OSError, TypeError, ValueError):
        pass
    return data
