"""Who can read it, proved for every request of the model: confidentiality, integrity,
no public access and declared use, on the real templates of every variant and of the
variants with readers and writers declared; refuted, with a counterexample naming the
principal, by the policies a careless change would produce."""

from __future__ import annotations

import copy
import dataclasses

import pytest

from encrypted_s3.assembly import Deployment, Policy
from encrypted_s3.names import rekey_role_name, uploader_role_name
from encrypted_s3.universal.check import check
from encrypted_s3.vocabulary import Config, all_configs
from proof import mutate
from scenarios import DECLARED_READER_ARN
from tests.access_support import DISTRIBUTION, OTHER_ACCOUNT_WRITER, SAME_ACCOUNT_READER
from tests.proof.support import SSE_KMS_STRICT, iam_like

ACCESS = ["confidentiality", "integrity", "no-public-access", "declared-use"]
STRANGER = "arn:aws:iam::999999999999:role/Stranger"


@pytest.mark.parametrize("config", all_configs(), ids=lambda c: c.label)
def test_access_properties_hold_on_every_variant(deployments, config: Config):
    u = check(deployments[config])
    assert [r.prop.id for r in u.results][-4:] == ACCESS
    assert u.refuted == []
    needed = {n.statement: n.needed_by for n in u.necessity}
    assert needed["DenyObjectReadsByUndeclared"] == ["confidentiality"]
    assert needed["DenyObjectWritesByUndeclared"] == ["integrity"]
    assert needed["DenyObjectDeletesByUndeclared"] == ["integrity"]
    if config.uses_kms:
        assert needed["DenyDecryptByUndeclared"] == ["confidentiality"]
        assert needed["DenyDataKeysByUndeclared"] == ["integrity"]


def test_access_properties_hold_with_readers_and_writers_declared(access_deployments):
    for name, deployment in access_deployments.items():
        u = check(deployment, necessity=False)
        assert u.refuted == [], name
        assert {r.prop.id for r in u.results} >= set(ACCESS)


def test_the_words_name_the_declared_principals(access_deployments):
    u = check(access_deployments["sse-kms/strict+declared"], necessity=False)
    words = {r.prop.id: r.words for r in u.results}
    for arn in (SAME_ACCOUNT_READER, DECLARED_READER_ARN):
        assert arn in words["confidentiality"]
    assert "CloudFront E2EXAMPLE" in words["confidentiality"]
    assert OTHER_ACCOUNT_WRITER in words["integrity"]


def _with(
    deployment: Deployment, bucket: list[dict] = (), key: list[dict] = (), drop: tuple = ()
) -> Deployment:
    """The deployment with statements added to its bucket / key policy, Sids dropped."""
    changed = mutate.apply(deployment, [f"drop:{sid}" for sid in drop])

    def add(policy: Policy | None, statements) -> Policy | None:
        if policy is None or not statements:
            return policy
        document = copy.deepcopy(policy.document)
        document["Statement"] = [*document["Statement"], *statements]
        return Policy(policy.name, document)

    return dataclasses.replace(
        changed,
        bucket_policy=add(changed.bucket_policy, bucket),
        key_policy=add(changed.key_policy, key),
    )


