"""The uploader Lambda's mechanics against moto: headers sent, outcomes recorded, cleanup.

moto evaluates no bucket policy here (it would treat every conditional Deny as
unconditional), ignores SSE-C and echoes KMS key ids unchecked; so these tests check what
the probe sends and how it records what S3 answers, never whether the rules hold (that is
the offline proof's and the live probe's job).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import tempfile
import threading

import pytest
from botocore.exceptions import EndpointConnectionError

import handler
import probe
import scenarios as sc
from encrypted_s3 import vocabulary
from probe import operations, run
from probe.cleanup import CleanupReport, Deadline, clean_up_run
from probe.results import stored_from, stored_json
from probe.state import SOURCE_NAME
from probe.target import target_from_env
from tests.uploader.support import (
    ALIAS,
    BUCKET,
    FUNCTION_ARN,
    REGION,
    SESSION,
    STRICT_KMS,
    WRITE_CALL,
    FakeContext,
    Recorder,
    Refuser,
    deploy,
    expected_headers,
    lambda_env,
    make_bucket,
    refuse_as_the_table_says,
    sent_headers,
)

OBJECTLESS = {
    "ListObjectVersions",
    "ListMultipartUploads",
    "DeleteObjects",
    "GenerateDataKey",
    "Decrypt",
}

# The Refuser answers AccessDenied with S3's same-account message, which names the layer
# that denied; the probe's detail carries it (scenarios.layers).
BY_BUCKET_POLICY = "AccessDenied: explicit deny in a resource-based policy"


def invoke_prove(context=None, **fields):
    return handler.lambda_handler({"action": "prove", **fields}, context or FakeContext())


def live(config):
    return [s for s in sc.scenarios_for(config) if s.live]


def join_probe_threads():
    """Wait for the probe's worker threads (ThreadPoolExecutor "probe_N") to end."""
    for thread in threading.enumerate():
        if thread.name.startswith("probe_"):
            thread.join(timeout=30)


def rows_by_name(result):
    return {row["scenario"]: row for row in result["rows"]}


# ----------------------------------------------------------------------------- headers


@pytest.mark.parametrize("config", vocabulary.all_configs(), ids=lambda c: c.label)
@pytest.mark.small_parts
def test_every_scenario_sends_exactly_the_headers_of_the_table(aws, monkeypatch, config):
    dep = deploy(monkeypatch, config)
    recorder = Recorder().attach(dep.clients)
    result = invoke_prove()

    assert [row["scenario"] for row in result["rows"]] == [s.name for s in sc.scenarios_for(config)]
    # UpdateObjectEncryption names its encryption in the body: test_update_encryption_*.
    writes = [s for s in live(config) if s.writes() and s.operation != "update-encryption"]
    assert writes
    for scenario in writes:
        sse = scenario.sse(config)
        calls = [s for s in recorder.for_key(scenario.name) if s.operation in WRITE_CALL.values()]
        assert [c.operation for c in calls] == [WRITE_CALL[scenario.operation]], scenario.name
        assert sent_headers(calls[0]) == expected_headers(sse, dep.keys), scenario.name
        if sse.customer_key:
            md5 = base64.b64encode(hashlib.md5(sc.SSE_C_KEY).digest()).decode()
            assert calls[0].sse["x-amz-server-side-encryption-customer-key-md5"] == md5
    # The copy and read-back scenarios start from an object written with the required headers.
    (source,) = [s for s in recorder.for_key(SOURCE_NAME) if s.operation == "PutObject"]
    assert sent_headers(source) == expected_headers(sc.Sse.required(config), dep.keys)


def test_multipart_sends_two_parts_without_headers_of_their_own(dep):
    sizes = []

    def size(params, **kwargs):
        sizes.append(len(params["Body"]))

    dep.clients.s3().meta.events.register("before-parameter-build.s3.UploadPart", size)
    recorder = Recorder().attach(dep.clients)
    probe.run_live_proof(dep.target, dep.clients, only=["multipart-required"])
    calls = recorder.for_key("multipart-required")
    parts = [c for c in calls if c.operation == "UploadPart"]
    assert [c.operation for c in calls if c.operation != "UploadPart"] == [
        "CreateMultipartUpload",
        "CompleteMultipartUpload",
        "HeadObject",
    ]
    assert len(parts) == len(sizes) >= 2
    assert all(c.sse == {} for c in parts)  # SSE-KMS headers go on CreateMultipartUpload only
    # Every part but the last at S3's minimum part size; one such buffer at a time.
    assert all(size >= 5 * 1024 * 1024 for size in sizes[:-1])
    assert 0 < sizes[-1] < 5 * 1024 * 1024


