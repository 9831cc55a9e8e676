"""The probe: performs the scenario table (scenarios.py) against a bucket with boto3.

`prove` runs every live scenario, reads back each allowed write and removes every object
version it wrote; `upload` reproduces the seed article's `upload_file(..., ExtraArgs=...)`.
Both take a `Target` (what the bucket promises) and a `Clients` (how to reach AWS, or a
local endpoint such as a moto server), so they run the same in the Lambda, in tests and
in benchmarks.

Only the standard library is imported here; boto3/botocore are imported when the first
client is created, so importing this module (and the handler) stays fast.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from typing import Any

import scenarios as sc
from scenarios import ERROR, NOT_RUN, STORED_WRONG

logger = logging.getLogger(__name__)

NOT_LIVE = "offline proof only: AWS endpoints refuse the request first"
OUT_OF_TIME = "not finished: Lambda time nearly up"

# Error codes that mean "the policy said no". A 403 with another code counts too, except
# for codes that say the request was never authorized at all (bad or expired credentials).
DENIED_CODES = frozenset({"AccessDenied", "AccessDeniedException", "403"})
NOT_A_DECISION_CODES = frozenset(
    {
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidToken",
        "RequestTimeTooSkewed",
        "InvalidClientTokenId",
        "UnrecognizedClientException",
    }
)

MIN_PART_SIZE = 5 * 1024 * 1024  # S3's minimum size of every part but the last
LAST_PART_SIZE = 1024
PUT_BODY = b"encrypted-s3 probe object\n"
DEFAULT_CONCURRENCY = 8
MAX_CONCURRENCY = 32  # the most a prove event may ask for
DEFAULT_RESERVE_MS = 30_000  # time kept for cleanup before the Lambda times out
SOURCE_NAME = "_copy-source"


# --------------------------------------------------------------------------- clients


class Clients:
    """boto3 clients, created lazily and once (thread-safe), from one boto3 Session.

    endpoint_url points S3 and KMS at something other than AWS (a moto server, for
    example). The plain-HTTP S3 client uses the same endpoint with the http:// scheme, or
    `use_ssl=False` against AWS; it refuses to exist if it would not speak plain HTTP.
    session_factory returns a boto3 Session (default: `boto3.session.Session()`).
    """

    def __init__(
        self,
        region: str | None = None,
        *,
        endpoint_url: str | None = None,
        kms_endpoint_url: str | None = None,
        max_pool_connections: int = MAX_CONCURRENCY + 8,  # a thread each, and headroom
        session_factory: Callable[[], Any] | None = None,
    ) -> None:
        self.region = region
        self.endpoint_url = endpoint_url
        self.kms_endpoint_url = kms_endpoint_url or endpoint_url
        self.max_pool_connections = max_pool_connections
        self._session_factory = session_factory
        self._session: Any = None
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def s3(self) -> Any:
        return self._get("s3", self._make_s3)

    def s3_http(self) -> Any:
        return self._get("s3-http", self._make_s3_http)

    def kms(self) -> Any:
        return self._get("kms", lambda: self._client("kms", endpoint_url=self.kms_endpoint_url))

    def _get(self, name: str, make: Callable[[], Any]) -> Any:
        client = self._clients.get(name)
        if client is None:
            # boto3 sessions are not thread-safe: create clients under the lock.
            with self._lock:
                client = self._clients.get(name)
                if client is None:
                    client = self._clients[name] = make()
        return client

    def _client(self, service: str, **kwargs: Any) -> Any:
        from botocore.config import Config

        if self._session is None:
            if self._session_factory is not None:
                self._session = self._session_factory()
            else:
                import boto3.session

                self._session = boto3.session.Session()
        config = Config(
            region_name=self.region,
            retries={"mode": "standard", "max_attempts": 3},
            connect_timeout=5,
            read_timeout=30,
            max_pool_connections=self.max_pool_connections,
            user_agent_extra="encrypted-s3-probe",
        )
        kwargs = {k: v for k, v in kwargs.items() if v is not None}
        return self._session.client(service, config=config, **kwargs)

    def _make_s3(self) -> Any:
        return self._client("s3", endpoint_url=self.endpoint_url)

    def _make_s3_http(self) -> Any:
        endpoint = (
            self.endpoint_url
            or os.environ.get("AWS_ENDPOINT_URL_S3")
            or os.environ.get("AWS_ENDPOINT_URL")
        )
        if endpoint:
            client = self._client("s3", endpoint_url=_plain_http(endpoint))
        else:
            client = self._client("s3", use_ssl=False)
        if not client.meta.endpoint_url.startswith("http://"):
            raise RuntimeError(f"the plain-HTTP client would use {client.meta.endpoint_url}")
        return client


def _plain_http(url: str) -> str:
    return "http://" + url.split("://", 1)[1] if "://" in url else "http://" + url


# --------------------------------------------------------------------------- outcomes


def error_code(exc: BaseException) -> str:
    """The AWS error code of a botocore ClientError, else the exception's type name."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        if code:
            return str(code)
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if status:
            return str(status)
    return type(exc).__name__


