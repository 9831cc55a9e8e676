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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from proof.assembly import Deployment
from proof.paths import ROOT
from proof.requests import ENCRYPTION_CONTEXT, principal_arn, register_policies
from proof.simulate import (
    DROPPED_BY_RUN_SIMULATION,
    SimRequest,
    SimulatorError,
    request_json,
    run_node_script,
)
from proof.universal.concrete import Concrete, decide_concrete, for_action, substitution, truth
from proof.universal.model import ALG, CUSTOMER, KEY_ID, Encoded
from proof.universal.properties import POLICY_GUARD_ACTIONS
from scenarios import DEPLOY_ROLE, OTHER_ACCOUNT_ID, STORE_ACTIONS

DIFFERENTIAL_SCRIPT = ROOT / "proof" / "universal" / "differential.mjs"
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
        principal, identity = self.pick(self.principals)
        request = Concrete(action, principal, self._context(action, principal), self._object())
        return Drawn(f"{number}", request, identity)

    def _object(self) -> str:
        choices = [f"{self.enc.deployment.probe_prefix}/x", "data/y", "PROBE/x", "a?b", "probe"]
        return str(self.pick(choices))

    def _context(self, action: str, principal: str) -> dict[str, str]:
        enc, rng = self.enc, self.rng
        spec = enc.u.actions[enc.u.index(action)]
        secure = rng.random() < 0.8
        context = {"aws:SecureTransport": "true" if secure else "false"}
        if secure and spec.carries("s3:TlsVersion"):
            context["s3:TlsVersion"] = self.pick(["1.0", "1.1", "1.2", "1.3"])
        context["aws:PrincipalIsAWSService"] = "false" if principal.startswith("arn:") else "true"
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
        if action.lower() == "s3:updateobjectencryption":  # an SSE-KMS-only API
            context[ALG] = "aws:kms"
            context.setdefault(KEY_ID, self.pick(self.key_ids))
        return context


def _resource(enc: Encoded, request: Concrete) -> str:
    kind = enc.u.actions[enc.u.index(request.action)].kind
    if kind == "object":
        return f"{enc.u.bucket_arn}/{request.object_key}"
    return enc.u.bucket_arn if kind == "bucket" else str(enc.u.key_arn)


def _payload(
    tag: str, enc: Encoded, drawn: Sequence[Drawn], payload: dict[str, Any], seen: dict[str, str]
) -> None:
    """Add one deployment's policies (the offline proof's table) and requests to the payload."""
    ids = register_policies(tag, enc.deployment, payload["policies"], seen)
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


def simulate_payload(payload: dict[str, Any]) -> dict[str, str]:
    """{request id: "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied"} from iam-simulate."""
    completed = run_node_script(DIFFERENTIAL_SCRIPT, payload)
    if completed.returncode != 0:
        raise SimulatorError(f"the simulator failed: {completed.stderr.strip()[-500:]}")
    out = {}
    for line in completed.stdout.splitlines():
        result = json.loads(line)
        if "error" in result:
            raise SimulatorError(f"request {result['id']}: {result['error']}")
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


def compare(
    deployments: Mapping[str, Deployment], count: int, seed: int = 0
) -> tuple[int, list[Disagreement]]:
    """Draw `count` requests per deployment, decide them all (one Node process for all);
    returns the number decided and every disagreement."""
    payload: dict[str, Any] = {"policies": {}, "requests": []}
    seen: dict[str, str] = {}  # policy documents already in the payload
    runs = []
    for number, (tag, deployment) in enumerate(deployments.items()):
        enc = Encoded.build(deployment)
        generator = Generator(enc, seed + number)
        drawn = [generator.draw(n) for n in range(count)]
        pairs = [substitution(enc, item.request) for item in drawn]
        for item, values in zip(drawn, pairs, strict=True):  # stay inside the request model
            if not truth(for_action(enc, item.request.action, "world"), values):
                raise AssertionError(f"request outside the model: {item.request}")
        _payload(tag, enc, drawn, payload, seen)
        runs.append((tag, enc, drawn, pairs))
    simulated = simulate_payload(payload)
    out = []
    for tag, enc, drawn, pairs in runs:
        for item, values in zip(drawn, pairs, strict=True):
            mine = decide_concrete(enc, item.request, item.identity == "uploader", values)
            theirs = simulated[f"{tag}/{item.id}"]
            if mine != (theirs == "Allowed"):
                out.append(Disagreement(tag, item, mine, theirs))
    return len(simulated), out
