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
    assert f"{len(names)} passed, 0 failed" in result.stdout
    markdown = (assembly / "proof-report.md").read_text()
    report = json.loads((assembly / "proof-report.json").read_text())
    assert all(f"`{name}`" in markdown for name in names)
    assert "UploadPart" in markdown  # the multipart assumption is stated
    assert report["passed"] is True
    assert [r["scenario"] for r in report["rows"]] == names
    assert report["config"] == {"encryption": "sse-kms", "header_policy": "strict"}


def test_a_broken_policy_exits_1_and_names_the_scenarios(assembly, tmp_path):
    result = run_cli(str(assembly), "--break", "drop:DenyOutdatedTls")
    assert result.returncode == 1, result.stdout + result.stderr
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("FAILED") and last.endswith(": tls-1.1-required")
    report = json.loads((assembly / "proof-report.json").read_text())
    assert report["failed"] == ["tls-1.1-required"]
    assert report["mutations"] == ["drop:DenyOutdatedTls"]


def test_json_output_and_unknown_mutation(assembly):
    result = run_cli(str(assembly), "--json", "--break", "drop:NoSuchSid")
    assert result.returncode == 2
    assert "NoSuchSid" in result.stderr
