"""The example app of examples/orders: two instances with different settings, proved at
synth by the plugin; the same app weakened by a statement of the user's own fails."""

from __future__ import annotations

import json

from encrypted_s3.assembly import load_assembly
from encrypted_s3.instances import find_instances
from encrypted_s3.universal.check import all_property_ids
from tests.construct.conftest import PREFIX, Synthesis

ACCESS = ("confidentiality", "integrity", "no-public-access", "declared-use")


def test_the_plugin_proves_every_instance_and_lists_each(orders: Synthesis) -> None:
    """README: `cdk synth --app "python examples/orders/orders_app.py"` exits 0 and prints
    each instance with the properties proved."""
    assert orders.returncode == 0, orders.output
    assert "Traceback" not in orders.output
    by_path = {line.removeprefix(PREFIX).split(": ")[0]: line for line in orders.lines}
    assert sorted(by_path) == ["Orders/Archive", "Orders/Orders"]
    for line in by_path.values():
        assert ": 10 proved (" in line
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


def test_a_statement_of_the_users_own_fails_synthesis_naming_it(weakened: Synthesis) -> None:
    """README: `cdk synth --app "python examples/orders/weakened.py"` exits 1, names the
    instance, the refuted property, the counterexample and the statement."""
    assert weakened.returncode == 1, weakened.output
    assert "Traceback" not in weakened.output
    assert f"{PREFIX}Orders/Orders: declared-use REFUTED" in weakened.lines
    assert any(line.startswith(f"{PREFIX}Orders/Archive: 10 proved") for line in weakened.lines)
    report = json.loads((weakened.outdir / "validation-report.json").read_text())
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
