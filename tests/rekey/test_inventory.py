"""The Inventory audit: a CSV inventory report as S3 writes it (manifest.json and gzip
data files in the log bucket), read from moto; what Inventory cannot tell is reported."""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path
from typing import Any

import boto3
import moto
import pytest

from rekey import audit, kinds
from tests.rekey.support import BUCKET, LOG_BUCKET, REGION

BASE = f"inventory/{BUCKET}/EncryptionAudit"
SCHEMA = (
    "Bucket, Key, VersionId, IsLatest, IsDeleteMarker, EncryptionStatus, BucketKeyStatus, "
    "ObjectLockMode, ObjectLockRetainUntilDate, ObjectLockLegalHoldStatus"
)
ROWS = [  # (key, version, delete marker, EncryptionStatus, BucketKeyStatus, legal hold)
    ("ok/0", "v1", "false", "SSE-KMS", "ENABLED", "OFF"),
    ("ok/0", "v2", "true", "", "", ""),
    ("with%20space", "v3", "false", "SSE-S3", "DISABLED", "OFF"),
    ("s3/1", "v4", "false", "SSE-S3", "DISABLED", "ON"),
    ("plain", "v5", "false", "NOT-SSE", "DISABLED", "OFF"),
    ("c", "v6", "false", "SSE-C", "DISABLED", "OFF"),
    ("d", "v7", "false", "DSSE-KMS", "DISABLED", "OFF"),
    ("nobk", "v8", "false", "SSE-KMS", "DISABLED", "OFF"),
]


def gz_csv(rows: list[tuple[str, ...]]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, quoting=csv.QUOTE_ALL)
    for key, version, marker, status, bucket_key, hold in rows:
        writer.writerow([BUCKET, key, version, "true", marker, status, bucket_key, "", "", hold])
    return gzip.compress(text.getvalue().encode())


def plant_inventory(s3: Any, fmt: str = "CSV", date: str = "2026-12-02T01-00Z") -> None:
    files = []
    for n, part in enumerate((ROWS[:4], ROWS[4:])):
        key = f"{BASE}/data/part-{n}.csv.gz"
        s3.put_object(Bucket=LOG_BUCKET, Key=key, Body=gz_csv(part))
        files.append({"key": key, "size": 1, "MD5checksum": "x"})
    manifest = {"sourceBucket": BUCKET, "fileFormat": fmt, "fileSchema": SCHEMA, "files": files}
    s3.put_object(Bucket=LOG_BUCKET, Key=f"{BASE}/{date}/manifest.json", Body=json.dumps(manifest))


@pytest.fixture
def buckets() -> Any:
    with moto.mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        for name in (BUCKET, LOG_BUCKET):
            s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
        yield s3


KEY = "arn:aws:kms:eu-west-1:123456789012:key/00000000-1111-2222-3333-444444444444"


def run(tmp_path: Path, *extra: str) -> int:
    argv = ["--bucket", BUCKET, "--key-arn", KEY, "--log-bucket", LOG_BUCKET, "--quiet"]
    return audit.main([*argv, "--out", str(tmp_path), *extra], out=io.StringIO())


def test_inventory_audit_counts_each_status(buckets: Any, tmp_path: Path) -> None:
    plant_inventory(buckets)
    plant_inventory(buckets, date="2026-11-30T01-00Z")  # older: not read
    assert run(tmp_path, "--source", "inventory") == 1
    report = json.loads((tmp_path / audit.REPORT).read_text())
    assert report["source"] == "inventory"
    assert report["inventory"]["manifest"].endswith("2026-12-02T01-00Z/manifest.json")
    assert report["counts"] == dict.fromkeys(kinds.KINDS, 0) | {
        "kms-key-unknown": 1,  # SSE-KMS with Bucket Key: Inventory names no key
        "sse-s3": 2,
        "not-encrypted": 1,
        "sse-c": 1,
        "dsse-kms": 1,
        "no-bucket-key": 1,
    }
    assert report["delete_markers"] == 1
    assert report["samples"]["sse-s3"][0] == {"key": "with space", "version_id": "v3"}
    assert report["cannot_update"][kinds.UNKNOWN_KEY] == 1
    assert report["cannot_update"][kinds.LOCKED] == 1
    assert "no key ARN" in report["inventory_cannot_tell"]


def test_auto_chooses_inventory_above_the_head_limit(buckets: Any, tmp_path: Path) -> None:
    plant_inventory(buckets)
    for n in range(3):
        buckets.put_object(Bucket=BUCKET, Key=f"k{n}", Body=b"x")
    assert run(tmp_path, "--head-limit", "2") == 1
    report = json.loads((tmp_path / audit.REPORT).read_text())
    assert report["source"] == "inventory"
    assert report["source_why"] == "more than --head-limit 2 versions: S3 Inventory"


def test_missing_inventory_is_one_line_and_exit_2(buckets: Any, tmp_path: Path, capsys) -> None:
    assert run(tmp_path, "--source", "inventory") == 2
    assert capsys.readouterr().err == (
        f"error: no inventory report under s3://{LOG_BUCKET}/{BASE}/: the first daily report "
        "arrives within 48 hours of deploying; meanwhile use --source head\n"
    )
    assert not (tmp_path / audit.REPORT).exists()


def test_an_inventory_in_another_format_is_refused(buckets: Any, tmp_path: Path, capsys) -> None:
    plant_inventory(buckets, fmt="Parquet")
    assert run(tmp_path, "--source", "inventory") == 2
    assert "is 'Parquet': allowed CSV" in capsys.readouterr().err
