"""The promises, as formulas whose negation the solver must find unsatisfiable.

Each property is stated in plain words (`words`) and as `violation`: a request that is
allowed yet breaks the promise. proved = no such request exists (unsat); refuted = the
solver's model is a counterexample.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import z3

from encrypted_s3 import declared as decl
from encrypted_s3.universal.declared import declared_caller, reader_here, writer_here
from encrypted_s3.universal.encode import SymbolicRequest
from encrypted_s3.universal.model import ALG, CUSTOMER, KEY_ID, Encoded
from encrypted_s3.universal.s3 import (
    accepted,
    names_project_key,
    stored_algorithm,
    stored_key,
    updates,
)
from encrypted_s3.vocabulary import STORE_ACTIONS

KEY_DATA_ACTIONS = ("kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*")
# What re-points a name of the project key (each needs the key policy's permission).
ALIAS_ACTIONS = ("kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias")
POLICY_GUARD_ACTIONS = (
    "s3:PutBucketPolicy",
    "s3:DeleteBucketPolicy",
    "s3:PutEncryptionConfiguration",
    "s3:PutReplicationConfiguration",
    "kms:PutKeyPolicy",
    *ALIAS_ACTIONS,
)
MIN_TLS = "1.2"
# The everyday reads and writes that store no object data: the encryption rules must
# leave every one of them to IAM (a Deny widened to s3:PutObject* would refuse tagging).
ORDINARY_ACTIONS = (
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:GetObjectTagging",
    "s3:GetObjectAttributes",
    "s3:PutObjectTagging",
    "s3:PutObjectVersionTagging",
    "s3:DeleteObjectTagging",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:AbortMultipartUpload",
    "s3:ListMultipartUploadParts",
    "s3:ListBucket",
    "s3:ListBucketVersions",
    "s3:ListBucketMultipartUploads",
    "s3:GetBucketLocation",
    "s3:GetEncryptionConfiguration",
)


def via_s3(enc: Encoded) -> str:
    return f"s3.{enc.deployment.env.region}.amazonaws.com"


def _acts(enc: Encoded, patterns: tuple[str, ...]) -> z3.BoolRef:
    return enc.u.in_set(enc.req.act, enc.u.matching(patterns))


def allowed(enc: Encoded) -> z3.BoolRef:
    """IAM allows the request: the key policy decides KMS actions, the bucket policy S3's."""
    return z3.If(enc.u.of_kind(enc.req.act, "key"), enc.kms.allowed, enc.s3.allowed)


def _same_account(enc: Encoded, r: SymbolicRequest | None = None) -> z3.BoolRef:
    return enc.who.in_account(r or enc.req, enc.u.account)


def _deployer(enc: Encoded, r: SymbolicRequest) -> z3.BoolRef:
    return enc.who.arn_is(r, enc.deployment.env.deploy_role_arn)


def alias_changeable(enc: Encoded) -> z3.BoolRef:
    """Some principal but the deploy role may create, re-point or delete an alias of the
    project key (a second request, so the same query can speak of it)."""
    r2 = enc.second
    acts = enc.u.in_set(r2.act, enc.u.matching(ALIAS_ACTIONS))
    return z3.And(enc.world_of(r2), acts, enc.second_kms_allowed(), z3.Not(_deployer(enc, r2)))


def _is(enc: Encoded, key: str, text: str) -> z3.BoolRef:
    return z3.And(enc.req.present[key], enc.req.value[key] == z3.StringVal(text))


def stores(enc: Encoded) -> z3.BoolRef:
    """The request stores or re-keys object data."""
    return _acts(enc, STORE_ACTIONS)


def stored_encryption(enc: Encoded) -> z3.BoolRef:
    config = enc.deployment.config
    algorithm = stored_algorithm(enc)
    wrong = algorithm != z3.StringVal(config.algorithm)
    if config.uses_kms:
        # A name from the request is resolved in the caller's account; the bucket default
        # in the bucket owner's.
        r = enc.req
        from_caller = z3.Or(r.present[KEY_ID], updates(enc))
        in_key_account = z3.If(from_caller, _same_account(enc), z3.BoolVal(True))
        fixed = z3.Not(alias_changeable(enc))
        wrong = z3.Or(wrong, z3.Not(names_project_key(enc, stored_key(enc), in_key_account, fixed)))
    return z3.And(_acts(enc, STORE_ACTIONS), allowed(enc), accepted(enc), wrong)


