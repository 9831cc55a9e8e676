"""The offline proof: every scenario of every variant, and mutants that must be caught.

All variants are proved in one Node process, all mutants in a second one.
"""

from __future__ import annotations

import copy

import pytest

import proof.prove
from proof import mutate
from proof.assembly import find_deployment
from proof.prove import Case, prove, prove_variants
from scenarios import ALLOWED, DENIED, Config, Stored, all_configs, scenarios_for

CONFIGS = all_configs()
KMS = [c for c in CONFIGS if c.uses_kms]
DEFAULT_AWARE = [c for c in CONFIGS if c.header_policy == "default-aware"]
SSE_KMS_STRICT = Config("sse-kms", "strict")
SSE_KMS_DEFAULT_AWARE = Config("sse-kms", "default-aware")


@pytest.fixture(scope="session")
def node_runs():
    """Counts Node processes started by the proof (the design allows one per proof run)."""
    calls = []
    real = proof.prove.simulate
    patch = pytest.MonkeyPatch()
    patch.setattr(proof.prove, "simulate", lambda *a: calls.append(1) or real(*a))
    yield calls
    patch.undo()


@pytest.fixture(scope="session")
def proofs(variant_templates, node_runs) -> dict:
    before = len(node_runs)
    result = prove_variants(variant_templates)
    assert len(node_runs) - before == 1, "all variants must be proved in one Node process"
    return {p.config: p for p in result}


def test_every_variant_is_proved_once(proofs):
    assert set(proofs) == set(CONFIGS)
    for config, proved in proofs.items():
        assert [o.scenario.name for o in proved.outcomes] == [s.name for s in scenarios_for(config)]


@pytest.mark.parametrize(
    ("config", "scenario"),
    [(c, s.name) for c in CONFIGS for s in scenarios_for(c)],
    ids=[f"{c.label}:{s.name}" for c in CONFIGS for s in scenarios_for(c)],
)
def test_simulated_outcome_matches_the_table(proofs, config, scenario):
    outcome = proofs[config].outcome(scenario)
    assert outcome.actual == outcome.expected, (
        f"{config.label} {scenario}: expected {outcome.expected} ({outcome.because}), "
        f"simulated {outcome.actual}: {outcome.detail}"
    )


def test_denials_name_the_deciding_statement(proofs):
    # A denial that names no statement, layer or policy would make the table unreadable.
    for proved in proofs.values():
        for outcome in proved.outcomes:
            if outcome.actual == DENIED:
                assert outcome.detail, f"{proved.label} {outcome.scenario.name}"


def test_allowed_writes_are_stored_as_promised(proofs):
    for config, proved in proofs.items():
        keys = proved.deployment.keys()
        promised = Stored.promised(config, keys).describe(keys)
        writes = [o for o in proved.outcomes if o.actual == ALLOWED and o.scenario.writes()]
        assert writes, config.label
        assert {o.stored for o in writes} == {promised}, config.label


def test_kms_requests_carry_the_s3_encryption_context(proofs):
    # Bucket Key (sse-kms): the bucket ARN; DSSE-KMS: the object ARN.
    for config in KMS:
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


# (configs, mutations, what must follow)
MUTANTS = [
    (
        [SSE_KMS_STRICT],
        ("drop:DenyWrongKmsKey",),
        {"fails": {"sse-kms-aws-managed", "sse-kms-project-alias", "sse-kms-other-key"}},
    ),
    (
        [SSE_KMS_DEFAULT_AWARE],
        ("drop:DenyWrongKmsKey",),
        {"fails": {"sse-kms-project-alias", "sse-kms-other-key"}},
    ),
    (DEFAULT_AWARE, ("drop-null-guard",), {"fails": {"no-header", "copy-no-header"}}),
    (DEFAULT_AWARE, ("blog-ifexists",), {"fails": {"no-header", "copy-no-header"}}),
    (CONFIGS, ("ifexists",), {"fails": set()}),  # the equivalent mutant
    (KMS, ("drop-via-service",), {"fails": {"kms-direct"}}),
    (CONFIGS, ("drop:DenyInsecureTransport",), {"fails": {"http-required"}}),
    (CONFIGS, ("drop:DenyOutdatedTls",), {"fails": {"tls-1.1-required"}}),
    (CONFIGS, ("drop:DenySseC",), {"fails": set()}),
]


def mutant_id(config: Config, mutations: tuple[str, ...]) -> str:
    return f"{config.label}:{'+'.join(mutations)}"


# id -> (config, mutations, what must follow)
MUTANT_CASES = {mutant_id(c, m): (c, m, e) for configs, m, e in MUTANTS for c in configs}


@pytest.fixture(scope="session")
def mutants(variant_templates, node_runs) -> dict:
    """Every mutant of MUTANTS, plus a bucket without Bucket Key, in ONE Node process."""
    cases = {id_: Case(variant_templates[c], c, m) for id_, (c, m, _) in MUTANT_CASES.items()}
    aware = variant_templates[SSE_KMS_DEFAULT_AWARE]
    cases["no-bucket-key"] = Case(
        _edit_default_encryption(aware, _without_bucket_key), SSE_KMS_DEFAULT_AWARE
    )
    cases["other-default-key"] = Case(
        _edit_default_encryption(aware, _other_default_key), SSE_KMS_DEFAULT_AWARE
    )
    before = len(node_runs)
    result = prove(list(cases.values()))
    assert len(node_runs) - before == 1
    return dict(zip(cases, result, strict=True))


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
    outcome = mutants[mutant_id(config, ("blog-ifexists",))].outcome("no-header")
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


def test_kms_direct_without_via_service_deny_is_allowed_for_an_admin(mutants):
    outcome = mutants[mutant_id(SSE_KMS_STRICT, ("drop-via-service",))].outcome("kms-direct")
    assert outcome.actual == ALLOWED
    assert "AdministratorAccess" in outcome.detail


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
