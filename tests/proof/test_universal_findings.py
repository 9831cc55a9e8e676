"""Where "proved for every request" said more than the model held, and the fixes: key
names as AWS resolves them, alias changes, anonymous callers, edge values, re-keys that
name no key (docs/design.md, "The universal proof's model")."""

from __future__ import annotations

import pytest

from proof import mutate
from proof.assembly import find_deployment
from proof.requests import OTHER_ACCOUNT_ID
from proof.universal.check import check
from scenarios import ALGORITHM_KEY, KMS_KEY_ID_KEY, Config
from stacks.policy_guard import ALIAS_GUARD_SID
from tests.proof.support import SSE_KMS_STRICT


@pytest.fixture(scope="module")
def prod_deployment(prod_templates):
    """prod as cdk.json configures it: sse-kms/strict with the policy guard on."""
    return find_deployment(prod_templates)


def _result(deployment, mutations, prop):
    u = check(mutate.apply(deployment, mutations))
    (result,) = [r for r in u.results if r.prop.id == prop]
    return u, result


# 1. Key names: a bare key id or an alias name is resolved in the caller's account.
def test_an_alias_name_accepted_for_a_partner_is_refuted_naming_partner_and_alias(
    prod_deployment,
):
    u, result = _result(prod_deployment, ["accept-alias", "allow-partner"], "stored-encryption")
    assert u.refuted == ["stored-encryption"]
    example = result.counterexample
    assert example["account"] == OTHER_ACCOUNT_ID
    assert example["context"][KMS_KEY_ID_KEY] == prod_deployment.alias_name
    assert "AllowPartnerUploads" in result.statements
    assert any(
        f"resolved in the caller's account (account {OTHER_ACCOUNT_ID})" in n for n in result.notes
    )


def test_an_alias_name_is_a_name_of_the_key_only_while_no_one_can_repoint_it(
    deployments, prod_deployment
):
    # dev: no guard, so the account's administrators may re-point the alias.
    u, result = _result(deployments[SSE_KMS_STRICT], ["accept-alias"], "stored-encryption")
    assert u.refuted == ["stored-encryption"]
    assert (
        result.counterexample["context"][KMS_KEY_ID_KEY] == deployments[SSE_KMS_STRICT].alias_name
    )
    assert any("the alias can be re-pointed: kms:" in n for n in result.notes)
    # prod: the guard keeps alias changes to the deploy role: the alias names the key.
    u, _ = _result(prod_deployment, ["accept-alias"], "stored-encryption")
    assert u.refuted == []


def test_the_partner_alone_must_name_the_key_by_its_arn(prod_deployment):
    u, _ = _result(prod_deployment, ["allow-partner"], "stored-encryption")
    assert u.refuted == []


def test_the_guard_keeps_alias_changes_to_the_deploy_role(prod_deployment):
    found = {n.statement: n.needed_by for n in check(prod_deployment).necessity}
    assert found[ALIAS_GUARD_SID] == ["guard"]
    u, result = _result(prod_deployment, [f"drop:{ALIAS_GUARD_SID}"], "guard")
    assert u.refuted == ["guard"]
    assert result.counterexample["action"] in (
        "kms:CreateAlias",
        "kms:UpdateAlias",
        "kms:DeleteAlias",
    )
    assert "cfn-exec-role" not in result.counterexample["principal"]


# 6. Default-aware: a re-key whose request carries no key id names any key.
def test_default_aware_denies_a_rekey_without_a_key_id(deployments):
    d = deployments[Config("sse-kms", "default-aware")]
    u, result = _result(d, ["drop:DenyUpdateObjectEncryptionWithoutKeyId"], "stored-encryption")
    assert u.refuted == ["stored-encryption"]
    example = result.counterexample
    assert example["action"] == "s3:UpdateObjectEncryption"
    assert example["context"][KMS_KEY_ID_KEY] is None
    assert example["context"][ALGORITHM_KEY] is None
