"""cdk-nag and cfn-lint on the real synthesized templates of every variant."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import stacks.nag
from encrypted_s3.settings import parse
from tests.conftest import synth_settings

CFN_LINT = str(Path(sys.executable).parent / "cfn-lint")


def test_cfn_lint_is_clean_on_every_template(variant_templates, dev_templates, tmp_path):
    """Zero errors and warnings on all 19 templates, in one cfn-lint run; a broken control
    template in the same run shows the linter does report what it finds."""
    templates = {
        f"{config.label.replace('/', '-')}-{stack}": template
        for config, by_stack in variant_templates.items()
        for stack, template in by_stack.items()
    } | {f"dev-{stack}": template for stack, template in dev_templates.items()}
    assert len(templates) == 3 * 4 + 2 * 2 + 3
    templates["control"] = {
        "Resources": {"B": {"Type": "AWS::S3::Bucket", "Properties": {"Nope": 1}}}
    }
    for name, template in templates.items():
        (tmp_path / f"{name}.template.json").write_text(json.dumps(template))
    result = subprocess.run(
        [CFN_LINT, "--format", "parseable", *sorted(map(str, tmp_path.glob("*.json")))],
        capture_output=True,
        text=True,
    )
    findings = result.stdout.splitlines()
    assert any("control.template.json" in f and "Nope" in f for f in findings), result
    assert [f for f in findings if "control.template.json" not in f] == []


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
        synth_settings(parse("dev", {}), tmp_path)
    report = json.loads((tmp_path / "validation-report.json").read_text())
    (nag,) = [r for r in report["pluginReports"] if r["pluginName"] == "AwsSolutions"]
    found = sorted(v["ruleName"] for v in nag["violations"])
    assert found == sorted(rule for rule, _ in recorded)
    assert {rule.split("[")[0] for rule in found} == {"AwsSolutions-IAM5"}
    # Each finding names its wildcard resource, and the reason says why that wildcard is
    # confined: the uploader's to the probe prefix of the data bucket, the re-key role's to
    # the data bucket, its prefixes of the log bucket and the account's keys through S3.
    data_bucket_arn = r"EncryptedS3-dev-Bucket:ExportsOutputFnGetAttEncryptedBucketData\w+Arn\w+"
    probe = [(rule, why) for rule, why in recorded if "probe prefix" in why]
    rekey = [(rule, why) for rule, why in recorded if "re-key job" in why]
    assert len(probe) == 1 and len(rekey) == 4 and len(found) == 5
    for rule, reason in probe:
        assert "confined to the probe prefix of the one data bucket" in reason, rule
        resource = rule.split("[", 1)[1].rstrip("]")
        assert re.fullmatch(rf"Resource::{data_bucket_arn}/probe/\*", resource), rule
    logs = "<EncryptedBucketAccessLogs4313EBDA.Arn>/batch-operations"
    assert sorted(rule.split("[", 1)[1].rstrip("]") for rule, _ in rekey) == sorted(
        [
            "Resource::<EncryptedBucketData6D2C902C.Arn>/*",
            f"Resource::{logs}/manifests/*",
            f"Resource::{logs}/reports/*",
            "Resource::arn:<AWS::Partition>:kms:<AWS::Region>:<AWS::AccountId>:key/*",
        ]
    )
