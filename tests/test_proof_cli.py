"""`python -m proof` on a cloud assembly the session synthesized (no synth of its own)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scenarios import Config, scenarios_for
from tests.conftest import ROOT

CONFIG = Config("sse-kms", "strict")


@pytest.fixture(scope="module")
def assembly(variant_assemblies, tmp_path_factory) -> Path:
    """A copy of the session's cloud assembly of CONFIG (the CLI writes its reports there)."""
    out = tmp_path_factory.mktemp("proof-cli") / "cdk.out"
    shutil.copytree(variant_assemblies[CONFIG][0], out)
    return out


def run_cli(*args: str) -> subprocess.CompletedProcess:
    # proof.simulate finds the venv's Node itself.
    return subprocess.run(
        [sys.executable, "-m", "proof", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_good_assembly_passes_and_writes_both_reports(assembly):
    result = run_cli(str(assembly))
    assert result.returncode == 0, result.stdout + result.stderr
    names = [s.name for s in scenarios_for(CONFIG)]
    rows = [(s.name, p) for s in scenarios_for(CONFIG) for p in s.principals]
    assert f"{len(rows)} passed, 0 failed" in result.stdout
    markdown = (assembly / "proof-report.md").read_text()
    report = json.loads((assembly / "proof-report.json").read_text())
    assert all(f"`{name}`" in markdown for name in names)
    assert "UploadPart" in markdown  # the multipart assumption is stated
    assert report["passed"] is True
    assert [(r["scenario"], r["principal"]) for r in report["rows"]] == rows
    header = next(line for line in result.stdout.splitlines() if line.startswith("scenario"))
    assert header.split()[:2] == ["scenario", "principal"]
    assert "| principal |" in markdown
    # The report names the statements kept as defence in depth, and what covers them.
    assert [d["sid"] for d in report["defence_in_depth"]] == [
        "DenySseC",
        "DenyMissingEncryptionHeader",
        "DenyDataUseFromOtherAccounts",
    ]
    assert "Defence in depth: DenyMissingEncryptionHeader, covered by" in result.stdout
    assert set(report["steps"]["sse-kms-project-key"]) == {
        "uploader",
        "account-admin",
        "other-account",
    }
    assert report["config"] == {"encryption": "sse-kms", "header_policy": "strict"}


def test_a_broken_policy_exits_1_and_names_the_scenarios(assembly, tmp_path):
    result = run_cli(str(assembly), "--break", "drop:DenyOutdatedTls")
    assert result.returncode == 1, result.stdout + result.stderr
    last = result.stdout.strip().splitlines()[-1]
    both = "tls-1.1-required, tls-1.1-required (account-admin)"
    assert last.startswith("FAILED") and last.endswith(f": {both}")
    report = json.loads((assembly / "proof-report.json").read_text())
    assert report["failed"] == both.split(", ")
    assert report["mutations"] == ["drop:DenyOutdatedTls"]


def test_json_output_and_unknown_mutation(assembly):
    result = run_cli(str(assembly), "--json", "--break", "drop:NoSuchSid")
    assert result.returncode == 2
    assert "NoSuchSid" in result.stderr


@pytest.mark.parametrize(
    ("mutation", "admin_rows"),
    [
        # The uploader's own role refuses DSSE-KMS here (its KMS grant wants the Bucket
        # Key's encryption context): only the account admin shows the bucket's gap.
        ("drop:DenyWrongEncryptionAlgorithm", {"dsse-kms-project-key (account-admin)"}),
        (
            "drop:DenyWrongKmsKey",
            {
                "sse-kms-aws-managed (account-admin)",
                "sse-kms-project-alias (account-admin)",
                "sse-kms-other-key (account-admin)",
                "update-encryption-other-key (account-admin)",
            },
        ),
    ],
)
def test_a_dropped_encryption_deny_fails_on_administrator_rows(assembly, mutation, admin_rows):
    result = run_cli(str(assembly), "--break", mutation)
    assert result.returncode == 1, result.stdout + result.stderr
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith(f"FAILED (sse-kms/strict broken by {mutation}): ")
    failed = set(last.split("): ", 1)[1].split(", "))
    assert admin_rows <= failed
    assert not any("other-account" in name for name in failed)
