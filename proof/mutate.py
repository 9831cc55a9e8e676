"""Named mutations of the synthesized policies: show that the proof can fail.

The tests and `python -m proof --break NAME` use the same functions. Each mutation
returns a changed copy of a Deployment and raises MutationError when it finds nothing to
change, so a typo can never pass for a policy that survives the mutation.

    drop:SID          remove the statement with that Sid (bucket, key or identity policy)
    drop-null-guard   remove the `Null <key> false` guard from each default-aware statement
    ifexists          StringNotEquals -> StringNotEqualsIfExists in the bucket policy: an
                      EQUIVALENT mutant (both match when the key is missing), must still pass
    blog-ifexists     the common blog pattern: ifexists and no Null guard
    drop-via-service  remove the key policy's Deny conditioned on kms:ViaService
    accept-alias      DenyWrongKmsKey also accepts the alias NAME (alias/...), which AWS
                      resolves in the caller's account
    allow-partner     the bucket policy lets another account's role (a partner, declared a
                      writer) PutObject
    widen-to-put-star the header denies act on s3:PutObject* (PutObjectTagging, PutObjectAcl,
                      ... refused too): safe, but the uploader can no longer tag its objects
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import fnmatch
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from encrypted_s3.assembly import Deployment, Policy
from encrypted_s3.vocabulary import KMS_KEY_ID_KEY as KMS_KEY_ID
from scenarios import OTHER_ACCOUNT_ID as PARTNER  # the account allow-partner lets in

StatementJson = dict[str, Any]  # one statement of a policy document, as JSON

NULL_GUARDED_OPERATORS = (
    "StringNotEquals",
    "StringNotEqualsIgnoreCase",
    "ArnNotEquals",
    "ArnNotLike",
)


class MutationError(ValueError):
    pass


# Deny statements whose drop ALONE changes no row of the proof, because another statement
# or a bucket setting already decides every request they match: (variant, Sid) -> cover.
# The variant is an fnmatch pattern on Config.label ("<encryption>/<header policy>").
# Each is kept as a second line of defence; tests prove every listed one redundant and
# every other Deny of every variant caught (tests/proof/test_proof_necessity.py).
DEFENCE_IN_DEPTH: dict[tuple[str, str], str] = {
    ("*/*", "DenySseC"): (
        "BlockedEncryptionTypes (SSE-C), a bucket setting that refuses every request with "
        "SSE-C headers (in strict mode also DenyMissingEncryptionHeader and "
        "DenyWrongEncryptionAlgorithm: SSE-C sends no x-amz-server-side-encryption)"
    ),
    ("*/strict", "DenyMissingEncryptionHeader"): (
        "DenyWrongEncryptionAlgorithm, whose StringNotEquals also matches a request without "
        "the header"
    ),
    # UpdateObjectEncryption also needs s3:PutObject, which the proof authorizes with the
    # target's encryption keys (aws:kms): DenyWrongEncryptionAlgorithm then refuses it.
    # Whether S3 sends those keys there only AWS can tell: if not, this statement alone
    # stops the re-key.
    **{
        (variant, "DenyUpdateObjectEncryption"): (
            "DenyWrongEncryptionAlgorithm on the s3:PutObject authorization that "
            "UpdateObjectEncryption also needs, as far as S3 evaluates it with the target's "
            "encryption keys (an assumption; this statement does not depend on it)"
        )
        for variant in ("sse-s3/*", "dsse-kms/*")
    },
    ("*kms/*", "DenyDataUseFromOtherAccounts"): (
        "the key policy granting data use to this account only (EnableAccountRootAccess: a "
        "caller from another account needs an allow in the key policy) and the bucket policy "
        "granting nothing to another account"
    ),
}


# Deny statements no scenario can exercise, because the request they refuse is one AWS's
# API cannot be made to send on purpose; the universal proof shows each is needed.
# (variant pattern, Sid) -> the property that needs it, and why the table cannot.
UNIVERSAL_ONLY: dict[tuple[str, str], tuple[str, str]] = {
    ("sse-kms/default-aware", "DenyUpdateObjectEncryptionWithoutKeyId"): (
        "stored-encryption",
        "an UpdateObjectEncryption body always names a key ARN; whether S3 puts it in the "
        "request context only AWS can tell, and without it the Null guards let any key through",
    ),
}


T = TypeVar("T")


def _listed(deployment: Deployment, table: Mapping[tuple[str, str], T]) -> dict[str, T]:
    """{Sid: entry} of the deployment's Denies that `table` lists for its variant pattern."""
    label = deployment.config.label
    present = deny_sids(deployment)
    return {
        sid: entry
        for (variant, sid), entry in table.items()
        if sid in present and fnmatch.fnmatchcase(label, variant)
    }


