"""What S3 itself does with a write's encryption headers (see model.ASSUMPTIONS)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import z3

from proof.requests import AWS_MANAGED_S3_KEY
from proof.universal.model import (
    ALG,
    BLOCKED_SSE_C,
    CUSTOMER,
    KEY_ID,
    KMS_ALGORITHMS,
    S3_ALGORITHMS,
    Encoded,
)

SSE_C = "SSE-C"


def _equals_one_of(value: z3.ExprRef, texts: tuple[str, ...]) -> z3.BoolRef:
    return z3.Or(*[value == z3.StringVal(t) for t in texts])


def accepted(enc: Encoded) -> z3.BoolRef:
    """S3 accepts the write's headers (S3's validation and BlockedEncryptionTypes)."""
    r = enc.req
    alg, key_id, customer = (r.present[k] for k in (ALG, KEY_ID, CUSTOMER))
    alg_value = r.value[ALG]
    refuses_sse_c = enc.enable.get(BLOCKED_SSE_C, z3.BoolVal(False))
    return z3.And(
        z3.Implies(alg, _equals_one_of(alg_value, S3_ALGORITHMS)),
        z3.Implies(key_id, z3.And(alg, _equals_one_of(alg_value, KMS_ALGORITHMS))),
        z3.Not(z3.And(customer, z3.Or(alg, key_id))),
        z3.Implies(refuses_sse_c, z3.Not(customer)),
    )


def _default(rule: Mapping[str, Any]) -> tuple[str, str]:
    default = rule.get("ServerSideEncryptionByDefault", {})
    return default.get("SSEAlgorithm", "AES256"), default.get(
        "KMSMasterKeyID"
    ) or AWS_MANAGED_S3_KEY


def stored_algorithm(enc: Encoded) -> z3.SeqRef:
    r = enc.req
    algorithm, _ = _default(enc.deployment.encryption_rule)
    return z3.If(
        r.present[CUSTOMER],
        z3.StringVal(SSE_C),
        z3.If(r.present[ALG], r.value[ALG], z3.StringVal(algorithm)),
    )


def stored_key(enc: Encoded) -> z3.SeqRef:
    """The key a KMS write is stored with (a header, else aws/s3 or the bucket default)."""
    r = enc.req
    _, key = _default(enc.deployment.encryption_rule)
    fallback = z3.If(r.present[ALG], z3.StringVal(AWS_MANAGED_S3_KEY), z3.StringVal(key))
    return z3.If(r.present[KEY_ID], r.value[KEY_ID], fallback)


def project_key_names(enc: Encoded) -> tuple[str, ...]:
    """Every header value that names the project key: ARN, key id, alias, alias ARN."""
    d = enc.deployment
    if not d.key_arn:
        return ()
    names = [d.key_arn, d.key_arn.rsplit("/", 1)[-1]]
    if d.alias_name:
        prefix = d.key_arn.split(":key/")[0]
        names += [d.alias_name, f"{prefix}:{d.alias_name}"]
    return tuple(names)