def classify(exc: BaseException) -> tuple[str, str]:
    """(actual, detail) of a failed call: "denied" for a policy refusal, else "error"."""
    # upload_file wraps the ClientError in S3UploadFailedError (raised inside `except`).
    if getattr(exc, "response", None) is None and exc.__context__ is not None:
        inner = exc.__context__
        if isinstance(getattr(inner, "response", None), dict):
            exc = inner
    code = error_code(exc)
    response = getattr(exc, "response", None)
    status = None
    if isinstance(response, dict):
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    if code in DENIED_CODES or (status == 403 and code not in NOT_A_DECISION_CODES):
        return sc.DENIED, code
    return ERROR, code


def stored_from(response: dict[str, Any]) -> sc.Stored:
    """How S3 says it stored an object (head_object/get_object/put_object response)."""
    algorithm = response.get("ServerSideEncryption")
    if not algorithm:
        algorithm = "SSE-C" if response.get("SSECustomerAlgorithm") else "none"
    return sc.Stored(
        algorithm=algorithm,
        key_arn=response.get("SSEKMSKeyId") or None,
        bucket_key=bool(response.get("BucketKeyEnabled", False)),
    )


def stored_dict(stored: sc.Stored | None) -> dict[str, Any] | None:
    return None if stored is None else asdict(stored)


def location(bucket: str, key: str, version_id: str | None) -> dict[str, str]:
    """An object as boto3 names it: that version, or the latest when S3 gave no id."""
    where = {"Bucket": bucket, "Key": key}
    if version_id:
        where["VersionId"] = version_id
    return where


def head(s3: Any, where: dict[str, str], sse: sc.Sse, sse_args: dict[str, Any]) -> dict:
    """head_object of a written object; an SSE-C object cannot be read without its key."""
    return s3.head_object(**where, **(sse_args if sse.customer_key else {}))


# --------------------------------------------------------------------------- target


@dataclass(frozen=True)
class Target:
    """The bucket under test and what it promises."""

    bucket: str
    prefix: str
    config: sc.Config
    keys: sc.KeyRefs

    def __post_init__(self) -> None:
        if not self.bucket:
            raise ValueError("bucket name is empty")
        if not self.prefix or self.prefix.startswith("/") or self.prefix.endswith("/"):
            raise ValueError(f"probe prefix {self.prefix!r} must be non-empty, without '/' ends")


@dataclass
class _Outcome:
    actual: str
    detail: str = ""
    stored: sc.Stored | None = None


class _SourceUnavailable(Exception):
    def __init__(self, actual: str, code: str) -> None:
        super().__init__(code)
        self.actual = actual
        self.code = code


class _Once:
    """Runs a function once, on first demand, from whichever thread asks first."""

    def __init__(self, fn: Callable[[], Any]) -> None:
        self._fn = fn
        self._lock = threading.Lock()
        self._done = False
        self._value: Any = None
        self._error: BaseException | None = None

    def __call__(self) -> Any:
        with self._lock:
            if not self._done:
                try:
                    self._value = self._fn()
                except BaseException as exc:  # re-raised to every caller
                    self._error = exc
                self._done = True
        if self._error is not None:
            raise self._error
        return self._value