@pytest.mark.small_parts
def test_the_small_parts_marker_lowers_the_part_size_in_probe_and_moto():
    import moto.s3.models

    assert operations.MIN_PART_SIZE == moto.s3.models.S3_UPLOAD_PART_MIN_SIZE < 5 * 1024 * 1024


def test_without_the_marker_parts_have_s3s_minimum_size():
    import moto.s3.models

    assert operations.MIN_PART_SIZE == moto.s3.models.S3_UPLOAD_PART_MIN_SIZE == 5 * 1024 * 1024


@pytest.mark.small_parts
def test_http_scenario_goes_over_plain_http_and_nothing_else_does(dep):
    recorder = Recorder().attach(dep.clients)
    invoke_prove()
    http = [s for s in recorder.sent if s.url.startswith("http://")]
    assert [(s.operation, s.object_name) for s in http] == [("PutObject", "http-required")]
    assert all(s.url.startswith("https://") for s in recorder.sent if s not in http)


def test_plain_http_client_for_aws_and_for_a_local_endpoint():
    assert probe.Clients(REGION).s3_http().meta.endpoint_url.startswith("http://s3.")
    local = probe.Clients(REGION, endpoint_url="https://127.0.0.1:4566")
    assert local.s3_http().meta.endpoint_url == "http://127.0.0.1:4566"
    assert local.s3().meta.endpoint_url == "https://127.0.0.1:4566"


# ----------------------------------------------------------------------------- outcomes


@pytest.mark.parametrize(
    "config",
    [c for c in vocabulary.all_configs() if c.encryption != "dsse-kms"],  # see the dsse test below
    ids=lambda c: c.label,
)
@pytest.mark.small_parts
def test_refusals_and_read_backs_are_recorded_as_s3_answers(aws, monkeypatch, config):
    dep = deploy(monkeypatch, config)
    refuser = Refuser(refuse_as_the_table_says(config)).attach(dep.clients)
    result = invoke_prove()

    assert refuser.refused, "nothing was refused: the rules did not match any request"
    rows = rows_by_name(result)
    promised = sc.Stored.promised(config, dep.keys).describe(dep.keys)
    for scenario in live(config):
        row = rows[scenario.name]
        assert row["actual"] == scenario.expect(config).outcome, row
        assert row["passed"] is True
        if row["actual"] == sc.DENIED:
            assert "AccessDenied" in row["detail"] and row["stored"] == ""
        elif scenario.operation != "kms-direct":
            assert row["stored"] == promised
    assert result["passed"] is True
    assert result["summary"]["failed"] == 0
    assert result["summary"]["passed"] == len(live(config))


@pytest.mark.small_parts
def test_what_moto_allows_against_the_table_fails_the_run(dep):
    result = invoke_prove()
    should_be_denied = [
        s.name for s in live(STRICT_KMS) if s.expect(STRICT_KMS).outcome == sc.DENIED
    ]
    assert result["summary"]["failed_scenarios"] == should_be_denied
    assert result["passed"] is False
    rows = rows_by_name(result)
    other = rows["sse-kms-other-key"]
    assert other["actual"] == sc.STORED_WRONG  # allowed, and stored under another key
    assert other["stored"] == "aws:kms + other key + bucket key"  # not the project key
    assert other["detail"] == "promised aws:kms + project key + bucket key"
    assert rows["sse-s3"]["actual"] == sc.STORED_WRONG and rows["sse-s3"]["stored"] == "AES256"


@pytest.mark.small_parts
def test_stored_wrong_when_the_bucket_key_is_missing(aws, monkeypatch):
    dep = deploy(monkeypatch, STRICT_KMS, bucket_key=False)
    Refuser(refuse_as_the_table_says(STRICT_KMS)).attach(dep.clients)
    allowed = ["sse-kms-project-key", "multipart-required", "copy-required", "read-back"]
    rows = rows_by_name(probe.run_live_proof(dep.target, dep.clients, only=[*allowed, "sse-s3"]))
    for name in allowed:
        assert rows[name]["actual"] == sc.STORED_WRONG, name
        assert rows[name]["stored"] == "aws:kms + project key"
        assert rows[name]["detail"] == "promised aws:kms + project key + bucket key"
        assert rows[name]["passed"] is False
    assert rows["sse-s3"]["actual"] == sc.DENIED  # refusals are unaffected


