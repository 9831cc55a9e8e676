"""Removing what a prove run wrote: its multipart uploads, then every object version and
delete marker under its prefix, and nothing outside it. Never raises: whatever could not
be removed is reported."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from probe.clients import S3Client
from probe.errors import aws_errors, error_code
from probe.results import CleanupJson, Leftover

logger = logging.getLogger(__name__)

DELETE_BATCH = 1000  # the most keys one DeleteObjects call takes


@dataclass
class CleanupReport:
    deleted: int = 0
    aborted_uploads: int = 0
    leftovers: list[Leftover] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.leftovers

    def to_json(self, unfinished: list[str]) -> CleanupJson:
        """unfinished: scenarios still running at cleanup (they may write after it)."""
        return {
            "deleted": self.deleted,
            "aborted_uploads": self.aborted_uploads,
            "leftovers": self.leftovers,
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


def list_versions(s3: S3Client, bucket: str, prefix: str) -> list[dict[str, str]]:
    """Every object version and delete marker under prefix, as DeleteObjects names them."""
    found: list[dict[str, str]] = []
    kwargs: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
    while True:
        page = s3.list_object_versions(**kwargs)
        for item in page.get("Versions", []) + page.get("DeleteMarkers", []):
            if item["Key"].startswith(prefix):  # never touch anything outside the run
                found.append({"Key": item["Key"], "VersionId": item["VersionId"]})
        if not page.get("IsTruncated"):
            return found
        kwargs["KeyMarker"] = page.get("NextKeyMarker")
        kwargs["VersionIdMarker"] = page.get("NextVersionIdMarker")


def _abort_uploads(
    s3: S3Client, bucket: str, uploads: dict[str, str], report: CleanupReport
) -> None:
    for upload_id, key in list(uploads.items()):
        try:
            s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
            report.aborted_uploads += 1
        except Exception as exc:  # never raises: reported, non-AWS ones logged
            code = _failure(exc, f"aborting upload of {key}")
            if code != "NoSuchUpload":  # already completed or aborted
                report.leftovers.append({"key": key, "upload_id": upload_id, "error": code})


def _delete_versions(s3: S3Client, bucket: str, prefix: str, report: CleanupReport) -> None:
    versions = list_versions(s3, bucket, prefix)
    for start in range(0, len(versions), DELETE_BATCH):
        batch = versions[start : start + DELETE_BATCH]
        response = s3.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
        errors = response.get("Errors", [])
        report.deleted += len(batch) - len(errors)
        report.leftovers += [
            {"key": e.get("Key"), "version_id": e.get("VersionId"), "error": e.get("Code")}
            for e in errors
        ]
    # Whatever is still there (and not reported yet) is a leftover too.
    reported = {(item["key"], item.get("version_id")) for item in report.leftovers}
    for item in list_versions(s3, bucket, prefix):
        if (item["Key"], item["VersionId"]) not in reported:
            report.leftovers.append(
                {"key": item["Key"], "version_id": item["VersionId"], "error": "still present"}
            )


def clean_up_run(s3: S3Client, bucket: str, prefix: str, uploads: dict[str, str]) -> CleanupReport:
    """Abort the run's multipart uploads; delete every version and delete marker under
    its prefix; report what could not be removed."""
    report = CleanupReport()
    _abort_uploads(s3, bucket, uploads, report)
    try:
        _delete_versions(s3, bucket, prefix, report)
    except Exception as exc:  # never raises: reported, non-AWS ones logged
        report.leftovers.append({"key": prefix + "*", "error": _failure(exc, prefix)})
    return report
