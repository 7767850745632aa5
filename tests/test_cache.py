"""The TOML cache (jiesu.cache) gives exactly what tomllib gives, and never stands in the way."""

from __future__ import annotations

import tomllib
from importlib import resources

import pytest

from jiesu.cache import MIN_CACHED_CHARS, loads_toml

TEXT = resources.files("jiesu").joinpath("profiles", "beijing.toml").read_text("utf-8")


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("JIESU_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("JIESU_NO_CACHE", raising=False)
    return tmp_path


def test_cached_documents_equal_tomllib(cache):
    assert len(TEXT) >= MIN_CACHED_CHARS
    first, again = loads_toml(TEXT), loads_toml(TEXT)
    assert first == again == tomllib.loads(TEXT)
    assert len(list(cache.glob("toml-*.json"))) == 1


def test_an_edited_text_is_parsed_again(cache):
    loads_toml(TEXT)
    edited = TEXT.replace('language = "zh"', 'language = "en"', 1)
    assert edited != TEXT
    assert loads_toml(edited) == tomllib.loads(edited)
    assert len(list(cache.glob("toml-*.json"))) == 2


def test_a_broken_cache_file_is_ignored_and_errors_still_reach_the_caller(cache):
    loads_toml(TEXT)
    (path,) = cache.glob("toml-*.json")
    path.write_text("{not json", encoding="utf-8")
    assert loads_toml(TEXT) == tomllib.loads(TEXT)
    with pytest.raises(tomllib.TOMLDecodeError):
        loads_toml("x = " + "#" * MIN_CACHED_CHARS)


def test_small_documents_dates_and_switching_off_write_nothing(cache, monkeypatch):
    assert loads_toml("a = 1") == {"a": 1}
    dated = "when = 2024-03-01T08:00:00+08:00\n" + "# padding\n" * MIN_CACHED_CHARS
    assert loads_toml(dated) == tomllib.loads(dated)  # a date has no JSON form: not cached
    monkeypatch.setenv("JIESU_NO_CACHE", "1")
    assert loads_toml(TEXT) == tomllib.loads(TEXT)
    assert not list(cache.glob("toml-*.json"))
