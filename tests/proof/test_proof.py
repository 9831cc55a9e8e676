"""The offline proof: every scenario of every variant, and mutants that must be caught.

All variants, mutants and single drops are proved in one Node process
(tests/proof/conftest.py).
"""

from __future__ import annotations

import copy
import re

import pytest

from encrypted_s3.vocabulary import Config
from proof import mutate
from proof.deployment import find_deployment
from proof.prove import Case
from proof.requests import OTHER_ACCOUNT_ID, key_refs
from proof.scope import template_sids
from scenarios import (
    ACCOUNT_ADMIN,
    ALLOWED,
    DECLARED_ADMIN,
    DENIED,
    OTHER_ACCOUNT,
    UPLOADER,
    WRITE_OPERATIONS,
    Stored,
    scenarios_for,
)
from tests.conftest import CONFIGS, KMS_CONFIGS
from tests.proof.support import SSE_KMS_STRICT, CountedProofs

DEFAULT_AWARE = [c for c in CONFIGS if c.header_policy == "default-aware"]
SSE_KMS_DEFAULT_AWARE = Config("sse-kms", "default-aware")


@pytest.fixture(scope="session")
def proofs(proved_together) -> CountedProofs:
    """{Config: Proof} of every variant, and the Node processes that proved them."""
    return proved_together.of("variant")


def test_all_variants_are_proved_in_one_node_process(proofs):
    # The design allows one Node process per proof run (its start-up dominates).
    assert len(proofs.node_runs) == 1


def test_every_variant_is_proved_once_per_principal(proofs):
    assert set(proofs) == set(CONFIGS)
    for config, proved in proofs.items():
        assert [(o.scenario.name, o.principal) for o in proved.outcomes] == [
            (s.name, p) for s in scenarios_for(config) for p in s.principals
        ]
        rows = proved.rows
        assert [(r["scenario"], r["principal"]) for r in rows] == [
            (o.scenario.name, o.principal) for o in proved.outcomes
        ]


PROOF_ROWS = [(c, s.name, p) for c in CONFIGS for s in scenarios_for(c) for p in s.principals]


@pytest.mark.parametrize(
    ("config", "scenario", "principal"),
    PROOF_ROWS,
    ids=[f"{c.label}:{name}:{p}" for c, name, p in PROOF_ROWS],
)
def test_simulated_outcome_matches_the_table(proofs, config, scenario, principal):
    outcome = proofs[config].outcome(scenario, principal)
    assert outcome.actual == outcome.expected, (
        f"{config.label} {scenario} as {principal}: expected {outcome.expected} "
        f"({outcome.because}), simulated {outcome.actual}: {outcome.detail}"
    )


def test_the_principals_are_whom_they_claim(proofs):
    proved = proofs[SSE_KMS_STRICT]
    account = proved.deployment.env.account
    by_principal = {
        p: proved.outcome("sse-kms-project-key", p).steps[0].sim.principal
        for p in (UPLOADER, ACCOUNT_ADMIN, OTHER_ACCOUNT)
    }
    assert by_principal[UPLOADER] == proved.deployment.role_arn
    assert by_principal[ACCOUNT_ADMIN] == f"arn:aws:iam::{account}:role/AccountAdmin"
    assert by_principal[OTHER_ACCOUNT] == (
        f"arn:aws:iam::{OTHER_ACCOUNT_ID}:role/OtherAccountAdmin"
    )
    assert account != OTHER_ACCOUNT_ID
    # The caller's account travels to KMS (kms:CallerAccount) with each principal.
    for principal, caller in ((ACCOUNT_ADMIN, account), (OTHER_ACCOUNT, None)):
        steps = proved.outcome("sse-kms-project-key", principal).steps
        kms = [s.sim.context["kms:CallerAccount"] for s in steps if s.request.service == "kms"]
        assert kms == [caller or OTHER_ACCOUNT_ID]


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c.label)
def test_another_account_gets_nothing_and_an_undeclared_admin_no_object(proofs, config):
    proved = proofs[config]
    others = [o for o in proved.outcomes if o.principal == OTHER_ACCOUNT]
    assert others and {o.actual for o in others} == {DENIED}
    admin = [o for o in proved.outcomes if o.principal == ACCOUNT_ADMIN]
    # An account admin is no declared reader or writer: every object read and write is
    # denied whatever its IAM rights, by the statement that fences the undeclared.
    on_objects = [o for o in admin if o.scenario.operation in ("get", *WRITE_OPERATIONS)]
    assert on_objects and {o.actual for o in on_objects} == {DENIED}
    read = next(o for o in on_objects if o.scenario.name == "read-back")
    assert "DenyObjectReadsByUndeclared" in read.detail
    # The required headers: only the fence refuses it.
    write = next(o for o in on_objects if o.scenario.name == "multipart-required")
    assert "DenyObjectWritesByUndeclared" in write.detail