def no_sse_c(enc: Encoded) -> z3.BoolRef:
    return z3.And(_acts(enc, STORE_ACTIONS), allowed(enc), accepted(enc), enc.req.present[CUSTOMER])


def transport(enc: Encoded) -> z3.BoolRef:
    r = enc.req
    old_tls = z3.And(r.present["s3:tlsversion"], r.value["s3:tlsversion"] < z3.RealVal(MIN_TLS))
    insecure = z3.Or(z3.Not(r.value["aws:securetransport"]), old_tls)
    return z3.And(enc.u.of_kind(r.act, "bucket", "object"), enc.s3.allowed, insecure)


def key_use(enc: Encoded) -> z3.BoolRef:
    # From this account, or by a declared reader or writer of another (settings).
    through_s3 = z3.And(declared_caller(enc), _is(enc, "kms:viaservice", via_s3(enc)))
    return z3.And(_acts(enc, KEY_DATA_ACTIONS), enc.kms.allowed, z3.Not(through_s3))


def _secure(enc: Encoded) -> z3.BoolRef:
    r = enc.req
    return z3.And(r.value["aws:securetransport"], r.value["s3:tlsversion"] >= z3.RealVal(MIN_TLS))


def not_vacuous(enc: Encoded) -> z3.BoolRef:
    """A well-formed upload that is denied: the violation of "not vacuous"."""
    r, config, d = enc.req, enc.deployment.config, enc.deployment
    # By a declared writer of the account: no one else may write (settings writers).
    put = z3.And(r.act == enc.u.index("s3:PutObject"), writer_here(enc), _secure(enc))
    key_header = _is(enc, KEY_ID, str(d.key_arn)) if config.uses_kms else z3.Not(r.present[KEY_ID])
    required = z3.And(_is(enc, ALG, config.algorithm), key_header, z3.Not(r.present[CUSTOMER]))
    headers = [required]
    if config.header_policy == "default-aware":
        headers.append(z3.Not(z3.Or(*[r.present[k] for k in (ALG, KEY_ID, CUSTOMER)])))
    cases = [z3.And(put, h, z3.Not(z3.And(enc.s3.allowed, accepted(enc)))) for h in headers]
    # Who may: object reads a declared reader, object writes a declared writer (settings
    # readers, writers), bucket actions any principal of the account.
    who = z3.If(
        _acts(enc, decl.READ_ACTIONS),
        reader_here(enc),
        z3.If(
            _acts(enc, (*decl.WRITE_ACTIONS, *decl.DELETE_ACTIONS)),
            writer_here(enc),
            _same_account(enc),
        ),
    )
    ordinary = z3.And(_acts(enc, ORDINARY_ACTIONS), who, _secure(enc))
    cases.append(z3.And(ordinary, z3.Not(enc.s3.allowed)))
    if config.uses_kms:
        kms = _acts(enc, ("kms:GenerateDataKey", "kms:Decrypt"))
        through_s3 = z3.And(writer_here(enc), _is(enc, "kms:viaservice", via_s3(enc)))
        cases.append(z3.And(kms, through_s3, z3.Not(enc.kms.allowed)))
    return z3.Or(*cases)


def guard(enc: Encoded) -> z3.BoolRef:
    deployer = _deployer(enc, enc.req)
    return z3.And(_acts(enc, POLICY_GUARD_ACTIONS), allowed(enc), z3.Not(deployer))


def grants(enc: Encoded) -> z3.BoolRef:
    """A grant on the project key that is neither for an AWS resource nor by a service."""
    r = enc.req
    for_aws = z3.And(r.present["kms:grantisforawsresource"], r.value["kms:grantisforawsresource"])
    return z3.And(_acts(enc, ("kms:CreateGrant",)), enc.kms.allowed, z3.Not(for_aws), r.p_iam)


@dataclass(frozen=True)
class Property:
    id: str
    number: int
    title: str
    words: Callable[[Encoded], str]
    violation: Callable[[Encoded], z3.BoolRef]
    policies: tuple[str, ...]  # the policies whose Deny statements it depends on
    applies: Callable[[Encoded], bool] = lambda enc: True
    wanted: str = "denied"  # the counterexample is a request that was "allowed" / "denied"
    notes: Callable[[Encoded], list[str]] = lambda enc: []
    # The actions its violation speaks of (None: any): a Deny on none of them cannot
    # change the answer, so the necessity check skips that question.
    actions: tuple[str, ...] | None = None