@dataclass
class _Run:
    """One prove run: its prefix, clients, deadline and what it started."""

    target: Target
    clients: Clients
    run_id: str
    time_left_ms: Callable[[], float] | None
    reserve_ms: float
    uploads: dict[str, str] = field(default_factory=dict)  # upload id -> key, in progress
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.source = _Once(self._write_source)

    @property
    def prefix(self) -> str:
        return f"{self.target.prefix}/{self.run_id}/"

    def key(self, name: str) -> str:
        return self.prefix + name

    def budget_ms(self) -> float | None:
        """Milliseconds left for scenarios (None: no deadline)."""
        if self.time_left_ms is None:
            return None
        return self.time_left_ms() - self.reserve_ms

    def out_of_time(self) -> bool:
        budget = self.budget_ms()
        return budget is not None and budget <= 0

    def args(self, sse: sc.Sse) -> dict[str, Any]:
        return sc.boto3_sse_args(sse, self.target.keys)

    def _write_source(self) -> dict[str, str]:
        """The allowed object the copy and read-back scenarios start from (its location)."""
        key = self.key(SOURCE_NAME)
        sse = sc.Sse.required(self.target.config)
        try:
            response = self.clients.s3().put_object(
                Bucket=self.target.bucket, Key=key, Body=PUT_BODY, **self.args(sse)
            )
        except Exception as exc:
            actual, code = classify(exc)
            raise _SourceUnavailable(actual, code) from exc
        return location(self.target.bucket, key, response.get("VersionId"))


# --------------------------------------------------------------------------- scenarios


def _read_back(run: _Run, key: str, version_id: str | None, sse: sc.Sse) -> _Outcome:
    """head_object an allowed write: it must be stored as the bucket promises."""
    where = location(run.target.bucket, key, version_id)
    try:
        response = head(run.clients.s3(), where, sse, run.args(sse))
    except Exception as exc:
        return _Outcome(STORED_WRONG, f"read-back failed: {classify(exc)[1]}")
    return _judge(run, stored_from(response))


def _judge(run: _Run, stored: sc.Stored) -> _Outcome:
    promised = sc.Stored.promised(run.target.config, run.target.keys)
    if stored == promised:
        return _Outcome(sc.ALLOWED, "", stored)
    keys = run.target.keys
    # The stored column shows what S3 did; the detail what the bucket promises.
    return _Outcome(STORED_WRONG, f"promised {promised.describe(keys)}", stored)


def _put(run: _Run, scenario: sc.Scenario, sse: sc.Sse) -> _Outcome:
    client = run.clients.s3() if scenario.secure_transport else run.clients.s3_http()
    key = run.key(scenario.name)
    try:
        response = client.put_object(
            Bucket=run.target.bucket, Key=key, Body=PUT_BODY, **run.args(sse)
        )
    except Exception as exc:
        return _Outcome(*classify(exc))
    return _read_back(run, key, response.get("VersionId"), sse)


def _multipart(run: _Run, scenario: sc.Scenario, sse: sc.Sse) -> _Outcome:
    s3 = run.clients.s3()
    bucket, key = run.target.bucket, run.key(scenario.name)
    step = "CreateMultipartUpload"
    try:
        upload_id = s3.create_multipart_upload(
            Bucket=bucket, Key=key, ChecksumAlgorithm="CRC32", **run.args(sse)
        )["UploadId"]
    except Exception as exc:
        actual, code = classify(exc)
        return _Outcome(actual, f"{step}: {code}")
    with run.lock:
        run.uploads[upload_id] = key
    parts = []
    try:
        # Two parts: the first at S3's minimum part size, the last small. One 5 MiB buffer.
        for number, size in ((1, MIN_PART_SIZE), (2, LAST_PART_SIZE)):
            step = "UploadPart"
            response = s3.upload_part(
                Bucket=bucket,
                Key=key,
                UploadId=upload_id,
                PartNumber=number,
                Body=bytes(size),
                ChecksumAlgorithm="CRC32",
            )
            part = {"PartNumber": number, "ETag": response["ETag"]}
            if response.get("ChecksumCRC32"):
                part["ChecksumCRC32"] = response["ChecksumCRC32"]
            parts.append(part)
        step = "CompleteMultipartUpload"
        response = s3.complete_multipart_upload(
            Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
        )
    except Exception as exc:
        if getattr(exc, "response", None) is None:
            raise  # not an AWS answer: the scenario raised; cleanup aborts the upload
        actual, code = classify(exc)
        return _Outcome(actual, f"{step}: {code}")
    with run.lock:
        run.uploads.pop(upload_id, None)
    return _read_back(run, key, response.get("VersionId"), sse)


def _copy(run: _Run, scenario: sc.Scenario, sse: sc.Sse) -> _Outcome:
    source = run.source()  # outside the try: _run_scenario reports a missing source
    key = run.key(scenario.name)
    try:
        response = run.clients.s3().copy_object(
            Bucket=run.target.bucket, Key=key, CopySource=source, **run.args(sse)
        )
    except Exception as exc:
        return _Outcome(*classify(exc))
    return _read_back(run, key, response.get("VersionId"), sse)


