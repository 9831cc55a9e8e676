"""What S3 itself does with a write's encryption headers (see model.ASSUMPTIONS)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import z3

from encrypted_s3.universal.model import (
    ALG,
    BLOCKED_SSE_C,
    CUSTOMER,
    KEY_ID,
    KMS_ALGORITHMS,
    S3_ALGORITHMS,
    Encoded,
)
from encrypted_s3.vocabulary import AWS_MANAGED_S3_KEY

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


def stored_bucket_key(deployment: Any, algorithm: str, header: bool | None) -> bool:
    """Whether S3 uses a Bucket Key: only for aws:kms (DSSE-KMS has none); the request's
    header, else the bucket's setting."""
    if algorithm != "aws:kms":
        return False
    if header is not None:
        return header
    return bool(deployment.encryption_rule.get("BucketKeyEnabled", False))


def updates(enc: Encoded) -> z3.BoolRef:
    if "s3:updateobjectencryption" not in enc.u.by_name:
        return z3.BoolVal(False)
    return enc.req.act == enc.u.index("s3:UpdateObjectEncryption")


# UpdateObjectEncryption's body always names SSE-KMS and a key; whether S3 copies them into
# the request context only AWS can tell, so without the key id condition key the key is
# any key at all (the worst case).
UPDATE_BODY_KEY = z3.String("the key an UpdateObjectEncryption body names")


def stored_algorithm(enc: Encoded) -> z3.SeqRef:
    r = enc.req
    algorithm, _ = _default(enc.deployment.encryption_rule)
    header = z3.If(r.present[ALG], r.value[ALG], z3.StringVal(algorithm))
    return z3.If(
        r.present[CUSTOMER],
        z3.StringVal(SSE_C),
        z3.If(updates(enc), z3.StringVal("aws:kms"), header),
    )


def stored_key(enc: Encoded) -> z3.SeqRef:
    """The key a KMS write is stored with (a header, else aws/s3 or the bucket default),
    as the header names it (see names_project_key for what a name means)."""
    r = enc.req
    _, key = _default(enc.deployment.encryption_rule)
    fallback = z3.If(r.present[ALG], z3.StringVal(AWS_MANAGED_S3_KEY), z3.StringVal(key))
    fallback = z3.If(updates(enc), UPDATE_BODY_KEY, fallback)
    return z3.If(r.present[KEY_ID], r.value[KEY_ID], fallback)


@dataclass(frozen=True)
class KeyNames:
    """The names of the project key, and who they name it for (how AWS resolves them)."""

    arn: str  # names the key for every caller
    key_id: str  # resolved in the caller's account
    alias: str | None  # alias/NAME: resolved in the caller's account, and re-pointable
    alias_arn: str | None  # names the alias of the key's account, for every caller

    @staticmethod
    def of(enc: Encoded) -> KeyNames | None:
        d = enc.deployment
        if not d.key_arn:
            return None
        prefix = d.key_arn.split(":key/")[0]
        alias_arn = f"{prefix}:{d.alias_name}" if d.alias_name else None
        return KeyNames(d.key_arn, d.key_arn.rsplit("/", 1)[-1], d.alias_name, alias_arn)

    @property
    def account(self) -> str:
        return self.arn.split(":")[4]

    def all(self) -> tuple[str, ...]:
        return tuple(n for n in (self.arn, self.key_id, self.alias, self.alias_arn) if n)


def names_project_key(
    enc: Encoded, name: z3.ExprRef, in_key_account: z3.BoolRef, alias_fixed: z3.BoolRef
) -> z3.BoolRef:
    """Does the key id `name` name the project key, for a caller `in_key_account` or not?

    Only the full key ARN names one key for every caller; a bare key id or an alias name
    is resolved in the caller's account; an alias names the project key only while no one
    can re-point it (`alias_fixed`).
    """
    names = KeyNames.of(enc)
    if names is None:
        return z3.BoolVal(False)
    terms = [name == z3.StringVal(names.arn)]
    terms.append(z3.And(in_key_account, name == z3.StringVal(names.key_id)))
    if names.alias and names.alias_arn:
        alias = z3.Or(
            z3.And(in_key_account, name == z3.StringVal(names.alias)),
            name == z3.StringVal(names.alias_arn),
        )
        terms.append(z3.And(alias_fixed, alias))
    return z3.Or(*terms)
