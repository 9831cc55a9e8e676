"""Removing what a prove run wrote: the multipart uploads open under its prefix, then every
object version and delete marker under it, and nothing outside it. Never raises.

Everything it removes it first finds by listing the run's prefix (an upload whose
CreateMultipartUpload reply was lost is found too), and what remains is what a listing
after the cleanup still shows. Every call goes through the cleanup's client (short
timeouts, few attempts) and starts only while the deadline leaves room for its worst case
(probe.clients.cleanup_call_bound_ms); when time runs out, or a listing is refused, the
report says why and lists what was known to remain (`listed` false).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from probe.clients import S3Client, cleanup_call_bound_ms
from probe.errors import aws_errors, error_code
from probe.results import CleanupJson, Leftover

logger = logging.getLogger(__name__)

DELETE_BATCH = 1000  # the most keys one DeleteObjects call takes
FINAL_MARGIN_MS = 2_000  # left after the cleanup, to build and return the report
VERSION, DELETE_MARKER, UPLOAD = "version", "delete marker", "upload"
Item = tuple[str, str, str]  # (kind, key, version id or upload id)


class OutOfTime(Exception):
    """The next call might not end before the deadline."""


@dataclass(frozen=True)
class Deadline:
    """When the cleanup must be done: FINAL_MARGIN_MS before the Lambda's time is up.
    time_left_ms None: no deadline (tests, benchmarks)."""

    time_left_ms: Callable[[], float] | None
    margin_ms: float = FINAL_MARGIN_MS

    def check(self, what: str) -> None:
        """OutOfTime unless a call of the worst case still ends before the deadline."""
        if self.time_left_ms is None:
            return
        left = self.time_left_ms()
        if left - cleanup_call_bound_ms() < self.margin_ms:
            raise OutOfTime(
                f"out of time before {what}: {left / 1000:.1f} s left, a call may take "
                f"{cleanup_call_bound_ms() / 1000:.0f} s"
            )


@dataclass
class CleanupReport:
    deleted: int = 0
    aborted_uploads: int = 0
    leftovers: list[Leftover] = field(default_factory=list)
    listed: bool = False  # leftovers come from a listing made after the cleanup
    problems: list[str] = field(default_factory=list)  # why it is not complete

    @property
    def clean(self) -> bool:
        return self.listed and not self.leftovers

    def to_json(self, unfinished: list[str]) -> CleanupJson:
        """unfinished: scenarios still running at cleanup (they may write after it)."""
        return {
            "deleted": self.deleted,
            "aborted_uploads": self.aborted_uploads,
            "leftovers": self.leftovers,
            "listed": self.listed,
            "problems": self.problems,
            "clean": self.clean and not unfinished,
            "unfinished": unfinished,
        }


def _failure(exc: Exception, what: str) -> str:
    """The code of an AWS answer; anything else is logged with its traceback."""
    if isinstance(exc, aws_errors()):
        logger.warning("cleanup: %s refused: %s", what, error_code(exc))
        return error_code(exc)
    logger.exception("cleanup: %s raised", what)
    return f"raised {type(exc).__name__}"


def _leftover(item: Item, error: str) -> Leftover:
    kind, key, ident = item
    leftover: Leftover = {"kind": kind, "key": key, "error": error}
    if kind == UPLOAD:
        leftover["upload_id"] = ident
    else:
        leftover["version_id"] = ident
    return leftover


@dataclass
class _Cleanup:
    s3: S3Client
    bucket: str
    prefix: str
    deadline: Deadline
    report: CleanupReport
    # Everything a listing showed and no call has removed yet, with why (if a call failed).
    known: dict[Item, str] = field(default_factory=dict)

    def _pages(
        self, call: str, list_page: Callable[..., dict[str, Any]]
    ) -> Iterator[dict[str, Any]]:
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Prefix": self.prefix}
        while True:
            self.deadline.check(call)
            page = list_page(**kwargs)
            yield page
            if not page.get("IsTruncated"):
                return
            if call == "ListMultipartUploads":
                kwargs["KeyMarker"] = page.get("NextKeyMarker")
                kwargs["UploadIdMarker"] = page.get("NextUploadIdMarker")
            else:
                kwargs["KeyMarker"] = page.get("NextKeyMarker")
                kwargs["VersionIdMarker"] = page.get("NextVersionIdMarker")

    def list_uploads(self) -> list[Item]:
        found = []
        for page in self._pages("ListMultipartUploads", self.s3.list_multipart_uploads):
            for upload in page.get("Uploads", []):
                found.append((UPLOAD, upload["Key"], upload["UploadId"]))
        return self._under_prefix(found)

    def list_versions(self) -> list[Item]:
        found = []
        for page in self._pages("ListObjectVersions", self.s3.list_object_versions):
            found += [(VERSION, v["Key"], v["VersionId"]) for v in page.get("Versions", [])]
            found += [
                (DELETE_MARKER, m["Key"], m["VersionId"]) for m in page.get("DeleteMarkers", [])
            ]
        return self._under_prefix(found)

    def _under_prefix(self, items: list[Item]) -> list[Item]:
        """Never touch anything outside the run (S3 filtered already; this makes sure)."""
        found = [item for item in items if item[1].startswith(self.prefix)]
        for item in found:
            self.known.setdefault(item, "")
        return found

    def listed(self, call: str, lister: Callable[[], list[Item]]) -> list[Item] | None:
        """The listing, or None (and the reason among the problems) if S3 refused it."""
        try:
            return lister()
        except OutOfTime:
            raise
        except Exception as exc:  # never raises: reported, non-AWS ones logged
            self.report.problems.append(f"{call}: {_failure(exc, call + ' ' + self.prefix)}")
            return None

    def abort_uploads(self) -> None:
        for item in self.listed("ListMultipartUploads", self.list_uploads) or []:
            _, key, upload_id = item
            self.deadline.check("AbortMultipartUpload")
            try:
                self.s3.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
            except Exception as exc:  # never raises: reported, non-AWS ones logged
                code = _failure(exc, f"aborting upload of {key}")
                if code != "NoSuchUpload":  # completed or aborted meanwhile
                    self.known[item] = code
                    continue
            else:
                self.report.aborted_uploads += 1
            self.known.pop(item, None)

    def delete_versions(self) -> None:
        items = self.listed("ListObjectVersions", self.list_versions) or []
        for start in range(0, len(items), DELETE_BATCH):
            batch = items[start : start + DELETE_BATCH]
            self.deadline.check("DeleteObjects")
            objects = [{"Key": key, "VersionId": version} for _, key, version in batch]
            try:
                response = self.s3.delete_objects(
                    Bucket=self.bucket, Delete={"Objects": objects, "Quiet": True}
                )
            except Exception as exc:  # never raises: reported, non-AWS ones logged
                code = _failure(exc, f"deleting {len(batch)} versions under {self.prefix}")
                for item in batch:
                    self.known[item] = code
                continue
            refused: dict[tuple[str, str], str] = {
                (e.get("Key", ""), e.get("VersionId", "")): e.get("Code") or "refused"
                for e in response.get("Errors", [])
            }
            for item in batch:
                if (item[1], item[2]) in refused:
                    self.known[item] = refused[(item[1], item[2])]
                else:
                    self.report.deleted += 1
                    self.known.pop(item, None)

    def confirm(self) -> None:
        """What a listing after the cleanup still shows is what remains."""
        uploads = self.listed("ListMultipartUploads", self.list_uploads)
        versions = self.listed("ListObjectVersions", self.list_versions)
        if uploads is None or versions is None:
            return  # a problem is reported; the known leftovers stand
        remaining = uploads + versions
        self.report.listed = True
        self.known = {item: self.known.get(item) or "still present" for item in remaining}


def clean_up_run(s3: S3Client, bucket: str, prefix: str, deadline: Deadline) -> CleanupReport:
    """Abort the multipart uploads open under prefix; delete every version and delete
    marker under it; report what a listing afterwards still shows (or, if the cleanup
    could not finish, what it knew to remain and why)."""
    report = CleanupReport()
    cleanup = _Cleanup(s3, bucket, prefix, deadline, report)
    try:
        cleanup.abort_uploads()
        cleanup.delete_versions()
        cleanup.confirm()
    except OutOfTime as exc:
        logger.warning("cleanup of %s stopped: %s", prefix, exc)
        report.problems.append(str(exc))
        report.listed = False
    report.leftovers = [
        _leftover(item, error or "not removed: the cleanup stopped")
        for item, error in sorted(cleanup.known.items())
    ]
    return report
