"""The storage layer checked against an independent S3: what an accepted write stores.

For random writes (PutObject, CopyObject, a multipart upload) with random encryption
headers that the model says S3 accepts, the model's stored (algorithm, key, Bucket Key)
is compared with what moto's S3 stores under the deployment's bucket default (moto
applies the default and records the SSE headers). Every disagreement is either a bug of
the model or one of KNOWN_MOTO_DIFFERENCES, each settled by AWS's documentation.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import z3

from encrypted_s3.assembly import Deployment
from encrypted_s3.universal.concrete import Concrete, fast_substitute, substitution
from encrypted_s3.universal.model import ALG, KEY_ID, KMS_ALGORITHMS, Encoded
from encrypted_s3.universal.s3 import accepted, stored_algorithm, stored_bucket_key, stored_key
from encrypted_s3.vocabulary import OTHER_KEY_ID

OPERATIONS = ("PutObject", "CopyObject", "Multipart")
ALGORITHMS = (None, "AES256", "aws:kms", "aws:kms:dsse")
BUCKET_KEYS = (None, True, False)
BUCKET = "storage-oracle"
SOURCE = "copy-source"
PUT_OBJECT_DOC = "https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html"


@dataclass(frozen=True)
class Write:
    operation: str
    algorithm: str | None
    key_id: str | None
    bucket_key: bool | None  # x-amz-server-side-encryption-bucket-key-enabled

    def context(self) -> dict[str, str]:
        out = {}
        if self.algorithm is not None:
            out[ALG] = self.algorithm
        if self.key_id is not None:
            out[KEY_ID] = self.key_id
        return out

    def kwargs(self) -> dict[str, Any]:
        """The write's encryption parameters as boto3 takes them."""
        out: dict[str, Any] = {}
        if self.algorithm is not None:
            out["ServerSideEncryption"] = self.algorithm
        if self.key_id is not None:
            out["SSEKMSKeyId"] = self.key_id
        if self.bucket_key is not None:
            out["BucketKeyEnabled"] = self.bucket_key
        return out


Stored = tuple[str, str | None, bool]  # (algorithm, key for KMS algorithms, Bucket Key)


def model_stored(enc: Encoded, write: Write) -> Stored | None:
    """What the model says S3 stores, or None if S3 refuses the write's headers."""
    caller = f"arn:aws:iam::{enc.u.account}:root"
    pairs = substitution(enc, Concrete("s3:PutObject", caller, write.context()))
    pairs.append((enc.req.act, z3.IntVal(enc.u.index("s3:PutObject"))))

    def value(formula: z3.ExprRef) -> z3.ExprRef:
        return z3.simplify(fast_substitute(formula, pairs))

    if not z3.is_true(value(accepted(enc))):
        return None
    algorithm = value(stored_algorithm(enc)).as_string()
    key = value(stored_key(enc)).as_string() if algorithm in KMS_ALGORITHMS else None
    return algorithm, key, stored_bucket_key(enc.deployment, algorithm, write.bucket_key)


def moto_stored(client: Any, write: Write, name: str) -> Stored:
    """Do the write in moto's S3 and read back what it stored."""
    body, extra = b"x", write.kwargs()
    if write.operation == "PutObject":
        client.put_object(Bucket=BUCKET, Key=name, Body=body, **extra)
    elif write.operation == "CopyObject":  # from the one source object (SSE-S3)
        source = {"Bucket": BUCKET, "Key": SOURCE}
        client.copy_object(Bucket=BUCKET, Key=name, CopySource=source, **extra)
    else:
        upload = client.create_multipart_upload(Bucket=BUCKET, Key=name, **extra)["UploadId"]
        part = client.upload_part(Bucket=BUCKET, Key=name, UploadId=upload, PartNumber=1, Body=body)
        parts = {"Parts": [{"ETag": part["ETag"], "PartNumber": 1}]}
        client.complete_multipart_upload(
            Bucket=BUCKET, Key=name, UploadId=upload, MultipartUpload=parts
        )
    head = client.head_object(Bucket=BUCKET, Key=name)
    algorithm = head.get("ServerSideEncryption", "none")
    key = head.get("SSEKMSKeyId") if algorithm in KMS_ALGORITHMS else None
    return algorithm, key, bool(head.get("BucketKeyEnabled", False))


