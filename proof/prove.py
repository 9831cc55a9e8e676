"""Every scenario of the table, as simulator requests against the synthesized policies.

A scenario is allowed iff every IAM request it needs is allowed by the simulator and no
bucket setting outside IAM (BlockedEncryptionTypes) blocks it; an allowed write must
also be stored the way the bucket promises. Expectations come from scenarios.py only.

The steps live in their own modules: proof.requests builds the simulator's requests,
proof.simulate runs them, proof.detail names what decided, proof.results holds the
outcomes and the JSON report. This module runs them in order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from encrypted_s3.assembly import Deployment
from encrypted_s3.resolve import Templates
from encrypted_s3.vocabulary import CUSTOMER_ALGORITHM_KEY, Config
from proof import mutate
from proof.deployment import find_deployment
from proof.requests import (
    Signature,
    key_refs,
    register_policies,
    signature,
    sim_requests,
    stored_for,
    written_with,
)
from proof.results import Case, Outcome, Proof, Step
from proof.simulate import Decision, SimRequest, simulate
from scenarios import (
    ALLOWED,
    DENIED,
    ERROR,
    STORED_WRONG,
    IamRequest,
    Scenario,
    Stored,
    scenarios_for,
)


@dataclass(frozen=True)
class _Pending:
    """A scenario as one principal, its requests built, waiting for their decisions."""

    proof: Proof
    scenario: Scenario
    principal: str
    requests: list[tuple[IamRequest, SimRequest]]


def _blocked_by_setting(outcome: Outcome, deployment: Deployment) -> bool:
    """BlockedEncryptionTypes refuses SSE-C: a layer after IAM."""
    customer_key = any(CUSTOMER_ALGORITHM_KEY in s.sim.context for s in outcome.steps)
    return deployment.blocks_sse_c and customer_key


def _check_stored(outcome: Outcome, deployment: Deployment) -> None:
    """An allowed write is "stored wrong" unless S3 would store it as the bucket promises."""
    config, keys = deployment.config, key_refs(deployment)
    stored = stored_for(written_with(outcome.scenario, config), deployment, keys)
    promised = Stored.promised(config, keys)
    outcome.stored = stored.describe(keys)
    if stored != promised:
        outcome.actual = STORED_WRONG
        outcome.detail = f"promised {promised.describe(keys)}"


def decide_outcome(outcome: Outcome, deployment: Deployment) -> None:
    """Set the outcome's actual result, detail and stored encryption from its steps."""
    for index, step in enumerate(outcome.steps):
        if step.decision.error:
            outcome.actual, outcome.detail = ERROR, step.detail
            return
        if step.decision.effective != "Allowed":
            at = f" (at {step.request.step})" if index else ""
            outcome.actual, outcome.detail = DENIED, step.detail + at
            return
    if _blocked_by_setting(outcome, deployment):
        outcome.actual, outcome.detail = DENIED, "BlockedEncryptionTypes: SSE-C (bucket setting)"
        return
    outcome.actual = ALLOWED
    outcome.detail = " + ".join(
        dict.fromkeys(s.detail.removeprefix("allowed by ") for s in outcome.steps)
    )
    if outcome.scenario.writes():
        _check_stored(outcome, deployment)


def _deployment(number: int, case: Case) -> Deployment:
    """The case's deployment, checked against the configuration it claims, then mutated."""
    deployment = find_deployment(case.templates, case.env)
    if case.config is not None and case.config != deployment.config:
        raise ValueError(
            f"case {number}: expected {case.config.label}, the templates say "
            f"{deployment.config.label}"
        )
    return mutate.apply(deployment, case.mutations)


def _simulate_once(
    policies: Mapping[str, Any], pending: Sequence[_Pending]
) -> dict[Signature, Decision]:
    """Mutants of one app share most policies: each distinct request is simulated once."""
    unique: dict[Signature, SimRequest] = {}
    for waiting in pending:
        for _, sim in waiting.requests:
            unique.setdefault(signature(sim), sim)
    decisions = simulate(policies, list(unique.values()))
    return {key: decisions[sim.id] for key, sim in unique.items()}


def _outcome(waiting: _Pending, decisions: Mapping[Signature, Decision]) -> Outcome:
    expectation = waiting.scenario.expect_as(waiting.proof.config, waiting.principal)
    steps = [Step(iam, decisions[signature(sim)]) for iam, sim in waiting.requests]
    outcome = Outcome(
        waiting.scenario,
        expectation.outcome,
        expectation.because,
        steps,
        principal=waiting.principal,
    )
    decide_outcome(outcome, waiting.proof.deployment)
    return outcome


def prove_cases(cases: Sequence[Case]) -> list[Proof]:
    """Prove every case; all simulations of all cases run in ONE Node process.

    Every scenario runs once per principal it names (scenarios.PRINCIPALS: the uploader, a declared
    admin,
    an account admin, another account's admin), so a rule the uploader's own role
    happens to enforce cannot hide a gap in the bucket policy.
    """
    policies: dict[str, Any] = {}
    seen: dict[str, str] = {}
    pending: list[_Pending] = []
    proofs = []
    for number, case in enumerate(cases):
        deployment = _deployment(number, case)
        ids = register_policies(str(number), deployment, policies, seen)
        proof = Proof(tuple(case.mutations), deployment)
        proofs.append(proof)
        for scenario in scenarios_for(deployment.config):
            for principal in scenario.principals:
                requests = sim_requests(str(number), scenario, principal, deployment, ids)
                pending.append(_Pending(proof, scenario, principal, requests))
    decisions = _simulate_once(policies, pending)
    for waiting in pending:
        waiting.proof.outcomes.append(_outcome(waiting, decisions))
    return proofs


def prove_variants(variants: Mapping[Config, Templates]) -> list[Proof]:
    """One proof per variant's templates, all in one Node process."""
    return prove_cases([Case(templates, config) for config, templates in variants.items()])


__all__ = ["Case", "Outcome", "Proof", "Step", "decide_outcome", "prove_cases", "prove_variants"]