def test_stored_wrong_when_the_key_arn_is_not_reported(aws, monkeypatch):
    # moto stores aws:kms:dsse without echoing the key id: the probe must not trust it.
    config = vocabulary.Config("dsse-kms", "strict")
    dep = deploy(monkeypatch, config)
    (row,) = probe.run_live_proof(dep.target, dep.clients, only=["dsse-kms-project-key"])["rows"]
    assert row["actual"] == sc.STORED_WRONG
    assert (row["detail"], row["stored"]) == ("promised aws:kms:dsse + project key", "aws:kms:dsse")


@pytest.mark.parametrize(
    ("status", "code", "actual", "detail"),
    [
        (403, "AccessDenied", sc.DENIED, BY_BUCKET_POLICY),
        (403, "", sc.DENIED, "403"),  # HEAD-style 403 without a body
        (403, "ExpiredToken", sc.ERROR, "ExpiredToken"),  # not a policy decision
        (400, "InvalidArgument", sc.ERROR, "InvalidArgument"),
        (400, "InvalidRequest", sc.ERROR, "InvalidRequest"),
        # 503 SlowDown, retried: tests/uploader/test_faults.py, at the transport.
    ],
)
def test_error_classification(dep, status, code, actual, detail):
    Refuser({("PutObject", "sse-kms-project-key"): (status, code)}).attach(dep.clients)
    (row,) = probe.run_live_proof(dep.target, dep.clients, only=["sse-kms-project-key"])["rows"]
    assert (row["actual"], row["detail"]) == (actual, detail)
    assert row["passed"] is (actual == sc.ALLOWED)
    assert row["stored"] == ""


def tracebacks(caplog):
    """The log records that carry a traceback (logger.exception)."""
    return [r for r in caplog.records if r.exc_info is not None]


# A call of each operation, the scenario that makes it (sse-kms/strict) and its object.
OPERATION_CALLS = [
    ("PutObject", "sse-kms-project-key", "sse-kms-project-key"),
    ("CreateMultipartUpload", "multipart-required", "multipart-required"),
    ("CopyObject", "copy-required", "copy-required"),
    ("GetObject", "read-back", SOURCE_NAME),
    ("GenerateDataKey", "kms-direct", "*"),
    ("UpdateObjectEncryption", "update-encryption-project-key", "update-encryption-project-key"),
]


@pytest.mark.parametrize(
    ("call", "name", "obj"), OPERATION_CALLS, ids=[c for c, _, _ in OPERATION_CALLS]
)
def test_an_exception_that_is_no_aws_answer_is_logged_and_an_error_row(
    aws, monkeypatch, caplog, call, name, obj
):
    dep = deploy(monkeypatch, STRICT_KMS, real_key=call == "GenerateDataKey")
    failure = EndpointConnectionError(endpoint_url="https://s3.eu-west-1.amazonaws.com")
    Refuser({(call, obj): failure}).attach(dep.clients)
    result = probe.run_live_proof(dep.target, dep.clients, only=[name, "sse-kms-project-alias"])
    rows = rows_by_name(result)
    assert (rows[name]["actual"], rows[name]["detail"], rows[name]["passed"]) == (
        sc.ERROR,
        "raised EndpointConnectionError",
        False,
    )
    (logged,) = tracebacks(caplog)
    assert logged.getMessage() == f"scenario {name} raised"
    assert logged.exc_info[0] is EndpointConnectionError
    # The run went on, and cleaned up.
    assert rows["sse-kms-project-alias"]["actual"] == sc.STORED_WRONG
    assert result["cleanup"]["clean"] is True and dep.versions() == []


@pytest.mark.parametrize(
    ("refusals", "actual", "detail"),
    [
        ({}, sc.ALLOWED, "GenerateDataKey: allowed; Decrypt: allowed"),
        (
            {"Decrypt": (400, "AccessDeniedException")},
            sc.ALLOWED,  # one call allowed is enough to fail the scenario
            "GenerateDataKey: allowed; Decrypt: AccessDeniedException",
        ),
        (
            {"GenerateDataKey": (400, "AccessDeniedException")},
            sc.DENIED,  # moto refuses the dummy ciphertext with AccessDeniedException
            "GenerateDataKey: AccessDeniedException; Decrypt: AccessDeniedException",
        ),
        (
            {
                "GenerateDataKey": (400, "AccessDeniedException"),
                "Decrypt": (400, "InvalidCiphertextException"),
            },
            sc.DENIED,
            "GenerateDataKey: AccessDeniedException; "
            "Decrypt: InvalidCiphertextException (inconclusive: no ciphertext of the key)",
        ),
        (
            {"GenerateDataKey": (400, "NotFoundException")},
            sc.ERROR,
            "GenerateDataKey: NotFoundException; Decrypt: AccessDeniedException",
        ),
    ],
)
def test_kms_direct(aws, monkeypatch, refusals, actual, detail):
    dep = deploy(monkeypatch, STRICT_KMS, real_key=True)
    Refuser({(call, "*"): answer for call, answer in refusals.items()}).attach(dep.clients)
    (row,) = probe.run_live_proof(dep.target, dep.clients, only=["kms-direct"])["rows"]
    assert (row["actual"], row["detail"]) == (actual, detail)
    assert row["passed"] is (actual == sc.DENIED)


