"""The detail column: which statement, policy or layer decided a simulated request."""

from __future__ import annotations

from collections.abc import Iterable

from proof.simulate import DecidingStatement, Decision

# How a decision reads when no statement is reported (proof.results.NOTES, the "*" rows).
_UNREPORTED = {"Allowed": "allowed", "ExplicitlyDenied": "explicit deny"}


def _sids(statements: Iterable[DecidingStatement]) -> str:
    return ", ".join(s["sid"] or f"statement #{s['index']}" for s in statements)


def _policy_label(service: str, policy_type: str) -> str:
    if policy_type == "resource":
        return "key policy" if service == "kms" else "bucket policy"
    return f"{policy_type} policy"


def _explicit_denials(service: str, explicit: list[DecidingStatement]) -> str:
    by_policy: dict[str, list[DecidingStatement]] = {}
    for s in explicit:
        by_policy.setdefault(_policy_label(service, s["policy"]), []).append(s)
    return "; ".join(
        _sids(ss) if label == "bucket policy" else f"{label}: {_sids(ss)}"
        for label, ss in by_policy.items()
    )


def step_detail(service: str, d: Decision) -> str:
    """What decided one request of `service` ("s3" or "kms"): Sids, a policy, or an error."""
    if d.error:
        return f"simulator error: {d.error}"
    effective = d.effective
    if not d.statements_reported:
        # Decided on a context key runSimulation drops: no statement is reported (see NOTES).
        return f"{service.upper()} {_UNREPORTED.get(effective, 'implicit deny')}*"
    if effective == "Allowed":
        return "allowed by " + _sids(d.grants) if d.grants else "allowed"
    explicit = [s for s in d.denials if s["explicit"]]
    if explicit:
        return _explicit_denials(service, explicit)
    where = sorted({_policy_label(service, s["policy"]) for s in d.denials}) or ["any policy"]
    return f"implicit deny in {' and '.join(where)}"