def _get(run: _Run, scenario: sc.Scenario, sse: sc.Sse) -> _Outcome:
    source = run.source()  # outside the try, as in _copy
    try:
        response = run.clients.s3().get_object(**source)
        with response["Body"] as body:
            body.read()
    except Exception as exc:
        return _Outcome(*classify(exc))
    return _judge(run, stored_from(response))


def _kms_direct(run: _Run, scenario: sc.Scenario, sse: sc.Sse) -> _Outcome:
    """Use the project key directly (not via S3): GenerateDataKey, then Decrypt.

    GenerateDataKey decides: KMS authorizes it on the key id alone. Decrypt needs a
    ciphertext of the key, which only exists if GenerateDataKey was allowed; with a dummy
    one KMS may answer InvalidCiphertextException instead of judging the caller, which is
    reported as inconclusive and does not change the verdict.
    """
    kms = run.clients.kms()
    key_arn = run.target.keys.project_arn
    results: list[tuple[str, str, str]] = []  # (call, actual, code)
    blob = b"\x01" * 64  # dummy ciphertext, used only if GenerateDataKey is refused
    try:
        blob = kms.generate_data_key(KeyId=key_arn, KeySpec="AES_256")["CiphertextBlob"]
        results.append(("GenerateDataKey", sc.ALLOWED, "allowed"))
    except Exception as exc:
        results.append(("GenerateDataKey", *classify(exc)))
    try:
        kms.decrypt(KeyId=key_arn, CiphertextBlob=blob)
        results.append(("Decrypt", sc.ALLOWED, "allowed"))
    except Exception as exc:
        actual, code = classify(exc)
        if code == "InvalidCiphertextException" and results[0][1] == sc.DENIED:
            actual, code = sc.DENIED, f"{code} (inconclusive: no ciphertext of the key)"
        results.append(("Decrypt", actual, code))
    detail = "; ".join(f"{call}: {code}" for call, _, code in results)
    actuals = {actual for _, actual, _ in results}
    if sc.ALLOWED in actuals:
        return _Outcome(sc.ALLOWED, detail)
    if actuals == {sc.DENIED}:
        return _Outcome(sc.DENIED, detail)
    return _Outcome(ERROR, detail)


OPERATIONS: dict[str, Callable[[_Run, sc.Scenario, sc.Sse], _Outcome]] = {
    "put": _put,
    "multipart": _multipart,
    "copy": _copy,
    "get": _get,
    "kms-direct": _kms_direct,
}


_COST = {"multipart": 3, "copy": 2, "get": 2}


def _row(run: _Run, scenario: sc.Scenario, outcome: _Outcome, ms: float | None) -> dict[str, Any]:
    return sc.row(
        scenario.name,
        scenario.seed,
        scenario.expect(run.target.config).outcome,
        outcome.actual,
        outcome.detail,
        outcome.stored.describe(run.target.keys) if outcome.stored else "",
        None if ms is None else int(round(ms)),
    )


def _run_scenario(run: _Run, scenario: sc.Scenario) -> dict[str, Any]:
    if run.out_of_time():
        return _row(run, scenario, _Outcome(ERROR, OUT_OF_TIME), 0)
    start = time.perf_counter()
    sse = scenario.sse(run.target.config)
    try:
        outcome = OPERATIONS[scenario.operation](run, scenario, sse)
    except _SourceUnavailable as exc:
        outcome = _Outcome(ERROR, f"copy source not written: {exc.code}")
    except Exception as exc:  # the scenario itself raised: report it, keep the run going
        logger.exception("scenario %s raised", scenario.name)
        outcome = _Outcome(ERROR, f"raised {type(exc).__name__}")
    return _row(run, scenario, outcome, (time.perf_counter() - start) * 1000)


# --------------------------------------------------------------------------- cleanup


def _list_versions(s3: Any, bucket: str, prefix: str) -> list[dict[str, str]]:
    found: list[dict[str, str]] = []
    kwargs: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
    while True:
        page = s3.list_object_versions(**kwargs)
        for item in page.get("Versions", []) + page.get("DeleteMarkers", []):
            if item["Key"].startswith(prefix):  # never touch anything outside the run
                found.append({"Key": item["Key"], "VersionId": item["VersionId"]})
        if not page.get("IsTruncated"):
            return found
        kwargs["KeyMarker"] = page.get("NextKeyMarker")
        kwargs["VersionIdMarker"] = page.get("NextVersionIdMarker")