@pytest.mark.small_parts
def test_a_refused_part_is_reported_with_its_step_and_the_upload_aborted(dep):
    Refuser({("UploadPart", "multipart-required"): (403, "AccessDenied")}).attach(dep.clients)
    result = invoke_prove()
    row = rows_by_name(result)["multipart-required"]
    assert (row["actual"], row["detail"]) == (sc.DENIED, f"UploadPart: {BY_BUCKET_POLICY}")
    assert result["cleanup"]["aborted_uploads"] == 1
    assert dep.uploads() == []


def test_copy_and_read_back_report_a_source_that_could_not_be_written(dep):
    Refuser({("PutObject", SOURCE_NAME): (403, "AccessDenied")}).attach(dep.clients)
    names = ["copy-no-header", "copy-required", "read-back"]
    rows = rows_by_name(probe.run_live_proof(dep.target, dep.clients, only=names))
    for name in names:
        assert rows[name]["actual"] == sc.ERROR
        assert rows[name]["detail"] == f"copy source not written: {BY_BUCKET_POLICY}"


# ----------------------------------------------------------------------------- update-encryption

UPDATES = ["update-encryption-other-key", "update-encryption-project-key"]


@pytest.mark.parametrize(
    "config",
    [
        STRICT_KMS,
        vocabulary.Config("sse-s3", "strict"),
        vocabulary.Config("dsse-kms", "default-aware"),
    ],
    ids=lambda c: c.label,
)
def test_update_encryption_sends_its_key_and_the_promised_bucket_key(aws, monkeypatch, config):
    dep = deploy(monkeypatch, config)
    updates = dep.updates  # the stand-in for S3's UpdateObjectEncryption (moto lacks it)
    recorder = Recorder().attach(dep.clients)
    written = {}  # object key -> the version id S3 answered PutObject with

    def keep_version(parsed, context, **kwargs):
        written[context["api_params"]["Key"]] = parsed.get("VersionId")

    dep.clients.s3().meta.events.register("after-call.s3.PutObject", keep_version)
    result = probe.run_live_proof(dep.target, dep.clients, only=UPDATES)

    assert sorted(call["Key"] for call in updates.calls) == [result["prefix"] + n for n in UPDATES]
    for call in updates.calls:
        name = call["Key"].rsplit("/", 1)[-1]
        scenario = next(s for s in live(config) if s.name == name)
        # Its own object, written with the headers the bucket requires; that version.
        (put,) = [s for s in recorder.for_key(name) if s.operation == "PutObject"]
        assert sent_headers(put) == expected_headers(sc.Sse.required(config), dep.keys)
        assert written[call["Key"]]
        assert call == {
            "Bucket": BUCKET,
            "Key": result["prefix"] + name,
            "VersionId": written[call["Key"]],
            "ObjectEncryption": {
                "SSEKMS": {
                    "KMSKeyArn": dep.keys.arn(scenario.sse(config).key),
                    "BucketKeyEnabled": config.bucket_key,
                }
            },
        }
    assert result["cleanup"]["clean"] is True and dep.versions() == []


def test_update_encryption_allowed_is_read_back_and_judged(dep):
    rows = rows_by_name(probe.run_live_proof(dep.target, dep.clients, only=UPDATES))
    project, other = rows["update-encryption-project-key"], rows["update-encryption-other-key"]
    assert (project["actual"], project["stored"], project["passed"]) == (
        sc.ALLOWED,
        "aws:kms + project key + bucket key",
        True,
    )
    # Allowed and re-keyed: stored under the other key, which the bucket does not promise.
    assert (other["actual"], other["stored"], other["detail"]) == (
        sc.STORED_WRONG,
        "aws:kms + other key + bucket key",
        "promised aws:kms + project key + bucket key",
    )
    assert other["passed"] is False


