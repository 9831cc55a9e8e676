"""The README's commands of "Objects already stored", run as shown (against moto, the
stacks' outputs answered by a Stubber, the job API by a Stubber), and the cost figures
of the README and docs/design.md equal to rekey.costs."""

from __future__ import annotations

import io
import re
import shlex
import subprocess
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from encrypted_s3 import names
from proof.paths import ROOT
from rekey import audit, costs, rekey
from tests.rekey.support import ACCOUNT, BUCKET, LOG_BUCKET, REGION, ROLE_ARN, Planted

README = (ROOT / "README.md").read_text()
SECTION = README[README.index("## Objects already stored") : README.index("## Development")]
DESIGN = (ROOT / "docs" / "design.md").read_text()


def commands() -> list[tuple[str, list[str]]]:
    """(target, ARGS) of every make line of the section's shell block."""
    block = SECTION[SECTION.index("```sh") : SECTION.index("```\n", SECTION.index("```sh") + 5)]
    found = []
    for line in block.splitlines()[1:]:
        words = shlex.split(line.split("#")[0])
        args = [w.removeprefix("ARGS=") for w in words[2:]]
        found.append((words[1], [a for arg in args for a in shlex.split(arg)]))
    return found


def stack_outputs(planted: Planted) -> Any:
    """A CloudFormation client answering describe_stacks as the deployed dev stacks do."""
    cfn = boto3.client("cloudformation", region_name=REGION)
    stub = Stubber(cfn)
    outputs = {
        names.stack_name("dev", "Bucket"): {
            names.BUCKET_NAME_OUTPUT: BUCKET,
            names.LOG_BUCKET_NAME_OUTPUT: LOG_BUCKET,
            names.REKEY_ROLE_ARN_OUTPUT: ROLE_ARN,
        },
        names.stack_name("dev", "Key"): {names.KEY_ARN_OUTPUT: planted.project_key},
    }
    for stack in outputs:
        stack_json = {
            "StackName": stack,
            "CreationTime": "2026-12-03T00:00:00Z",
            "StackStatus": "CREATE_COMPLETE",
            "Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in outputs[stack].items()],
        }
        stub.add_response("describe_stacks", {"Stacks": [stack_json]}, {"StackName": stack})
    stub.activate()
    return cfn


def test_the_section_shows_three_commands() -> None:
    assert commands() == [("audit", []), ("rekey", []), ("rekey", ["--confirm"])]


def test_every_command_of_the_section_runs_as_stated(
    planted: Planted, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # audit/report.json, as the README says
    cfn = stack_outputs(planted)
    (target, args), *rekeys = commands()
    out = io.StringIO()
    assert audit.main(args, out, cfn=lambda: cfn) == 1  # exits 1: some are not
    assert (tmp_path / "audit" / "report.json").is_file()
    assert "14 of 19 versions not as the settings say" in out.getvalue()
    s3control = boto3.client("s3control", region_name=REGION)
    with Stubber(s3control) as stub:
        for n in (1, 2, 3):
            stub.add_response("create_job", {"JobId": f"job-{n}"}, ANY_CREATE)
        for n in (1, 2, 3):
            stub.add_response("update_job_status", {"JobId": f"job-{n}"}, ANY_STATUS)
        for _, args in rekeys:
            out = io.StringIO()
            assert rekey.main(args, out, s3control) == 0
            text = out.getvalue()
            assert "3 job(s)" in text and "costs at most" in text
            if "--confirm" not in args:
                assert "dry run: nothing submitted" in text
        stub.assert_no_pending_responses()
    assert "submitted job job-3; follow it with: aws s3control describe-job" in text


ANY_CREATE = dict.fromkeys(
    ["AccountId", "ConfirmationRequired", "Operation", "Report", "ClientRequestToken",
     "Description", "Priority", "RoleArn", "ManifestGenerator"],
    ANY,
)  # fmt: skip
ANY_STATUS = {"AccountId": ACCOUNT, "JobId": ANY, "RequestedJobStatus": "Ready"}


@pytest.mark.parametrize(("target", "module"), [("audit", "rekey.audit"), ("rekey", "rekey.rekey")])
def test_the_make_targets_run_the_modules(target: str, module: str) -> None:
    done = subprocess.run(
        ["make", "-n", target, "ARGS=--confirm"], cwd=ROOT, capture_output=True, text=True
    )
    assert f"-m {module} --confirm" in done.stdout


def test_readme_costs_per_million_are_computed_from_the_prices() -> None:
    per_million = costs.per_million()
    table = SECTION[SECTION.index("| way |") :]
    assert f"${per_million['head audit']:.2f} (HEADs" in table
    assert f"| ${per_million['inventory audit']:.4f} |" in table
    assert f"at most ${per_million['batch re-key']:.2f}" in table
    assert f"plus ${costs.BATCH_PER_JOB:.2f} a job" in table
    assert f"list prices of {costs.PRICES_DATE}" in SECTION


def test_design_costs_table_states_the_prices_of_rekey_costs() -> None:
    section = DESIGN[DESIGN.index("## Existing objects") :]
    assert f"gathered {costs.PRICES_DATE}" in section
    rows = dict(re.findall(r"^\| ([^|]+?) \| ([0-9.]+) ", section, re.MULTILINE))
    assert rows == {
        "Batch Operations job": str(costs.BATCH_PER_JOB),
        "Batch Operations objects": f"{costs.BATCH_PER_MILLION_OBJECTS:.2f}",
        "UpdateObjectEncryption (priced as a PUT)": str(costs.PUT_PER_THOUSAND),
        "HEAD (priced as a GET)": str(costs.GET_PER_THOUSAND),
        "ListObjectVersions": str(costs.LIST_PER_THOUSAND),
        "S3 Inventory": str(costs.INVENTORY_PER_MILLION),
        "KMS requests": str(costs.KMS_PER_TEN_THOUSAND),
    }