def universal_only(deployment: Deployment) -> dict[str, tuple[str, str]]:
    """{Sid: (property, why)} of the deployment's Denies listed in UNIVERSAL_ONLY."""
    return _listed(deployment, UNIVERSAL_ONLY)


def _statements(policy: Policy | None) -> list[StatementJson]:
    if policy is None:
        return []
    statements = policy.document.get("Statement", [])
    return statements if isinstance(statements, list) else [statements]


def _edit(policy: Policy, edit: Callable[[list[StatementJson]], list[StatementJson]]) -> Policy:
    """A copy of the policy whose statements went through `edit`."""
    document = copy.deepcopy(policy.document)
    document["Statement"] = edit(_statements(Policy(policy.name, document)))
    return Policy(policy.name, document)


def _edit_optional(
    policy: Policy | None, edit: Callable[[list[StatementJson]], list[StatementJson]]
) -> Policy | None:
    return None if policy is None else _edit(policy, edit)


def drop_sid(deployment: Deployment, sid: str) -> Deployment:
    def keep(statements: list[StatementJson]) -> list[StatementJson]:
        return [s for s in statements if s.get("Sid") != sid]

    policies = [deployment.bucket_policy, deployment.key_policy, *deployment.identity_policies]
    if not any(s.get("Sid") == sid for p in policies for s in _statements(p)):
        raise MutationError(f"drop:{sid}: no statement has Sid {sid}")
    return dataclasses.replace(
        deployment,
        bucket_policy=_edit_optional(deployment.bucket_policy, keep),
        key_policy=_edit_optional(deployment.key_policy, keep),
        identity_policies=tuple(_edit(p, keep) for p in deployment.identity_policies),
    )


def deny_sids(deployment: Deployment) -> tuple[str, ...]:
    """The Sids of every Deny statement of the bucket policy and the key policy, in order."""
    return tuple(
        s["Sid"]
        for policy in (deployment.bucket_policy, deployment.key_policy)
        for s in _statements(policy)
        if s.get("Effect") == "Deny" and s.get("Sid")
    )


def defence_in_depth(deployment: Deployment) -> dict[str, str]:
    """{Sid: cover} of the deployment's Deny statements listed in DEFENCE_IN_DEPTH."""
    return _listed(deployment, DEFENCE_IN_DEPTH)


def single_drops(deployment: Deployment) -> tuple[str, ...]:
    """One `drop:SID` mutation per Deny statement of the bucket and the key policy."""
    return tuple(f"drop:{sid}" for sid in deny_sids(deployment))


def _guarded_keys(statement: StatementJson) -> set[str]:
    """Keys a negated operator tests and a `Null key false` guard protects."""
    condition = statement.get("Condition", {})
    negated = {
        k for op, block in condition.items() if op.startswith(NULL_GUARDED_OPERATORS) for k in block
    }
    nulls = condition.get("Null", {})
    return {k for k in negated if str(nulls.get(k)).lower() == "false"}


def drop_null_guard(deployment: Deployment, *, required: bool = True) -> Deployment:
    def unguard(statements: list[StatementJson]) -> list[StatementJson]:
        for statement in statements:
            keys = _guarded_keys(statement)
            if keys:
                nulls = statement["Condition"]["Null"]
                for key in keys:
                    del nulls[key]
                if not nulls:
                    del statement["Condition"]["Null"]
        return statements

    if required and not any(_guarded_keys(s) for s in _statements(deployment.bucket_policy)):
        raise MutationError("drop-null-guard: the bucket policy has no Null guard (strict?)")
    return dataclasses.replace(
        deployment, bucket_policy=_edit_optional(deployment.bucket_policy, unguard)
    )


def if_exists(deployment: Deployment) -> Deployment:
    def rename(statements: list[StatementJson]) -> list[StatementJson]:
        for statement in statements:
            condition = statement.get("Condition", {})
            if "StringNotEquals" in condition:
                condition["StringNotEqualsIfExists"] = condition.pop("StringNotEquals")
        return statements

    if not any(
        "StringNotEquals" in s.get("Condition", {}) for s in _statements(deployment.bucket_policy)
    ):
        raise MutationError("ifexists: the bucket policy has no StringNotEquals condition")
    return dataclasses.replace(
        deployment, bucket_policy=_edit_optional(deployment.bucket_policy, rename)
    )


def blog_if_exists(deployment: Deployment) -> Deployment:
    return drop_null_guard(if_exists(deployment), required=False)