# How a denial is named when no Sid decided: a policy that grants nothing, a bucket
# setting, or a decision on a context key runSimulation drops (the "*" rows).
NO_SID_DENIALS = re.compile(
    r"^(implicit deny in (bucket|key|identity) policy( and (bucket|key|identity) policy)?"
    r"|BlockedEncryptionTypes: SSE-C \(bucket setting\)|(S3|KMS) (explicit|implicit) deny\*)"
    r"( \(at \w+\))?$"
)


def test_denials_name_the_deciding_statement(proofs, variant_templates):
    """Every denial names Deny statements the templates hold, or what else decided."""
    for config, proved in proofs.items():
        sids = set(template_sids(variant_templates[config]))
        for outcome in proved.outcomes:
            if outcome.actual != DENIED:
                continue
            where = f"{proved.label} {outcome.scenario.name} ({outcome.principal})"
            named = set(re.findall(r"\b(Deny\w+)", outcome.detail))
            assert named <= sids, (where, outcome.detail)
            assert named or NO_SID_DENIALS.match(outcome.detail), (where, outcome.detail)
    # The rules say which statement refuses what (docs/design.md, "The rules").
    strict = proofs[SSE_KMS_STRICT]
    deciding = {
        # The encryption and transport rules, as the declared admin meets them.
        ("http-required", DECLARED_ADMIN): "DenyInsecureTransport",
        ("tls-1.1-required", DECLARED_ADMIN): "DenyOutdatedTls",
        ("sse-kms-other-key", DECLARED_ADMIN): "DenyWrongKmsKey",
        ("sse-s3", DECLARED_ADMIN): "DenyWrongEncryptionAlgorithm",
        ("kms-direct", ACCOUNT_ADMIN): "key policy: DenyDataUseOutsideS3",
        # Who can read it: the undeclared, of this account or another, are fenced off.
        ("read-back", ACCOUNT_ADMIN): "DenyObjectReadsByUndeclared",
        ("sse-kms-project-key", ACCOUNT_ADMIN): "DenyObjectWritesByUndeclared",
        ("sse-kms-project-key", OTHER_ACCOUNT): "DenyObjectWritesByUndeclared",
    }
    for (name, principal), decided in deciding.items():
        detail = strict.outcome(name, principal).detail
        assert detail.split(", ")[0] == decided or detail == decided, (name, detail)


def test_allowed_writes_are_stored_as_promised(proofs):
    for config, proved in proofs.items():
        keys = key_refs(proved.deployment)
        promised = Stored.promised(config, keys).describe(keys)
        writes = [o for o in proved.outcomes if o.actual == ALLOWED and o.scenario.writes()]
        assert writes, config.label
        assert {o.stored for o in writes} == {promised}, config.label


def test_kms_requests_carry_the_s3_encryption_context(proofs):
    # Bucket Key (sse-kms): the bucket ARN; DSSE-KMS: the object ARN.
    for config in KMS_CONFIGS:
        proved = proofs[config]
        steps = proved.outcome(
            "sse-kms-project-key" if config.bucket_key else "dsse-kms-project-key"
        ).steps
        contexts = [s.sim.context for s in steps if s.request.service == "kms"]
        assert contexts, config.label
        for context in contexts:
            arn = context["kms:EncryptionContext:aws:s3:arn"]
            assert (arn == proved.deployment.bucket_arn) == config.bucket_key, config.label