def test_update_encryption_allowed_in_an_sse_s3_bucket_is_stored_wrong(aws, monkeypatch):
    config = vocabulary.Config("sse-s3", "strict")
    dep = deploy(monkeypatch, config)
    rows = rows_by_name(probe.run_live_proof(dep.target, dep.clients, only=UPDATES))
    for name in UPDATES:
        assert rows[name]["expected"] == sc.DENIED
        assert (rows[name]["actual"], rows[name]["detail"]) == (sc.STORED_WRONG, "promised AES256")
        assert rows[name]["stored"].startswith("aws:kms + ")


def test_update_encryption_refused_is_denied_and_its_object_removed(dep):
    Refuser({("UpdateObjectEncryption", "*"): (403, "AccessDenied")}).attach(dep.clients)
    result = probe.run_live_proof(dep.target, dep.clients, only=UPDATES)
    for row in result["rows"]:
        assert (row["actual"], row["detail"], row["stored"]) == (sc.DENIED, BY_BUCKET_POLICY, "")
    assert dep.updates.calls == []  # refused before the stand-in changed anything
    assert result["cleanup"]["deleted"] == len(UPDATES)
    assert result["cleanup"]["clean"] is True and dep.versions() == []


def test_update_encryption_reports_an_object_it_could_not_write(dep):
    name = "update-encryption-project-key"
    Refuser({("PutObject", name): (403, "AccessDenied")}).attach(dep.clients)
    (row,) = probe.run_live_proof(dep.target, dep.clients, only=[name])["rows"]
    assert (row["actual"], row["detail"]) == (
        sc.ERROR,
        f"probe object not written: {BY_BUCKET_POLICY}",
    )
    assert dep.updates.calls == []


# ----------------------------------------------------------------------------- cleanup


@pytest.mark.small_parts
def test_prove_leaves_no_version_or_upload_behind_and_touches_nothing_else(dep):
    dep.s3.put_object(Bucket=BUCKET, Key="probe/earlier-run/keep", Body=b"1")
    dep.s3.put_object(Bucket=BUCKET, Key="data/keep", Body=b"1")
    before = dep.versions()
    recorder = Recorder().attach(dep.clients)
    result = invoke_prove()
    assert dep.versions() == before
    object_calls = [s for s in recorder.sent if s.operation not in OBJECTLESS]
    assert object_calls
    for sent in object_calls:  # every object it touched is under its run prefix
        assert f"/{result['prefix']}" in sent.url.split("?")[0], sent
    assert dep.uploads() == []
    cleanup = result["cleanup"]
    assert cleanup["clean"] is True and cleanup["leftovers"] == []
    written = [r for r in result["rows"] if r["stored"]]  # each write left one version
    assert cleanup["deleted"] >= len(written) > 0
    assert result["prefix"].startswith("probe/") and result["prefix"].endswith("/")


@pytest.mark.small_parts
def test_cleanup_also_when_scenarios_raise_midway(dep, monkeypatch):
    # One scenario raises between its parts and completing; another after its write.
    Refuser({("CompleteMultipartUpload", "*"): RuntimeError("boom")}).attach(dep.clients)
    read_back = operations.read_back

    def flaky(proof_run, key, version_id, sse):
        if key.endswith("/copy-required"):
            raise RuntimeError("boom")
        return read_back(proof_run, key, version_id, sse)

    monkeypatch.setattr(operations, "read_back", flaky)
    result = invoke_prove()
    rows = rows_by_name(result)
    for name in ("multipart-required", "copy-required"):
        assert (rows[name]["actual"], rows[name]["detail"]) == (sc.ERROR, "raised RuntimeError")
    assert rows["sse-kms-project-key"]["actual"] == sc.ALLOWED  # the others still ran
    assert dep.versions() == []
    assert dep.uploads() == []
    assert result["cleanup"]["aborted_uploads"] == 1
    assert result["passed"] is False


@pytest.mark.small_parts
def test_cleanup_when_the_run_itself_fails(dep, monkeypatch):
    written = threading.Event()
    original = operations.put_object_op

    def put_then_fail(proof_run, scenario, sse):
        outcome = original(proof_run, scenario, sse)
        written.set()
        return outcome

    monkeypatch.setitem(operations.OPERATIONS, "put", put_then_fail)

    def broken_row(proof_run, scenario, outcome, ms):
        raise KeyError("bug")

    monkeypatch.setattr(run, "_row", broken_row)
    response = invoke_prove()
    assert response["ok"] is False and response["error"]["code"] == "InternalError"
    assert written.is_set()
    assert dep.versions() == []


