"""Every scenario of the table, as simulator requests against the synthesized policies.

A scenario is allowed iff every IAM request it needs is allowed by the simulator and no
bucket setting outside IAM (BlockedEncryptionTypes) blocks it; an allowed write must
also be stored the way the bucket promises. Expectations come from scenarios.py only.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from proof import mutate
from proof.assembly import Deployment, Policy, find_deployment
from proof.resolve import DEFAULT_ENV, Env, Templates
from proof.simulate import Decision, Request, simulate
from scenarios import (
    ACCOUNT_ADMIN,
    ALLOWED,
    CUSTOMER_ALGORITHM_KEY,
    DENIED,
    ERROR,
    OTHER_ACCOUNT,
    STORED_WRONG,
    UPLOADER,
    Config,
    IamRequest,
    KeyRefs,
    Scenario,
    Sse,
    Stored,
    failed,
    row,
    scenarios_for,
)

ADMIN_ROLE = "AccountAdmin"
# A principal of another account with the same identity policy: nothing grants it access.
OTHER_ACCOUNT_ID = "210987654321"
OTHER_ACCOUNT_ROLE = "OtherAccountAdmin"
# The AdministratorAccess managed policy: what an account admin can do by identity.
ADMINISTRATOR_ACCESS = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "AdministratorAccess", "Effect": "Allow", "Action": "*", "Resource": "*"}
    ],
}
ENCRYPTION_CONTEXT = "kms:EncryptionContext:aws:s3:arn"
AWS_MANAGED_S3_KEY = "aws/s3"

NOTES = (
    "Multipart: UploadPart and CompleteMultipartUpload are evaluated with the encryption "
    "headers of CreateMultipartUpload (an assumption; only the live probe settles it).",
    "Foreign keys: a write naming any key but the project key's ARN (its alias, another "
    "key, aws/s3) gets no KMS request: the key is assumed usable, the worst case; only the "
    "bucket policy stands between such a write and the bucket.",
    "kms:EncryptionContext:aws:s3:arn is the bucket ARN with an S3 Bucket Key, else the "
    "object ARN. iam-simulate 0.1.173's runSimulation drops that key, so requests carrying "
    "it are decided by runUnsafeSimulation on the same input, which names no statement "
    "(marked *); on every other request both must agree.",
    "BlockedEncryptionTypes is a layer after IAM: it refuses any request with SSE-C headers.",
    "Principals: every S3 scenario runs as the uploader (its role), as account-admin (same "
    f"account, identity policy Allow * on *) and as other-account (a role in account "
    f"{OTHER_ACCOUNT_ID} with the same identity policy).",
    "UpdateObjectEncryption is authorized as s3:UpdateObjectEncryption and s3:PutObject with "
    "the condition keys of the target encryption; its request is assumed to ask for the "
    "Bucket Key exactly when the bucket uses one (no condition key covers BucketKeyEnabled).",
)


@dataclass(frozen=True)
class Case:
    """One proof to run: a synthesized app, optionally mutated."""

    templates: Templates
    config: Config | None = None  # None: as the assembly's metadata says; else must match
    mutations: tuple[str, ...] = ()
    env: Env = DEFAULT_ENV


@dataclass(frozen=True)
class Step:
    """One IAM request of a scenario and its decision."""

    request: IamRequest
    decision: Decision

    @property
    def sim(self) -> Request:
        """The simulator's request, as the decision answers it."""
        return self.decision.request

    def to_json(self) -> dict[str, Any]:
        d = self.decision
        return {
            "step": self.request.step,
            "action": self.sim.action,
            "principal": self.sim.principal,
            "resource": self.sim.resource,
            "context": dict(self.sim.context),
            "decision": d.effective if not d.error else ERROR,
            "detail": _step_detail(self),
            "runSimulation": d.result,
            "droppedContextKeys": list(d.ignored),
        }


@dataclass
class Outcome:
    scenario: Scenario
    expected: str
    because: str
    steps: list[Step]
    principal: str = UPLOADER
    actual: str = ""
    detail: str = ""
    stored: str = ""


