"""The example app of examples/orders: two instances with different settings, proved at
synth by the plugin; the same app weakened by a statement of the user's own fails."""

from __future__ import annotations

import json
import subprocess

import pytest
from aws_cdk import aws_iam as iam

from proof.assembly import load_assembly
from proof.instances import find_instances
from proof.paths import CDK, ROOT
from proof.universal.check import all_property_ids
from tests.construct.conftest import EXAMPLES, Synthesis, synthesize

ACCESS = ("confidentiality", "integrity", "no-public-access", "declared-use")


def test_the_plugin_proves_every_instance_and_lists_each(orders: Synthesis) -> None:
    assert orders.error is None
    by_path = {line.split(": ")[1]: line for line in orders.lines}
    assert sorted(by_path) == ["Orders/Archive", "Orders/Orders"]
    for line in by_path.values():
        proved = line.split("(")[1].rstrip(")").split(", ")
        assert set(ACCESS) <= set(proved) and "stored-encryption" in proved
        assert set(proved) <= set(all_property_ids())


def test_the_key_and_the_bucket_live_in_different_stacks(orders: Synthesis) -> None:
    templates = load_assembly(orders.outdir)
    instances = {i.path: i for i in find_instances(templates)}
    kinds = {stack: {r["Type"] for r in t["Resources"].values()} for stack, t in templates.items()}
    assert "AWS::KMS::Key" in kinds["OrdersKey"]
    orders_instance = instances["Orders/Orders"].deployment
    # The bucket (stack Orders) is encrypted with the key of stack OrdersKey, whose
    # policy the proof read across the stacks' export.
    assert instances["Orders/Orders"].where.startswith("Orders/")
    assert orders_instance.key_policy is not None
    assert orders_instance.key_policy.name.startswith("OrdersKey/")
    assert orders_instance.alias_name == "alias/encrypted-s3-orders"
    assert orders_instance.env.account == "111122223333"
    archive = instances["Orders/Archive"].deployment
    assert archive.key_policy is not None and archive.key_policy.name.startswith("Orders/")
    assert archive.settings["write_only_archive"] is True


def no_tagging(stacks) -> None:
    """The weakening of examples/orders/weakened.py, applied the same way."""
    orders = stacks.orders
    orders.bucket.add_to_resource_policy(
        iam.PolicyStatement(
            sid="NoTagging",
            effect=iam.Effect.DENY,
            principals=[iam.AnyPrincipal()],
            actions=["s3:PutObjectTagging"],
            resources=[orders.bucket.arn_for_objects("*")],
        )
    )


def test_a_statement_of_the_users_own_fails_synthesis_naming_it(tmp_path) -> None:
    weakened = synthesize(tmp_path, no_tagging)
    assert weakened.error is not None and weakened.error.startswith("ValidationFailed")
    assert "encrypted-s3-proof: Orders/Orders: declared-use REFUTED" in weakened.lines
    assert any(
        line.startswith("encrypted-s3-proof: Orders/Archive: 10 proved") for line in weakened.lines
    )  # the other instance is untouched
    report = json.loads((tmp_path / "validation-report.json").read_text())
    (plugin,) = [p for p in report["pluginReports"] if p["pluginName"] == "encrypted-s3-proof"]
    assert plugin["conclusion"] == "failure"
    violations = {v["ruleName"]: v for v in plugin["violations"]}
    assert "declared-use" in violations
    described = violations["declared-use"]["description"]
    assert described.startswith("Orders/Orders: Declared use works REFUTED")
    assert "s3:PutObjectTagging" in described and "role/orders-writer" in described
    assert "decided by NoTagging" in described
    (resource,) = violations["declared-use"]["violatingConstructs"]
    assert resource["constructPath"] == "Orders/Orders/Data/Resource"
    assert resource["cloudFormationResource"]["templatePath"] == "Orders.template.json"


@pytest.mark.parametrize(
    ("script", "code", "expected"),
    [
        ("orders_app.py", 0, "encrypted-s3-proof: Orders/Orders: 10 proved"),
        ("weakened.py", 1, "encrypted-s3-proof: Orders/Orders: declared-use REFUTED"),
    ],
)
def test_the_readme_commands_synthesize_with_the_real_cli(tmp_path, script, code, expected):
    """README "Use it in your own app": `cdk synth --app "python examples/orders/..."`."""
    result = subprocess.run(
        [str(CDK), "synth", "-q", "--app", f"python {EXAMPLES / script}", "-o", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == code, output
    assert expected in output
    assert "Traceback" not in output
