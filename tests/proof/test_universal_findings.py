"""Where "proved for every request" said more than the model held, and the fixes: key
names as AWS resolves them, alias changes, anonymous callers, edge values, re-keys that
name no key (docs/design.md, "Universal proof")."""

from __future__ import annotations

import dataclasses

import pytest

from encrypted_s3.policy_guard import ALIAS_GUARD_SID
from encrypted_s3.universal import solve
from encrypted_s3.universal.check import check
from encrypted_s3.universal.concrete import (
    ANONYMOUS,
    Concrete,
    NotDecided,
    decide_concrete,
    for_action,
    outside_model,
    substitution,
    truth,
)
from encrypted_s3.universal.model import Encoded
from encrypted_s3.universal.report import render_universal_text, to_json
from encrypted_s3.universal.solve import STATS, SolverGaveUp
from encrypted_s3.vocabulary import ALGORITHM_KEY, KMS_KEY_ID_KEY, Config
from proof import mutate
from proof.deployment import find_deployment
from proof.differential import Generator
from proof.requests import OTHER_ACCOUNT_ID
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
    # The partner is let by the write fence but not declared in the settings: who can
    # read it refutes integrity and no public access as well.
    assert u.refuted == ["stored-encryption", "integrity", "no-public-access"]
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
    assert u.refuted == ["integrity", "no-public-access"]  # an undeclared writer


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


# 7. Necessity reports sets, and only what it checked.
def test_two_statements_redundant_alone_are_reported_needed_together(deployments):
    u = check(deployments[Config("sse-kms", "default-aware")])
    found = {n.statement: n for n in u.necessity}
    for one, other in (
        ("DenySseC", "BlockedEncryptionTypes"),
        ("BlockedEncryptionTypes", "DenySseC"),
    ):
        assert found[one].needed_by == []
        assert (other, ["stored-encryption", "no-sse-c"]) in found[one].needed_with
        assert (
            f"needed together with {other} by stored-encryption, no-sse-c" in found[one].describe()
        )
    # The old unchecked clause is gone; the new one is a solver check.
    assert all("not granted otherwise" not in n.describe() for n in u.necessity)


def test_the_allowed_by_nothing_else_clause_is_checked(deployments):
    """With an Allow for the partner's data use in the key policy, DenyDataUseFromOtherAccounts
    is what stops it: the clause must not be printed."""
    d = deployments[SSE_KMS_STRICT]
    document = d.key_policy.document
    partner = {
        "Sid": "AllowPartnerDataUse",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{OTHER_ACCOUNT_ID}:root"},
        "Action": "kms:Decrypt",
        "Resource": "*",
    }
    key_policy = dataclasses.replace(
        d.key_policy, document={**document, "Statement": [*document["Statement"], partner]}
    )
    u = check(dataclasses.replace(d, key_policy=key_policy))
    (verdict,) = [n for n in u.necessity if n.statement == "DenyDataUseFromOtherAccounts"]
    assert not verdict.unused
    assert "allowed by nothing else" not in verdict.describe()


# 8. A solver that answers the same way whatever the process asked before.
def test_a_check_costs_the_same_after_other_deployments(deployments):
    d = deployments[SSE_KMS_STRICT]
    STATS.reset()
    first = check(d)
    alone, alone_retries = list(STATS.work), STATS.retries
    for other in deployments.values():
        check(other)
    STATS.reset()
    again = check(d)
    # z3's resource count, check by check: the same work within a few percent (z3's own
    # pointer-keyed tables may order a few steps differently), never a wander.
    assert len(STATS.work) == len(alone)
    assert abs(sum(STATS.work) - sum(alone)) < 0.05 * sum(alone)
    assert all(b < 2 * a + 10_000 for a, b in zip(alone, STATS.work, strict=True))
    assert [r.proved for r in again.results] == [r.proved for r in first.results]
    # A check that outgrows the first try's budget does so every time (a resource count,
    # not a clock): the same retries, alone or after the others.
    assert STATS.retries == alone_retries


