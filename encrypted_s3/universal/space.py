"""The model every proof holds in, stated whole: what a request can be, and what is left out.

Printed with every proof and written into the reports, so "proved" always reads "proved
for every request in this model" and a reader sees where the model stops.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import TypedDict

from encrypted_s3.universal.encode import PRINCIPAL_KINDS
from encrypted_s3.universal.iamdata import DATA, SERVICES, _kind
from encrypted_s3.universal.model import Encoded

PRINCIPAL_WORDS = {
    "iam": "IAM principals of any account (root, role, user) in the deployment's partition",
    "service": "AWS service principals",
    "anonymous": "anonymous (unsigned) callers, S3 only",
}
LEFT_OUT = (
    "multivalued condition keys (one value per key; no ForAnyValue/ForAllValues)",
    "KMS grants (a grant gives key use outside the key policy; the grants property keeps "
    "CreateGrant to AWS resources)",
    "STS session and federated-user ARNs as principals (a role stands for its sessions), "
    "other partitions",
    "service control, resource control and session policies, permission boundaries and VPC "
    "endpoint policies (they can only deny more)",
    "the condition keys no policy of the deployment and no property mentions",
)


class ModelJson(TypedDict):
    """The model in the JSON report."""

    actions: dict[str, int]  # "bucket", "object", "key": how many actions of each
    actions_left_out: dict[str, int]  # per service: actions on other or mixed resources
    condition_keys: list[str]
    principals: list[str]
    left_out: list[str]


def _left_out() -> dict[str, int]:
    out = {}
    for service in SERVICES:
        entries = json.loads((DATA / "actions" / f"{service}.json").read_text()).values()
        out[service] = sum(_kind(e["resourceTypes"]) is None for e in entries)
    return out


def model_json(enc: Encoded) -> ModelJson:
    kinds = Counter(a.kind for a in enc.u.actions if enc.u.key_arn or a.kind != "key")
    return {
        "actions": dict(kinds),
        "actions_left_out": _left_out(),
        "condition_keys": sorted(enc.req.present),
        "principals": [PRINCIPAL_WORDS[k] for k in PRINCIPAL_KINDS],
        "left_out": list(LEFT_OUT),
    }


def model_lines(model: ModelJson) -> list[str]:
    """The model in words, one fact a line (report.py wraps them)."""
    acts = model["actions"]
    out = model["actions_left_out"]
    counted = ", ".join(f"{n} on the {k}" for k, n in acts.items())
    return [
        f"actions: {sum(acts.values())} S3 and KMS actions ({counted}); left out: "
        + ", ".join(f"{n} {s.upper()} actions" for s, n in out.items())
        + " on other or mixed resource types (access points, jobs, Storage Lens, custom "
        "key stores, account-wide)",
        f"principals: {'; '.join(model['principals'])}",
        f"condition keys ({len(model['condition_keys'])}, one value each): "
        + ", ".join(model["condition_keys"]),
        *[f"not modelled: {item}" for item in model["left_out"]],
    ]
