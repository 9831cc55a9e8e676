"""The HEAD audit, for small buckets: list every version, HEAD each, classify.

HEADs run with bounded concurrency while the next page of versions is listed; only one
page (at most 1,000 versions) is in memory at a time. After each page the cursor file
holds the listing markers and the tally so far (written atomically), so an interrupted
audit goes on where it stopped.
"""

from __future__ import annotations

import json
import os
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from rekey.errors import AuditError, aws_problem, error_code
from rekey.kinds import CUSTOMER_KEY, UNENCRYPTED, Expected, Stored
from rekey.tally import Tally

PAGE_SIZE = 1000  # ListObjectVersions' maximum
DEFAULT_CONCURRENCY = 16
MAX_CONCURRENCY = 64


def stored_from_head(response: dict[str, Any], now: datetime) -> Stored:
    """How S3 says a version is stored (HeadObject's response)."""
    if response.get("SSECustomerAlgorithm"):
        return Stored(CUSTOMER_KEY)
    until = response.get("ObjectLockRetainUntilDate")
    locked = response.get("ObjectLockLegalHoldStatus") == "ON" or (
        bool(response.get("ObjectLockMode")) and until is not None and until > now
    )
    return Stored(
        response.get("ServerSideEncryption") or UNENCRYPTED,
        response.get("SSEKMSKeyId"),
        bool(response.get("BucketKeyEnabled")),
        locked,
    )


def head_version(s3: Any, bucket: str, key: str, version_id: str | None) -> Stored | None:
    """A version's storage; None if it is gone (deleted since it was listed).

    S3 answers a HEAD of an SSE-C object without its customer key with 400 Bad Request:
    that answer is the one sign of SSE-C a HEAD gets.
    """
    args = {"Bucket": bucket, "Key": key}
    if version_id and version_id != "null":
        args["VersionId"] = version_id
    try:
        response = s3.head_object(**args)
    except Exception as exc:
        code = error_code(exc)
        if code in ("400", "BadRequest"):
            return Stored(CUSTOMER_KEY)
        if code in ("404", "NoSuchKey", "NoSuchVersion"):
            return None
        if code in ("403", "AccessDenied"):
            raise AuditError(
                f"access denied to HEAD s3://{bucket}/{key}: the audit needs s3:GetObject "
                "and s3:GetObjectVersion on the bucket's objects"
            ) from exc
        raise aws_problem(exc, f"reading s3://{bucket}/{key}") from exc
    return stored_from_head(response, datetime.now(UTC))


def list_page(s3: Any, bucket: str, markers: dict[str, str]) -> dict[str, Any]:
    try:
        page: dict[str, Any] = s3.list_object_versions(Bucket=bucket, MaxKeys=PAGE_SIZE, **markers)
    except Exception as exc:
        raise aws_problem(exc, f"listing the versions of bucket {bucket}") from exc
    return page


def count_versions(s3: Any, bucket: str, limit: int) -> int:
    """Versions and delete markers listed, stopping once over `limit` (returns limit + 1)."""
    markers: dict[str, str] = {}
    seen = 0
    while True:
        page = list_page(s3, bucket, markers)
        seen += len(page.get("Versions", [])) + len(page.get("DeleteMarkers", []))
        if seen > limit:
            return limit + 1
        if not page.get("IsTruncated"):
            return seen
        markers = _next_markers(page)


def _next_markers(page: dict[str, Any]) -> dict[str, str]:
    markers = {"KeyMarker": page["NextKeyMarker"]}
    if page.get("NextVersionIdMarker"):
        markers["VersionIdMarker"] = page["NextVersionIdMarker"]
    return markers


class Cursor:
    """Where a HEAD audit stands: the next listing markers, the tally, the blocked list's
    length. Saved after every page; removed by the caller once the report is written."""

    def __init__(self, path: Path | None, bucket: str, expected: Expected) -> None:
        self.path, self.bucket, self.expected = path, bucket, expected

    def load(self) -> tuple[dict[str, str] | None, Tally, int] | None:
        """(next markers, None once every page is counted; tally; blocked list length)."""
        if self.path is None or not self.path.exists():
            return None
        try:
            data = json.loads(self.path.read_text())
            same = data["bucket"] == self.bucket and data["expected"] == self.expected.as_json()
            if not same:
                raise AuditError(
                    f"cursor {self.path} belongs to another audit (bucket {data['bucket']}): "
                    "remove it or name another --cursor"
                )
            tally = Tally.from_json(self.expected, data["tally"])
            markers = None if data["finished"] else dict(data["markers"])
            return markers, tally, int(data["blocked_bytes"])
        except (ValueError, KeyError, TypeError) as exc:
            raise AuditError(f"cursor {self.path} cannot be read ({exc}): remove it") from exc

    def save(self, markers: dict[str, str] | None, tally: Tally, blocked_bytes: int) -> None:
        if self.path is None:
            return
        data = {
            "bucket": self.bucket,
            "expected": self.expected.as_json(),
            "markers": markers or {},
            "finished": markers is None,
            "tally": tally.as_json(),
            "blocked_bytes": blocked_bytes,
        }
        partial = self.path.with_name(self.path.name + ".partial")
        partial.write_text(json.dumps(data))
        os.replace(partial, self.path)  # atomic: a kill leaves the old or the new cursor


def audit_by_head(
    s3: Any,
    bucket: str,
    tally: Tally,
    *,
    concurrency: int,
    cursor: Cursor,
    markers: dict[str, str] | None = None,
    blocked_out: TextIO | None = None,
    progress: TextIO | None = sys.stderr,
) -> Tally:
    """HEAD every version after `markers` into `tally`, `concurrency` at a time."""
    markers = dict(markers or {})
    started = time.monotonic()
    with ThreadPoolExecutor(concurrency) as heads, ThreadPoolExecutor(1) as lister:
        upcoming: Future[dict[str, Any]] | None = lister.submit(list_page, s3, bucket, markers)
        while upcoming is not None:
            page = upcoming.result()
            more = bool(page.get("IsTruncated"))
            next_markers = _next_markers(page) if more else {}
            upcoming = lister.submit(list_page, s3, bucket, next_markers) if more else None
            versions = page.get("Versions", [])
            found = heads.map(
                lambda v: head_version(s3, bucket, v["Key"], v.get("VersionId")), versions
            )
            for version, stored in zip(versions, found, strict=True):
                if stored is None:
                    tally.vanished += 1
                else:
                    tally.add(bucket, version["Key"], version.get("VersionId"), stored, blocked_out)
            tally.delete_markers += len(page.get("DeleteMarkers", []))
            if blocked_out is not None:
                blocked_out.flush()
            cursor.save(
                next_markers if more else None, tally, blocked_out.tell() if blocked_out else 0
            )
            if progress is not None:
                rate = tally.versions / max(time.monotonic() - started, 1e-9)
                progress.write(
                    f"\raudit: {tally.versions} versions, {tally.wrong} not as the settings "
                    f"say, {rate:.0f}/s"
                )
                progress.flush()
    if progress is not None:
        progress.write("\n")
    return tally