def test_no_new_work_near_the_lambda_timeout(dep):
    recorder = Recorder().attach(dep.clients)
    result = invoke_prove(FakeContext(remaining_ms=run.DEFAULT_RESERVE_MS - 1))
    assert {r["actual"] for r in result["rows"] if r["actual"] != sc.NOT_RUN} == {sc.ERROR}
    assert all(r["detail"] == run.OUT_OF_TIME for r in result["rows"] if r["actual"] == sc.ERROR)
    listings = ["ListMultipartUploads", "ListObjectVersions"]
    assert [s.operation for s in recorder.sent] == listings * 2  # cleanup: find, confirm
    assert result["passed"] is False


@pytest.mark.small_parts
def test_time_running_out_midway_stops_the_run_and_still_cleans_up(dep):
    recorder = Recorder().attach(dep.clients)

    def remaining():  # plenty of time until five requests went out, then scenarios stop
        return 300_000 if len(recorder.sent) < 5 else run.DEFAULT_RESERVE_MS - 1

    result = invoke_prove(FakeContext(remaining), concurrency=1)
    actuals = [r["detail"] == run.OUT_OF_TIME for r in result["rows"]]
    assert any(actuals) and not all(actuals)
    join_probe_threads()  # a scenario still running when the run stopped would write now
    assert dep.versions() == []
    assert result["passed"] is False


def test_cleanup_removes_delete_markers_and_only_under_its_prefix(dep):
    run_prefix = "probe/run-x/"
    for body in (b"1", b"2"):
        dep.s3.put_object(Bucket=BUCKET, Key=run_prefix + "a", Body=body)
    dep.s3.delete_object(Bucket=BUCKET, Key=run_prefix + "a")  # a delete marker
    dep.s3.put_object(Bucket=BUCKET, Key="probe/run-xy/b", Body=b"3")
    dep.s3.create_multipart_upload(Bucket=BUCKET, Key=run_prefix + "m")  # found by listing
    dep.s3.create_multipart_upload(Bucket=BUCKET, Key="probe/run-xy/m")
    report = clean_up_run(dep.clients.s3_cleanup(), BUCKET, run_prefix, Deadline(None))
    assert report == CleanupReport(deleted=3, aborted_uploads=1, leftovers=[], listed=True)
    assert report.clean is True
    assert [key for key, _ in dep.versions()] == ["probe/run-xy/b"]
    assert dep.uploads() == ["probe/run-xy/m"]


@pytest.mark.small_parts
def test_what_cleanup_cannot_remove_is_reported(dep):
    Refuser({("DeleteObjects", "*"): (403, "AccessDenied")}).attach(dep.clients)
    result = invoke_prove()
    cleanup = result["cleanup"]
    assert cleanup["clean"] is False
    left = dep.versions(result["prefix"])
    assert left  # really left behind, and each one reported
    assert [(i["key"], i["version_id"]) for i in cleanup["leftovers"]] == left
    assert {i["error"] for i in cleanup["leftovers"]} == {"AccessDenied"}
    assert result["passed"] is False


@pytest.mark.small_parts
def test_a_cleanup_failure_that_is_no_aws_answer_is_logged_and_reported(dep, caplog):
    Refuser({("DeleteObjects", "*"): RuntimeError("boom")}).attach(dep.clients)
    result = invoke_prove()
    cleanup = result["cleanup"]
    assert cleanup["clean"] is False
    left = dep.versions(result["prefix"])
    assert [(i["key"], i["version_id"]) for i in cleanup["leftovers"]] == left != []
    assert {i["error"] for i in cleanup["leftovers"]} == {"raised RuntimeError"}
    (logged,) = tracebacks(caplog)
    message = f"cleanup: deleting {len(left)} versions under {result['prefix']} raised"
    assert logged.getMessage() == message


# ----------------------------------------------------------------------------- concurrency


@pytest.mark.parametrize("bound", [1, 3])
def test_scenarios_run_concurrently_within_the_bound(dep, monkeypatch, bound):
    # Each scenario holds its slot until `bound` of them run at once (or 5 s pass): with
    # fewer threads than the bound the peak stays lower, with more it exceeds it.
    active, peak, lock = 0, 0, threading.Lock()
    full = threading.Event()

    def tracked(operation):
        def tracked_operation(*args):
            nonlocal active, peak
            with lock:
                active += 1
                peak = max(peak, active)
                if active >= bound:
                    full.set()
            try:
                full.wait(timeout=5)
                return operation(*args)
            finally:
                with lock:
                    active -= 1

        return tracked_operation

    for name, operation in list(operations.OPERATIONS.items()):
        monkeypatch.setitem(operations.OPERATIONS, name, tracked(operation))
    names = [s.name for s in live(STRICT_KMS) if s.operation == "put"]
    assert len(names) > bound
    result = probe.run_live_proof(dep.target, dep.clients, concurrency=bound, only=names)
    assert full.is_set()
    assert peak == bound
    assert result["concurrency"] == bound
    assert [r["scenario"] for r in result["rows"]] == names


