"""Hypothesis profiles shared by every test: `ci` is reproducible, `dev` explores.

`ci` (chosen when the CI variable is set, and by `make test`): derandomized, so the same
code always tries the same examples and a failure is a real regression, never an unlucky
seed; no example database; failures print a blob to replay them (docs/testing.md).
`dev` (`make test-explore`, or HYPOTHESIS_PROFILE=dev): random seeds and ten times the
examples, for finding new failures on purpose.
"""

from __future__ import annotations

import os

from budget import BASE_EXAMPLES
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=BASE_EXAMPLES,
    print_blob=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "dev",
    max_examples=10 * BASE_EXAMPLES,
    print_blob=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or "ci")
