"""The Inventory audit, for large buckets: read the newest daily S3 Inventory report.

The stack configures a daily CSV inventory of every version with EncryptionStatus and
BucketKeyStatus (docs/design.md, "Existing objects", says why CSV and not Parquet).
Inventory has no key ARN field: SSE-KMS versions whose Bucket Key is as required are
counted as kms-key-unknown, and the re-key settles them by filtering on key ARNs.
Rows stream from the gzip files one at a time: memory stays flat.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, TextIO
from urllib.parse import unquote_plus

from rekey.errors import AuditError, aws_problem, error_code
from rekey.kinds import AES256, AWS_KMS, AWS_KMS_DSSE, CUSTOMER_KEY, UNENCRYPTED, Stored
from rekey.tally import Tally

# Inventory's EncryptionStatus values -> x-amz-server-side-encryption values.
ENCRYPTION_STATUS = {
    "SSE-S3": AES256,
    "SSE-KMS": AWS_KMS,
    "DSSE-KMS": AWS_KMS_DSSE,
    "SSE-C": CUSTOMER_KEY,
    "NOT-SSE": UNENCRYPTED,
}
REQUIRED_FIELDS = ("Key", "EncryptionStatus", "BucketKeyStatus")
REPORT_FOLDER = re.compile(r"/(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}Z)/$")


def latest_manifest(s3: Any, destination: str, base: str) -> tuple[str, dict[str, Any]]:
    """The newest report's manifest.json under s3://destination/base/ and its content."""
    folders: list[str] = []
    token: dict[str, str] = {}
    try:
        while True:
            page = s3.list_objects_v2(Bucket=destination, Prefix=base, Delimiter="/", **token)
            folders += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
            if not page.get("IsTruncated"):
                break
            token = {"ContinuationToken": page["NextContinuationToken"]}
    except Exception as exc:
        raise aws_problem(exc, f"looking for the inventory in s3://{destination}/{base}") from exc
    dated = sorted(f for f in folders if REPORT_FOLDER.search(f))
    if not dated:
        raise AuditError(
            f"no inventory report under s3://{destination}/{base}: the first daily report "
            "arrives within 48 hours of deploying; meanwhile use --source head"
        )
    key = dated[-1] + "manifest.json"
    try:
        body = s3.get_object(Bucket=destination, Key=key)["Body"].read()
        manifest = json.loads(body)
    except ValueError as exc:
        raise AuditError(f"inventory manifest s3://{destination}/{key} is not JSON") from exc
    except Exception as exc:
        if error_code(exc) == "NoSuchKey":
            raise AuditError(
                f"inventory report s3://{destination}/{dated[-1]} has no manifest.json yet: "
                "S3 writes it last; try again later"
            ) from exc
        raise aws_problem(exc, f"reading s3://{destination}/{key}") from exc
    return key, manifest


def fields_of(manifest: dict[str, Any], where: str) -> list[str]:
    if manifest.get("fileFormat") != "CSV":
        raise AuditError(
            f"inventory {where} is {manifest.get('fileFormat')!r}: allowed CSV (the format "
            "the stack configures)"
        )
    fields = [f.strip() for f in str(manifest.get("fileSchema", "")).split(",")]
    missing = [f for f in REQUIRED_FIELDS if f not in fields]
    if missing:
        raise AuditError(f"inventory {where} lacks the fields {', '.join(missing)}")
    return fields


def rows(
    s3: Any, destination: str, manifest: dict[str, Any], fields: list[str]
) -> Iterator[dict[str, str]]:
    """Every row of every data file of the report, one at a time."""
    for file in manifest.get("files", []):
        try:
            body = s3.get_object(Bucket=destination, Key=file["key"])["Body"]
        except Exception as exc:
            raise aws_problem(exc, f"reading inventory file {file['key']}") from exc
        with gzip.GzipFile(fileobj=body) as raw:
            for values in csv.reader(io.TextIOWrapper(raw, encoding="utf-8", newline="")):
                yield dict(zip(fields, values, strict=False))


def stored_from_row(row: dict[str, str], now: datetime) -> Stored:
    status = row["EncryptionStatus"]
    if status not in ENCRYPTION_STATUS:
        raise AuditError(
            f"inventory row of {row['Key']!r} has EncryptionStatus {status!r}: allowed "
            + ", ".join(ENCRYPTION_STATUS)
        )
    until = row.get("ObjectLockRetainUntilDate") or ""
    retained = bool(row.get("ObjectLockMode")) and until > now.strftime("%Y-%m-%dT%H:%M:%S")
    return Stored(
        ENCRYPTION_STATUS[status],
        None,  # Inventory has no key ARN field
        row.get("BucketKeyStatus") == "ENABLED",
        retained or row.get("ObjectLockLegalHoldStatus") == "ON",
    )


def audit_by_inventory(
    s3: Any,
    bucket: str,
    destination: str,
    base: str,
    tally: Tally,
    blocked_out: TextIO | None = None,
) -> dict[str, str]:
    """Count the newest report's rows into `tally`; returns where the report is."""
    key, manifest = latest_manifest(s3, destination, base)
    where = f"s3://{destination}/{key}"
    if manifest.get("sourceBucket") != bucket:
        raise AuditError(f"inventory {where} is of bucket {manifest.get('sourceBucket')!r}")
    fields = fields_of(manifest, where)
    now = datetime.now(UTC)
    for row in rows(s3, destination, manifest, fields):
        if row.get("IsDeleteMarker") == "true":
            tally.delete_markers += 1
            continue
        version = row.get("VersionId") or None
        tally.add(bucket, unquote_plus(row["Key"]), version, stored_from_row(row, now), blocked_out)
    return {"manifest": where, "report_date": key.rsplit("/", 2)[-2]}
