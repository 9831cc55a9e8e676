"""Where each `--break` mutation has something to act on, for the error that says so.

A mutation that finds nothing to change raises MutationError (proof/mutate.py). This
module adds which configurations it would apply to, written from the bucket and key
policy rules of docs/design.md, "The rules", not from the stacks' code; a test checks
each entry against the synthesized variants.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from encrypted_s3.vocabulary import Config, all_configs

Applies = Callable[[Config], bool]


def _kms(c: Config) -> bool:
    return c.encryption != "sse-s3"


def _strict(c: Config) -> bool:
    return c.header_policy == "strict"


def _default_aware(c: Config) -> bool:
    return c.header_policy == "default-aware"


# Mutations and statements that exist only in some configurations; the rest exist in all.
SCOPES: dict[str, tuple[Applies, str]] = {
    "drop-null-guard": (_default_aware, "only default-aware statements have a Null guard"),
    "drop-via-service": (_kms, "only the KMS modes create a key"),
    "drop:DenyMissingEncryptionHeader": (_strict, "strict only"),
    "drop:DenyWrongKmsKey": (_kms, "KMS modes only"),
    "drop:DenyKmsWithoutKeyId": (
        lambda c: _kms(c) and _default_aware(c),
        "default-aware KMS modes only",
    ),
    "drop:DenyUpdateObjectEncryptionWithoutKeyId": (
        lambda c: c.encryption == "sse-kms" and _default_aware(c),
        "default-aware sse-kms only",
    ),
    "accept-alias": (_kms, "only the KMS modes have DenyWrongKmsKey"),
    "drop:EnableAccountRootAccess": (_kms, "a key policy statement"),
    "drop:DenyDataUseOutsideS3": (_kms, "a key policy statement"),
    "drop:DenyDataUseFromOtherAccounts": (_kms, "a key policy statement"),
    "drop:UseKeyThroughS3": (_kms, "the uploader's key statement"),
    "drop:KeyAdministration": (_kms, "a key policy statement, only with key_admins set"),
}


def configs_for(mutation: str) -> list[Config] | None:
    """The configurations a mutation applies to; None when it is not in SCOPES."""
    entry = SCOPES.get(mutation)
    return None if entry is None else [c for c in all_configs() if entry[0](c)]


def template_sids(templates: Mapping[str, Any]) -> list[str]:
    """Every Sid in the templates (to list what `drop:SID` can name)."""
    found: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            sid = node.get("Sid")
            if isinstance(sid, str):
                found.add(sid)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(dict(templates))
    return sorted(found)


def explain(mutation: str, config: Config, sids: list[str]) -> str:
    """Why `mutation` found nothing in `config`, and where it would apply (one line)."""
    configs = configs_for(mutation)
    if configs is not None:
        where = ", ".join(c.label for c in configs)
        reason = SCOPES[mutation][1]
        return (
            f"{mutation} has nothing to act on in {config.label} ({reason}): it applies to {where}"
        )
    if mutation.startswith("drop:"):
        return f"{mutation}: no statement has that Sid in {config.label}; Sids: {', '.join(sids)}"
    return f"{mutation} has nothing to act on in {config.label}"
