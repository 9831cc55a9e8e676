"""What a request comes to: the expected outcomes and what a row's "actual" may say."""

from __future__ import annotations

from dataclasses import dataclass

ALLOWED = "allowed"
DENIED = "denied"
# What else a row's "actual" may say (the live probe and the offline proof alike).
ERROR = "error"
STORED_WRONG = "stored wrong"  # allowed, but not stored as the bucket promises
NOT_RUN = "not run"  # only for scenarios the live probe cannot perform (Scenario.live)
ACTUALS = (ALLOWED, DENIED, ERROR, STORED_WRONG, NOT_RUN)


@dataclass(frozen=True)
class Expectation:
    outcome: str  # ALLOWED or DENIED
    because: str  # the rule of docs/design.md, "The rules", that decides
