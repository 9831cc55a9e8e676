"""The live proof: every live scenario of the bucket's configuration, run with bounded
concurrency within the Lambda's time, then the cleanup (always, also after a failure).

Time: no scenario starts with less than the reserve left; scenarios still running may
finish until CLEANUP_SHARE of the reserve is left; the cleanup then has that share and
ends FINAL_MARGIN_MS before the Lambda's time is up (probe.cleanup). A run passes only if
every live row is as expected and the cleanup is clean.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

import scenarios as sc
from encrypted_s3 import vocabulary
from probe.cleanup import Deadline, clean_up_run
from probe.clients import DEFAULT_CONCURRENCY, Clients
from probe.operations import COST, OPERATIONS
from probe.results import (
    CleanupJson,
    ProbeOutcome,
    ProveResult,
    scenario_row,
    stored_json,
    summarize,
)
from probe.state import ProofRun, SourceUnavailable, new_run_id
from probe.target import Target

logger = logging.getLogger(__name__)

NOT_LIVE = "offline proof only: the live probe cannot make this request (see the seed)"
OUT_OF_TIME = "not finished: Lambda time nearly up"
DEFAULT_RESERVE_MS = 60_000  # no scenario starts with less time left than this
CLEANUP_SHARE = 2 / 3  # of the reserve, kept for the cleanup whatever the scenarios do

Futures = dict[Future[sc.Row], sc.Scenario]


def _row(run: ProofRun, scenario: sc.Scenario, outcome: ProbeOutcome, ms: float | None) -> sc.Row:
    return scenario_row(scenario, run.target.config, run.target.keys, outcome, ms)


def run_scenario(run: ProofRun, scenario: sc.Scenario) -> sc.Row:
    """One scenario's row. AWS answers are outcomes (probe.operations); anything else the
    scenario raises is logged with its traceback and reported as "error"."""
    if run.out_of_time():
        return _row(run, scenario, ProbeOutcome(sc.ERROR, OUT_OF_TIME), 0)
    start = time.perf_counter()
    sse = scenario.sse(run.target.config)
    try:
        outcome = OPERATIONS[scenario.operation](run, scenario, sse)
    except SourceUnavailable as exc:
        outcome = ProbeOutcome(sc.ERROR, str(exc))
    except Exception as exc:  # not an AWS answer: log it, report it, go on
        logger.exception("scenario %s raised", scenario.name)
        outcome = ProbeOutcome(sc.ERROR, f"raised {type(exc).__name__}")
    return _row(run, scenario, outcome, (time.perf_counter() - start) * 1000)


def _select(config: vocabulary.Config, only: Iterable[str] | None) -> list[sc.Scenario]:
    selected = sc.scenarios_for(config)
    if only is None:
        return selected
    names = set(only)
    unknown = names - {s.name for s in selected}
    if unknown:
        raise ValueError(f"no such scenario for {config.label}: {', '.join(sorted(unknown))}")
    return [s for s in selected if s.name in names]


def _schedule(run: ProofRun, live: list[sc.Scenario], executor: ThreadPoolExecutor) -> Futures:
    """Longest chains first (multipart; copy and read-back wait for their source), so they
    do not queue behind the short puts; the rows keep the table's order."""
    futures: Futures = {}
    for scenario in sorted(live, key=lambda s: -COST.get(s.operation, 1)):
        futures[executor.submit(run_scenario, run, scenario)] = scenario
    return futures


def _collect(run: ProofRun, futures: Futures) -> dict[str, sc.Row]:
    """The rows of the scenarios that finish before the time budget runs out."""
    rows: dict[str, sc.Row] = {}
    pending = set(futures)
    while pending:
        budget = run.budget_ms()
        if budget is not None and budget <= 0:
            break
        timeout = None if budget is None else budget / 1000
        done, pending = wait(pending, timeout=timeout, return_when=FIRST_COMPLETED)
        for future in done:
            rows[futures[future].name] = future.result()
    return rows


def _stop(run: ProofRun, futures: Futures) -> list[str]:
    """Cancel the scenarios not started; let the running ones finish while time allows
    (CLEANUP_SHARE of the reserve stays for the cleanup). The names of those still
    running."""
    for future in futures:
        future.cancel()
    running = [future for future in futures if not future.done()]
    if running:
        timeout = None
        if run.time_left_ms is not None:
            timeout = max(0.0, run.time_left_ms() - run.reserve_ms * CLEANUP_SHARE) / 1000
        wait(running, timeout=timeout)
    return [futures[future].name for future in futures if not future.done()]


def _run_and_clean(
    run: ProofRun, live: list[sc.Scenario], concurrency: int
) -> tuple[dict[str, sc.Row], Futures, CleanupJson]:
    """Run the live scenarios; clean up whatever happens (the cleanup never raises)."""
    futures: Futures = {}
    executor = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="probe")
    try:
        futures = _schedule(run, live, executor)
        rows = _collect(run, futures)
    finally:
        unfinished = _stop(run, futures)
        executor.shutdown(wait=False, cancel_futures=True)
        report = clean_up_run(
            run.clients.s3_cleanup(), run.target.bucket, run.prefix, Deadline(run.time_left_ms)
        )
        cleanup = report.to_json(unfinished)
    return rows, futures, cleanup


def _all_rows(
    run: ProofRun, selected: list[sc.Scenario], rows: dict[str, sc.Row], futures: Futures
) -> list[sc.Row]:
    """Every selected scenario's row in the table's order: late finishers, the ones out of
    time, and the ones only the offline proof can state."""
    for future, scenario in futures.items():
        if scenario.name in rows:
            continue
        if future.done() and not future.cancelled() and future.exception() is None:
            rows[scenario.name] = future.result()
        else:
            rows[scenario.name] = _row(run, scenario, ProbeOutcome(sc.ERROR, OUT_OF_TIME), None)
    for scenario in selected:
        if not scenario.live:
            rows[scenario.name] = _row(run, scenario, ProbeOutcome(sc.NOT_RUN, NOT_LIVE), None)
    return [rows[s.name] for s in selected if s.name in rows]


def run_live_proof(
    target: Target,
    clients: Clients,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    time_left_ms: Callable[[], float] | None = None,
    reserve_ms: float = DEFAULT_RESERVE_MS,
    run_id: str | None = None,
    only: Iterable[str] | None = None,
) -> ProveResult:
    """Run every live scenario of the bucket's configuration; always clean up.

    only: run just these scenarios (by name), e.g. to investigate one of them.
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    started = time.perf_counter()
    config = target.config
    selected = _select(config, only)
    live = [s for s in selected if s.live]
    run = ProofRun(target, clients, run_id or new_run_id(), time_left_ms, reserve_ms)
    rows, futures, cleanup = _run_and_clean(run, live, concurrency)
    ordered = _all_rows(run, selected, rows, futures)
    summary = summarize(ordered)
    logger.info(
        "prove %s: %d/%d passed, cleanup clean=%s",
        config.label,
        summary["passed"],
        summary["total"],
        cleanup["clean"],
    )
    return {
        "ok": True,
        "action": "prove",
        "run_id": run.run_id,
        "bucket": target.bucket,
        "prefix": run.prefix,
        "config": {"encryption": config.encryption, "header_policy": config.header_policy},
        "label": config.label,
        "promised": stored_json(target.promised()),
        "concurrency": concurrency,
        "rows": ordered,
        "summary": summary,
        "cleanup": cleanup,
        "ms": int(round((time.perf_counter() - started) * 1000)),
        # Nothing left behind is part of passing: a run that leaves objects did not pass.
        "passed": bool(live) and not summary["failed_scenarios"] and cleanup["clean"],
    }