# ----------------------------------------------------------------------------- upload


@pytest.mark.parametrize("choice", list(sc.UPLOAD_CHOICES))
def test_upload_reproduces_upload_file_for_each_choice(dep, monkeypatch, tmp_path, choice):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    recorder = Recorder().attach(dep.clients)
    content = f"seed upload with {choice}\n"
    response = handler.lambda_handler(
        {"action": "upload", "encryption": choice, "key": f"seed/{choice}.txt", "content": content},
        FakeContext(),
    )
    sse = sc.UPLOAD_CHOICES[choice]
    assert response["ok"] is True and response["encryption"] == choice
    assert response["key"] == f"probe/seed/{choice}.txt"
    (put,) = [s for s in recorder.sent if s.operation == "PutObject"]
    assert sent_headers(put) == expected_headers(sse, dep.keys)
    assert response["expected"] == sc.expected_write(sse, STRICT_KMS).outcome
    assert response["result"] == sc.ALLOWED  # moto has no bucket policy
    head = {"Bucket": BUCKET, "Key": response["key"]}
    stored = stored_from(dep.s3.head_object(**head))
    assert response["stored"] == stored_json(stored)
    assert response["stored_as_promised"] is (stored == sc.Stored.promised(STRICT_KMS, dep.keys))
    body = dep.s3.get_object(**head)["Body"].read().decode()
    assert body == content
    assert "SSECustomerKey" not in response["extra_args"] or (
        response["extra_args"]["SSECustomerKey"] == "<redacted>"
    )
    assert list(tmp_path.iterdir()) == []  # the temporary file is gone
    json.dumps(response)


def test_upload_refused_is_denied_and_stores_nothing(dep):
    Refuser({("PutObject", "*"): (403, "AccessDenied")}).attach(dep.clients)
    response = handler.lambda_handler({"action": "upload", "encryption": "sse-s3"}, FakeContext())
    assert (response["result"], response["error"], response["stored"]) == (
        sc.DENIED,
        {"code": BY_BUCKET_POLICY},
        None,
    )
    assert response["expected"] == sc.DENIED and response["as_expected"] is True
    assert response["key"].startswith("probe/uploads/")
    assert dep.versions() == []


def test_upload_failure_that_is_no_aws_answer_is_an_internal_error_with_a_log(dep, caplog):
    Refuser({("PutObject", "*"): RuntimeError("boom")}).attach(dep.clients)
    response = handler.lambda_handler({"action": "upload", "encryption": "sse-kms"}, FakeContext())
    assert response["ok"] is False and response["error"]["code"] == "InternalError"
    (logged,) = tracebacks(caplog)
    assert logged.getMessage() == "upload failed" and logged.exc_info[0] is RuntimeError


def test_upload_key_already_under_the_prefix_is_kept(dep):
    response = handler.lambda_handler(
        {"action": "upload", "encryption": "sse-kms", "key": "probe/x.txt"}, FakeContext()
    )
    assert response["key"] == "probe/x.txt"
    assert [key for key, _ in dep.versions()] == ["probe/x.txt"]


def test_upload_default_content_and_key(dep):
    response = handler.lambda_handler({"action": "upload", "encryption": "sse-kms"}, FakeContext())
    assert response["key"].startswith("probe/uploads/") and response["key"].endswith("-sse-kms.txt")
    body = dep.s3.get_object(Bucket=BUCKET, Key=response["key"])["Body"].read().decode()
    assert body == handler.DEFAULT_CONTENT


# ----------------------------------------------------------------------------- handler


@pytest.mark.small_parts
def test_prove_response_is_json_with_the_row_schema(dep):
    result = invoke_prove()
    json.dumps(result)
    assert (
        set(result["rows"][0])
        == set(sc.Row.__annotations__)
        == {
            "scenario",
            "principal",
            "seed",
            "expected",
            "actual",
            "detail",
            "stored",
            "ms",
            "passed",
        }
    )
    assert result["config"] == {"encryption": "sse-kms", "header_policy": "strict"}
    assert result["promised"]["key_arn"] == dep.key_arn
    not_live = [s.name for s in sc.scenarios_for(STRICT_KMS) if not s.live]
    assert [r["scenario"] for r in result["rows"] if r["actual"] == sc.NOT_RUN] == not_live
    assert {r["detail"] for r in result["rows"] if r["actual"] == sc.NOT_RUN} == {run.NOT_LIVE}


