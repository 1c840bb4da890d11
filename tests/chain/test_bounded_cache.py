"""The caches outside input can fill stay within their byte budget, not only their count."""

from __future__ import annotations

from chain.cache import BoundedCache


def test_the_least_recently_used_entries_go_when_bytes_run_out() -> None:
    cache: BoundedCache[int, str] = BoundedCache(max_entries=100, max_bytes=1000)
    for key in range(5):
        cache.put(key, "v", 300)
    assert len(cache) == 3 and cache.total_bytes == 900
    assert cache.get(0) is None and cache.get(1) is None
    assert cache.get(2) == "v"
    cache.put(5, "v", 300)  # 2 was used last, so 3 goes
    assert cache.get(3) is None and cache.get(2) == "v"


def test_an_entry_larger_than_the_budget_is_not_kept() -> None:
    cache: BoundedCache[int, str] = BoundedCache(max_entries=100, max_bytes=1000)
    cache.put(1, "small", 10)
    cache.put(2, "huge", 1001)
    assert cache.get(2) is None and cache.get(1) == "small"


def test_the_entry_count_is_bounded_too() -> None:
    cache: BoundedCache[int, int] = BoundedCache(max_entries=2, max_bytes=10**9)
    for key in range(3):
        cache.put(key, key, 1)
    assert len(cache) == 2 and cache.get(0) is None
