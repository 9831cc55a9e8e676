"""Every Deny matters: dropping any single Deny statement (bucket or key policy) of any
variant makes the proof fail on at least one row, unless it is listed as defence in depth,
in which case the proof must still pass (the listed cover really decides alone).

All mutants of all variants are proved in ONE Node process.
"""

from __future__ import annotations

import pytest

from encrypted_s3.universal.check import check
from proof import mutate
from proof.prove import Case, prove_cases
from tests.conftest import CONFIGS
from tests.proof.support import CountedProofs, prove_counting

# Pinned by hand from the rules (docs/design.md): which Deny of which variant is
# defence in depth. A change here is a change of the design, not a test fix.
PINNED = {(label, sid) for label in (c.label for c in CONFIGS) for sid in ("DenySseC",)} | {
    ("sse-kms/strict", "DenyMissingEncryptionHeader"),
    ("dsse-kms/strict", "DenyMissingEncryptionHeader"),
    ("sse-s3/strict", "DenyMissingEncryptionHeader"),
    ("sse-kms/strict", "DenyDataUseFromOtherAccounts"),
    ("sse-kms/default-aware", "DenyDataUseFromOtherAccounts"),
    ("dsse-kms/strict", "DenyDataUseFromOtherAccounts"),
    ("dsse-kms/default-aware", "DenyDataUseFromOtherAccounts"),
    ("sse-s3/strict", "DenyUpdateObjectEncryption"),
    ("sse-s3/default-aware", "DenyUpdateObjectEncryption"),
    ("dsse-kms/strict", "DenyUpdateObjectEncryption"),
    ("dsse-kms/default-aware", "DenyUpdateObjectEncryption"),
}


def single_drop_cases(variant_templates, deployments) -> dict[tuple[str, str], Case]:
    """{(variant label, Sid): Case} for every Deny of every variant."""
    return {
        (config.label, drop.removeprefix("drop:")): Case(variant_templates[config], config, (drop,))
        for config, deployment in deployments.items()
        for drop in mutate.single_drops(deployment)
    }


@pytest.fixture(scope="session")
def single_drop_proofs(proved_together) -> CountedProofs:
    """{(variant label, Sid): Proof}, proved with the variants and mutants."""
    return proved_together.of("drop")


def test_all_mutants_of_all_variants_are_proved_in_one_node_process(single_drop_proofs):
    assert len(single_drop_proofs.node_runs) == 1


def test_identical_requests_of_different_cases_are_simulated_once(variant_templates):
    config = CONFIGS[0]
    plain = Case(variant_templates[config], config)
    broken = Case(variant_templates[config], config, ("drop:DenyWrongKmsKey",))
    single = prove_counting({"alone": plain})
    three = prove_counting({"first": plain, "again": plain, "mutant": broken})
    (one_run,), (three_run,) = single.node_runs, three.node_runs
    alone, first, again, mutant = single["alone"], *three.values()
    assert three_run < 2 * one_run  # the repeated case costs nothing
    assert three_run > one_run  # the mutant's bucket requests are its own
    assert alone.rows == first.rows == again.rows
    assert alone.passed and not mutant.passed  # shared decisions never leak across policies


def all_denies(deployments) -> set[tuple[str, str]]:
    return {
        (config.label, sid)
        for config, deployment in deployments.items()
        for sid in mutate.deny_sids(deployment)
    }


def test_the_defence_in_depth_list_is_pinned(deployments):
    listed = {
        (config.label, sid)
        for config, deployment in deployments.items()
        for sid in mutate.defence_in_depth(deployment)
    }
    assert listed == PINNED
    # No stale entry: each one applies to some variant's statement.
    for variant, sid in mutate.DEFENCE_IN_DEPTH:
        assert any(s == sid and mutate.fnmatch.fnmatchcase(v, variant) for v, s in listed), sid


def test_every_deny_of_every_variant_is_tried(deployments, single_drop_proofs):
    assert set(single_drop_proofs) == all_denies(deployments)
    # The bucket and the key policy of a KMS variant, the bucket alone in sse-s3 mode.
    sids = {sid for _, sid in single_drop_proofs}
    assert {"DenyUpdateObjectEncryption", "DenyKmsWithoutKeyId", "DenyDataUseOutsideS3"} <= sids


def _ids(pairs) -> list[str]:
    return [f"{label}:{sid}" for label, sid in pairs]


# The Sids come from the synthesized policies (known only after synthesis), so the
# parametrization is by variant and each test walks that variant's Denies.
@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c.label)
def test_each_deny_is_caught_or_defence_in_depth(deployments, single_drop_proofs, config):
    for sid in mutate.deny_sids(deployments[config]):
        proved = single_drop_proofs[(config.label, sid)]
        if sid in mutate.universal_only(deployments[config]):
            assert proved.passed, f"{config.label}: {sid} is caught by the table: unlist it"
        elif (config.label, sid) in PINNED:
            assert proved.passed, (
                f"{config.label}: {sid} is listed as defence in depth, yet dropping it "
                f"fails {proved.failed}"
            )
        else:
            assert proved.failed, (
                f"{config.label}: dropping {sid} changes no row: add a scenario that needs "
                "it, or list it in proof.mutate.DEFENCE_IN_DEPTH with its cover"
            )
            # Another account is refused whatever deny is dropped: nothing grants it.
            assert not any("(other-account)" in name for name in proved.failed), sid


def test_a_caught_deny_is_caught_where_only_the_bucket_decides(single_drop_proofs):
    """Encryption denies must show on the declared admin's rows, whom only the bucket's
    encryption rules stop (the undeclared account admin is fenced off every object)."""
    encryption = {
        "DenyWrongEncryptionAlgorithm",
        "DenyWrongKmsKey",
        "DenyKmsWithoutKeyId",
        "DenyUpdateObjectEncryption",
    }
    for (label, sid), proved in single_drop_proofs.items():
        if sid in encryption and (label, sid) not in PINNED:
            assert any(name.endswith("(declared-admin)") for name in proved.failed), (label, sid)


def test_a_statement_that_stops_mattering_is_reported(variant_templates, deployments):
    """The check can fail: with DenyWrongEncryptionAlgorithm gone, DenyMissingEncryptionHeader
    is no longer covered in strict mode, so dropping both fails where dropping one did not."""
    config = next(c for c in CONFIGS if c.label == "sse-s3/strict")
    (one, both) = prove_cases(
        [
            Case(variant_templates[config], config, ("drop:DenyMissingEncryptionHeader",)),
            Case(
                variant_templates[config],
                config,
                ("drop:DenyMissingEncryptionHeader", "drop:DenyWrongEncryptionAlgorithm"),
            ),
        ]
    )
    assert one.passed
    assert "no-header (declared-admin)" in both.failed


def test_a_deny_only_the_universal_proof_can_exercise_is_needed_there(deployments):
    listed = [
        (config, sid, prop)
        for config, deployment in deployments.items()
        for sid, (prop, _) in mutate.universal_only(deployment).items()
    ]
    assert [(c.label, s) for c, s, _ in listed] == [
        ("sse-kms/default-aware", "DenyUpdateObjectEncryptionWithoutKeyId")
    ]
    for config, sid, prop in listed:
        found = {n.statement: n.needed_by for n in check(deployments[config]).necessity}
        assert prop in found[sid], (sid, found[sid])
