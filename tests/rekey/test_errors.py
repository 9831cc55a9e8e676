"""Bad input: one line on stderr naming the problem, exit 2, nothing written or submitted."""

from __future__ import annotations

import io
import json
from pathlib import Path

import moto
import pytest

from rekey import audit, kinds, rekey
from tests.rekey.support import ACCOUNT, BUCKET, REGION, ROLE_ARN, Planted

KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/00000000-1111-2222-3333-444444444444"


def audit_err(capsys, argv: list[str], tmp_path: Path) -> str:
    assert audit.main([*argv, "--out", str(tmp_path), "--quiet"], out=io.StringIO()) == 2
    assert not (tmp_path / audit.REPORT).exists()
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ")
    return err.strip()


def test_no_credentials(capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    err = audit_err(capsys, ["--bucket", BUCKET, "--key-arn", KEY], tmp_path)
    assert err == (
        f"error: no usable AWS credentials while reading bucket {BUCKET}: set AWS_PROFILE or log in"
    )


def test_wrong_bucket(capsys, tmp_path: Path) -> None:
    with moto.mock_aws():
        err = audit_err(capsys, ["--bucket", "no-such-bucket", "--key-arn", KEY], tmp_path)
    assert err == "error: bucket no-such-bucket does not exist: check --bucket (or --env)"


def test_stack_not_deployed_when_no_bucket_is_named(capsys, tmp_path: Path) -> None:
    with moto.mock_aws():
        err = audit_err(capsys, ["--key-arn", KEY], tmp_path)
    assert err.startswith("error: stack EncryptedS3-dev-Bucket is not deployed: run `make deploy`")


def test_unknown_setting(capsys, tmp_path: Path) -> None:
    err = audit_err(capsys, ["--bucket", BUCKET, "-c", "encrpytion=sse-s3"], tmp_path)
    assert err.startswith("error: unknown setting 'encrpytion': did you mean 'encryption'?")


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--source", "s3"], "error: --source 's3': allowed auto, head, inventory"),
        (["--concurrency", "0"], "error: --concurrency 0: allowed 1..64"),
        (["--head-limit", "-1"], "error: --head-limit -1: allowed 0 or more"),
    ],
)
def test_bad_options(capsys, option: list[str], message: str) -> None:
    with pytest.raises(SystemExit) as exit_:
        audit.main(["--bucket", BUCKET, *option])
    assert exit_.value.code == 2
    assert capsys.readouterr().err.strip() == message


def rekey_err(capsys, argv: list[str], client: object = None) -> str:
    assert rekey.main(argv, io.StringIO(), client) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ")
    return err.strip()


def test_rekey_without_report(capsys, tmp_path: Path) -> None:
    err = rekey_err(capsys, ["--report", str(tmp_path / "none.json")])
    assert err == f"error: no audit report {tmp_path / 'none.json'}: run `make audit` first"


def test_rekey_of_something_else(capsys, tmp_path: Path) -> None:
    (tmp_path / "r.json").write_text(json.dumps({"report": "other"}))
    err = rekey_err(capsys, ["--report", str(tmp_path / "r.json")])
    assert err == f"error: {tmp_path / 'r.json'} is no audit report of `make audit` (format 1)"


@pytest.fixture
def report(planted: Planted, tmp_path: Path) -> Path:
    audit.main(
        ["--bucket", BUCKET, "--key-arn", planted.project_key, "--out", str(tmp_path),
         "--quiet", "--log-bucket", "logs", "--role-arn", ROLE_ARN],
        out=io.StringIO(),
    )  # fmt: skip
    return tmp_path / audit.REPORT


def test_rekey_refuses_an_alias_as_other_key(capsys, report: Path) -> None:
    err = rekey_err(capsys, ["--report", str(report), "--other-key", "alias/old"])
    assert err.startswith("error: key 'alias/old': allowed a full key ARN")


def test_rekey_refuses_a_role_that_is_no_role_arn(capsys, report: Path) -> None:
    err = rekey_err(capsys, ["--report", str(report), "--role-arn", "rekey-job"])
    assert err == "error: role ARN 'rekey-job': allowed arn:aws:iam::<12 digits>:role/NAME"


def test_rekey_without_credentials_submits_nothing(
    capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Outside moto, a report by hand: botocore finds no credentials before sending."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    counts = dict.fromkeys(kinds.KINDS, 0) | {"sse-s3": 4}
    report = {
        "report": "encrypted-s3 audit", "format": 1, "when": "2026-12-03T00:00:00Z",
        "env": "dev", "bucket": BUCKET, "log_bucket": "logs", "role_arn": ROLE_ARN,
        "expected": {"encryption": "sse-kms", "algorithm": "aws:kms", "key_arn": KEY,
                     "bucket_key": True},
        "source": "head", "counts": counts, "other_kms_keys": {}, "cannot_update": {},
        "blocked_list": "audit/blocked.csv",
    }  # fmt: skip
    (tmp_path / "r.json").write_text(json.dumps(report))
    err = rekey_err(capsys, ["--report", str(tmp_path / "r.json"), "--confirm"])
    assert err == (
        "error: no usable AWS credentials while creating job 1 of 1: set AWS_PROFILE or log in: "
        "nothing runs"
    )