def drop_via_service(deployment: Deployment) -> Deployment:
    def is_via_service_deny(statement: StatementJson) -> bool:
        condition = statement.get("Condition", {})
        tested = {k.lower() for block in condition.values() for k in block}
        return statement.get("Effect") == "Deny" and "kms:viaservice" in tested

    if not any(is_via_service_deny(s) for s in _statements(deployment.key_policy)):
        raise MutationError("drop-via-service: no key policy Deny on kms:ViaService")
    return dataclasses.replace(
        deployment,
        key_policy=_edit_optional(
            deployment.key_policy, lambda ss: [s for s in ss if not is_via_service_deny(s)]
        ),
    )


def _edit_bucket(
    deployment: Deployment, name: str, edit: Callable[[list[StatementJson]], bool]
) -> Deployment:
    """The deployment with its bucket policy edited in place by `edit` (True: changed)."""
    if deployment.bucket_policy is None:
        raise MutationError(f"{name}: the deployment has no bucket policy")
    changed: list[bool] = []

    def run(statements: list[StatementJson]) -> list[StatementJson]:
        changed.append(edit(statements))
        return statements

    policy = _edit(deployment.bucket_policy, run)
    if not changed[0]:
        raise MutationError(f"{name}: nothing to change in the bucket policy")
    return dataclasses.replace(deployment, bucket_policy=policy)


def accept_alias(deployment: Deployment) -> Deployment:
    alias = deployment.alias_name

    def edit(statements: list[StatementJson]) -> bool:
        found = False
        for s in statements:
            block = s.get("Condition", {}).get("StringNotEquals", {})
            if s.get("Sid") == "DenyWrongKmsKey" and alias and KMS_KEY_ID in block:
                values = block[KMS_KEY_ID]
                block[KMS_KEY_ID] = [*(values if isinstance(values, list) else [values]), alias]
                found = True
        return found

    return _edit_bucket(deployment, "accept-alias", edit)


def allow_partner(deployment: Deployment) -> Deployment:
    # The partner's role, declared a writer (settings writers): the write fence lets it by.
    partner = f"arn:{deployment.env.partition}:iam::{PARTNER}:role/PartnerUploads"

    def edit(statements: list[StatementJson]) -> bool:
        for s in statements:
            if s.get("Sid") == "DenyObjectWritesByUndeclared":
                arns = s["Condition"]["ArnNotEquals"]["aws:PrincipalArn"]
                arns = arns if isinstance(arns, list) else [arns]
                s["Condition"]["ArnNotEquals"]["aws:PrincipalArn"] = [*arns, partner]
        statements.append(
            {
                "Sid": "AllowPartnerUploads",
                "Effect": "Allow",
                "Principal": {"AWS": partner},
                "Action": "s3:PutObject",
                "Resource": f"{deployment.bucket_arn}/*",
            }
        )
        return True

    return _edit_bucket(deployment, "allow-partner", edit)


def widen_to_put_star(deployment: Deployment) -> Deployment:
    def edit(statements: list[StatementJson]) -> bool:
        found = False
        for s in statements:
            actions = s.get("Action")
            listed = actions if isinstance(actions, list) else [actions]
            if s.get("Effect") == "Deny" and "s3:PutObject" in listed:
                s["Action"] = ["s3:PutObject*" if a == "s3:PutObject" else a for a in listed]
                found = True
        return found

    return _edit_bucket(deployment, "widen-to-put-star", edit)


_SIMPLE: dict[str, Callable[[Deployment], Deployment]] = {
    "drop-null-guard": drop_null_guard,
    "ifexists": if_exists,
    "blog-ifexists": blog_if_exists,
    "drop-via-service": drop_via_service,
    "accept-alias": accept_alias,
    "allow-partner": allow_partner,
    "widen-to-put-star": widen_to_put_star,
}
NAMES = ("drop:SID", *_SIMPLE)


def check_name(name: str) -> None:
    """A mutation this module knows, by its form alone (before anything is synthesized)."""
    if not (name.startswith("drop:") and len(name) > len("drop:")) and name not in _SIMPLE:
        raise MutationError(f"unknown mutation {name!r}; known: {', '.join(NAMES)}")


def apply(deployment: Deployment, names: Iterable[str]) -> Deployment:
    """The deployment with the named mutations applied, in order."""
    for name in names:
        check_name(name)
        if name.startswith("drop:"):
            deployment = drop_sid(deployment, name.removeprefix("drop:"))
        else:
            deployment = _SIMPLE[name](deployment)
    return deployment


def add_break_option(parser: argparse.ArgumentParser) -> None:
    """`--break MUTATION`, one mutation per flag, for every CLI that proves."""
    parser.add_argument(
        "--break",
        dest="mutations",
        action="append",
        default=[],
        metavar="MUTATION",
        help=f"break the policies before proving (repeat for more): {', '.join(NAMES)}",
    )
