"""The re-key role's universal properties (proof.rekey_role) on every variant,
and that each can fail: with the role's key condition removed, z3 finds a store under
another key; with s3:GetObject on the bucket, a read."""

from __future__ import annotations

import copy
from dataclasses import replace

import pytest

from encrypted_s3.assembly import Deployment, Policy
from encrypted_s3.vocabulary import Config
from proof.rekey_role import check_rekey_role

PROPERTIES = [
    "rekey-role-project-key-only",
    "rekey-role-project-key-only-with-policies",
    "rekey-role-no-data",
]


def sse_kms(deployments: dict[Config, Deployment]) -> list[Deployment]:
    found = [d for c, d in deployments.items() if c.encryption == "sse-kms"]
    assert len(found) == 2  # strict and default-aware
    return found


def test_the_role_exists_only_where_update_object_encryption_can_keep_the_promise(
    deployments,
) -> None:
    for config, deployment in deployments.items():
        assert bool(deployment.rekey_role_arn) == (config.encryption == "sse-kms"), config
        assert (check_rekey_role(deployment) == []) == (config.encryption != "sse-kms")


def test_every_property_is_proved_on_the_sse_kms_variants(deployments) -> None:
    for deployment in sse_kms(deployments):
        results = check_rekey_role(deployment)
        assert [r.id for r in results] == PROPERTIES
        assert [r.id for r in results if not r.proved] == [], results


def _edited(deployment: Deployment, edit) -> Deployment:
    (policy,) = deployment.rekey_policies
    document = copy.deepcopy(policy.document)
    edit(document["Statement"])
    return replace(deployment, rekey_policies=(Policy(policy.name, document),))


def _statement(statements: list[dict], sid: str) -> dict:
    (found,) = [s for s in statements if s.get("Sid") == sid]
    return found


@pytest.mark.parametrize("index", [0, 1])
def test_without_the_key_condition_the_identity_alone_property_is_refuted(
    deployments, index: int
) -> None:
    deployment = _edited(
        sse_kms(deployments)[index],
        lambda statements: _statement(statements, "RekeyToProjectKey").pop("Condition"),
    )
    results = {r.id: r for r in check_rekey_role(deployment)}
    refuted = results["rekey-role-project-key-only"]
    assert not refuted.proved
    assert refuted.counterexample and refuted.counterexample.startswith(
        ("s3:PutObject", "s3:UpdateObjectEncryption")
    )
    # The bucket policy still holds the line: the property with the policies stays proved.
    assert results["rekey-role-project-key-only-with-policies"].proved


def test_a_read_grant_on_the_bucket_refutes_no_data(deployments) -> None:
    def grant_read(statements: list[dict]) -> None:
        _statement(statements, "RekeyToProjectKey")["Action"] = ["s3:GetObject"]
        _statement(statements, "RekeyToProjectKey").pop("Condition")

    results = {r.id: r for r in check_rekey_role(_edited(sse_kms(deployments)[0], grant_read))}
    assert not results["rekey-role-no-data"].proved
    assert results["rekey-role-no-data"].counterexample.startswith("s3:GetObject")
