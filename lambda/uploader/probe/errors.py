"""The probe's one error policy: which exceptions are AWS's answer to a request.

Only an AWS error response becomes a scenario outcome: botocore's ClientError (and boto3's
S3UploadFailedError, which wraps one) is "denied" for a policy refusal and "error" with
its code for any other answer. A scenario that sends a request AWS may refuse at the
transport (plain HTTP) also takes botocore's connection errors as the answer: the
request was refused before any policy ran. Anything else is a fault of the probe or of
its surroundings: the run logs it with its traceback and reports the row as "error"
(probe.run), then goes on; cleanup runs either way.

botocore is imported on the first failure only, so importing the probe stays cheap.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scenarios import DENIED, ERROR
from scenarios.layers import live_layer

# Error codes that mean "the policy said no". A 403 with another code counts too, except
# for codes that say the request was never authorized at all (bad or expired credentials).
DENIED_CODES = frozenset({"AccessDenied", "AccessDeniedException", "403"})
NOT_A_DECISION_CODES = frozenset(
    {
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidToken",
        "RequestTimeTooSkewed",
        "InvalidClientTokenId",
        "UnrecognizedClientException",
    }
)


def aws_errors(*, transport_refusal: bool = False) -> tuple[type[Exception], ...]:
    """The exceptions that carry AWS's answer (for `except aws_errors() as exc:`).

    transport_refusal: the scenario's request may be refused before it reaches S3 (plain
    HTTP); a connection that fails is then that refusal, not a fault.
    """
    from boto3.exceptions import S3UploadFailedError
    from botocore.exceptions import ClientError

    answers: tuple[type[Exception], ...] = (ClientError, S3UploadFailedError)
    return answers + _transport_errors() if transport_refusal else answers


def _transport_errors() -> tuple[type[Exception], ...]:
    from botocore.exceptions import ConnectionClosedError, EndpointConnectionError

    return (EndpointConnectionError, ConnectionClosedError)


def _response(exc: BaseException | None) -> Mapping[str, Any] | None:
    response = getattr(exc, "response", None)
    return response if isinstance(response, Mapping) else None


def error_code(exc: BaseException) -> str:
    """The AWS error code of an AWS answer, else the exception's type name."""
    response = _response(exc)
    if response is not None:
        code = response.get("Error", {}).get("Code")
        if code:
            return str(code)
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if status:
            return str(status)
    return type(exc).__name__


def classify(exc: BaseException) -> tuple[str, str]:
    """(actual, detail) of an exception `aws_errors()` matched: "denied" for a policy
    refusal or a refused plain-HTTP connection, else "error" with the code."""
    # upload_file wraps the ClientError in S3UploadFailedError (raised inside `except`).
    inner = exc.__context__
    if _response(exc) is None and inner is not None and _response(inner) is not None:
        exc = inner
    response = _response(exc)
    if response is None and isinstance(exc, _transport_errors()):
        return DENIED, f"{type(exc).__name__} (refused before any policy)"
    code = error_code(exc)
    metadata = {} if response is None else response.get("ResponseMetadata", {})
    status = metadata.get("HTTPStatusCode")
    if code in DENIED_CODES or (status == 403 and code not in NOT_A_DECISION_CODES):
        # S3 names the denying layer for same-account callers (scenarios.layers).
        message = "" if response is None else str(response.get("Error", {}).get("Message", ""))
        layer = live_layer(message)
        return DENIED, f"{code}: {layer}" if layer else code
    return ERROR, code
