"""The plugin on apps that are not the example: no instance, a template it cannot read,
and the construct's own setting errors; `python -m proof` on any app's assembly."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import App, CfnParameter, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3

from encrypted_s3 import (
    EncryptedStorage,
    ProofPlugin,
    SettingsError,
    StorageKey,
    storage_settings,
)
from encrypted_s3.universal.check import all_property_ids
from proof.__main__ import main as proof_main
from tests.construct.conftest import Synthesis

WRITER = "arn:aws:iam::123456789012:role/Writer"


def plugin_app(tmp_path) -> tuple[App, list[str]]:
    lines: list[str] = []
    app = App(outdir=str(tmp_path))
    Validations.of(app).add_plugins(ProofPlugin(out=lines.append))
    return app, lines


def deny_get(storage: EncryptedStorage, conditions: dict[str, Any]) -> None:
    """A Deny of the user's own on the instance's objects, with the given condition."""
    storage.bucket.add_to_resource_policy(
        iam.PolicyStatement(
            effect=iam.Effect.DENY,
            principals=[iam.AnyPrincipal()],
            actions=["s3:GetObject"],
            resources=[storage.bucket.arn_for_objects("*")],
            conditions=conditions,
        )
    )


def unreadable_violation(app: App, tmp_path) -> str:
    """Synthesis fails with the plugin's one violation, unreadable-template: its text."""
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    (plugin,) = [p for p in report["pluginReports"] if p["pluginName"] == "encrypted-s3-proof"]
    (violation,) = plugin["violations"]
    assert violation["ruleName"] == "unreadable-template"
    return str(violation["description"])


def test_an_app_without_an_instance_passes_and_says_so(tmp_path) -> None:
    app, lines = plugin_app(tmp_path)
    s3.Bucket(Stack(app, "Plain"), "Bucket")
    app.synth()
    assert lines == ["encrypted-s3-proof: no EncryptedStorage in this app: nothing to prove"]


def test_an_unreadable_template_fails_with_one_line_naming_the_resource(tmp_path) -> None:
    """A condition value the proof cannot resolve (a parameter without a default)."""
    app, lines = plugin_app(tmp_path)
    stack = Stack(app, "Mine")
    storage = EncryptedStorage(
        stack, "Data", settings={"encryption": "sse-s3", "readers": [WRITER], "writers": [WRITER]}
    )
    tag = CfnParameter(stack, "Tag")
    deny_get(storage, {"StringEquals": {"s3:ExistingObjectTag/team": tag.value_as_string}})
    description = unreadable_violation(app, tmp_path)
    assert "\n" not in description and "Traceback" not in description
    assert "parameter Tag has no Default" in description and "Mine/" in description
    assert lines == []  # nothing is listed as proved


def test_an_unreadable_instance_beside_a_readable_one_is_named_and_the_other_proved(
    tmp_path,
) -> None:
    """The instances are proved together; when one holds what the proof cannot encode (a
    condition operator it does not support), each is proved alone: the violation names
    that one, and the other is still proved and listed."""
    app, lines = plugin_app(tmp_path)
    stack = Stack(app, "Mine")
    settings = {"encryption": "sse-s3", "readers": [WRITER], "writers": [WRITER]}
    EncryptedStorage(stack, "Good", settings=settings)
    bad = EncryptedStorage(stack, "Bad", settings=settings)
    deny_get(bad, {"DateGreaterThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}})
    description = unreadable_violation(app, tmp_path)
    assert description.startswith("Mine/Bad: the proof cannot read it: ")
    assert "DateGreaterThan is not supported" in description and "\n" not in description
    # Every property but key-use and grants (no key of its own) and guard (not set).
    applies = set(all_property_ids()) - {"key-use", "grants", "guard"}
    (line,) = lines
    assert line.startswith(f"encrypted-s3-proof: Mine/Good: {len(applies)} proved (")
    assert set(line.split(" (")[1].rstrip(")").split(", ")) == applies


def test_python_m_proof_proves_any_apps_instances(orders: Synthesis, capsys) -> None:
    assert proof_main([str(orders.outdir)]) == 0
    out = capsys.readouterr().out
    assert "== Orders/Archive (Orders/ArchiveData" in out and "== Orders/Orders (" in out
    assert out.count("10 proved, 0 refuted") == 2
    report = json.loads((orders.outdir / "proof-report.json").read_text())
    assert [i["path"] for i in report["instances"]] == ["Orders/Archive", "Orders/Orders"]
    assert all(i["necessity"] for i in report["instances"])  # the CLI judges every Deny


def test_python_m_proof_refuses_a_mutation_without_the_uploader(orders, capsys) -> None:
    assert proof_main([str(orders.outdir), "--break", "drop:DenyWrongKmsKey"]) == 2
    assert capsys.readouterr().err == (
        "error: --break needs this app's assembly (its uploader and scenarios)\n"
    )


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"writers": [WRITER]},
            "setting readers (instance 'data') is missing: allowed a list of IAM role ARNs",
        ),
        (
            {"readers": [WRITER]},
            "setting writers (instance 'data') is missing: allowed a list of IAM role ARNs",
        ),
        (
            {"readers": [WRITER], "writers": [WRITER], "encryption": "aes"},
            "setting encryption='aes' (env 'data') is invalid: allowed values are",
        ),
        (
            {"readers": ["arn:aws:iam::123456789012:user/Bob"], "writers": [WRITER]},
            "arn:aws:iam::123456789012:user/Bob",
        ),
    ],
)
def test_bad_settings_fail_with_one_line(values, message) -> None:
    with pytest.raises(SettingsError) as raised:
        storage_settings("data", **values)
    assert str(raised.value).startswith(message) or message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_a_key_must_come_from_the_same_settings_and_only_for_kms() -> None:
    stack = Stack(App(), "S")
    kms_settings = storage_settings("data", readers=[WRITER], writers=[WRITER])
    key = StorageKey(stack, "Key", settings=kms_settings)
    other = storage_settings("other", readers=[WRITER], writers=[WRITER])
    with pytest.raises(SettingsError, match="its key S/Key was built from other settings"):
        EncryptedStorage(stack, "Data", settings=other, key=key)
    sse_s3 = storage_settings("plain", encryption="sse-s3", readers=[WRITER], writers=[WRITER])
    with pytest.raises(SettingsError, match="encryption='sse-s3' uses no key, but one was passed"):
        EncryptedStorage(stack, "Plain", settings=sse_s3, key=key)
    with pytest.raises(SettingsError, match="allowed values are sse-kms, dsse-kms"):
        StorageKey(stack, "NoKey", settings=sse_s3)
