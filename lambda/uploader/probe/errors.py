"""The probe's one error policy: which exceptions are AWS's answer to a request.

Only an AWS error response becomes a scenario outcome: botocore's ClientError (and boto3's
S3UploadFailedError, which wraps one) is "denied" for a policy refusal and "error" with
its code for any other answer. The plain-HTTP row is stricter (classify_plain_http): only
S3's own refusal counts, and a request that never reached S3 is no refusal at all.
Anything else is a fault of the probe or of its surroundings: the run logs it with its
traceback and reports the row as "error" (probe.run), then goes on; cleanup runs either
way.

botocore is imported on the first failure only, so importing the probe stays cheap.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scenarios import DENIED, ERROR, live_layer

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


def aws_errors() -> tuple[type[Exception], ...]:
    """The exceptions that carry AWS's answer (for `except aws_errors() as exc:`)."""
    from boto3.exceptions import S3UploadFailedError
    from botocore.exceptions import ClientError

    return (ClientError, S3UploadFailedError)


def no_answer() -> tuple[type[Exception], ...]:
    """botocore's exceptions for a request that got no answer (no connection, a reset,
    a timeout): nothing was decided."""
    from botocore.exceptions import ConnectionError, HTTPClientError

    return (ConnectionError, HTTPClientError)


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


def _answered(exc: BaseException) -> BaseException:
    """The exception that carries AWS's answer: upload_file wraps the ClientError in
    S3UploadFailedError (raised inside `except`, so the ClientError is its context)."""
    inner = exc.__context__
    if _response(exc) is None and inner is not None and _response(inner) is not None:
        return inner
    return exc


def classify(exc: BaseException) -> tuple[str, str]:
    """(actual, detail) of an exception `aws_errors()` matched: "denied" for a policy
    refusal, else "error" with the code."""
    exc = _answered(exc)
    response = _response(exc)
    code = error_code(exc)
    metadata = {} if response is None else response.get("ResponseMetadata", {})
    status = metadata.get("HTTPStatusCode")
    if code in DENIED_CODES or (status == 403 and code not in NOT_A_DECISION_CODES):
        # S3 names the denying layer for same-account callers (scenarios.layers).
        message = "" if response is None else str(response.get("Error", {}).get("Message", ""))
        layer = live_layer(message)
        return DENIED, f"{code}: {layer}" if layer else code
    return ERROR, code


# S3's refusals of a request over plain HTTP that pass the plain-HTTP row:
# - the bucket policy's: same-account AccessDenied messages name the policy type that
#   denied ("... with an explicit deny in a resource-based policy");
# - S3's own, documented for SSE-KMS headers: InvalidArgument "Requests specifying Server
#   Side Encryption with AWS KMS managed keys must be made over a secure connection."
RESOURCE_POLICY_DENY = "explicit deny in a resource-based policy"
KMS_OVER_HTTP = "must be made over a secure connection"


def classify_plain_http(exc: BaseException) -> tuple[str, str]:
    """(actual, detail) of the plain-HTTP row's AWS answer: "denied" only for an answer
    that carries S3's request id and is the bucket policy's or S3's documented refusal;
    any other refusal is an "error" naming what came back."""
    exc = _answered(exc)
    actual, detail = classify(exc)
    response = _response(exc) or {}
    code = error_code(exc)  # the code alone: classify's detail may name the layer too
    if actual == ERROR and code != "InvalidArgument":
        return actual, detail
    if not response.get("ResponseMetadata", {}).get("RequestId"):
        return ERROR, f"{code} without S3's request id: not an answer from S3"
    message = str(response.get("Error", {}).get("Message", ""))
    if actual == DENIED and RESOURCE_POLICY_DENY in message:
        return DENIED, f"{code} ({RESOURCE_POLICY_DENY})"
    if code == "InvalidArgument" and KMS_OVER_HTTP in message:
        return DENIED, f"{code} (SSE-KMS {KMS_OVER_HTTP})"
    return ERROR, f"{code}, not the bucket policy's refusal: {message[:120] or 'no message'}"
