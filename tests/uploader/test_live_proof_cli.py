"""`make live-proof` (python -m proof.live) against moto: finding the function, reporting,
exit codes.

moto cannot run the Lambda (that needs Docker), so a stand-in Lambda client invokes the
real handler in-process against the moto bucket; everything else is boto3 against moto.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest
from botocore.exceptions import ClientError
from moto.server import ThreadedMotoServer

import handler
import scenarios as sc
from encrypted_s3 import names, vocabulary
from proof import live
from proof.paths import ROOT
from proof.report import summary
from tests.uploader.faults import Rule, Wire, answer, refuse_versions
from tests.uploader.support import (
    REGION,
    SESSION,
    FakeContext,
    Refuser,
    refuse_as_the_table_says,
)

CONFIG = vocabulary.Config("sse-kms", "strict")
FUNCTION = "EncryptedS3-dev-Uploader-Function-TEST"
NO_CREDENTIALS_ENV = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
)


class FakeLambda:
    """lambda.invoke, answered by the handler in-process (or by a canned answer)."""

    def __init__(self, answer=None, function_error=None, missing=False):
        self.answer, self.function_error, self.missing = answer, function_error, missing
        self.calls = []
        self.last = None

    def invoke(self, FunctionName, InvocationType, Payload):  # noqa: N803 - boto3's names
        self.calls.append((FunctionName, InvocationType, json.loads(Payload)))
        if self.missing:
            error = {"Error": {"Code": "ResourceNotFoundException", "Message": "gone"}}
            raise ClientError(error, "Invoke")
        if self.answer is not None:
            self.last = self.answer
        else:
            self.last = handler.lambda_handler(json.loads(Payload), FakeContext())
        response = {"StatusCode": 200, "Payload": io.BytesIO(json.dumps(self.last).encode())}
        if self.function_error:
            response["FunctionError"] = self.function_error
        return response


class Session:
    """A boto3 session whose Lambda client is the stand-in."""

    def __init__(self, fake_lambda):
        self.real = SESSION  # shared: a botocore session takes ~0.1 s to make
        self.region_name = REGION
        self.fake_lambda = fake_lambda

    def get_credentials(self):
        return self.real.get_credentials()

    def client(self, service, **kwargs):
        return self.fake_lambda if service == "lambda" else self.real.client(service, **kwargs)


def deploy_stack(env="dev", outputs=None):
    outputs = {names.FUNCTION_NAME_OUTPUT: FUNCTION} if outputs is None else outputs
    template = {
        "Resources": {"Handle": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {name: {"Value": value} for name, value in outputs.items()},
    }
    SESSION.client("cloudformation").create_stack(
        StackName=names.stack_name(env, "Uploader"), TemplateBody=json.dumps(template)
    )


def run_live_proof_cli(argv, session):
    out, err = io.StringIO(), io.StringIO()
    code = live.main(argv, session=session, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


# ----------------------------------------------------------------------------- nothing to prove


@pytest.mark.parametrize(
    ("argv", "stack"),
    [
        ([], "EncryptedS3-dev-Uploader"),
        (["--env", "qa"], "EncryptedS3-qa-Uploader"),
        (["-c", "env=staging"], "EncryptedS3-staging-Uploader"),
    ],
)
def test_no_stack_is_one_clear_line_and_exit_2(aws, argv, stack):
    fake = FakeLambda()
    code, out, err = run_live_proof_cli(argv, Session(fake))
    assert code == live.NOT_PROVED != 0
    assert out == ""
    assert (
        err
        == f"make live-proof: stack {stack} is not deployed in {REGION}: run `make deploy` first\n"
    )
    assert fake.calls == []


def test_stack_without_the_output_is_reported(aws):
    deploy_stack(outputs={"Other": "x"})
    code, out, err = run_live_proof_cli([], Session(FakeLambda()))
    assert code == 2 and out == ""
    stack = "EncryptedS3-dev-Uploader"
    assert err.startswith(f"make live-proof: stack {stack} (CREATE_COMPLETE) has no ")
    assert err.count("\n") == 1


def _without_credentials(monkeypatch):
    # No config or credentials file, no metadata service: conftest's offline_aws already.
    for name in NO_CREDENTIALS_ENV:
        monkeypatch.delenv(name, raising=False)


def test_no_credentials_is_one_clear_line(monkeypatch):
    _without_credentials(monkeypatch)
    out, err = io.StringIO(), io.StringIO()
    code = live.main([], out=out, err=err)
    assert code == 2 and out.getvalue() == ""
    assert err.getvalue() == (
        "make live-proof: no AWS credentials: set AWS_PROFILE or log in; nothing was invoked\n"
    )


def test_unknown_profile_is_one_clear_line(monkeypatch):
    _without_credentials(monkeypatch)
    monkeypatch.setenv("AWS_PROFILE", "nope")
    out, err = io.StringIO(), io.StringIO()
    assert live.main([], out=out, err=err) == 2
    message = "make live-proof: The config profile (nope) could not be found"
    assert err.getvalue().startswith(message)
    assert err.getvalue().count("\n") == 1


def _cli(env):
    return subprocess.run(
        [sys.executable, "-m", "proof.live"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_cli_without_credentials_exits_non_zero_with_one_line():
    env = {k: v for k, v in os.environ.items() if k not in NO_CREDENTIALS_ENV}
    result = _cli(env)  # offline_aws set the rest: no config files, no metadata service
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "no AWS credentials" in result.stderr


def test_cli_with_nothing_deployed_exits_non_zero_with_one_line():
    # The real entry point in a process of its own, against a moto server on loopback.
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        env = dict(os.environ, AWS_ENDPOINT_URL=f"http://{host}:{port}", AWS_REGION=REGION)
        result = _cli(env)
    finally:
        server.stop()
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"make live-proof: stack EncryptedS3-dev-Uploader is not deployed in {REGION}: "
        "run `make deploy` first\n"
    )


# ----------------------------------------------------------------------------- invoking


@pytest.mark.small_parts
def test_mismatches_print_the_table_and_exit_1(dep):
    deploy_stack()
    fake = FakeLambda()
    code, out, err = run_live_proof_cli([], Session(fake))
    assert fake.calls == [(FUNCTION, "RequestResponse", {"action": "prove"})]
    rows = fake.last["rows"]
    assert fake.last["passed"] is False  # moto evaluates no bucket policy
    assert code == live.MISMATCH == 1
    assert out.startswith(f"live probe: {FUNCTION} (dev, sse-kms/strict), run ")
    assert summary(rows) in out
    for row in rows:
        assert row["scenario"] in out
    assert "FAIL" in out and "cleanup:" in out
    assert err == f"invoking {FUNCTION} (prove) ...\n"


@pytest.mark.small_parts
def test_all_as_expected_exits_0(dep):
    deploy_stack()
    Refuser(refuse_as_the_table_says(CONFIG)).attach(dep.clients)
    code, out, _ = run_live_proof_cli(["--concurrency", "4"], Session(fake := FakeLambda()))
    assert fake.calls[0][2] == {"action": "prove", "concurrency": 4}
    assert fake.last["passed"] is True
    assert code == 0
    assert " 0 failed" in out and "FAIL" not in out
    assert "multipart: UploadPart was authorized with CreateMultipartUpload's headers" in out


@pytest.mark.small_parts
def test_leftovers_are_listed_and_exit_3(dep):
    deploy_stack()
    Refuser(refuse_as_the_table_says(CONFIG)).attach(dep.clients)  # every row as expected
    Wire([Rule("DeleteObjects", "*", refuse_versions("sse-kms-project-key"))]).attach(dep.clients)
    code, out, _ = run_live_proof_cli([], Session(fake := FakeLambda()))
    assert fake.last["summary"]["failed"] == 0 and fake.last["passed"] is False
    assert code == live.LEFTOVERS == 3
    (left,) = fake.last["cleanup"]["leftovers"]
    assert (
        f"CLEANUP INCOMPLETE under {fake.last['prefix']}: 1 left (listed after the cleanup)" in out
    )
    assert f"  left: version {left['key']} {left['version_id']}: AccessDenied\n" in out
    assert out.endswith(
        "exit code 3: leftovers: every row as expected, but the cleanup left something behind\n"
    )


@pytest.mark.small_parts
def test_rows_that_could_not_be_decided_exit_4(dep):
    deploy_stack()
    Refuser(refuse_as_the_table_says(CONFIG)).attach(dep.clients)
    Wire([Rule("HeadObject", "sse-kms-project-key", answer(503, "SlowDown"))]).attach(dep.clients)
    code, out, _ = run_live_proof_cli([], Session(fake := FakeLambda()))
    assert fake.last["summary"]["error_scenarios"] == ["sse-kms-project-key"]
    assert fake.last["summary"]["broken_scenarios"] == []
    assert code == live.UNDECIDED == 4
    assert "undecided (error, no verdict on the rule; run again): sse-kms-project-key" in out
    assert out.endswith(
        "exit code 4: undecided: no rule broken, but some rows could not be decided (error)\n"
    )


@pytest.mark.parametrize(
    ("actuals", "clean", "code"),
    [
        ([sc.DENIED, sc.ALLOWED], True, live.PASSED),
        ([sc.DENIED, sc.ALLOWED], False, live.LEFTOVERS),
        ([sc.DENIED, sc.ERROR], False, live.UNDECIDED),
        ([sc.ALLOWED, sc.ERROR], False, live.MISMATCH),  # a rule broken comes first
        ([sc.DENIED, sc.STORED_WRONG], True, live.MISMATCH),
        ([sc.DENIED, sc.ALLOWED, sc.NOT_RUN], True, live.PASSED),  # not run is no failure
    ],
)
def test_exit_codes_in_their_order(actuals, clean, code):
    rows = [
        sc.row(f"s{i}", "", expected, actual)
        for i, (expected, actual) in enumerate(
            zip([sc.DENIED, sc.ALLOWED, sc.DENIED], actuals, strict=False)
        )
    ]
    failed = sc.failed(rows)
    result = {"rows": rows, "cleanup": {"clean": clean}, "passed": clean and not failed}
    assert live.exit_code(result) == code


@pytest.mark.small_parts
@pytest.mark.parametrize(("refuse", "exit_code"), [(True, 0), (False, live.MISMATCH)])
def test_json_output_is_the_response(dep, refuse, exit_code):
    # Refusing what the table expects denied makes every row pass; moto alone fails some.
    deploy_stack()
    if refuse:
        Refuser(refuse_as_the_table_says(CONFIG)).attach(dep.clients)
    fake = FakeLambda()
    code, out, _ = run_live_proof_cli(["--json"], Session(fake))
    assert json.loads(out) == fake.last
    assert fake.last["passed"] is refuse
    assert code == exit_code


@pytest.mark.small_parts
def test_side_by_side_with_the_offline_report(dep, tmp_path):
    deploy_stack()
    offline = tmp_path / "proof-report.json"
    rows = [
        sc.row(s.name, s.seed, s.expect(CONFIG).outcome, s.expect(CONFIG).outcome)
        for s in sc.scenarios_for(CONFIG)
    ]
    offline.write_text(json.dumps({"label": CONFIG.label, "rows": rows}))
    _, out, _ = run_live_proof_cli(["--offline-report", str(offline)], Session(FakeLambda()))
    assert "offline proof vs live probe" in out
    assert f"offline: {summary(rows)}" in out
    offline.write_text(json.dumps({"label": "sse-s3/strict", "rows": rows}))
    _, out, _ = run_live_proof_cli(["--offline-report", str(offline)], Session(FakeLambda()))
    assert "offline proof vs live probe" not in out
    assert "is for sse-s3/strict, the deployed bucket is sse-kms/strict" in out


@pytest.mark.parametrize(
    ("fake", "message"),
    [
        (
            FakeLambda(answer={"errorMessage": "Task timed out"}, function_error="Unhandled"),
            f"make live-proof: {FUNCTION} failed (Unhandled): Task timed out\n",
        ),
        (
            FakeLambda(answer={"ok": False, "error": {"code": "Misconfigured", "message": "x"}}),
            f"make live-proof: {FUNCTION} refused: Misconfigured: x\n",
        ),
        (FakeLambda(answer=[1]), f"make live-proof: {FUNCTION} returned list, not a JSON object\n"),
        (
            FakeLambda(missing=True),
            f"make live-proof: function {FUNCTION} does not exist: deploy again\n",
        ),
    ],
)
def test_a_failed_invocation_is_one_line_and_exit_2(aws, fake, message):
    deploy_stack()
    code, out, err = run_live_proof_cli([], Session(fake))
    assert (code, out) == (2, "")
    assert err.splitlines()[-1] + "\n" == message


def test_a_misconfigured_function_is_reported(dep, monkeypatch):
    deploy_stack()
    monkeypatch.setenv("ENCRYPTION", "aes")
    code, _, err = run_live_proof_cli([], Session(FakeLambda()))
    assert code == 2
    assert "refused: Misconfigured: ENCRYPTION/HEADER_POLICY" in err
