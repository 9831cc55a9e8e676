"""The one shape of every Deny this app writes: a Sid, any principal, explicit denies."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import aws_iam as iam


def deny_everyone(
    sid: str,
    actions: Sequence[str],
    resources: Sequence[str],
    conditions: Mapping[str, Mapping[str, Any]] | None = None,
) -> iam.PolicyStatement:
    """A Deny for every principal (account root and AWS services included) by its Sid."""
    return iam.PolicyStatement(
        sid=sid,
        effect=iam.Effect.DENY,
        principals=[iam.AnyPrincipal()],
        actions=list(actions),
        resources=list(resources),
        conditions={op: dict(block) for op, block in conditions.items()} if conditions else None,
    )
