"""What the probe returns: the JSON shapes of the Lambda's answers (TypedDicts) and the
outcome of one scenario (a dataclass) before it becomes a row of the table."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal, NotRequired, TypedDict, cast, overload

import scenarios as sc
from encrypted_s3 import vocabulary


class StoredJson(TypedDict):
    """scenarios.Stored as JSON: how S3 stored an object, or what the bucket promises."""

    algorithm: str
    key_arn: str | None
    bucket_key: bool


class Summary(TypedDict):
    total: int
    passed: int
    failed: int
    not_run: int
    failed_scenarios: list[str]
    # The failed rows apart: S3 answered against the table (a rule broken), or the row
    # could not be decided ("error": a fault, a read-back that failed, out of time).
    broken_scenarios: list[str]
    error_scenarios: list[str]
    by_actual: dict[str, int]


class Leftover(TypedDict):
    """Something under the run's prefix the cleanup did not remove."""

    kind: str  # "version", "delete marker" or "upload"
    key: str
    error: str  # why: the refusal's code, "still present", "not removed: ..."
    version_id: NotRequired[str]
    upload_id: NotRequired[str]


class CleanupJson(TypedDict):
    deleted: int
    aborted_uploads: int
    leftovers: list[Leftover]
    listed: bool  # leftovers is what a listing after the cleanup showed (else: what was known)
    problems: list[str]  # why the cleanup is not complete (out of time, a listing refused)
    clean: bool
    unfinished: list[str]  # scenarios still running at cleanup: they may write after it


class ConfigJson(TypedDict):
    encryption: str
    header_policy: str


class ProveResult(TypedDict):
    ok: Literal[True]
    action: Literal["prove"]
    run_id: str
    bucket: str
    prefix: str
    config: ConfigJson
    label: str
    promised: StoredJson
    concurrency: int
    rows: list[sc.Row]
    summary: Summary
    cleanup: CleanupJson
    ms: int
    passed: bool


class ErrorCode(TypedDict):
    code: str


class UploadResult(TypedDict):
    ok: Literal[True]
    action: Literal["upload"]
    encryption: str
    bucket: str
    key: str
    version_id: str | None
    extra_args: dict[str, str]
    result: str
    error: ErrorCode | None
    expected: str
    because: str
    as_expected: bool
    stored: StoredJson | None
    stored_as_promised: bool | None
    promised: StoredJson
    ms: int


class ErrorDetail(TypedDict):
    code: str
    message: str


class ErrorResponse(TypedDict):
    ok: Literal[False]
    error: ErrorDetail


@dataclass(frozen=True)
class ProbeOutcome:
    """What one scenario did: its actual result, the detail and how S3 stored a write."""

    actual: str
    detail: str = ""
    stored: sc.Stored | None = None


def stored_from(response: Mapping[str, Any]) -> sc.Stored:
    """How S3 says it stored an object (head_object/get_object/put_object response)."""
    algorithm = response.get("ServerSideEncryption")
    if not algorithm:
        algorithm = "SSE-C" if response.get("SSECustomerAlgorithm") else "none"
    return sc.Stored(
        algorithm=str(algorithm),
        key_arn=response.get("SSEKMSKeyId") or None,
        bucket_key=bool(response.get("BucketKeyEnabled", False)),
    )


@overload
def stored_json(stored: sc.Stored) -> StoredJson: ...
@overload
def stored_json(stored: None) -> None: ...
def stored_json(stored: sc.Stored | None) -> StoredJson | None:
    return None if stored is None else cast(StoredJson, asdict(stored))


def scenario_row(
    scenario: sc.Scenario,
    config: vocabulary.Config,
    keys: sc.KeyRefs,
    outcome: ProbeOutcome,
    ms: float | None,
) -> sc.Row:
    """The table's row of a scenario that ran (ms: its duration) or did not (None)."""
    row: sc.Row = sc.row(
        scenario.name,
        scenario.seed,
        scenario.expect_as(config, sc.UPLOADER).outcome,  # the probe runs as the uploader
        outcome.actual,
        outcome.detail,
        outcome.stored.describe(keys) if outcome.stored else "",
        None if ms is None else int(round(ms)),
        sc.UPLOADER,
    )
    return row


def summarize(rows: list[sc.Row]) -> Summary:
    failed = sc.failed(rows)
    errors = sc.failed([row for row in rows if row["actual"] == sc.ERROR])
    by_actual: dict[str, int] = {}
    for row in rows:
        by_actual[row["actual"]] = by_actual.get(row["actual"], 0) + 1
    return {
        "total": len(rows),
        "passed": sum(1 for row in rows if row["passed"]),
        "failed": len(failed),
        "not_run": by_actual.get(sc.NOT_RUN, 0),
        "failed_scenarios": failed,
        "broken_scenarios": [name for name in failed if name not in errors],
        "error_scenarios": errors,
        "by_actual": by_actual,
    }


def error_response(code: str, message: str) -> ErrorResponse:
    return {"ok": False, "error": {"code": code, "message": message}}
