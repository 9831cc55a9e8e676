"""Trust the encoding only as far as it is checked: random requests, two deciders.

Each request is decided by the encoding (its formulas with the values substituted,
concrete.py) and by @cloud-copilot/iam-simulate (all requests of a run in ONE Node
process). Same-account and other-account principals get the worst-case identity policy
(Allow * on *), the uploader its real policies, a service principal none. Requests
carrying kms:EncryptionContext:aws:s3:arn, which runSimulation drops, are decided by
runUnsafeSimulation on the same input; any other dropped key is a failure.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from encrypted_s3.assembly import Deployment
from encrypted_s3.universal.concrete import (
    ANONYMOUS,
    Concrete,
    decide_concrete,
    for_action,
    outside_model,
    substitution,
    truth,
)
from encrypted_s3.universal.model import ALG, CUSTOMER, KEY_ID, Encoded
from encrypted_s3.universal.properties import POLICY_GUARD_ACTIONS
from encrypted_s3.vocabulary import STORE_ACTIONS
from proof.paths import ROOT
from proof.requests import ENCRYPTION_CONTEXT, principal_arn, register_policies
from proof.simulate import (
    DROPPED_BY_RUN_SIMULATION,
    SimRequest,
    SimulatorError,
    request_json,
    run_node_script,
)
from scenarios import DEPLOY_ROLE, OTHER_ACCOUNT_ID

DIFFERENTIAL_SCRIPT = ROOT / "proof" / "differential.mjs"
EDGE_RATE = 0.03
NOT_BOOLEAN = ("0", "1", "", "yes", "TRUE ")
FAVOURITES = (
    *STORE_ACTIONS,
    "s3:GetObject",
    "s3:DeleteObject",
    "s3:ListBucket",
    "s3:BypassGovernanceRetention",
    *POLICY_GUARD_ACTIONS,
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:ReEncryptFrom",
    "kms:CreateGrant",
)


@dataclass(frozen=True)
class Drawn:
    id: str
    request: Concrete
    identity: str  # "uploader", "worst-case" or "none"


class Generator:
    """Seeded random requests with the edge values IAM and S3 disagree on most."""

    def __init__(self, enc: Encoded, seed: int) -> None:
        self.enc, self.rng = enc, random.Random(seed)
        d, account = enc.deployment, enc.u.account
        self.actions = [a.name for a in enc.u.actions if d.key_arn or a.kind != "key"]
        self.favourites = [
            a for a in FAVOURITES if a.lower() in enc.u.by_name and a in self.actions
        ]
        self.principals = [
            (d.role_arn, "uploader"),
            (f"arn:aws:iam::{account}:role/AccountAdmin", "worst-case"),
            (f"arn:aws:iam::{account}:root", "worst-case"),
            (principal_arn(DEPLOY_ROLE, enc.deployment)[0], "worst-case"),
            *[(a, "worst-case") for a in d.settings.get("key_admins", [])],
            (f"arn:aws:iam::{OTHER_ACCOUNT_ID}:role/Other", "worst-case"),
            (f"arn:aws:iam::{OTHER_ACCOUNT_ID}:root", "worst-case"),
            ("s3.amazonaws.com", "none"),
            (ANONYMOUS, "none"),
        ]
        key = d.key_arn or f"arn:aws:kms:{d.env.region}:{account}:key/absent"
        prefix = key.split(":key/")[0]
        alias = d.alias_name or "alias/none"
        self.key_ids = [key, key.rsplit("/", 1)[-1], alias, f"{prefix}:{alias}", key.upper()]
        self.key_ids += [f"{prefix}:key/00000000-0000-4000-8000-000000000000", "", "aws/s3"]

    def pick(self, values: Sequence[Any]) -> Any:
        return values[self.rng.randrange(len(values))]

    def draw(self, number: int) -> Drawn:
        rng = self.rng
        action = self.pick(self.favourites if rng.random() < 0.7 else self.actions)
        principals = self.principals
        if action.startswith("kms:"):  # KMS takes signed requests only
            principals = [p for p in principals if p[0] != ANONYMOUS]
        principal, identity = self.pick(principals)
        request = Concrete(action, principal, self._context(action, principal), self._object())
        return Drawn(f"{number}", request, identity)

    def _object(self) -> str:
        prefix = self.enc.deployment.probe_prefix
        choices = [f"{prefix}/x", "data/y", "PROBE/x", "a?b", "probe", "*", f"{prefix}/*", "a b"]
        return str(self.pick(choices))

    def _context(self, action: str, principal: str) -> dict[str, str]:
        enc, rng = self.enc, self.rng
        spec = enc.u.actions[enc.u.index(action)]
        secure = rng.random() < 0.8
        context = {"aws:SecureTransport": "true" if secure else "false"}
        if rng.random() < EDGE_RATE:  # AWS never sends these: the request check refuses them
            context["aws:SecureTransport"] = self.pick(NOT_BOOLEAN)
        if secure and spec.carries("s3:TlsVersion"):
            context["s3:TlsVersion"] = self.pick(["1.0", "1.1", "1.2", "1.3"])
        if principal != ANONYMOUS:  # only signed requests carry it
            context["aws:PrincipalIsAWSService"] = (
                "false" if principal.startswith("arn:") else "true"
            )
        if principal.startswith("arn:"):
            context["aws:PrincipalArn"] = principal
            context["aws:PrincipalAccount"] = principal.split(":")[4]
            if spec.carries("kms:CallerAccount"):
                context["kms:CallerAccount"] = principal.split(":")[4]
        region = enc.deployment.env.region
        optional = {
            "kms:ViaService": [
                f"s3.{region}.amazonaws.com",
                "s3.us-east-1.amazonaws.com",
                f"S3.{region.upper()}.AMAZONAWS.COM",
                f"ec2.{region}.amazonaws.com",
            ],
            ENCRYPTION_CONTEXT: [
                enc.u.bucket_arn,
                f"{enc.u.bucket_arn}/data/y",
                "arn:aws:s3:::other",
            ],
            "s3:prefix": ["probe/", "probe/x", "other/", ""],
            ALG: ["AES256", "aws:kms", "aws:kms:dsse", "AWS:KMS", "", "aws:kms "],
            KEY_ID: self.key_ids,
            CUSTOMER: ["AES256", ""],
            "kms:GrantIsForAWSResource": ["true", "false"],
        }
        for key, values in optional.items():
            if spec.carries(key) and rng.random() < 0.6:
                context[key] = self.pick(values)
        if action.lower() == "s3:updateobjectencryption" and rng.random() < 0.5:
            context[ALG] = "aws:kms"  # its body names SSE-KMS; the keys may be absent
            context.setdefault(KEY_ID, self.pick(self.key_ids))
        return context


def _resource(enc: Encoded, request: Concrete) -> str:
    kind = enc.u.actions[enc.u.index(request.action)].kind
    if kind == "object":
        return f"{enc.u.bucket_arn}/{request.object_key}"
    return enc.u.bucket_arn if kind == "bucket" else str(enc.u.key_arn)


def _payload(
    tag: str,
    enc: Encoded,
    drawn: Sequence[Drawn],
    payload: dict[str, Any],
    seen: dict[str, str],
    simulated: Deployment,
) -> None:
    """Add one deployment's policies (the offline proof's table) and requests to the payload."""
    ids = register_policies(tag, simulated, payload["policies"], seen)
    identities = {"uploader": ids["uploader"], "worst-case": ids["admin"], "none": ()}
    for item in drawn:
        r = item.request
        kms = r.action.lower().startswith("kms:")
        sim = SimRequest(
            id=f"{tag}/{item.id}",
            action=r.action,
            principal=r.principal,
            resource=_resource(enc, r),
            account=enc.u.account,
            context=dict(r.context),
            identity=identities[item.identity],
            resource_policy=ids.get("key" if kms else "bucket", (None,))[0],
        )
        payload["requests"].append(request_json(sim))


# Requests iam-simulate cannot decide, and why that is the simulator's limit, not a
# disagreement: (a test on the request, the explanation).
def _star_in_key(request: Concrete) -> bool:
    return "*" in request.object_key


SIMULATOR_LIMITS: tuple[tuple[Callable[[Concrete], bool], str], ...] = (
    (
        _star_in_key,
        "iam-simulate rejects a resource ARN with '*' in it (it reads it as a pattern); to "
        "S3 '*' is an ordinary character of an object key",
    ),
)


def simulate_payload(payload: dict[str, Any]) -> dict[str, str]:
    """{request id: "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied" | "error: ..."}."""
    completed = run_node_script(DIFFERENTIAL_SCRIPT, payload)
    if completed.returncode != 0:
        raise SimulatorError(f"the simulator failed: {completed.stderr.strip()[-500:]}")
    out = {}
    for line in completed.stdout.splitlines():
        result = json.loads(line)
        if "error" in result:
            out[result["id"]] = f"error: {result['error']}"
            continue
        unexpected = set(result["ignored"]) - DROPPED_BY_RUN_SIMULATION
        if unexpected:
            raise SimulatorError(
                f"request {result['id']}: iam-simulate ignored {sorted(unexpected)}"
            )
        out[result["id"]] = result.get("unsafe", result["result"])
    return out


@dataclass(frozen=True)
class Disagreement:
    variant: str
    drawn: Drawn
    encoding: bool
    simulator: str

    def describe(self) -> str:
        r = self.drawn.request
        return (
            f"{self.variant}: {r.action} by {r.principal} ({self.drawn.identity} identity) "
            f"on object {r.object_key!r} with {dict(r.context)}: encoding "
            f"{'allows' if self.encoding else 'denies'}, iam-simulate says {self.simulator}"
        )


@dataclass
class Comparison:
    """The outcome of one differential run."""

    decided: int = 0  # by both deciders
    disagreements: list[Disagreement] = field(default_factory=list)
    outside: list[tuple[Drawn, str]] = field(default_factory=list)  # refused by the check
    simulator_limits: list[tuple[Drawn, str]] = field(default_factory=list)  # explained


def compare(
    deployments: Mapping[str, Deployment],
    count: int,
    seed: int = 0,
    *,
    simulated_as: Mapping[str, Deployment] | None = None,
) -> Comparison:
    """Draw `count` requests per deployment, decide them all (one Node process for all).

    A drawn request outside the request model (outside_model) is refused, counted and not
    decided; one iam-simulate cannot decide for a reason in SIMULATOR_LIMITS is counted
    with that reason; any other simulator error stops the run. `simulated_as` gives
    iam-simulate another deployment's policies for a tag (a test of the check itself;
    default: the same)."""
    payload: dict[str, Any] = {"policies": {}, "requests": []}
    seen: dict[str, str] = {}  # policy documents already in the payload
    runs = []
    found = Comparison()
    for number, (tag, deployment) in enumerate(deployments.items()):
        enc = Encoded.build(deployment)
        generator = Generator(enc, seed + number)
        drawn = []
        for n in range(count):
            item = generator.draw(n)
            reason = outside_model(item.request)
            if reason:
                found.outside.append((item, reason))
            else:
                drawn.append(item)
        pairs = [substitution(enc, item.request) for item in drawn]
        for item, values in zip(drawn, pairs, strict=True):  # stay inside the request model
            if not truth(for_action(enc, item.request.action, "world"), values):
                raise AssertionError(f"request outside the model: {item.request}")
        _payload(tag, enc, drawn, payload, seen, (simulated_as or {}).get(tag, deployment))
        runs.append((tag, enc, drawn, pairs))
    simulated = simulate_payload(payload)
    for tag, enc, drawn, pairs in runs:
        for item, values in zip(drawn, pairs, strict=True):
            theirs = simulated[f"{tag}/{item.id}"]
            if theirs.startswith("error: "):
                why = next((w for test, w in SIMULATOR_LIMITS if test(item.request)), None)
                if why is None:
                    raise SimulatorError(f"request {tag}/{item.id}: {theirs}")
                found.simulator_limits.append((item, why))
                continue
            found.decided += 1
            mine = decide_concrete(enc, item.request, item.identity == "uploader", values)
            if mine != (theirs == "Allowed"):
                found.disagreements.append(Disagreement(tag, item, mine, theirs))
    return found