def _public_read(d: Deployment) -> dict:
    return {
        "Sid": "PublicRead",
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": f"{d.bucket_arn}/*",
    }


def _grant(d: Deployment, who: str) -> tuple[dict, dict]:
    """A bucket Allow of GetObject and a key Allow of Decrypt for one principal."""
    s3 = {
        "Sid": "GrantRead",
        "Effect": "Allow",
        "Principal": {"AWS": who},
        "Action": "s3:GetObject",
        "Resource": f"{d.bucket_arn}/*",
    }
    kms = {
        "Sid": "GrantDecrypt",
        "Effect": "Allow",
        "Principal": {"AWS": who},
        "Action": "kms:Decrypt",
        "Resource": "*",
    }
    return s3, kms


READ_FENCES = ("DenyObjectReadsByUndeclared", "DenyDecryptByUndeclared")


def _refuted(deployment: Deployment, prop: str):
    u = check(deployment, necessity=False)
    (result,) = [r for r in u.results if r.prop.id == prop]
    assert not result.proved, f"{prop} should be refuted"
    return result


def test_a_public_read_statement_is_refused_by_the_fence_and_refutes_without_it(deployments):
    d = deployments[SSE_KMS_STRICT]
    public = _public_read(d)
    # With the fence in place the statement grants nothing.
    assert check(_with(d, bucket=[public]), necessity=False).refuted == []
    # Without it (the bucket policy before readers were declared) object data is public.
    result = _refuted(_with(d, bucket=[public], drop=READ_FENCES[:1]), "no-public-access")
    example = result.counterexample
    assert example["action"].startswith("s3:GetObject")
    assert example["account"] != d.env.account  # another account's principal
    assert "PublicRead" in result.statements
    assert (
        "confidentiality"
        in check(_with(d, bucket=[public], drop=READ_FENCES[:1]), necessity=False).refuted
    )


def test_an_undeclared_other_account_read_with_its_key_grant_refutes_confidentiality(
    deployments,
):
    d = deployments[SSE_KMS_STRICT]
    s3, kms = _grant(d, STRANGER)
    assert check(_with(d, bucket=[s3], key=[kms]), necessity=False).refuted == []
    u = check(_with(d, bucket=[s3], key=[kms], drop=READ_FENCES), necessity=False)
    assert {"confidentiality", "no-public-access"} <= set(u.refuted)
    # Outside the account only the granted stranger gets in: the counterexample names it.
    (result,) = [r for r in u.results if r.prop.id == "no-public-access"]
    assert result.counterexample["principal"] == STRANGER
    assert "GrantRead" in result.statements or "GrantDecrypt" in result.statements


def test_an_undeclared_account_admin_read_refutes_confidentiality(deployments):
    """Any principal of the account whose IAM policy allows s3:GetObject and kms:Decrypt
    reads every object, when neither layer fences the undeclared."""
    d = deployments[SSE_KMS_STRICT]
    for dropped in READ_FENCES:  # each layer alone is held to it
        result = _refuted(_with(d, drop=(dropped,)), "confidentiality")
        example = result.counterexample
        assert example["account"] == d.env.account
        assert example["principal"] != d.role_arn  # not the declared uploader
        assert example["principal"].startswith(f"arn:aws:iam::{d.env.account}:")
        assert "worst-case identity (Allow * on *)" in result.statements


def test_a_widened_deny_that_refuses_a_writers_tagging_refutes_declared_use(deployments):
    d = deployments[SSE_KMS_STRICT]
    widened = {
        "Sid": "DenyTagging",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:PutObjectTagging",
        "Resource": f"{d.bucket_arn}/*",
    }
    result = _refuted(_with(d, bucket=[widened]), "declared-use")
    assert result.counterexample["action"] == "s3:PutObjectTagging"
    # A declared writer: the uploader, or the re-key jobs' role (both in dev's writers).
    writers = {d.role_arn, d.role_arn.replace(uploader_role_name("dev"), rekey_role_name("dev"))}
    assert result.counterexample["principal"] in writers
    assert "DenyTagging" in result.statements


def test_dropping_the_write_fence_lets_an_undeclared_principal_store(deployments):
    d = deployments[SSE_KMS_STRICT]
    result = _refuted(_with(d, drop=("DenyObjectWritesByUndeclared",)), "integrity")
    assert result.counterexample["principal"] != d.role_arn
    assert result.counterexample["action"].startswith("s3:")


def test_a_cloudfront_grant_without_its_source_refutes_no_public_access(access_deployments):
    d = access_deployments["sse-kms/strict+declared"]
    any_distribution = {
        "Sid": "AnyCloudFront",
        "Effect": "Allow",
        "Principal": {"Service": "cloudfront.amazonaws.com"},
        "Action": "s3:GetObject",
        "Resource": f"{d.bucket_arn}/*",
    }
    # The read fence names the one declared distribution: another one is still refused.
    assert check(_with(d, bucket=[any_distribution]), necessity=False).refuted == []
    result = _refuted(_with(d, bucket=[any_distribution], drop=READ_FENCES[:1]), "no-public-access")
    assert result.counterexample["principal"] == "service cloudfront.amazonaws.com"
    assert DISTRIBUTION not in str(result.counterexample["context"])


def test_the_put_star_mutation_refutes_declared_use_in_strict_mode(deployments):
    """proof.mutate's widen-to-put-star (the header denies on s3:PutObject*): a declared
    writer's PutObjectTagging carries no encryption header and is refused."""
    d = deployments[SSE_KMS_STRICT]
    u = check(mutate.apply(d, ["widen-to-put-star"]), necessity=False)
    (result,) = [r for r in u.results if r.prop.id == "declared-use"]
    assert not result.proved
    # A declared writer: the uploader, or the re-key jobs' role (both in dev's writers).
    writers = {d.role_arn, d.role_arn.replace(uploader_role_name("dev"), rekey_role_name("dev"))}
    assert result.counterexample["principal"] in writers
    assert result.counterexample["action"].startswith("s3:PutObject")


def test_a_fence_widened_by_a_pattern_is_refuted_by_a_principal_it_lets_in(deployments):
    """The principal classes split by a wildcard pattern: the counterexample is a real
    ARN the pattern matches (IAM's rule, checked apart from the encoding), not declared."""
    d = deployments[SSE_KMS_STRICT]
    pattern = "arn:aws:iam::*:role/cdk-*"

    def widen(policy: Policy | None, sid: str) -> Policy:
        assert policy is not None
        document = copy.deepcopy(policy.document)
        (fence,) = [s for s in document["Statement"] if s.get("Sid") == sid]
        arns = fence["Condition"].pop("ArnNotEquals")["aws:PrincipalArn"]
        arns = arns if isinstance(arns, list) else [arns]
        fence["Condition"]["ArnNotLike"] = {"aws:PrincipalArn": [*arns, pattern]}
        return Policy(policy.name, document)

    widened = dataclasses.replace(
        d,
        bucket_policy=widen(d.bucket_policy, READ_FENCES[0]),
        key_policy=widen(d.key_policy, READ_FENCES[1]),
    )
    result = _refuted(widened, "confidentiality")
    principal = result.counterexample["principal"]
    assert iam_like(pattern, principal), principal
    assert principal != f"arn:aws:iam::{d.env.account}:role/{uploader_role_name('dev')}"
    assert result.counterexample["account"] == principal.split(":")[4]
