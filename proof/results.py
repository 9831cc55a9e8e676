"""What a proof finds: its cases, each scenario's outcome per principal, and the JSON report.

A Proof holds one deployment's outcomes; `rows` are the plain rows of scenarios.row, the
same the live probe returns, and `to_json` is the JSON report `python -m proof` writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypedDict

from encrypted_s3.assembly import Deployment
from encrypted_s3.resolve import PLACEHOLDER_ENV, Env, Templates
from encrypted_s3.vocabulary import Config
from proof import mutate
from proof.detail import step_detail
from proof.simulate import Decision, SimRequest
from scenarios import ERROR, OTHER_ACCOUNT_ID, UPLOADER, IamRequest, Row, Scenario, failed, row

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
    f"account, identity policy Allow * on *, declared neither reader nor writer), as "
    f"other-account (a role in account {OTHER_ACCOUNT_ID} with the same identity policy) "
    "and as declared-admin (the uploader's role ARN, a declared reader and writer, with "
    "the identity policy Allow * on *: what the bucket and the key allow a declared "
    "principal).",
    "Policy guard rows: deploy-role is the CloudFormation execution role of a default "
    "`cdk bootstrap` (qualifier hnb659fds) with AdministratorAccess; aws-service is a caller "
    "of this account (AdministratorAccess) for whom S3 creates a grant "
    "(kms:GrantIsForAWSResource true, kms:ViaService S3). aws:PrincipalArn of a role's "
    "session is the role's ARN. The account root, which can always delete a bucket policy, "
    "is not simulated.",
    "UpdateObjectEncryption is authorized as s3:UpdateObjectEncryption and s3:PutObject with "
    "the condition keys of the target encryption; its request is assumed to ask for the "
    "Bucket Key exactly when the bucket uses one (no condition key covers BucketKeyEnabled).",
)


class StepJson(TypedDict):
    """One IAM request of a scenario in the JSON report."""

    step: str
    action: str
    principal: str
    resource: str
    context: dict[str, str]
    decision: str
    detail: str
    runSimulation: str
    droppedContextKeys: list[str]


class ProofConfigJson(TypedDict):
    """The configuration proved; the live probe's result (probe.results.ConfigJson) has the
    same shape, and proof/live.py compares the two. (The Lambda's package is not importable
    here: only the scenario table is shared.)"""

    encryption: str
    header_policy: str


class PlaceholderJson(TypedDict):
    """The made-up environment the templates were resolved for."""

    account: str
    region: str
    partition: str


class CoverJson(TypedDict):
    sid: str
    covered_by: str


class ProofJson(TypedDict):
    """The JSON report of one proof (without what `python -m proof` adds around it)."""

    label: str
    config: ProofConfigJson
    settings: dict[str, object]
    mutations: list[str]
    placeholder: PlaceholderJson
    passed: bool
    failed: list[str]
    notes: list[str]
    defence_in_depth: list[CoverJson]
    rows: list[Row]
    steps: dict[str, dict[str, list[StepJson]]]  # {scenario: {principal: [step, ...]}}


@dataclass(frozen=True)
class Case:
    """One proof to run: a synthesized app, optionally mutated."""

    templates: Templates
    config: Config | None = None  # None: as the assembly's metadata says; else must match
    mutations: tuple[str, ...] = ()
    env: Env = PLACEHOLDER_ENV


@dataclass(frozen=True)
class Step:
    """One IAM request of a scenario and its decision."""

    request: IamRequest
    decision: Decision

    @property
    def sim(self) -> SimRequest:
        """The simulator's request, as the decision answers it."""
        return self.decision.request

    @property
    def detail(self) -> str:
        return step_detail(self.request.service, self.decision)

    def to_json(self) -> StepJson:
        d = self.decision
        return {
            "step": self.request.step,
            "action": self.sim.action,
            "principal": self.sim.principal,
            "resource": self.sim.resource,
            "context": dict(self.sim.context),
            "decision": d.effective if not d.error else ERROR,
            "detail": self.detail,
            "runSimulation": d.result,
            "droppedContextKeys": list(d.ignored),
        }


@dataclass
class Outcome:
    """One scenario as one principal: what the table expects and what the proof found."""

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
    """The outcomes of every scenario of one (possibly mutated) deployment."""

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
    def rows(self) -> list[Row]:
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

    def to_json(self) -> ProofJson:
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
            "steps": self._steps_json(),
        }

    def _steps_json(self) -> dict[str, dict[str, list[StepJson]]]:
        steps: dict[str, dict[str, list[StepJson]]] = {}
        for o in self.outcomes:
            steps.setdefault(o.scenario.name, {})[o.principal] = [s.to_json() for s in o.steps]
        return steps
