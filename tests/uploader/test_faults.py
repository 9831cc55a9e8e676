"""The live proof under faults injected below botocore's retries (tests/uploader/faults.py):
a failed cleanup fails the run, the cleanup keeps its deadline, and faults are never
counted as policy results.

moto answers every request the wire lets through; the wire refuses, times out, resets,
loses replies and answers on its own, per attempt, so botocore retries what it would
retry against AWS.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import probe
import scenarios as sc
from probe import cleanup, operations, run
from probe import clients as probe_clients
from probe.cleanup import Deadline, clean_up_run
from tests.uploader.faults import (
    Rule,
    VirtualClock,
    Wire,
    answer,
    lost_reply,
    refuse_versions,
    reset,
    timeout,
    unreachable,
)
from tests.uploader.support import (
    BUCKET,
    REGION,
    SESSION,
    STRICT_KMS,
    FakeContext,
    Refuser,
    denied_message,
    refuse_as_the_table_says,
)

# The probe's main client: botocore's standard mode with max_attempts 3 (4 attempts in all).
MAIN_ATTEMPTS = 4
LISTINGS = ("ListObjectVersions", "ListMultipartUploads")


def rows_by_name(result):
    return {row["scenario"]: row for row in result["rows"]}


def prove(dep, only=None, **kwargs):
    return probe.run_live_proof(dep.target, dep.clients, only=only, **kwargs)


def remaining(dep, prefix):
    """What S3 (moto) still holds under prefix: versions, delete markers and uploads."""
    page = dep.s3.list_object_versions(Bucket=BUCKET, Prefix=prefix)
    versions = {
        (item["Key"], item["VersionId"])
        for item in page.get("Versions", []) + page.get("DeleteMarkers", [])
    }
    uploads = dep.s3.list_multipart_uploads(Bucket=BUCKET, Prefix=prefix).get("Uploads", [])
    return versions | {(u["Key"], u["UploadId"]) for u in uploads}


def reported(cleanup_json):
    return {
        (item["key"], item.get("version_id") or item.get("upload_id"))
        for item in cleanup_json["leftovers"]
    }


# ----------------------------------------------------------------- 1. leftovers fail the run


@pytest.mark.small_parts
def test_a_version_deletes_objects_refuses_fails_the_run_and_is_listed(dep):
    Refuser(refuse_as_the_table_says(STRICT_KMS)).attach(dep.clients)  # every row as expected
    Wire([Rule("DeleteObjects", "*", refuse_versions("sse-kms-project-key"))]).attach(dep.clients)
    result = prove(dep)

    assert result["summary"]["failed"] == 0  # every row as expected ...
    assert result["passed"] is False  # ... and yet the run did not pass
    cleanup_json = result["cleanup"]
    assert cleanup_json["clean"] is False and cleanup_json["listed"] is True
    left = remaining(dep, result["prefix"])
    assert left and reported(cleanup_json) == left  # every one, as a listing shows it
    assert {item["key"].rsplit("/", 1)[-1] for item in cleanup_json["leftovers"]} == {
        "sse-kms-project-key"
    }
    assert {item["error"] for item in cleanup_json["leftovers"]} == {"AccessDenied"}


@pytest.mark.small_parts
def test_deleteobjects_refused_outright_lists_every_version_left(dep):
    Wire([Rule("DeleteObjects", "*", answer(403, "AccessDenied"))]).attach(dep.clients)
    result = prove(dep)

    left = remaining(dep, result["prefix"])
    assert len(left) > 1  # every version the run wrote is still there
    assert reported(result["cleanup"]) == left  # each named, never a pattern
    assert all("*" not in item["key"] for item in result["cleanup"]["leftovers"])
    assert {item["kind"] for item in result["cleanup"]["leftovers"]} == {"version"}
    assert result["passed"] is False


# ----------------------------------------------------------------- 2. the cleanup's deadline


def test_a_cleanup_whose_listings_time_out_ends_within_the_reserve(dep, monkeypatch):
    # 60 s left, a 30 s reserve; every listing attempt waits out the client's timeouts.
    clock = VirtualClock(60_000).install(monkeypatch)
    Wire([Rule(op, "*", timeout) for op in LISTINGS], clock=clock).attach(dep.clients)
    result = prove(dep, ["sse-kms-project-key"], time_left_ms=clock.time_left_ms, reserve_ms=30_000)

    assert clock.lowest_ms >= cleanup.FINAL_MARGIN_MS  # ended before the Lambda's time
    cleanup_json = result["cleanup"]
    assert cleanup_json["clean"] is False and cleanup_json["listed"] is False
    assert any(p.startswith("out of time") for p in cleanup_json["problems"])
    assert result["passed"] is False


def _versions_and_an_upload(dep, prefix, count):
    for i in range(count):
        dep.s3.put_object(Bucket=BUCKET, Key=f"{prefix}o{i % 2}", Body=b"x")
    dep.s3.create_multipart_upload(Bucket=BUCKET, Key=f"{prefix}m")


FAULTS = {
    "none": None,
    "timeout": (timeout, None),
    "timeout once": (timeout, 1),
    "503": (answer(503, "SlowDown"), None),
    "reset": (reset, None),
}
CLEANUP_CALLS = (
    "ListMultipartUploads",
    "AbortMultipartUpload",
    "ListObjectVersions",
    "DeleteObjects",
)


@settings(
    max_examples=40,
    deadline=None,
    # The same examples on every run (a CI failure reproduces), and nothing written to disk.
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@example(start_ms=30_000, faults=dict.fromkeys(CLEANUP_CALLS, "none"), versions=3)
@example(start_ms=60_000, faults=dict.fromkeys(CLEANUP_CALLS, "timeout"), versions=3)
@given(
    start_ms=st.integers(min_value=0, max_value=150_000),
    faults=st.fixed_dictionaries({call: st.sampled_from(sorted(FAULTS)) for call in CLEANUP_CALLS}),
    versions=st.integers(min_value=0, max_value=4),
)
def test_no_cleanup_outlasts_its_deadline_virtual_clock(
    dep, monkeypatch, start_ms, faults, versions
):
    """Whatever the faults and the time left when it starts, the cleanup ends before the
    deadline (FINAL_MARGIN_MS before the Lambda's time is up), or does nothing if it
    starts later than that; a cleanup that stops says why and is not clean."""
    prefix = f"probe/{uuid.uuid4().hex}/"
    _versions_and_an_upload(dep, prefix, versions)
    with monkeypatch.context() as patch:
        clock = VirtualClock(start_ms).install(patch)
        rules = [
            Rule(call, "*", FAULTS[name][0], FAULTS[name][1])
            for call, name in faults.items()
            if FAULTS[name] is not None
        ]
        # Clients of this example's own: the wire of an earlier example stays on its clients.
        clients = probe.Clients(REGION, session_factory=lambda: SESSION)
        Wire(rules, clock=clock).attach(clients)
        report = clean_up_run(clients.s3_cleanup(), BUCKET, prefix, Deadline(clock.time_left_ms))

    assert clock.lowest_ms >= min(start_ms, cleanup.FINAL_MARGIN_MS)
    stopped = any(p.startswith("out of time") for p in report.problems)
    assert stopped or report.listed or report.problems  # it says why it is not complete
    enough = cleanup.FINAL_MARGIN_MS + probe_clients.cleanup_call_bound_ms()
    if start_ms >= enough and set(faults.values()) == {"none"}:
        assert report.clean  # no virtual time passes without faults: it all fits
    if report.clean:
        assert remaining(dep, prefix) == set()
    else:
        assert report.leftovers or not report.listed
    if report.listed:
        assert {
            (i["key"], i.get("version_id") or i.get("upload_id")) for i in report.leftovers
        } == (remaining(dep, prefix))


def test_the_cleanup_clients_worst_call_is_what_the_deadline_checks(dep):
    config = dep.clients.s3_cleanup().meta.config
    assert (config.connect_timeout, config.read_timeout) == (
        probe_clients.CLEANUP_CONNECT_S,
        probe_clients.CLEANUP_READ_S,
    )
    assert config.retries["total_max_attempts"] == probe_clients.CLEANUP_ATTEMPTS
    # Two attempts of 2 + 5 s and botocore's longest wait between them (1 s + 5 s).
    assert probe_clients.cleanup_call_bound_ms() == 20_000
    # Enough time for the cleanup's worst call is left when scenarios must stop.
    assert (
        probe_clients.cleanup_call_bound_ms() + cleanup.FINAL_MARGIN_MS
    ) < run.DEFAULT_RESERVE_MS * run.CLEANUP_SHARE


# ----------------------------------------------------------------- 3. orphan multipart uploads


@pytest.mark.small_parts
def test_an_upload_opened_by_a_retry_after_a_lost_reply_is_aborted(dep):
    wire = Wire([Rule("CreateMultipartUpload", "multipart-required", lost_reply, times=1)])
    wire.attach(dep.clients)
    result = prove(dep, ["multipart-required"])

    assert wire.count("CreateMultipartUpload", "multipart-required") == 2  # botocore retried
    assert rows_by_name(result)["multipart-required"]["actual"] == sc.ALLOWED
    assert dep.uploads() == []  # the first upload, whose id the probe never saw, too
    assert result["cleanup"]["aborted_uploads"] == 1
    assert result["cleanup"]["clean"] is True


# ----------------------------------------------------------------- 4. a read-back with no answer


def test_a_read_back_that_fails_is_an_error_row_not_stored_wrong(dep):
    name = "sse-kms-project-key"
    wire = Wire([Rule("HeadObject", name, answer(503, "SlowDown"))]).attach(dep.clients)
    result = prove(dep, [name, "sse-s3"])

    row = rows_by_name(result)[name]
    assert (row["actual"], row["detail"]) == (
        sc.ERROR,
        f"{operations.READ_BACK_FAILED}: SlowDown",
    )
    assert wire.count("HeadObject", name) == MAIN_ATTEMPTS  # retried, then given up
    summary = result["summary"]
    assert summary["error_scenarios"] == [name]
    assert summary["broken_scenarios"] == ["sse-s3"]  # moto stores it: a rule broken
    assert summary["by_actual"] == {sc.ERROR: 1, sc.STORED_WRONG: 1}


# ----------------------------------------------------------------- 5. plain HTTP


@pytest.mark.parametrize("fault", [unreachable, reset, timeout], ids=lambda f: f.__name__)
def test_no_answer_over_plain_http_is_no_refusal(dep, caplog, fault):
    wire = Wire([Rule("PutObject", "http-required", fault)]).attach(dep.clients)
    (row,) = prove(dep, ["http-required"])["rows"]

    assert wire.count("PutObject", "http-required") == MAIN_ATTEMPTS
    assert row["actual"] == sc.ERROR and row["passed"] is False
    assert row["detail"].startswith(operations.NO_HTTP_ANSWER)


@pytest.mark.parametrize(
    ("status", "code", "message", "request_id", "actual", "detail"),
    [
        (
            403,
            "AccessDenied",
            denied_message("PutObject"),
            True,
            sc.DENIED,
            "AccessDenied (explicit deny in a resource-based policy)",
        ),
        (
            400,
            "InvalidArgument",
            "Requests specifying Server Side Encryption with AWS KMS managed keys must be "
            "made over a secure connection.",
            True,
            sc.DENIED,
            "InvalidArgument (SSE-KMS must be made over a secure connection)",
        ),
        (
            403,
            "AccessDenied",
            denied_message("PutObject"),
            False,  # a 403 that does not come from S3 (a proxy, say)
            sc.ERROR,
            "AccessDenied without S3's request id: not an answer from S3",
        ),
        (
            403,
            "AccessDenied",
            "User: x is not authorized to perform: s3:PutObject because no identity-based "
            "policy allows the s3:PutObject action",
            True,
            sc.ERROR,
            "AccessDenied, not the bucket policy's refusal: User: x is not authorized to "
            "perform: s3:PutObject because no identity-based policy allows the s3:PutObject "
            "action",
        ),
    ],
    ids=["bucket-policy", "kms-over-http", "no-request-id", "identity-policy"],
)
def test_only_s3s_own_refusal_passes_the_plain_http_row(
    dep, status, code, message, request_id, actual, detail
):
    answering = answer(status, code, message, request_id=request_id)
    Wire([Rule("PutObject", "http-required", answering)]).attach(dep.clients)
    (row,) = prove(dep, ["http-required"])["rows"]
    assert (row["actual"], row["detail"], row["passed"]) == (actual, detail, actual == sc.DENIED)


# ----------------------------------------------------------------- retries happen


def test_a_503_is_retried_and_the_retry_decides_the_row(dep):
    wire = Wire([Rule("PutObject", "sse-kms-project-key", answer(503, "SlowDown"), times=1)])
    wire.attach(dep.clients)
    (row,) = prove(dep, ["sse-kms-project-key"])["rows"]
    assert wire.count("PutObject", "sse-kms-project-key") == 2
    assert (row["actual"], row["passed"]) == (sc.ALLOWED, True)


def test_a_503_on_every_attempt_is_an_error_row_without_a_traceback(dep, caplog):
    wire = Wire([Rule("PutObject", "sse-s3", answer(503, "SlowDown"))]).attach(dep.clients)
    (row,) = prove(dep, ["sse-s3"])["rows"]
    assert wire.count("PutObject", "sse-s3") == MAIN_ATTEMPTS
    assert (row["actual"], row["detail"]) == (sc.ERROR, "SlowDown")
    assert [r for r in caplog.records if r.exc_info is not None] == []


def test_the_cleanup_retries_once_then_reports(dep):
    wire = Wire([Rule("DeleteObjects", "*", answer(503, "SlowDown"))]).attach(dep.clients)
    result = prove(dep, ["sse-kms-project-key"])
    assert wire.count("DeleteObjects") == probe_clients.CLEANUP_ATTEMPTS
    assert {item["error"] for item in result["cleanup"]["leftovers"]} == {"SlowDown"}
    assert reported(result["cleanup"]) == remaining(dep, result["prefix"])


def test_the_handler_passes_the_lambdas_clock_to_the_cleanup(dep, monkeypatch):
    import handler

    clock = VirtualClock(run.DEFAULT_RESERVE_MS - 1).install(monkeypatch)
    Wire([Rule(op, "*", timeout) for op in LISTINGS], clock=clock).attach(dep.clients)
    result = handler.lambda_handler({"action": "prove"}, FakeContext(clock.time_left_ms))
    assert clock.lowest_ms >= cleanup.FINAL_MARGIN_MS
    assert result["cleanup"]["listed"] is False and result["passed"] is False


@pytest.mark.small_parts
def test_a_write_that_lands_after_the_cleanup_is_reported_and_left_to_the_lifecycle_rule(dep):
    # A PutObject stalls until the time for scenarios is over and lands after the cleanup:
    # the report says the run is not clean and names the scenario; what it wrote is left
    # to the bucket's ExpireProbeObjects rule (tests/infra/test_probe_backstop.py).
    clock = VirtualClock(300_000)
    stalled, release = threading.Event(), threading.Event()

    def stall(request, attempt_ms, _, moto):
        clock.left_ms = run.DEFAULT_RESERVE_MS * run.CLEANUP_SHARE - 1  # scenarios must stop
        stalled.set()
        release.wait(timeout=10)
        return moto(request)

    def after_the_stall(request, attempt_ms, _, moto):
        stalled.wait(timeout=10)
        return moto(request)

    Wire(
        [Rule("PutObject", "sse-kms-project-key", stall), Rule("PutObject", "*", after_the_stall)]
    ).attach(dep.clients)
    names = ["sse-kms-project-key", "sse-kms-project-alias"]
    result = prove(dep, names, concurrency=2, time_left_ms=clock.time_left_ms)
    release.set()
    for thread in threading.enumerate():
        if thread.name.startswith("probe_"):
            thread.join(timeout=10)

    cleanup_json = result["cleanup"]
    # The other scenario may still be running too, if the run stopped before it ended.
    assert "sse-kms-project-key" in cleanup_json["unfinished"]
    assert cleanup_json["clean"] is False and result["passed"] is False
    assert rows_by_name(result)["sse-kms-project-key"]["detail"] == run.OUT_OF_TIME
    landed = {key.rsplit("/", 1)[-1] for key, _ in remaining(dep, result["prefix"])}
    assert "sse-kms-project-key" in landed  # written after the cleanup: nothing removes it
    assert landed <= set(cleanup_json["unfinished"])  # and the report named every such one


class _SmallPages:
    """The cleanup's client, listing two entries a page (S3 lists up to 1000)."""

    def __init__(self, s3):
        self._s3 = s3
        self.pages = Counter()

    def __getattr__(self, name):
        return getattr(self._s3, name)

    def list_object_versions(self, **kwargs):
        self.pages["ListObjectVersions"] += 1
        return self._s3.list_object_versions(**kwargs, MaxKeys=2)

    def list_multipart_uploads(self, KeyMarker=None, UploadIdMarker=None, **kwargs):  # noqa: N803
        # moto lists every upload at once: the pages as S3 documents them (after the
        # markers, in key and upload-id order).
        self.pages["ListMultipartUploads"] += 1
        uploads = sorted(
            self._s3.list_multipart_uploads(**kwargs).get("Uploads", []),
            key=lambda u: (u["Key"], u["UploadId"]),
        )
        if KeyMarker is not None:
            uploads = [
                u for u in uploads if (u["Key"], u["UploadId"]) > (KeyMarker, UploadIdMarker)
            ]
        page, rest = uploads[:2], uploads[2:]
        answer = {"Uploads": page, "IsTruncated": bool(rest)}
        if rest:
            answer |= {"NextKeyMarker": page[-1]["Key"], "NextUploadIdMarker": page[-1]["UploadId"]}
        return answer


def test_the_cleanup_follows_every_page_of_a_listing(dep):
    prefix = "probe/paged/"
    for i in range(5):
        dep.s3.put_object(Bucket=BUCKET, Key=f"{prefix}o{i % 3}", Body=b"x")
        dep.s3.create_multipart_upload(Bucket=BUCKET, Key=f"{prefix}m{i}")
    s3 = _SmallPages(dep.clients.s3_cleanup())
    report = clean_up_run(s3, BUCKET, prefix, Deadline(None))
    assert (report.deleted, report.aborted_uploads, report.clean) == (5, 5, True)
    assert remaining(dep, prefix) == set()
    assert s3.pages["ListObjectVersions"] >= 3 + 1  # 5 versions in pages of 2, then confirm
    assert s3.pages["ListMultipartUploads"] >= 3 + 1
