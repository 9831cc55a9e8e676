"""Who can read it, in the simulator: the scenario rows of the variants with readers and
writers declared (same account, other account, CloudFront) and of a write-only archive,
each decided by iam-simulate against the synthesized policies."""

from __future__ import annotations

import pytest

from proof.prove import Case, prove_cases
from scenarios import ACCOUNT_ADMIN, ALLOWED, DECLARED_READER, DENIED, OTHER_ACCOUNT, UPLOADER


@pytest.fixture(scope="module")
def access_proofs(access_assemblies) -> dict:
    names = list(access_assemblies)
    proofs = prove_cases([Case(templates, None) for _, templates in access_assemblies.values()])
    return dict(zip(names, proofs, strict=True))


def test_every_row_of_the_declared_variants_is_as_the_rules_say(access_proofs):
    for name, proved in access_proofs.items():
        assert proved.passed, (name, proved.failed)


@pytest.mark.parametrize("name", ["sse-kms/strict+declared", "sse-s3/default-aware+declared"])
def test_a_declared_reader_of_another_account_reads(access_proofs, name):
    read = access_proofs[name].outcome("read-declared-other-account", DECLARED_READER)
    assert (read.expected, read.actual) == (ALLOWED, ALLOWED)
    # The bucket's Allow for it decided, with its own account's policy; S3's Decrypt for it
    # is allowed too (decided by runUnsafeSimulation, which names no statement: "*").
    assert "AllowDeclaredReadersOfOtherAccounts" in read.detail
    kms = [s for s in read.steps if s.request.service == "kms"]
    assert bool(kms) == name.startswith("sse-kms")
    assert all(s.decision.effective == "Allowed" for s in kms)


def test_undeclared_callers_are_denied_by_the_named_statement(access_proofs):
    proved = access_proofs["sse-kms/strict+declared"]
    admin = proved.outcome("read-back", ACCOUNT_ADMIN)
    assert admin.actual == DENIED and "DenyObjectReadsByUndeclared" in admin.detail
    other = proved.outcome("read-back", OTHER_ACCOUNT)
    assert other.actual == DENIED
    assert proved.outcome("read-back", UPLOADER).actual == ALLOWED


def test_a_write_only_archive_lets_its_writer_write_but_no_one_read(access_proofs):
    proved = access_proofs["dsse-kms/strict+archive"]
    assert proved.outcome("dsse-kms-project-key", UPLOADER).actual == ALLOWED
    read = proved.outcome("read-back", UPLOADER)
    assert read.actual == DENIED and "DenyObjectReadsByUndeclared" in read.detail
    undeclared = proved.outcome("read-declared-other-account", DECLARED_READER)
    assert undeclared.actual == DENIED
