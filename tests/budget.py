"""Per-test example budgets that follow the hypothesis profile in use (tests/conftest.py)."""

from __future__ import annotations

from hypothesis import settings

# The `ci` profile's example count, and so the count of a test that states no budget.
BASE_EXAMPLES = 100


def examples(ci_budget: int) -> int:
    """The test's example count: `ci_budget` under the `ci` profile, scaled with the profile."""
    return max(1, ci_budget * settings.default.max_examples // BASE_EXAMPLES)
