"""Uploader Lambda: validates the event and dispatches to the probe.

Events (anything else gets {"ok": false, "error": {"code", "message"}}; nothing is written):
  {"action": "upload", "encryption": <scenarios.UPLOAD_CHOICES>, "key"?: str, "content"?: str}
      the seed article's upload_file(..., ExtraArgs=...) for one encryption choice.
  {"action": "prove", "concurrency"?: 1..32}
      every live scenario of the scenarios package against the bucket, then cleanup.

Configuration (environment): BUCKET_NAME, PROBE_PREFIX, ENCRYPTION, HEADER_POLICY and, in
KMS modes, KEY_ARN and KEY_ALIAS. Region from AWS_REGION, partition and account from
context.invoked_function_arn (read by probe.target.target_from_env). boto3 is imported
when the first client is made.

The handler only validates and dispatches; the work is the probe's (probe/).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol, TypeVar

import probe
import scenarios
from probe.results import ErrorResponse, ProveResult, UploadResult, error_response
from probe.target import ConfigError, target_from_env

logger = logging.getLogger(__name__)

T = TypeVar("T")

ACTIONS = ("upload", "prove")
FIELDS = {
    "upload": ("action", "encryption", "key", "content"),
    "prove": ("action", "concurrency"),
}
MAX_CONTENT_BYTES = 64 * 1024
MAX_KEY_LENGTH = 512
DEFAULT_CONTENT = "Hello from the encrypted-s3 uploader.\n"
# S3's "safe" key characters (plus '/' between segments).
KEY_PATTERN = re.compile(r"[A-Za-z0-9!_.*'()/-]+")
KEY_CHARACTERS = "letters, digits and ! _ . * ' ( ) - /"


class EventError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class LambdaContext(Protocol):
    """The parts of the Lambda context object the handler reads."""

    @property
    def invoked_function_arn(self) -> str: ...
    @property
    def aws_request_id(self) -> str: ...
    def get_remaining_time_in_millis(self) -> int: ...


@dataclass(frozen=True)
class UploaderRequest:
    """A validated event."""

    action: str
    encryption: str | None = None
    key: str | None = None
    content: str = DEFAULT_CONTENT
    concurrency: int = probe.DEFAULT_CONCURRENCY


def _show(value: object) -> str:
    """A caller's value in a message: its repr, cut short."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _quoted_choices(values: Iterable[object]) -> str:
    return ", ".join(f'"{v}"' for v in values)


def _typed(event: Mapping[str, object], name: str, kind: type[T], kind_name: str) -> T | None:
    """The optional field's value, None when absent; null is a wrong type, not absence."""
    if name not in event:
        return None
    value = event[name]
    if value is None:
        raise EventError("WrongType", f'"{name}" must be {kind_name}, not null')
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise EventError("WrongType", f'"{name}" must be {kind_name}, not {type(value).__name__}')
    return value


def _check_key(key: str) -> str:
    if not key or len(key) > MAX_KEY_LENGTH:
        raise EventError(
            "InvalidKey", f'"key" must be 1 to {MAX_KEY_LENGTH} characters, not {len(key)}'
        )
    if key.startswith("/"):
        raise EventError("InvalidKey", '"key" must be relative (no leading "/")')
    if not KEY_PATTERN.fullmatch(key):
        raise EventError("InvalidKey", f'"key" may contain only {KEY_CHARACTERS}')
    if any(segment in ("", ".", "..") for segment in key.split("/")):
        raise EventError("InvalidKey", '"key" must not contain "..", "." or empty segments')
    return key


def parse_event(event: object) -> UploaderRequest:
    """The validated request, or EventError naming the problem and the allowed values."""
    if not isinstance(event, dict):
        raise EventError(
            "InvalidEvent",
            f'the event must be a JSON object with an "action" of {_quoted_choices(ACTIONS)}, '
            f"not {type(event).__name__}",
        )
    if "action" not in event:
        raise EventError("MissingField", f'"action" is required: one of {_quoted_choices(ACTIONS)}')
    action = event["action"]
    if not isinstance(action, str) or action not in ACTIONS:
        raise EventError(
            "UnknownAction", f'"action" {_show(action)} is not one of {_quoted_choices(ACTIONS)}'
        )
    unknown = sorted(str(name)[:40] for name in event if name not in FIELDS[action])
    if unknown:
        raise EventError(
            "UnknownField",
            f"{action} does not take {_quoted_choices(unknown)}; "
            f"its fields: {_quoted_choices(FIELDS[action])}",
        )
    if action == "prove":
        concurrency = _typed(event, "concurrency", int, "an integer")
        if concurrency is None:
            return UploaderRequest("prove")
        if not 1 <= concurrency <= probe.MAX_CONCURRENCY:
            raise EventError(
                "InvalidConcurrency",
                f'"concurrency" {concurrency} is not between 1 and {probe.MAX_CONCURRENCY}',
            )
        return UploaderRequest("prove", concurrency=concurrency)
    choices = tuple(scenarios.UPLOAD_CHOICES)
    if "encryption" not in event:
        raise EventError(
            "MissingField", f'upload needs "encryption": one of {_quoted_choices(choices)}'
        )
    encryption = event["encryption"]
    if not isinstance(encryption, str) or encryption not in choices:
        raise EventError(
            "UnknownEncryption",
            f'"encryption" {_show(encryption)} is not one of {_quoted_choices(choices)}',
        )
    key = _typed(event, "key", str, "a string")
    content = _typed(event, "content", str, "a string")
    if key is not None:
        _check_key(key)
    if content is None:
        content = DEFAULT_CONTENT
    size = len(content.encode("utf-8"))
    if size > MAX_CONTENT_BYTES:
        raise EventError(
            "ContentTooLarge",
            f'"content" is {size} bytes; at most {MAX_CONTENT_BYTES} bytes (UTF-8) are allowed',
        )
    return UploaderRequest("upload", encryption=encryption, key=key, content=content)


_clients: probe.Clients | None = None


def get_clients(region: str) -> probe.Clients:
    """The clients of this execution environment, kept between warm invocations (its
    region never changes)."""
    global _clients
    if _clients is None:
        _clients = probe.Clients(region)
    return _clients


def lambda_handler(
    event: object, context: LambdaContext
) -> ProveResult | UploadResult | ErrorResponse:
    try:
        request = parse_event(event)
    except EventError as exc:
        logger.warning("rejected event: %s: %s", exc.code, exc.message)
        return error_response(exc.code, exc.message)
    try:
        # Read defensively: a context without the ARN is a misconfiguration, not a crash.
        function_arn = str(getattr(context, "invoked_function_arn", None) or "")
        target, region = target_from_env(os.environ, function_arn)
    except ConfigError as exc:
        logger.error("misconfigured: %s", exc)
        return error_response("Misconfigured", str(exc))
    clients = get_clients(region)
    try:
        if request.action == "upload":
            return probe.seed_upload(
                target,
                clients,
                choice=request.encryption or "",
                key=request.key,
                content=request.content,
            )
        return probe.run_live_proof(
            target,
            clients,
            concurrency=request.concurrency,
            time_left_ms=context.get_remaining_time_in_millis,
        )
    except Exception as exc:  # never a stack trace to the caller; the log has it
        logger.exception("%s failed", request.action)
        request_id = getattr(context, "aws_request_id", "unknown")
        return error_response(
            "InternalError",
            f"{request.action} failed with {type(exc).__name__}; "
            f"see the function's log (request id {request_id})",
        )