FIELDS = ("algorithm", "key", "bucket key")
# Where moto's S3 is not AWS's: (what, the field it explains given the write, the model's
# and moto's stored values, or None; AWS's documentation that settles it). A disagreement
# is explained when every field that differs is explained by one of these.
Known = Callable[[Write, Stored, Stored], str | None]
KNOWN_MOTO_DIFFERENCES: tuple[tuple[str, Known, str], ...] = (
    (
        "aws:kms or aws:kms:dsse without a key id: moto stores the bucket default's key (or "
        "none); AWS uses the AWS managed key aws/s3",
        lambda w, mine, theirs: (
            "key"
            if w.algorithm in KMS_ALGORITHMS and w.key_id is None and mine[1] == "aws/s3"
            else None
        ),
        f"{PUT_OBJECT_DOC} (x-amz-server-side-encryption-aws-kms-key-id: 'If you specify "
        "aws:kms or aws:kms:dsse but do not provide the key id, Amazon S3 uses the AWS "
        "managed key (aws/s3)')",
    ),
    (
        "aws:kms:dsse: moto's responses name the key only for aws:kms",
        lambda w, mine, theirs: (
            "key" if theirs[0] == "aws:kms:dsse" and theirs[1] is None else None
        ),
        f"{PUT_OBJECT_DOC} (response x-amz-server-side-encryption-aws-kms-key-id: 'the KMS "
        "key that was used for object encryption' for aws:kms and aws:kms:dsse)",
    ),
    (
        "multipart uploads: moto drops the Bucket Key header of CreateMultipartUpload",
        lambda w, mine, theirs: (
            "bucket key" if w.operation == "Multipart" and w.bucket_key is not None else None
        ),
        "https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateMultipartUpload.html "
        "(x-amz-server-side-encryption-bucket-key-enabled)",
    ),
)


def explain(write: Write, mine: Stored, theirs: Stored) -> str | None:
    """The known differences that explain every differing field, or None."""
    differing = {f for f, a, b in zip(FIELDS, mine, theirs, strict=True) if a != b}
    reasons, covered = [], set()
    for what, test, _ in KNOWN_MOTO_DIFFERENCES:
        field_ = test(write, mine, theirs)
        if field_ in differing and field_ not in covered:
            reasons.append(what)
            covered.add(field_)
    return " + ".join(reasons) if covered == differing else None


@dataclass
class StorageComparison:
    compared: int = 0
    agreements: int = 0
    known: dict[str, int] = field(default_factory=dict)  # explanation -> count
    unexplained: list[str] = field(default_factory=list)


def compare_storage(
    deployments: Mapping[str, Deployment], count: int, seed: int = 0
) -> StorageComparison:
    """`count` accepted random writes per deployment, each in moto's S3 with the
    deployment's bucket default; the model's stored encryption against moto's."""
    import boto3
    import moto

    found = StorageComparison()
    for number, (tag, deployment) in enumerate(deployments.items()):
        enc = Encoded.build(deployment)
        rng = random.Random(seed + number)
        region = deployment.env.region
        keys = [deployment.key_arn, f"arn:aws:kms:{region}:{enc.u.account}:key/{OTHER_KEY_ID}"]
        with moto.mock_aws():
            client = boto3.client("s3", region_name=deployment.env.region)
            client.create_bucket(
                Bucket=BUCKET,
                CreateBucketConfiguration={"LocationConstraint": deployment.env.region},
            )
            client.put_bucket_encryption(
                Bucket=BUCKET,
                ServerSideEncryptionConfiguration={
                    "Rules": [moto_rule(deployment.encryption_rule)]
                },
            )
            client.put_object(Bucket=BUCKET, Key=SOURCE, Body=b"x", ServerSideEncryption="AES256")
            drawn = 0
            while drawn < count:
                write = Write(
                    rng.choice(OPERATIONS),
                    rng.choice(ALGORITHMS),
                    rng.choice([None, *[k for k in keys if k]]),
                    rng.choice(BUCKET_KEYS),
                )
                mine = model_stored(enc, write)
                if mine is None:
                    continue  # not an accepted write
                drawn += 1
                theirs = moto_stored(client, write, f"{tag}/{drawn}")
                found.compared += 1
                if mine == theirs:
                    found.agreements += 1
                    continue
                why = explain(write, mine, theirs)
                if why is None:
                    found.unexplained.append(f"{tag}: {write}: model {mine}, moto {theirs}")
                else:
                    found.known[why] = found.known.get(why, 0) + 1
    return found


def moto_rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    """The template's encryption rule as the S3 API takes it."""
    default = dict(rule.get("ServerSideEncryptionByDefault", {}))
    out: dict[str, Any] = {"ApplyServerSideEncryptionByDefault": default}
    if "BucketKeyEnabled" in rule:
        out["BucketKeyEnabled"] = bool(rule["BucketKeyEnabled"])
    return out