@dataclass
class Proof:
    mutations: tuple[str, ...]
    deployment: Deployment
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def config(self) -> Config:
        return self.deployment.config

    @property
    def label(self) -> str:
        broken = f" broken by {', '.join(self.mutations)}" if self.mutations else ""
        return f"{self.config.label}{broken}"

    @property
    def rows(self) -> list[dict[str, object]]:
        return [
            row(
                o.scenario.name,
                o.scenario.seed,
                o.expected,
                o.actual,
                o.detail,
                o.stored,
                principal=o.principal,
            )
            for o in self.outcomes
        ]

    @property
    def failed(self) -> list[str]:
        return failed(self.rows)

    @property
    def passed(self) -> bool:
        return not self.failed

    def outcome(self, name: str, principal: str = UPLOADER) -> Outcome:
        for o in self.outcomes:
            if o.scenario.name == name and o.principal == principal:
                return o
        raise KeyError(f"no scenario {name!r} as {principal} in the proof of {self.label}")

    @property
    def defence_in_depth(self) -> dict[str, str]:
        """{Sid: cover} of the Deny statements whose drop alone changes no row."""
        return mutate.defence_in_depth(self.deployment)

    @property
    def notes(self) -> list[str]:
        covered = [
            f"Defence in depth: {sid}, covered by {cover} (dropping it alone changes no row)."
            for sid, cover in self.defence_in_depth.items()
        ]
        return [*NOTES, *covered, *self.deployment.notes]

    def to_json(self) -> dict[str, Any]:
        env = self.deployment.env
        return {
            # proof/live.py compares only with a report whose label is the deployed config's.
            "label": self.label,
            "config": {
                "encryption": self.config.encryption,
                "header_policy": self.config.header_policy,
            },
            "settings": dict(self.deployment.settings),
            "mutations": list(self.mutations),
            "placeholder": {
                "account": env.account,
                "region": env.region,
                "partition": env.partition,
            },
            "passed": self.passed,
            "failed": self.failed,
            "notes": self.notes,
            "defence_in_depth": [
                {"sid": sid, "covered_by": cover} for sid, cover in self.defence_in_depth.items()
            ],
            "rows": self.rows,
            # {scenario: {principal: [step, ...]}}
            "steps": self._steps_json(),
        }

    def _steps_json(self) -> dict[str, dict[str, list[dict[str, Any]]]]:
        steps: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for o in self.outcomes:
            steps.setdefault(o.scenario.name, {})[o.principal] = [s.to_json() for s in o.steps]
        return steps


# -- requests -----------------------------------------------------------------------------


def _object_arn(deployment: Deployment, scenario: Scenario, source: bool = False) -> str:
    suffix = "-source" if source else ""
    return f"{deployment.bucket_arn}/{deployment.probe_prefix}/offline/{scenario.name}{suffix}"


def stored_for(sse: Sse, deployment: Deployment, keys: KeyRefs) -> Stored:
    """How S3 would store a write with these headers: headers first, else the default."""
    rule = deployment.encryption_rule
    default = rule.get("ServerSideEncryptionByDefault", {})
    if sse.customer_key:
        return Stored("SSE-C", None, False)
    if sse.algorithm is None:
        algorithm, key = default.get("SSEAlgorithm", "AES256"), default.get("KMSMasterKeyID")
    else:
        algorithm, key = sse.algorithm, keys.arn(sse.key) if sse.key else None
    if algorithm == "AES256":
        return Stored(algorithm, None, False)
    env = deployment.env
    prefix = f"arn:{env.partition}:kms:{env.region}:{env.account}:"
    if key is None:
        key = AWS_MANAGED_S3_KEY  # aws:kms without a key id: the AWS managed key
    elif not key.startswith("arn:"):
        key = prefix + (key if key.startswith("alias/") else f"key/{key}")
    if key == keys.alias_arn and deployment.key_arn:
        key = deployment.key_arn  # S3 records the key an alias points to
    # Bucket Keys exist for SSE-KMS only; a request without the bucket-key header gets
    # the bucket's setting.
    bucket_key = algorithm == "aws:kms" and bool(rule.get("BucketKeyEnabled", False))
    return Stored(algorithm, key, bucket_key)


def _written_with(scenario: Scenario, config: Config) -> Sse:
    """The headers of the write (or, for a read, of the object read back)."""
    if not scenario.writes():
        return Sse.required(config)
    sse = scenario.sse(config)
    return sse if sse.names_encryption else Sse()


def _principal_arn(principal: str, deployment: Deployment) -> tuple[str, str]:
    """The simulated principal's ARN and account."""
    env = deployment.env
    if principal == UPLOADER:
        return deployment.role_arn, env.account
    if principal == ACCOUNT_ADMIN:
        return f"arn:{env.partition}:iam::{env.account}:role/{ADMIN_ROLE}", env.account
    if principal == OTHER_ACCOUNT:
        arn = f"arn:{env.partition}:iam::{OTHER_ACCOUNT_ID}:role/{OTHER_ACCOUNT_ROLE}"
        return arn, OTHER_ACCOUNT_ID
    raise ValueError(f"unknown principal {principal!r}")


