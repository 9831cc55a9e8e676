"""One-line errors of the audit and re-key commands (exit code 2), from botocore's."""

from __future__ import annotations

from proof.aws import error_code, problem

__all__ = ["AuditError", "aws_problem", "error_code"]


class AuditError(Exception):
    """Nothing (more) can be done; the message is one line for the user."""


def aws_problem(exc: BaseException, what: str) -> AuditError:
    """One line for a botocore exception raised while doing `what` (proof.aws), with the
    audit's own hint for a bucket that does not exist."""
    if error_code(exc) in ("NoSuchBucket", "404"):
        return AuditError(f"no such bucket while {what}: check --bucket (or --env)")
    return AuditError(problem(exc, what))