def test_a_check_that_cannot_be_decided_stops_with_one_line(deployments, monkeypatch):
    monkeypatch.setattr(solve, "TRIES", ((0, 1), (1, 2)))
    with pytest.raises(SolverGaveUp) as raised:
        check(deployments[SSE_KMS_STRICT])
    message = str(raised.value)
    assert "\n" not in message
    # The first question: whether anyone may change the key's aliases (stored-encryption).
    assert message.startswith("the solver could not decide alias changes: ")
    assert "(seed 0, resource limit 1)" in message and "(seed 1, resource limit 2)" in message


# 5. "Not vacuous" covers the everyday reads and writes, not one PutObject.
def test_a_deny_widened_to_put_object_star_is_refuted(deployments):
    u, result = _result(deployments[SSE_KMS_STRICT], ["widen-to-put-star"], "not-vacuous")
    assert u.refuted == ["not-vacuous", "declared-use"]  # a writer's tagging is refused
    example = result.counterexample
    assert example["action"] in ("s3:PutObjectTagging", "s3:PutObjectVersionTagging")
    assert example["account"] == deployments[SSE_KMS_STRICT].env.account
    assert "DenyMissingEncryptionHeader" in result.statements


# 2. The model is printed whole, with every proof and in the reports.
def test_every_proof_names_the_model_it_holds_in(deployments):
    u = check(deployments[SSE_KMS_STRICT])
    lines = render_universal_text(u)
    assert "z3, for every request in this model)" in lines.splitlines()[0]
    text = " ".join(lines.split())  # as printed, without the wrapping
    assert "actions: 151 S3 and KMS actions" in text
    assert "left out: 74 S3 actions, 11 KMS actions" in text
    assert "anonymous (unsigned) callers" in text
    for gap in ("multivalued condition keys", "KMS grants", "STS session"):
        assert f"not modelled: {gap}" in text
    assert "other partitions" in text
    model = to_json(u)["model"]
    assert sum(model["actions"].values()) == 151
    assert model["actions_left_out"] == {"s3": 74, "kms": 11}
    assert "aws:securetransport" in model["condition_keys"]


def test_anonymous_callers_are_in_the_principal_space(deployments):
    """Dropping the transport deny lets an anonymous caller through only if the bucket
    grants "*": nothing does, so an anonymous counterexample cannot exist; but the
    encoding must know the kind: an anonymous request decided concretely."""
    enc = Encoded.build(deployments[SSE_KMS_STRICT])
    secure = {"aws:SecureTransport": "true", "s3:TlsVersion": "1.3"}
    request = Concrete("s3:GetObject", ANONYMOUS, secure)
    assert decide_concrete(enc, request) is False  # no Allow names "*"
    assert truth(for_action(enc, "s3:GetObject", "world"), substitution(enc, request))
    kms = Concrete("kms:Decrypt", ANONYMOUS, {"aws:SecureTransport": "true"})
    assert not truth(for_action(enc, "kms:Decrypt", "world"), substitution(enc, kms))


# 3. Edge values: non-Boolean values are refused by the request check, and drawn.
@pytest.mark.parametrize("value", ["0", "", "1", "yes"])
def test_a_boolean_key_with_another_value_is_outside_the_model(deployments, value):
    enc = Encoded.build(deployments[SSE_KMS_STRICT])
    caller = f"arn:aws:iam::{enc.u.account}:root"
    request = Concrete("s3:GetObject", caller, {"aws:SecureTransport": value})
    assert outside_model(request) == f"aws:SecureTransport = {value!r} is not true or false"
    with pytest.raises(NotDecided):
        decide_concrete(enc, request)


def test_the_generator_draws_the_edge_values(deployments):
    enc = Encoded.build(deployments[Config("sse-kms", "default-aware")])
    generator = Generator(enc, seed=1)
    drawn = [generator.draw(n).request for n in range(3000)]
    assert any(r.principal == ANONYMOUS for r in drawn)
    assert any(r.object_key == "*" for r in drawn)
    assert any(outside_model(r) for r in drawn)
    assert any(
        r.action == "s3:UpdateObjectEncryption" and KMS_KEY_ID_KEY not in r.context for r in drawn
    )