def _requests(
    case_id: str,
    scenario: Scenario,
    principal: str,
    deployment: Deployment,
    policy_ids: Mapping[str, tuple[str, ...]],
) -> list[tuple[IamRequest, Request]]:
    config, keys, env = deployment.config, deployment.keys(), deployment.env
    principal_arn, caller_account = _principal_arn(principal, deployment)
    placeholders = {"region": env.region, "account": env.account, "caller_account": caller_account}
    stored = stored_for(_written_with(scenario, config), deployment, keys)
    out = []
    for index, iam in enumerate(scenario.iam_requests(config, keys, principal)):
        context = {k: v.format(**placeholders) for k, v in iam.context.items()}
        if iam.resource == "key":
            resource = keys.project_arn
            if "kms:ViaService" in context:
                # S3's encryption context: the bucket with a Bucket Key, else the object.
                # (A read's own object was written with the required headers: `stored`.)
                reads_source = scenario.operation == "copy" and iam.action == "kms:Decrypt"
                of = stored_for(Sse.required(config), deployment, keys) if reads_source else stored
                context[ENCRYPTION_CONTEXT] = (
                    deployment.bucket_arn
                    if of.bucket_key
                    else _object_arn(deployment, scenario, source=reads_source)
                )
            resource_policy = policy_ids.get("key", (None,))[0]
        else:
            resource = _object_arn(deployment, scenario, source=iam.resource == "source-object")
            resource_policy = policy_ids.get("bucket", (None,))[0]
        sim = Request(
            id=f"{case_id}/{scenario.name}/{principal}/{index}",
            action=iam.action,
            principal=principal_arn,
            resource=resource,
            account=env.account,
            context=context,
            identity=policy_ids["uploader" if principal == UPLOADER else "admin"],
            resource_policy=resource_policy,
        )
        out.append((iam, sim))
    return out


def _register(
    case_id: str, deployment: Deployment, policies: dict[str, Any], seen: dict[str, str]
) -> dict[str, tuple[str, ...]]:
    """Put the case's policies into the table shared by all cases; returns their ids.

    A document already registered (by an earlier case: `seen`, keyed by its JSON) keeps
    its id, so identical requests of different cases can be simulated once.
    """

    def add(kind: str, policy: Policy) -> str:
        content = f"{kind}:{json.dumps(policy.document, sort_keys=True)}"
        if content not in seen:
            seen[content] = f"{case_id}:{kind}:{policy.name}"
            policies[seen[content]] = policy.document
        return seen[content]

    ids = {
        "admin": (add("identity", Policy(ADMIN_ROLE, ADMINISTRATOR_ACCESS)),),
        "uploader": tuple(add("identity", p) for p in deployment.identity_policies),
    }
    if deployment.bucket_policy:
        ids["bucket"] = (add("bucket", deployment.bucket_policy),)
    if deployment.key_policy:
        ids["key"] = (add("key", deployment.key_policy),)
    return ids


# -- decisions ----------------------------------------------------------------------------


def _sids(statements: Iterable[Mapping[str, Any]]) -> str:
    return ", ".join(s["sid"] or f"statement #{s['index']}" for s in statements)


def _policy_label(step: Step, policy_type: str) -> str:
    if policy_type == "resource":
        return "key policy" if step.request.service == "kms" else "bucket policy"
    return f"{policy_type} policy"


def _step_detail(step: Step) -> str:
    d = step.decision
    if d.error:
        return f"simulator error: {d.error}"
    effective = d.effective
    if not d.statements_reported:
        # Decided on a context key runSimulation drops: no statement is reported (see NOTES).
        words = {"Allowed": "allowed", "ExplicitlyDenied": "explicit deny"}
        return f"{step.request.service.upper()} {words.get(effective, 'implicit deny')}*"
    if effective == "Allowed":
        return "allowed by " + _sids(d.grants) if d.grants else "allowed"
    explicit = [s for s in d.denials if s["explicit"]]
    if explicit:
        by_policy: dict[str, list] = {}
        for s in explicit:
            by_policy.setdefault(_policy_label(step, s["policy"]), []).append(s)
        return "; ".join(
            _sids(ss) if label == "bucket policy" else f"{label}: {_sids(ss)}"
            for label, ss in by_policy.items()
        )
    where = sorted({_policy_label(step, s["policy"]) for s in d.denials}) or ["any policy"]
    return f"implicit deny in {' and '.join(where)}"


