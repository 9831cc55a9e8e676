"""`python -m proof` on a cloud assembly written from the session's templates (no synth)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scenarios import Config, scenarios_for

ROOT = Path(__file__).resolve().parent.parent
CONFIG = Config("sse-kms", "strict")


@pytest.fixture(scope="module")
def assembly(variant_templates, tmp_path_factory) -> Path:
    """A minimal cloud assembly: manifest.json and one template file per stack."""
    out = tmp_path_factory.mktemp("cdk.out")
    artifacts = {}
    for name, template in variant_templates[CONFIG].items():
        (out / f"{name}.template.json").write_text(json.dumps(template))
        artifacts[name] = {
            "type": "aws:cloudformation:stack",
            "properties": {"templateFile": f"{name}.template.json"},
        }
    (out / "manifest.json").write_text(json.dumps({"version": "48.0.0", "artifacts": artifacts}))
    return out


def run_cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(
        [sys.executable, "-m", "proof", *args],
        cwd=ROOT,
        env=env,
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