def test_key_refs_come_from_the_environment_and_the_function_arn(dep):
    target, region = target_from_env(os.environ, FUNCTION_ARN)
    assert region == REGION
    assert target.keys == dep.keys
    assert target.keys.alias_arn.endswith(":" + ALIAS)


@pytest.mark.parametrize(
    ("env", "context", "fragment"),
    [
        ({"ENCRYPTION": "aes"}, FakeContext(), "encryption 'aes'"),
        ({"HEADER_POLICY": "lax"}, FakeContext(), "header_policy 'lax'"),
        ({"BUCKET_NAME": ""}, FakeContext(), "BUCKET_NAME"),
        ({"KEY_ARN": ""}, FakeContext(), "KEY_ARN and KEY_ALIAS are required"),
        ({"KEY_ALIAS": "encrypted-s3-dev"}, FakeContext(), "must start with alias/"),
        ({}, object(), "invoked_function_arn"),
    ],
)
def test_misconfiguration_is_a_structured_error(dep, monkeypatch, env, context, fragment):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    recorder = Recorder().attach(dep.clients)
    response = handler.lambda_handler({"action": "prove"}, context)
    assert response["ok"] is False and response["error"]["code"] == "Misconfigured"
    assert fragment in response["error"]["message"]
    assert recorder.sent == []


def test_an_unexpected_failure_is_no_stack_trace(dep, monkeypatch):
    def explode(*args, **kwargs):
        raise ValueError("internal detail")

    monkeypatch.setattr(probe, "seed_upload", explode)
    response = handler.lambda_handler({"action": "upload", "encryption": "none"}, FakeContext())
    assert response == {
        "ok": False,
        "error": {
            "code": "InternalError",
            "message": "upload failed with ValueError; see the function's log "
            "(request id test-request-id)",
        },
    }


def test_only_runs_the_named_scenarios_and_refuses_unknown_ones(dep):
    recorder = Recorder().attach(dep.clients)
    result = probe.run_live_proof(dep.target, dep.clients, only=["sse-s3", "tls-1.1-required"])
    assert [(r["scenario"], r["actual"]) for r in result["rows"]] == [
        ("sse-s3", sc.STORED_WRONG),  # moto has no policy to refuse it
        ("tls-1.1-required", sc.NOT_RUN),
    ]
    assert {s.object_name for s in recorder.sent if s.operation == "PutObject"} == {"sse-s3"}
    with pytest.raises(ValueError, match="no-such-scenario"):
        probe.run_live_proof(dep.target, dep.clients, only=["no-such-scenario"])


@pytest.mark.small_parts
def test_prove_against_a_local_moto_server(monkeypatch):
    # What the benchmark does: the handler's clients pointed at a server on loopback.
    from moto.server import ThreadedMotoServer

    config = vocabulary.Config("sse-s3", "strict")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        url = f"http://{host}:{port}"
        admin = SESSION.client("s3", endpoint_url=url)
        make_bucket(admin, config, None, bucket_key=False)
        lambda_env(monkeypatch, config, None)
        clients = probe.Clients(REGION, endpoint_url=url, session_factory=lambda: SESSION)
        monkeypatch.setattr(handler, "_clients", clients)
        recorder = Recorder().attach(clients)
        result = invoke_prove(concurrency=4)
        assert handler.get_clients(REGION) is clients  # kept for the next invocation
        remaining = admin.list_object_versions(Bucket=BUCKET)
    finally:
        server.stop()
    assert [r["scenario"] for r in result["rows"]] == [s.name for s in sc.scenarios_for(config)]
    assert result["cleanup"]["clean"] is True
    assert "Versions" not in remaining and "DeleteMarkers" not in remaining
    assert {s.url.split("/")[2] for s in recorder.sent} == {f"{host}:{port}"}


def test_the_declarations_reach_the_live_proof(dep, monkeypatch):
    """A write-only archive (READERS empty): the live proof expects the uploader's reads
    refused, as the bucket's read fence promises, not allowed as by default."""
    monkeypatch.setenv("READERS", "")
    monkeypatch.setenv("WRITERS", "uploader")
    target, _ = target_from_env(os.environ, FUNCTION_ARN)
    assert (target.config.readers, target.config.writers) == ((), ("uploader",))
    (read_back,) = [s for s in sc.scenarios_for(target.config) if s.name == "read-back"]
    expected = read_back.expect_as(target.config)
    assert expected.outcome == sc.DENIED
    assert "DenyObjectReadsByUndeclared" in expected.because
    default = vocabulary.Config(target.config.encryption, target.config.header_policy)
    assert read_back.expect_as(default).outcome == sc.ALLOWED