def _decide(outcome: Outcome, deployment: Deployment) -> None:
    config, keys = deployment.config, deployment.keys()
    for index, step in enumerate(outcome.steps):
        if step.decision.error:
            outcome.actual, outcome.detail = ERROR, _step_detail(step)
            return
        if step.decision.effective != "Allowed":
            at = f" (at {step.request.step})" if index else ""
            outcome.actual, outcome.detail = DENIED, _step_detail(step) + at
            return
    blocked = deployment.encryption_rule.get("BlockedEncryptionTypes", {})
    blocked = blocked.get("EncryptionType", [])
    if "SSE-C" in blocked and any(CUSTOMER_ALGORITHM_KEY in s.sim.context for s in outcome.steps):
        outcome.actual, outcome.detail = DENIED, "BlockedEncryptionTypes: SSE-C (bucket setting)"
        return
    outcome.actual = ALLOWED
    outcome.detail = " + ".join(
        dict.fromkeys(_step_detail(s).removeprefix("allowed by ") for s in outcome.steps)
    )
    if outcome.scenario.writes():
        stored = stored_for(_written_with(outcome.scenario, config), deployment, keys)
        promised = Stored.promised(config, keys)
        outcome.stored = stored.describe(keys)
        if stored != promised:
            outcome.actual = STORED_WRONG
            outcome.detail = f"promised {promised.describe(keys)}"


def _signature(sim: Request) -> tuple[Any, ...]:
    """Everything a decision depends on: the request without its id."""
    context = tuple(sorted(sim.context.items()))
    return (
        sim.action,
        sim.principal,
        sim.resource,
        sim.account,
        context,
        sim.identity,
        sim.resource_policy,
    )


# -- public API ---------------------------------------------------------------------------


def prove(cases: Sequence[Case]) -> list[Proof]:
    """Prove every case; all simulations of all cases run in ONE Node process.

    Every scenario runs once per principal it names (scenarios.PRINCIPALS: the uploader,
    an account admin, another account's admin), so a rule the uploader's own role
    happens to enforce cannot hide a gap in the bucket policy.
    """
    policies: dict[str, Any] = {}
    seen: dict[str, str] = {}
    pending: list[tuple[Proof, Scenario, str, list[tuple[IamRequest, Request]]]] = []
    proofs = []
    for number, case in enumerate(cases):
        deployment = find_deployment(case.templates, case.env)
        if case.config is not None and case.config != deployment.config:
            raise ValueError(
                f"case {number}: expected {case.config.label}, the templates say "
                f"{deployment.config.label}"
            )
        deployment = mutate.apply(deployment, case.mutations)
        ids = _register(str(number), deployment, policies, seen)
        proof = Proof(tuple(case.mutations), deployment)
        proofs.append(proof)
        for scenario in scenarios_for(deployment.config):
            for principal in scenario.principals:
                requests = _requests(str(number), scenario, principal, deployment, ids)
                pending.append((proof, scenario, principal, requests))
    # Mutants of one app share most policies: each distinct request is simulated once.
    unique: dict[tuple[Any, ...], Request] = {}
    for *_, pairs in pending:
        for _, sim in pairs:
            unique.setdefault(_signature(sim), sim)
    decisions = simulate(policies, list(unique.values()))
    for proof, scenario, principal, pairs in pending:
        expectation = scenario.expect_as(proof.config, principal)
        steps = [Step(iam, decisions[unique[_signature(sim)].id]) for iam, sim in pairs]
        outcome = Outcome(
            scenario, expectation.outcome, expectation.because, steps, principal=principal
        )
        _decide(outcome, proof.deployment)
        proof.outcomes.append(outcome)
    return proofs


def prove_variants(variants: Mapping[Config, Templates]) -> list[Proof]:
    """One proof per variant's templates, all in one Node process."""
    return prove([Case(templates, config) for config, templates in variants.items()])


__all__ = [
    "ADMINISTRATOR_ACCESS",
    "Case",
    "NOTES",
    "OTHER_ACCOUNT_ID",
    "Outcome",
    "Proof",
    "Step",
    "prove",
    "prove_variants",
    "stored_for",
]
