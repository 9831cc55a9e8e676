"""One line for what botocore raises, for the commands that call AWS (`make live-proof`,
`make audit`, `make rekey`); botocore is imported only when an error is explained."""

from __future__ import annotations

from typing import Any

# botocore's credential errors; the newer ones are looked up by name (older botocores lack them).
CREDENTIAL_ERRORS = (
    "NoCredentialsError",
    "PartialCredentialsError",
    "CredentialRetrievalError",
    "SSOTokenLoadError",
    "TokenRetrievalError",
    "UnauthorizedSSOTokenError",
)


def error_code(exc: BaseException) -> str:
    """The AWS error code of an AWS answer, else ""."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


def problem(exc: BaseException, what: str) -> str:
    """One line for a botocore exception raised while doing `what`."""
    from botocore import exceptions as be

    credentials = tuple(getattr(be, n) for n in CREDENTIAL_ERRORS if hasattr(be, n))
    if isinstance(exc, be.ProfileNotFound):
        return f"{exc}: check AWS_PROFILE"
    if isinstance(exc, credentials):
        return f"no usable AWS credentials while {what}: set AWS_PROFILE or log in"
    if isinstance(exc, be.NoRegionError):
        return "no AWS region: set AWS_REGION or pass --region"
    if isinstance(exc, be.EndpointConnectionError):
        return f"cannot reach AWS while {what}: {exc}"
    code = error_code(exc)
    if code:
        message = getattr(exc, "response", {}).get("Error", {}).get("Message", "")
        return f"AWS refused {what}: {code}: {message}".rstrip(": ")
    return f"{what} failed: {type(exc).__name__}: {exc}"


def stack_outputs(
    cfn: Any, stack: str, error: type[Exception], not_deployed: str
) -> tuple[str, dict[str, str]]:
    """(status, {output key: value}) of a deployed stack; `error` with `not_deployed` when
    the stack does not exist, with problem() for any other failure."""
    try:
        found = cfn.describe_stacks(StackName=stack)["Stacks"]
    except Exception as exc:
        if error_code(exc) == "ValidationError" and "does not exist" in str(exc):
            raise error(not_deployed) from exc
        raise error(problem(exc, f"reading stack {stack}")) from exc
    outputs = {o["OutputKey"]: o["OutputValue"] for o in found[0].get("Outputs", [])}
    return str(found[0].get("StackStatus", "")), outputs
