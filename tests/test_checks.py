"""cdk-nag and cfn-lint on the real synthesized templates of every variant."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import stacks.nag
from stacks.settings import parse
from tests.conftest import synth

CFN_LINT = str(Path(sys.executable).parent / "cfn-lint")


def test_cfn_lint_is_clean_on_every_template(variant_templates, dev_templates, tmp_path):
    paths = []
    for name, templates in [
        (c.label.replace("/", "-"), t) for c, t in variant_templates.items()
    ] + [("dev", dev_templates)]:
        for stack, template in templates.items():
            path = tmp_path / f"{name}-{stack}.template.json"
            path.write_text(json.dumps(template))
            paths.append(str(path))
    assert len(paths) == 3 * 4 + 2 * 2 + 3
    result = subprocess.run(
        [CFN_LINT, "--format", "parseable", *paths],
        capture_output=True,
        text=True,
    )
    assert result.stdout == "" and result.returncode == 0, result.stdout + result.stderr


def test_cfn_lint_does_report_a_broken_template(tmp_path):
    """The lint call above would notice a problem: a bucket with a bad property."""
    path = tmp_path / "broken.template.json"
    path.write_text(
        json.dumps({"Resources": {"B": {"Type": "AWS::S3::Bucket", "Properties": {"Nope": 1}}}})
    )
    result = subprocess.run(
        [CFN_LINT, "--format", "parseable", str(path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0 and "Nope" in result.stdout


def test_nag_has_no_unacknowledged_findings_and_every_acknowledgment_is_needed(
    monkeypatch, tmp_path
):
    """Synthesis succeeds with the acknowledgments (the session fixtures prove it); without
    them AwsSolutions fails synthesis on exactly the findings acknowledged, each with a
    specific reason."""
    recorded = []
    monkeypatch.setattr(
        stacks.nag, "_acknowledge", lambda construct, rule, reason: recorded.append((rule, reason))
    )
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        synth(parse("dev", {}), tmp_path)
    report = json.loads((tmp_path / "validation-report.json").read_text())
    (nag,) = [r for r in report["pluginReports"] if r["pluginName"] == "AwsSolutions"]
    found = sorted(v["ruleName"] for v in nag["violations"])
    assert found == sorted(rule for rule, _ in recorded)
    assert [rule.split("[")[0] for rule in found] == ["AwsSolutions-IAM5"]
    for rule, reason in recorded:
        assert len(reason) > 40, f"{rule}: the reason must say why"
