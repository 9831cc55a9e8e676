"""One-line errors of the audit and re-key commands (exit code 2), from botocore's."""

from __future__ import annotations


class AuditError(Exception):
    """Nothing (more) can be done; the message is one line for the user."""


def error_code(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


def aws_problem(exc: BaseException, what: str) -> AuditError:
    """One line for a botocore exception raised while doing `what`."""
    from botocore import exceptions as be

    if isinstance(exc, be.NoCredentialsError | be.PartialCredentialsError):
        return AuditError(f"no usable AWS credentials while {what}: set AWS_PROFILE or log in")
    if isinstance(exc, be.ProfileNotFound):
        return AuditError(f"{exc}: check AWS_PROFILE")
    if isinstance(exc, be.NoRegionError):
        return AuditError("no AWS region: set AWS_REGION or pass --region")
    if isinstance(exc, be.EndpointConnectionError):
        return AuditError(f"cannot reach AWS while {what}: {exc}")
    code = error_code(exc)
    if code in ("NoSuchBucket", "404"):
        return AuditError(f"no such bucket while {what}: check --bucket (or --env)")
    if code:
        message = getattr(exc, "response", {}).get("Error", {}).get("Message", "")
        return AuditError(f"AWS refused {what}: {code}: {message}".rstrip(": "))
    return AuditError(f"{what} failed: {type(exc).__name__}: {exc}")