def _untold_tls(enc: Encoded) -> list[str]:
    names = [
        a.name
        for a in enc.u.actions
        if a.kind in ("bucket", "object") and not a.carries("s3:TlsVersion")
    ]
    if not names:
        return []
    return [
        f"AWS lists no s3:TlsVersion for {', '.join(names)} (permission-only actions): for "
        "them only the HTTP half can be enforced by a policy."
    ]


STORE_NOTE = (
    "s3:BypassGovernanceRetention carries the encryption keys but stores nothing itself: it "
    "accompanies a PutObject authorized with the same headers, so it is not a store action."
)


def _stored_words(enc: Encoded) -> str:
    config = enc.deployment.config
    key = " with the project key" if config.uses_kms else ""
    return (
        f"every request by any principal for {', '.join(STORE_ACTIONS)} is denied, or S3 "
        f"stores the object as {config.algorithm}{key}"
    )


def _vacuous_words(enc: Encoded) -> str:
    config = enc.deployment.config
    headers = f"{config.algorithm}" + (" + the project key ARN" if config.uses_kms else "")
    also = " (and without any encryption header)" if config.header_policy == "default-aware" else ""
    kms = (
        "; KMS GenerateDataKey and Decrypt through S3 for it are allowed" if config.uses_kms else ""
    )
    return (
        f"a PutObject over TLS >= {MIN_TLS} with {headers}{also} by a declared writer of the "
        f"account with the worst-case identity is allowed and accepted by S3; so is every "
        f"request for {', '.join(ORDINARY_ACTIONS)} (any headers the action carries) by a "
        f"declared reader (reads), a declared writer (writes) or a principal of the account "
        f"(bucket actions){kms}"
    )


PROPERTIES = (
    Property(
        "stored-encryption",
        1,
        "Stored encryption",
        _stored_words,
        stored_encryption,
        ("bucket policy", "key policy"),
        notes=lambda enc: [STORE_NOTE],
        actions=(*STORE_ACTIONS, *ALIAS_ACTIONS),
    ),
    Property(
        "no-sse-c",
        2,
        "No SSE-C",
        lambda enc: "no request stores an object with a customer-provided key (SSE-C)",
        no_sse_c,
        ("bucket policy",),
        actions=STORE_ACTIONS,
    ),
    Property(
        "transport",
        3,
        "Transport",
        lambda enc: (
            f"every S3 request on the bucket or its objects over HTTP or TLS < {MIN_TLS} is denied"
        ),
        transport,
        ("bucket policy",),
        notes=_untold_tls,
    ),
    Property(
        "key-use",
        4,
        "Key use only through S3",
        lambda enc: (
            "every Encrypt, Decrypt, ReEncrypt*, GenerateDataKey* on the project key by any "
            f"principal (account root and key administrators included) is denied unless it "
            f"comes through {via_s3(enc)} from account {enc.u.account} or a declared reader "
            "or writer"
        ),
        key_use,
        ("key policy",),
        actions=KEY_DATA_ACTIONS,
        applies=lambda enc: enc.deployment.key_arn is not None,
    ),
    Property(
        "not-vacuous",
        5,
        "Not vacuous",
        _vacuous_words,
        not_vacuous,
        ("bucket policy", "key policy"),
        wanted="allowed",
    ),
    Property(
        "guard",
        6,
        "Policy guard",
        lambda enc: (
            "only the deploy role can change the bucket policy, the bucket encryption or "
            "replication configuration, the key policy, or the project key's aliases "
            "(CreateAlias, UpdateAlias, DeleteAlias)"
        ),
        guard,
        ("bucket policy", "key policy"),
        actions=POLICY_GUARD_ACTIONS,
        applies=lambda enc: bool(enc.deployment.settings.get("guard_policies")),
    ),
    Property(
        "grants",
        7,
        "Grants only for AWS resources",
        lambda enc: (
            "every kms:CreateGrant on the project key is denied unless an AWS service asks "
            "for it on behalf of an AWS resource (kms:GrantIsForAWSResource true), so no "
            "principal can hand itself or others a way around the key policy"
        ),
        grants,
        ("key policy",),
        actions=("kms:CreateGrant",),
        applies=lambda enc: enc.deployment.key_arn is not None,
    ),
)
