"""A bucket in moto that holds every kind of stored version, with its exact counts.

moto records SSE-S3, SSE-KMS (key and Bucket Key) and DSSE-KMS as S3 does, but ignores
SSE-C headers (it stores such an object unencrypted). S3 answers a HEAD of an SSE-C
object made without the customer key with 400 Bad Request; `answer_sse_c_like_s3` makes
the audit's client get that answer for the planted SSE-C keys (a botocore before-send
hook), so the planted object is SSE-C as far as the audit can see.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse

REGION = "eu-west-1"
BUCKET = "rekey-data"
LOG_BUCKET = "rekey-logs"
ACCOUNT = "123456789012"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/rekey-job"
SSE_C_PREFIX = "sse-c/"


@dataclass(frozen=True)
class Planted:
    project_key: str
    other_key: str
    counts: dict[str, int]  # kind -> versions, written by hand from what was planted
    delete_markers: int


def _put(s3: Any, key: str, **sse: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key=key, Body=b"data", **sse)


def plant_every_kind(s3: Any, kms: Any) -> Planted:
    """Versions of every kind; several keys have more than one version."""
    s3.create_bucket(
        Bucket=BUCKET,
        CreateBucketConfiguration={"LocationConstraint": REGION},
        ObjectLockEnabledForBucket=True,  # versioned, and legal holds can be planted
    )
    s3.create_bucket(Bucket=LOG_BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    project = kms.create_key()["KeyMetadata"]["Arn"]
    other = kms.create_key()["KeyMetadata"]["Arn"]
    right = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": project, "BucketKeyEnabled": True}
    for i in range(3):
        _put(s3, f"ok/{i}", **right)
    _put(s3, "history/a", ServerSideEncryption="AES256")  # noncurrent sse-s3
    _put(s3, "history/a")  # noncurrent, not encrypted
    _put(s3, "history/a", **right)  # current, ok
    for i in range(2):
        _put(s3, f"plain/{i}")
    for i in range(3):
        _put(s3, f"s3/{i}", ServerSideEncryption="AES256")
    _put(s3, "held/0", ServerSideEncryption="AES256", ObjectLockLegalHoldStatus="ON")
    for i in range(2):
        _put(s3, f"other/{i}", ServerSideEncryption="aws:kms", SSEKMSKeyId=other,
             BucketKeyEnabled=True)  # fmt: skip
    _put(s3, "nobk/0", ServerSideEncryption="aws:kms", SSEKMSKeyId=project, BucketKeyEnabled=False)
    _put(s3, "nobk/1", ServerSideEncryption="aws:kms", SSEKMSKeyId=other, BucketKeyEnabled=False)
    _put(s3, "dsse/0", ServerSideEncryption="aws:kms:dsse", SSEKMSKeyId=project)
    _put(s3, f"{SSE_C_PREFIX}0", SSECustomerAlgorithm="AES256", SSECustomerKey="k" * 32)
    _put(s3, "gone/0", **right)
    s3.delete_object(Bucket=BUCKET, Key="gone/0")  # a delete marker over an ok version
    counts = {
        "ok": 3 + 1 + 1,
        "not-encrypted": 1 + 2,
        "sse-c": 1,
        "sse-s3": 1 + 3 + 1,
        "sse-kms": 0,
        "dsse-kms": 1,
        "no-bucket-key": 2,
        "other-kms-key": 2,
        "kms-key-unknown": 0,
    }
    return Planted(project, other, counts, delete_markers=1)


class _EmptyBody:
    def stream(self, **_: Any) -> Any:
        return iter([b""])


def answer_sse_c_like_s3(client: Any) -> Any:
    """HEADs of the planted SSE-C keys get S3's 400 (no customer key was sent)."""

    def before_send(request: Any, **_: Any) -> AWSResponse | None:
        if request.method == "HEAD" and f"/{SSE_C_PREFIX}" in request.url:
            return AWSResponse(request.url, 400, {}, _EmptyBody())
        return None

    client.meta.events.register("before-send.s3.HeadObject", before_send)
    return client


def clients() -> tuple[Any, Any]:
    return boto3.client("s3", region_name=REGION), boto3.client("kms", region_name=REGION)
