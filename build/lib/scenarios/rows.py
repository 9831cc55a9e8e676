"""Rows of the result table, live (the Lambda's JSON) and offline alike."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TypedDict

from scenarios.outcomes import ACTUALS, NOT_RUN
from scenarios.principals import ALL_PRINCIPALS, UPLOADER


class Row(TypedDict):
    """One row of the table, live (the Lambda's JSON) and offline alike."""

    scenario: str
    principal: str  # who ran it: the live probe runs as the uploader
    seed: str
    expected: str
    actual: str
    detail: str
    stored: str
    ms: float | None
    passed: bool


def row(
    scenario: str,
    seed: str,
    expected: str,
    actual: str,
    detail: str = "",
    stored: str = "",
    ms: float | None = None,
    principal: str = UPLOADER,
) -> Row:
    """One line of the table, live (the Lambda's JSON) and offline alike:

        {"scenario": "no-header", "principal": "uploader", "seed": "no encryption header",
         "expected": "allowed" | "denied", "actual": one of ACTUALS,
         "detail": "DenyMissingEncryptionHeader",   # deciding Sid, layer or error code
         "stored": "aws:kms + key/... + bucket key", # stored encryption of a write, or ""
         "ms": 12 | None, "passed": True}

    A row is identified by (scenario, principal); the live probe runs as the uploader.
    "passed" follows from expected and actual, so nobody sets it by hand.
    """
    if actual not in ACTUALS:
        raise ValueError(f"actual {actual!r} is not one of {', '.join(ACTUALS)}")
    if principal not in ALL_PRINCIPALS:
        raise ValueError(f"principal {principal!r} is not one of {', '.join(ALL_PRINCIPALS)}")
    return {
        "scenario": scenario,
        "principal": principal,
        "seed": seed,
        "expected": expected,
        "actual": actual,
        "detail": detail,
        "stored": stored,
        "ms": ms,
        "passed": actual == expected,  # "not run" is counted apart, see failed()
    }


def row_name(r: Mapping[str, object]) -> str:
    """How a row is named in summaries: the scenario, and the principal unless the uploader
    (rows without a principal, e.g. from an older probe, are the uploader's)."""
    principal = r.get("principal") or UPLOADER
    return str(r["scenario"]) if principal == UPLOADER else f"{r['scenario']} ({principal})"


def not_run(r: Mapping[str, object]) -> bool:
    # A scenario the live probe cannot perform (e.g. TLS 1.1: endpoints refuse it) is
    # neither a pass nor a failure; the offline proof covers it.
    return r["actual"] == NOT_RUN


def failed(rows: Iterable[Mapping[str, object]]) -> list[str]:
    """Names (row_name) of the rows that failed (the ones not run are not failures)."""
    return [row_name(r) for r in rows if not r["passed"] and not not_run(r)]