# -- mutants ------------------------------------------------------------------------------


def _edit_default_encryption(templates: dict, edit) -> dict:
    """A copy of the templates with the data bucket's default encryption rule edited."""
    changed = copy.deepcopy(templates)
    for template in changed.values():
        for resource in template.get("Resources", {}).values():
            if resource["Type"] == "AWS::S3::Bucket":
                rules = resource["Properties"]["BucketEncryption"][
                    "ServerSideEncryptionConfiguration"
                ]
                if "BlockedEncryptionTypes" in rules[0]:  # the data bucket
                    edit(rules[0])
    return changed


def _without_bucket_key(rule: dict) -> None:
    rule["BucketKeyEnabled"] = False


OTHER_DEFAULT_KEY = "arn:aws:kms:eu-west-1:123456789012:key/0ther"


def _other_default_key(rule: dict) -> None:
    rule["ServerSideEncryptionByDefault"]["KMSMasterKeyID"] = OTHER_DEFAULT_KEY


def both(*names: str) -> set[str]:
    """The rows of these scenarios as the uploader and as the declared admin."""
    return {*names, *(f"{name} (declared-admin)" for name in names)}


# (configs, mutations, what must follow). Another account's rows never fail: nothing
# grants it anything, whatever deny is dropped.
MUTANTS = [
    (
        [SSE_KMS_STRICT],
        ("drop:DenyWrongKmsKey",),
        {
            "fails": both(
                "sse-kms-aws-managed",
                "sse-kms-project-alias",
                "sse-kms-other-key",
                "update-encryption-other-key",
            )
        },
    ),
    (
        [SSE_KMS_DEFAULT_AWARE],
        ("drop:DenyWrongKmsKey",),
        {
            "fails": both(
                "sse-kms-project-alias", "sse-kms-other-key", "update-encryption-other-key"
            )
        },
    ),
    (DEFAULT_AWARE, ("drop-null-guard",), {"fails": both("no-header", "copy-no-header")}),
    (DEFAULT_AWARE, ("blog-ifexists",), {"fails": both("no-header", "copy-no-header")}),
    (CONFIGS, ("ifexists",), {"fails": set()}),  # the equivalent mutant
    # The account admin is still stopped by the undeclared fence (DenyDecryptByUndeclared,
    # DenyDataKeysByUndeclared): only the declared admin shows the gap.
    (KMS_CONFIGS, ("drop-via-service",), {"fails": {"kms-direct (declared-admin)"}}),
    (CONFIGS, ("drop:DenyInsecureTransport",), {"fails": both("http-required")}),
    (CONFIGS, ("drop:DenyOutdatedTls",), {"fails": both("tls-1.1-required")}),
    (CONFIGS, ("drop:DenySseC",), {"fails": set()}),
    # The uploader's role masks this one (its KMS grant wants the Bucket Key's encryption
    # context, which DSSE-KMS does not send): only the declared admin shows the gap.
    (
        [SSE_KMS_STRICT],
        ("drop:DenyWrongEncryptionAlgorithm",),
        {"fails": {"dsse-kms-project-key (declared-admin)"}},
    ),
]


def mutant_id(config: Config, mutations: tuple[str, ...]) -> str:
    return f"{config.label}:{'+'.join(mutations)}"


# id -> (config, mutations, what must follow)
MUTANT_CASES = {mutant_id(c, m): (c, m, e) for configs, m, e in MUTANTS for c in configs}


def mutant_cases(variant_templates) -> dict[str, Case]:
    """Every mutant of MUTANTS, plus a bucket without Bucket Key and one with another
    default key (proved with the variants and single drops: tests/proof/conftest.py)."""
    cases = {id_: Case(variant_templates[c], c, m) for id_, (c, m, _) in MUTANT_CASES.items()}
    aware = variant_templates[SSE_KMS_DEFAULT_AWARE]
    cases["no-bucket-key"] = Case(
        _edit_default_encryption(aware, _without_bucket_key), SSE_KMS_DEFAULT_AWARE
    )
    cases["other-default-key"] = Case(
        _edit_default_encryption(aware, _other_default_key), SSE_KMS_DEFAULT_AWARE
    )
    return cases


