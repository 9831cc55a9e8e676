"""Removal policies set on purpose: one rule for every resource that holds data or logs."""

from __future__ import annotations

from aws_cdk import RemovalPolicy


def removal_policy(retain: bool) -> RemovalPolicy:
    """RETAIN keeps the resource when its stack is deleted; DESTROY (setting retain_data
    false, dev only) deletes it with the stack."""
    return RemovalPolicy.RETAIN if retain else RemovalPolicy.DESTROY
