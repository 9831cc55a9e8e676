"""The S3 Batch Operations jobs that re-key what an audit found: their CreateJob requests.

A generated manifest takes one encryption filter (MatchAnyObjectEncryption holds exactly
one), so each kind S3UpdateObjectEncryption can fix gets its own job, and the filters do
not overlap: SSE-S3; SSE-KMS without a Bucket Key (any key); SSE-KMS with a Bucket Key
under each other key, by its ARN. Each job writes its manifest and its completion report
into the log bucket. Nothing here calls AWS.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from encrypted_s3 import names
from encrypted_s3.vocabulary import reencrypts
from rekey.kinds import NO_BUCKET_KEY, SSE_S3, Expected

OPERATION = "S3UpdateObjectEncryption"
ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/[\w+=,.@/-]+$")
KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[0-9a-f-]+$")
PRIORITY = 10


@dataclass(frozen=True)
class JobPlan:
    """One job: what it re-keys, its manifest filter, and the versions the audit counted
    (None: the audit could not count them, e.g. keys named with --other-key)."""

    name: str
    encryption_filter: dict[str, Any]
    versions: int | None


def plan_jobs(report: dict[str, Any], other_keys: list[str]) -> list[JobPlan]:
    """The jobs for an audit report: only kinds it counted, and keys named on the command
    line (found outside the audit, e.g. for an Inventory audit's kms-key-unknown)."""
    expected = Expected(report["expected"]["encryption"], report["expected"]["key_arn"])
    if not reencrypts(expected.encryption):
        return []
    counts = report["counts"]
    jobs = []
    if counts[SSE_S3]:
        jobs.append(JobPlan("SSE-S3 versions", {"SSES3": {}}, counts[SSE_S3]))
    if counts[NO_BUCKET_KEY]:
        jobs.append(
            JobPlan(
                "SSE-KMS versions without a Bucket Key",
                {"SSEKMS": {"BucketKeyEnabled": False}},
                counts[NO_BUCKET_KEY],
            )
        )
    found = dict(report["other_kms_keys"])
    for arn in other_keys:
        found.setdefault(arn, None)
    for arn, versions in sorted(found.items()):
        if arn == expected.key_arn:
            continue
        jobs.append(
            JobPlan(
                f"SSE-KMS versions under {arn}",
                {"SSEKMS": {"KmsKeyArn": arn, "BucketKeyEnabled": True}},
                versions,
            )
        )
    return jobs


def account_of(role_arn: str) -> str:
    match = ROLE_ARN.match(role_arn)
    if not match:
        raise ValueError(f"role ARN {role_arn!r}: allowed arn:aws:iam::<12 digits>:role/NAME")
    return match.group(1)


def bucket_arn(bucket: str, role_arn: str) -> str:
    partition = role_arn.split(":")[1]
    return f"arn:{partition}:s3:::{bucket}"


def create_job_request(
    job: JobPlan, *, bucket: str, log_bucket: str, role_arn: str, expected: Expected, run: str
) -> dict[str, Any]:
    """The CreateJob request of one job; `run` names the re-key run (the idempotency token
    is derived from it and the job, so a retried submission creates no second job).

    ConfirmationRequired: the job waits until every job of the run is created, then the
    run confirms them all (rekey.rekey), so a rejected job leaves none running.
    """
    account = account_of(role_arn)
    logs = bucket_arn(log_bucket, role_arn)
    token = hashlib.sha256(f"{run}/{job.name}".encode()).hexdigest()[:64]
    return {
        "AccountId": account,
        "ConfirmationRequired": True,
        "Operation": {
            OPERATION: {
                "ObjectEncryption": {
                    "SSEKMS": {
                        "KMSKeyArn": expected.key_arn,
                        "BucketKeyEnabled": expected.bucket_key,
                    }
                }
            }
        },
        "Report": {
            "Enabled": True,
            "Bucket": logs,
            "Prefix": names.BATCH_REPORT_PREFIX,
            "Format": "Report_CSV_20180820",
            "ReportScope": "AllTasks",
            "ExpectedBucketOwner": account,
        },
        "ClientRequestToken": token,
        "Description": f"re-key {job.name} in {bucket} to the project key"[:256],
        "Priority": PRIORITY,
        "RoleArn": role_arn,
        "ManifestGenerator": {
            "S3JobManifestGenerator": {
                "ExpectedBucketOwner": account,
                "SourceBucket": bucket_arn(bucket, role_arn),
                "EnableManifestOutput": True,
                "ManifestOutputLocation": {
                    "ExpectedManifestBucketOwner": account,
                    "Bucket": logs,
                    "ManifestPrefix": names.BATCH_MANIFEST_PREFIX,
                    "ManifestEncryption": {"SSES3": {}},
                    "ManifestFormat": "S3InventoryReport_CSV_20211130",
                },
                "Filter": {"MatchAnyObjectEncryption": [job.encryption_filter]},
            }
        },
    }