def cleanup(s3: Any, bucket: str, prefix: str, uploads: dict[str, str]) -> dict[str, Any]:
    """Abort the run's multipart uploads; delete every version and delete marker under
    its prefix; report what could not be removed. Never raises."""
    report: dict[str, Any] = {"deleted": 0, "aborted_uploads": 0, "leftovers": []}
    leftovers: list[dict[str, Any]] = report["leftovers"]
    for upload_id, key in list(uploads.items()):
        try:
            s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
            report["aborted_uploads"] += 1
        except Exception as exc:
            code = error_code(exc)
            if code != "NoSuchUpload":  # already completed or aborted
                leftovers.append({"key": key, "upload_id": upload_id, "error": code})
    try:
        versions = _list_versions(s3, bucket, prefix)
        for start in range(0, len(versions), 1000):
            batch = versions[start : start + 1000]
            response = s3.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
            errors = response.get("Errors", [])
            report["deleted"] += len(batch) - len(errors)
            leftovers += [
                {"key": e.get("Key"), "version_id": e.get("VersionId"), "error": e.get("Code")}
                for e in errors
            ]
        reported = {(item.get("key"), item.get("version_id")) for item in leftovers}
        for item in _list_versions(s3, bucket, prefix):
            if (item["Key"], item["VersionId"]) not in reported:
                leftovers.append(
                    {"key": item["Key"], "version_id": item["VersionId"], "error": "still present"}
                )
    except Exception as exc:
        logger.exception("cleanup of %s failed", prefix)
        leftovers.append({"key": prefix + "*", "error": error_code(exc)})
    report["clean"] = not leftovers
    return report


# --------------------------------------------------------------------------- prove


def _stop(run: _Run, futures: dict[Future[dict[str, Any]], sc.Scenario]) -> list[str]:
    """Cancel the scenarios not started; let the running ones finish while time allows
    (half the reserve stays for the cleanup). The names of those still running."""
    for future in futures:
        future.cancel()
    running = [future for future in futures if not future.done()]
    if running:
        timeout = None
        if run.time_left_ms is not None:
            timeout = max(0.0, run.time_left_ms() - run.reserve_ms / 2) / 1000
        wait(running, timeout=timeout)
    return [futures[future].name for future in futures if not future.done()]


def new_run_id() -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + uuid.uuid4().hex[:8]


