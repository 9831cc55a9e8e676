"""The necessity analysis's shortcuts (unsat cores, requests already found) change
how many questions reach z3, never an answer: on variants, a declared variant and
mutants, the report is exactly the exhaustive algorithm's, with fewer checks."""

from __future__ import annotations

import gc
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import pytest

from encrypted_s3.assembly import Deployment
from encrypted_s3.universal import solve
from encrypted_s3.universal.check import Universal, check, check_all
from encrypted_s3.universal.solve import STATS
from encrypted_s3.vocabulary import Config
from proof import mutate
from tests.proof.support import SSE_KMS_STRICT

DEFAULT_AWARE_S3 = Config("sse-s3", "default-aware")  # statements needed only together
CASES = {
    "sse-s3/default-aware": (DEFAULT_AWARE_S3, []),
    "sse-kms/strict+declared": ("sse-kms/strict+declared", []),
    # BlockedEncryptionTypes, needed together with DenySseC, becomes needed alone.
    "sse-s3/default-aware drop:DenySseC": (DEFAULT_AWARE_S3, ["drop:DenySseC"]),
}


def _report(u: Universal) -> tuple[object, ...]:
    """Everything the proof reports: results with counterexamples, necessity, the table."""
    return (
        [r.to_json() for r in u.results],
        [n.to_json() for n in u.necessity],
        u.who,
    )


@pytest.mark.parametrize("case", CASES)
def test_the_pruned_analysis_reports_what_the_exhaustive_one_does(
    case, deployments, access_deployments
):
    which, mutations = CASES[case]
    found = deployments[which] if isinstance(which, Config) else access_deployments[which]
    deployment = mutate.apply(found, mutations) if mutations else found
    STATS.reset()
    exhaustive = check(deployment, exhaustive=True)
    asked_all = STATS.checks
    STATS.reset()
    pruned = check(deployment)
    assert exhaustive.refuted == []  # counterexamples: the test below
    assert _report(pruned) == _report(exhaustive)
    # Answers the shortcuts gave without a check, and fewer checks for it.
    assert STATS.pruned > 0
    assert STATS.checks < asked_all


def _fresh_report(deployment: Deployment, exhaustive: bool) -> tuple[tuple[object, ...], int]:
    STATS.reset()
    return _report(check(deployment, exhaustive=exhaustive)), STATS.checks


def test_a_refuted_property_keeps_the_exhaustive_counterexample(deployments):
    """Which model z3 returns can depend on what the process built before (the formulas
    of the main context), so each analysis runs in a fresh process of its own."""
    deployment = mutate.apply(deployments[SSE_KMS_STRICT], ["drop:DenyWrongKmsKey"])
    spawn = multiprocessing.get_context("spawn")
    with (
        ProcessPoolExecutor(1, mp_context=spawn) as first,
        ProcessPoolExecutor(1, mp_context=spawn) as second,
    ):
        runs = [first.submit(_fresh_report, deployment, True)]
        runs.append(second.submit(_fresh_report, deployment, False))
        (exhaustive_report, asked_all), (pruned_report, asked) = [r.result() for r in runs]
    results = exhaustive_report[0]
    assert [r["id"] for r in results if r["result"] == "refuted"] == ["stored-encryption"]
    assert results[0]["counterexample"] is not None
    assert pruned_report == exhaustive_report
    assert asked < asked_all


def test_checks_started_side_by_side_report_what_one_at_a_time_does(deployments):
    """check_all starts every property's first check of every deployment on worker
    threads before it takes an answer: the reports are those of check() one by one, and
    a refuted property stays refuted (which counterexample z3 returns may depend on what
    the process built before; the test above pins that)."""
    mutant = mutate.apply(deployments[SSE_KMS_STRICT], ["drop:DenyWrongKmsKey"])
    chosen = [deployments[DEFAULT_AWARE_S3], deployments[SSE_KMS_STRICT], mutant]
    together = check_all([(d, None) for d in chosen])
    alone = [check(d) for d in chosen]
    assert [_report(u) for u in together[:2]] == [_report(u) for u in alone[:2]]
    assert together[2].refuted == alone[2].refuted == ["stored-encryption"]
    assert together[2].necessity == alone[2].necessity


def test_no_z3_object_is_left_to_the_cycle_collector(deployments):
    """check_all's threads take turns in z3's main context (solve.in_main_context), and a
    z3 object frees itself in its context when dropped: that is safe only if each is
    dropped by the thread that holds it, never by Python's cycle collector, which runs in
    whichever thread allocates. So no z3 object may sit in a reference cycle."""
    chosen = [deployments[DEFAULT_AWARE_S3], deployments[SSE_KMS_STRICT]]
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        universals = check_all([(d, None) for d in chosen])
        assert [u.refuted for u in universals] == [[], []]
        del universals
        gc.collect()
        in_cycles = [o for o in gc.garbage if type(o).__module__.startswith("z3")]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert in_cycles == []


def test_spare_contexts_are_topped_up_not_piled_up():
    """Every ProofPlugin makes contexts ahead; plugins made one after the other (as in a
    test suite) keep at most the count asked for, and each Session takes one of them."""
    first = solve.spare_contexts(3)  # 3, or more if an earlier plugin left some
    assert first >= 3 and solve.spare_contexts(3) == first
    sessions = [solve.Session([]) for _ in range(first)]
    assert solve.spare_contexts(0) == 0
    assert solve.spare_contexts(2) == 2
    sessions.append(solve.Session([]))
    assert solve.spare_contexts(0) == 1
    assert len({id(s.ctx) for s in sessions}) == len(sessions)  # none shared
