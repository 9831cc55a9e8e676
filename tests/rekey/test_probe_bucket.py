"""The audit and the re-key on the uploader's own moto deployment (tests/uploader's sse-kms
strict bucket): an object planted under the old encryption is found and re-keyed.

Why not a row of the deployed live proof: the bucket policy refuses to store an object
under the old encryption (that is its point), so the probe cannot plant one; here the
admin client plants it, as data written before the rules. moto has no S3 Batch
Operations: the job request is checked by botocore's Stubber, and what the job then does
to each object of its manifest (UpdateObjectEncryption in place) is the uploader tests'
model of that API (tests/uploader/support.ObjectEncryptionUpdates), applied to the
versions the job's filter selects.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import moto
import pytest
from botocore.stub import ANY, Stubber

from rekey import audit, rekey
from rekey.target import Target
from tests.uploader.support import BUCKET, PREFIX, REGION, SESSION, STRICT_KMS, deploy

ROLE = "arn:aws:iam::123456789012:role/rekey-job"


def test_a_planted_sse_s3_object_is_found_then_re_keyed_to_the_project_key(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with moto.mock_aws():
        dep = deploy(monkeypatch, STRICT_KMS)
        planted = f"{PREFIX}/before-the-rules"
        version = dep.s3.put_object(
            Bucket=BUCKET, Key=planted, Body=b"old", ServerSideEncryption="AES256"
        )["VersionId"]
        # The audit reads through the probe's clients (which model UpdateObjectEncryption).
        monkeypatch.setattr(Target, "client", lambda self, service, max_pool=10: dep.clients.s3())
        argv = ["--bucket", BUCKET, "--key-arn", str(dep.key_arn), "--out", str(tmp_path),
                "--quiet", "--log-bucket", "logs", "--role-arn", ROLE]  # fmt: skip
        assert audit.main(argv, io.StringIO()) == 1
        report = json.loads((tmp_path / "report.json").read_text())
        assert report["counts"]["sse-s3"] == 1
        assert report["samples"]["sse-s3"] == [{"key": planted, "version_id": version}]

        s3control = SESSION.client("s3control", region_name=REGION)
        with Stubber(s3control) as stub:
            stub.add_response("create_job", {"JobId": "job-1"}, _sse_s3_job(str(dep.key_arn)))
            stub.add_response("update_job_status", {"JobId": "job-1"}, _ready())
            argv = ["--report", str(tmp_path / "report.json"), "--confirm"]
            assert rekey.main(argv, io.StringIO(), s3control) == 0
            stub.assert_no_pending_responses()

        # The job: UpdateObjectEncryption on each version its filter (SSE-S3) selects.
        s3 = dep.clients.s3()
        for listed in s3.list_object_versions(Bucket=BUCKET)["Versions"]:
            head = s3.head_object(Bucket=BUCKET, Key=listed["Key"], VersionId=listed["VersionId"])
            if head.get("ServerSideEncryption") == "AES256":
                s3.update_object_encryption(
                    Bucket=BUCKET, Key=listed["Key"], VersionId=listed["VersionId"],
                    ObjectEncryption={"SSEKMS": {"KMSKeyArn": dep.key_arn,
                                                 "BucketKeyEnabled": True}},
                )  # fmt: skip
        assert audit.main(_audit_again(dep.key_arn, tmp_path), io.StringIO()) == 0
        after = json.loads((tmp_path / "again" / "report.json").read_text())
        assert after["counts"]["ok"] == 1 and after["not_as_settings"] == 0
        assert dep.s3.get_object(Bucket=BUCKET, Key=planted)["Body"].read() == b"old"


def _audit_again(key_arn: str | None, tmp_path: Path) -> list[str]:
    return ["--bucket", BUCKET, "--key-arn", str(key_arn), "--out", str(tmp_path / "again"),
            "--quiet"]  # fmt: skip


def _sse_s3_job(key_arn: str) -> dict:
    return {
        "AccountId": "123456789012",
        "ConfirmationRequired": True,
        "Operation": {
            "S3UpdateObjectEncryption": {
                "ObjectEncryption": {"SSEKMS": {"KMSKeyArn": key_arn, "BucketKeyEnabled": True}}
            }
        },
        "Report": ANY,
        "ClientRequestToken": ANY,
        "Description": ANY,
        "Priority": 10,
        "RoleArn": ROLE,
        "ManifestGenerator": {
            "S3JobManifestGenerator": {
                "ExpectedBucketOwner": "123456789012",
                "SourceBucket": f"arn:aws:s3:::{BUCKET}",
                "EnableManifestOutput": True,
                "ManifestOutputLocation": ANY,
                "Filter": {"MatchAnyObjectEncryption": [{"SSES3": {}}]},
            }
        },
    }


def _ready() -> dict:
    return {"AccountId": "123456789012", "JobId": "job-1", "RequestedJobStatus": "Ready"}
