"""The re-key jobs: every CreateJob request checked by botocore's Stubber against the
pinned s3control model (moto has no S3 Batch Operations), from an audit of moto."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from rekey import audit, costs, kinds, rekey
from tests.rekey.support import ACCOUNT, BUCKET, LOG_BUCKET, REGION, ROLE_ARN, Planted

LOG_ARN = f"arn:aws:s3:::{LOG_BUCKET}"


@pytest.fixture
def report_path(planted: Planted, tmp_path: Path) -> Path:
    audit.main(
        ["--bucket", BUCKET, "--key-arn", planted.project_key, "--out", str(tmp_path),
         "--quiet", "--log-bucket", LOG_BUCKET, "--role-arn", ROLE_ARN],
        out=io.StringIO(),
    )  # fmt: skip
    return tmp_path / audit.REPORT


def s3control() -> Any:
    return boto3.client("s3control", region_name=REGION)


def expected_request(project_key: str, encryption_filter: dict) -> dict:
    """Written from the job the re-key must create (docs/design.md, "Existing objects")."""
    return {
        "AccountId": ACCOUNT,
        "ConfirmationRequired": True,
        "Operation": {
            "S3UpdateObjectEncryption": {
                "ObjectEncryption": {"SSEKMS": {"KMSKeyArn": project_key, "BucketKeyEnabled": True}}
            }
        },
        "Report": {
            "Enabled": True,
            "Bucket": LOG_ARN,
            "Prefix": "batch-operations/reports",
            "Format": "Report_CSV_20180820",
            "ReportScope": "AllTasks",
            "ExpectedBucketOwner": ACCOUNT,
        },
        "ClientRequestToken": ANY,
        "Description": ANY,
        "Priority": 10,
        "RoleArn": ROLE_ARN,
        "ManifestGenerator": {
            "S3JobManifestGenerator": {
                "ExpectedBucketOwner": ACCOUNT,
                "SourceBucket": f"arn:aws:s3:::{BUCKET}",
                "EnableManifestOutput": True,
                "ManifestOutputLocation": {
                    "ExpectedManifestBucketOwner": ACCOUNT,
                    "Bucket": LOG_ARN,
                    "ManifestPrefix": "batch-operations/manifests",
                    "ManifestEncryption": {"SSES3": {}},
                    "ManifestFormat": "S3InventoryReport_CSV_20211130",
                },
                "Filter": {"MatchAnyObjectEncryption": [encryption_filter]},
            }
        },
    }


def filters(planted: Planted, *more_keys: str) -> list[dict]:
    """SSE-S3; SSE-KMS without Bucket Key; each other key with Bucket Key: no overlap."""
    return [
        {"SSES3": {}},
        {"SSEKMS": {"BucketKeyEnabled": False}},
        *(
            {"SSEKMS": {"KmsKeyArn": arn, "BucketKeyEnabled": True}}
            for arn in sorted([planted.other_key, *more_keys])
        ),
    ]


def test_confirm_creates_one_job_per_filter_then_confirms_them(
    planted: Planted, report_path: Path
) -> None:
    client = s3control()
    with Stubber(client) as stub:
        for number, encryption_filter in enumerate(filters(planted), 1):
            stub.add_response(
                "create_job",
                {"JobId": f"job-{number}"},
                expected_request(planted.project_key, encryption_filter),
            )
        for number in (1, 2, 3):
            stub.add_response(
                "update_job_status",
                {"JobId": f"job-{number}", "Status": "Ready"},
                {"AccountId": ACCOUNT, "JobId": f"job-{number}", "RequestedJobStatus": "Ready"},
            )
        out = io.StringIO()
        assert rekey.main(["--report", str(report_path), "--confirm"], out, client) == 0
        stub.assert_no_pending_responses()
    text = out.getvalue()
    assert "submitted job job-3; follow it with: aws s3control describe-job" in text
    assert f"s3://{LOG_BUCKET}/batch-operations/reports/job-job-1/" in text


def test_dry_run_prints_jobs_counts_blocked_and_costs_and_calls_nothing(
    planted: Planted, report_path: Path
) -> None:
    client = s3control()
    with Stubber(client) as stub:  # no response queued: any call would fail
        out = io.StringIO()
        assert rekey.main(["--report", str(report_path)], out, client) == 0
        stub.assert_no_pending_responses()
    text = out.getvalue()
    assert "job 1: SSE-S3 versions: 5 version(s)" in text
    assert "job 2: SSE-KMS versions without a Bucket Key: 2 version(s)" in text
    assert f"job 3: SSE-KMS versions under {planted.other_key}: 2 version(s)" in text
    assert f"no job can change 1 version(s): {kinds.LOCKED}" in text
    assert f"no job can change 3 version(s): {kinds.CANNOT_UPDATE['not-encrypted']}" in text
    assert "dry run: nothing submitted; add --confirm" in text
    # 3 jobs, 9 versions: 0.75 + 9e-6 + 4.5e-5 + 5.4e-5
    assert f"list prices of {costs.PRICES_DATE}" in text
    assert "total: $0.7501" in text
    printed = json.loads(text[text.index("{") : text.index("job 2:")])
    assert printed == expected_request(planted.project_key, {"SSES3": {}}) | {
        "ClientRequestToken": printed["ClientRequestToken"],
        "Description": f"re-key SSE-S3 versions in {BUCKET} to the project key",
    }


def test_other_key_adds_a_job_filtered_by_that_key(planted: Planted, report_path: Path) -> None:
    more = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/11111111-2222-3333-4444-555555555555"
    out = io.StringIO()
    assert rekey.main(["--report", str(report_path), "--other-key", more], out) == 0
    text = out.getvalue()
    assert f"SSE-KMS versions under {more}: not counted by the audit" in text
    requests = [json.loads(part) for part in _requests(text)]
    assert [
        r["ManifestGenerator"]["S3JobManifestGenerator"]["Filter"]["MatchAnyObjectEncryption"][0]
        for r in requests
    ] == filters(planted, more)


def _requests(text: str) -> list[str]:
    parts = text.split("\njob ")
    return [p[p.index("{") : p.rindex("}") + 1] for p in parts if "{" in p]


def test_a_job_aws_rejects_cancels_those_created_and_exits_2(
    planted: Planted, report_path: Path, capsys
) -> None:
    client = s3control()
    with Stubber(client) as stub:
        stub.add_response("create_job", {"JobId": "job-1"}, ANY_REQUEST(planted))
        stub.add_client_error(
            "create_job", "InvalidRequest", "Role cannot be assumed", http_status_code=400
        )
        stub.add_response(
            "update_job_status",
            {"JobId": "job-1", "Status": "Cancelled"},
            {
                "AccountId": ACCOUNT,
                "JobId": "job-1",
                "RequestedJobStatus": "Cancelled",
                "StatusUpdateReason": ANY,
            },
        )
        assert rekey.main(["--report", str(report_path), "--confirm"], io.StringIO(), client) == 2
        stub.assert_no_pending_responses()
    err = capsys.readouterr().err.strip()
    assert err == (
        "error: AWS refused creating job 2 of 3: InvalidRequest: Role cannot be assumed: "
        "nothing runs (cancelled the 1 created)"
    )


def ANY_REQUEST(planted: Planted) -> dict:  # noqa: N802 - reads like botocore's ANY
    return expected_request(planted.project_key, {"SSES3": {}})
