"""The seed article's `s3.upload_file(file, bucket, key, ExtraArgs=...)` for one encryption
choice (the Lambda's "upload" action), read back and judged like the table's writes."""

from __future__ import annotations

import logging
import os
import tempfile
import time

import scenarios as sc
from probe.clients import Clients, S3Client
from probe.errors import aws_errors, classify
from probe.results import ErrorCode, UploadResult, stored_from, stored_json
from probe.state import new_run_id
from probe.target import Target, head_written, object_location

logger = logging.getLogger(__name__)


def resolve_key(prefix: str, key: str | None, choice: str) -> str:
    """The object key of an upload: always under the probe prefix."""
    if key is None:
        return f"{prefix}/uploads/{new_run_id()}-{choice}.txt"
    return key if key.startswith(prefix + "/") else f"{prefix}/{key}"


def redact(args: dict[str, str | bytes]) -> dict[str, str]:
    return {
        name: "<redacted>" if name == "SSECustomerKey" else str(value)
        for name, value in args.items()
    }


def _upload_file(
    s3: S3Client, bucket: str, key: str, content: str, extra_args: dict[str, str | bytes]
) -> None:
    """upload_file from a temporary file, as the seed does; the file is always removed."""
    from boto3.s3.transfer import TransferConfig

    fd, path = tempfile.mkstemp(prefix="upload-", suffix=".txt", dir=tempfile.gettempdir())
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content.encode("utf-8"))
        s3.upload_file(
            path,
            bucket,
            key,
            ExtraArgs=extra_args,
            Config=TransferConfig(use_threads=False, preferred_transfer_client="classic"),
        )
    finally:
        os.unlink(path)


def seed_upload(
    target: Target, clients: Clients, *, choice: str, key: str | None, content: str
) -> UploadResult:
    """Upload with the choice's ExtraArgs; read the object back if S3 took it. AWS answers
    are the result; anything else propagates (the handler logs it)."""
    sse = sc.UPLOAD_CHOICES[choice]
    extra_args = sc.boto3_sse_args(sse, target.keys)
    object_key = resolve_key(target.prefix, key, choice)
    expected = sc.expected_write(sse, target.config)
    s3 = clients.s3()
    started = time.perf_counter()
    result, error, stored, version_id = sc.ALLOWED, None, None, None
    try:
        _upload_file(s3, target.bucket, object_key, content, extra_args)
    except aws_errors() as exc:
        result, code = classify(exc)
        error = ErrorCode(code=code)
    ms = (time.perf_counter() - started) * 1000
    if result == sc.ALLOWED:
        try:
            where = object_location(target.bucket, object_key, None)
            response = head_written(s3, where, sse, extra_args)
            stored, version_id = stored_from(response), response.get("VersionId")
        except aws_errors() as exc:
            error = ErrorCode(code=f"read-back failed: {classify(exc)[1]}")
    promised = target.promised()
    return {
        "ok": True,
        "action": "upload",
        "encryption": choice,
        "bucket": target.bucket,
        "key": object_key,
        "version_id": version_id,
        "extra_args": redact(extra_args),
        "result": result,
        "error": error,
        "expected": expected.outcome,
        "because": expected.because,
        "as_expected": result == expected.outcome,
        "stored": stored_json(stored),
        "stored_as_promised": None if stored is None else stored == promised,
        "promised": stored_json(promised),
        "ms": int(round(ms)),
    }