@pytest.fixture(scope="session")
def mutants(proved_together) -> CountedProofs:
    return proved_together.of("mutant")


def test_all_mutants_are_proved_in_one_node_process(mutants):
    assert len(mutants.node_runs) == 1


@pytest.mark.parametrize(
    ("case_id", "effect"),
    [(id_, e) for id_, (_, _, e) in MUTANT_CASES.items()],
    ids=list(MUTANT_CASES),
)
def test_mutant_is_caught_exactly_where_expected(mutants, case_id, effect):
    assert set(mutants[case_id].failed) == effect["fails"]


@pytest.mark.parametrize("config", DEFAULT_AWARE, ids=lambda c: c.label)
def test_blog_ifexists_lets_a_headerless_write_be_denied(mutants, config):
    # Without the Null guard the negated operator matches the missing header.
    outcome = mutants[mutant_id(config, ("blog-ifexists",))].outcome("no-header", ACCOUNT_ADMIN)
    assert outcome.actual == DENIED
    assert "DenyWrongEncryptionAlgorithm" in outcome.detail


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c.label)
def test_without_deny_sse_c_another_layer_decides(proofs, mutants, config):
    before = proofs[config].outcome("sse-c")
    after = mutants[mutant_id(config, ("drop:DenySseC",))].outcome("sse-c")
    assert "DenySseC" in before.detail
    assert after.actual == DENIED
    assert "DenySseC" not in after.detail
    if config.header_policy == "default-aware":
        # No other statement applies to a request without the algorithm header: only
        # the bucket setting BlockedEncryptionTypes stops SSE-C.
        assert after.detail.startswith("BlockedEncryptionTypes")


def test_kms_direct_without_via_service_deny_is_allowed_for_a_declared_admin(mutants):
    mutant = mutants[mutant_id(SSE_KMS_STRICT, ("drop-via-service",))]
    outcome = mutant.outcome("kms-direct", DECLARED_ADMIN)
    assert outcome.actual == ALLOWED
    assert "AdministratorAccess" in outcome.detail
    # The undeclared account admin stays fenced off the key by the key policy alone.
    fenced = mutant.outcome("kms-direct", ACCOUNT_ADMIN)
    assert fenced.actual == DENIED and "DenyDecryptByUndeclared" in fenced.detail


def test_a_bucket_without_bucket_key_fails_the_allowed_writes(mutants):
    """S3 would then ask KMS with the object ARN as encryption context, which the uploader's
    role refuses in sse-kms mode (it allows only the bucket ARN, the Bucket Key's)."""
    proved = mutants["no-bucket-key"]
    for name in ("no-header", "sse-kms-project-key", "multipart-required", "copy-required"):
        outcome = proved.outcome(name)
        assert (outcome.expected, outcome.actual) == ("allowed", "denied"), name
    # Reading back decrypts with the same (object) context: refused as well.
    assert proved.outcome("read-back").actual == "denied"


def test_a_wrong_bucket_default_stores_objects_wrong(mutants):
    """Writes without headers take the bucket default: another key is not the promise."""
    proved = mutants["other-default-key"]
    for name in ("no-header", "copy-no-header"):
        outcome = proved.outcome(name)
        assert outcome.actual == "stored wrong", name
        assert "0ther" in outcome.stored
    assert "sse-kms-project-key" not in proved.failed


@pytest.mark.parametrize(
    ("config", "mutation", "message"),
    [
        (SSE_KMS_STRICT, "drop-null-guard", "no Null guard"),
        (SSE_KMS_STRICT, "drop:NoSuchSid", "no statement has Sid NoSuchSid"),
        (Config("sse-s3", "strict"), "drop-via-service", "no key policy"),
        (SSE_KMS_STRICT, "flip-everything", "unknown mutation"),
    ],
)
def test_a_mutation_that_changes_nothing_is_an_error(variant_templates, config, mutation, message):
    # Otherwise a typo would look like a policy that survives the mutation.
    deployment = find_deployment(variant_templates[config])
    with pytest.raises(mutate.MutationError, match=message):
        mutate.apply(deployment, [mutation])
