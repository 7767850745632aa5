"""streaming_memory switches Arrow's pool only inside the block, nests, and survives errors."""

from __future__ import annotations

import pyarrow as pa
import pytest

from jiesu.memory import streaming_memory


def test_pool_is_restored_after_nested_blocks_and_errors():
    before = pa.default_memory_pool().backend_name
    jemalloc = "jemalloc" in pa.supported_memory_backends()
    with streaming_memory():
        inside = pa.default_memory_pool().backend_name
        with streaming_memory():
            pass
        assert pa.default_memory_pool().backend_name == inside  # the inner block does not restore
        kept = pa.array(range(1000))  # a buffer from the streaming pool outlives the block
    assert inside == ("jemalloc" if jemalloc else before)
    assert pa.default_memory_pool().backend_name == before
    assert kept.sum().as_py() == 499500
    with pytest.raises(RuntimeError), streaming_memory():
        raise RuntimeError("boom")
    assert pa.default_memory_pool().backend_name == before