def prove(
    target: Target,
    clients: Clients,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    time_left_ms: Callable[[], float] | None = None,
    reserve_ms: float = DEFAULT_RESERVE_MS,
    run_id: str | None = None,
    only: Iterable[str] | None = None,
) -> dict[str, Any]:
    """Run every live scenario of the bucket's configuration; always clean up.

    only: run just these scenarios (by name), e.g. to investigate one of them.
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    started = time.perf_counter()
    config = target.config
    selected = sc.scenarios_for(config)
    if only is not None:
        names = set(only)
        unknown = names - {s.name for s in selected}
        if unknown:
            raise ValueError(f"no such scenario for {config.label}: {', '.join(sorted(unknown))}")
        selected = [s for s in selected if s.name in names]
    live = [s for s in selected if s.live]
    run = _Run(target, clients, run_id or new_run_id(), time_left_ms, reserve_ms)
    rows: dict[str, dict[str, Any]] = {}
    futures: dict[Future[dict[str, Any]], sc.Scenario] = {}
    executor = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="probe")
    try:
        # Longest chains first (multipart; copy and read-back wait for their source), so
        # they do not queue behind the short puts; rows keep the table's order.
        for scenario in sorted(live, key=lambda s: -_COST.get(s.operation, 1)):
            futures[executor.submit(_run_scenario, run, scenario)] = scenario
        pending = set(futures)
        while pending:
            budget = run.budget_ms()
            if budget is not None and budget <= 0:
                break
            done, pending = wait(
                pending,
                timeout=None if budget is None else budget / 1000,
                return_when=FIRST_COMPLETED,
            )
            for future in done:
                rows[futures[future].name] = future.result()
    finally:
        unfinished = _stop(run, futures)
        executor.shutdown(wait=False, cancel_futures=True)
        report = cleanup(clients.s3(), target.bucket, run.prefix, run.uploads)
        # A scenario still running may write after the cleanup: name it.
        report["unfinished"] = unfinished
        if unfinished:
            report["clean"] = False
    for future, scenario in futures.items():
        if scenario.name in rows:
            continue
        if future.done() and not future.cancelled() and future.exception() is None:
            rows[scenario.name] = future.result()
        else:
            rows[scenario.name] = _row(run, scenario, _Outcome(ERROR, OUT_OF_TIME), None)
    for scenario in selected:
        if not scenario.live:
            rows[scenario.name] = _row(run, scenario, _Outcome(NOT_RUN, NOT_LIVE), None)
    ordered = [rows[s.name] for s in selected if s.name in rows]
    failed = sc.failed(ordered)
    by_actual: dict[str, int] = {}
    for row in ordered:
        by_actual[row["actual"]] = by_actual.get(row["actual"], 0) + 1
    summary = {
        "total": len(ordered),
        "passed": sum(1 for r in ordered if r["passed"]),
        "failed": len(failed),
        "not_run": by_actual.get(NOT_RUN, 0),
        "failed_scenarios": failed,
        "by_actual": by_actual,
    }
    result = {
        "ok": True,
        "action": "prove",
        "run_id": run.run_id,
        "bucket": target.bucket,
        "prefix": run.prefix,
        "config": {"encryption": config.encryption, "header_policy": config.header_policy},
        "label": config.label,
        "promised": stored_dict(sc.Stored.promised(config, target.keys)),
        "concurrency": concurrency,
        "rows": ordered,
        "summary": summary,
        "cleanup": report,
        "ms": int(round((time.perf_counter() - started) * 1000)),
        "passed": bool(live) and not failed,
    }
    logger.info(
        "prove %s: %d/%d passed, cleanup clean=%s",
        config.label,
        summary["passed"],
        summary["total"],
        report["clean"],
    )
    return result


# --------------------------------------------------------------------------- upload


def resolve_key(prefix: str, key: str | None, choice: str) -> str:
    """The object key of an upload: always under the probe prefix."""
    if key is None:
        return f"{prefix}/uploads/{new_run_id()}-{choice}.txt"
    return key if key.startswith(prefix + "/") else f"{prefix}/{key}"


def redact(args: dict[str, Any]) -> dict[str, str]:
    return {
        name: "<redacted>" if name == "SSECustomerKey" else str(value)
        for name, value in args.items()
    }


def upload(
    target: Target, clients: Clients, *, choice: str, key: str | None, content: str
) -> dict[str, Any]:
    """The seed's `s3.upload_file(file, bucket, key, ExtraArgs=...)` for one choice."""
    from boto3.s3.transfer import TransferConfig

    sse = sc.UPLOAD_CHOICES[choice]
    extra_args = sc.boto3_sse_args(sse, target.keys)
    object_key = resolve_key(target.prefix, key, choice)
    expected = sc.expected_write(sse, target.config)
    s3 = clients.s3()
    started = time.perf_counter()
    result, error, stored, version_id = sc.ALLOWED, None, None, None
    fd, path = tempfile.mkstemp(prefix="upload-", suffix=".txt", dir=tempfile.gettempdir())
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content.encode("utf-8"))
        s3.upload_file(
            path,
            target.bucket,
            object_key,
            ExtraArgs=extra_args,
            Config=TransferConfig(use_threads=False, preferred_transfer_client="classic"),
        )
    except Exception as exc:
        result, code = classify(exc)
        error = {"code": code}
    finally:
        os.unlink(path)
    ms = (time.perf_counter() - started) * 1000
    if result == sc.ALLOWED:
        try:
            response = head(s3, location(target.bucket, object_key, None), sse, extra_args)
            stored = stored_from(response)
            version_id = response.get("VersionId")
        except Exception as exc:
            error = {"code": f"read-back failed: {classify(exc)[1]}"}
    promised = sc.Stored.promised(target.config, target.keys)
    return {
        "ok": True,
        "action": "upload",
        "encryption": choice,
        "bucket": target.bucket,
        "key": object_key,
        "version_id": version_id,
        "extra_args": redact(extra_args),
        "result": result,
        "error": error,
        "expected": expected.outcome,
        "because": expected.because,
        "as_expected": result == expected.outcome,
        "stored": stored_dict(stored),
        "stored_as_promised": None if stored is None else stored == promised,
        "promised": stored_dict(promised),
        "ms": int(round(ms)),
    }
