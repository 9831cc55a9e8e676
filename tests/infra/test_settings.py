"""Settings: every valid combination, and one readable line for every bad value."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from encrypted_s3 import settings as s
from proof.paths import ROOT
from tests.conftest import CDK_CONTEXT, KEY_ADMIN


def context(values: dict, env_blocks: dict | None = None):
    """A stand-in for node.try_get_context: cdk.json blocks plus -c values."""
    data = {s.CONTEXT_KEY: env_blocks if env_blocks is not None else CDK_CONTEXT[s.CONTEXT_KEY]}
    data.update(values)
    return data.get


def test_cdk_json_environments_are_valid():
    dev = s.from_context(context({}))
    prod = s.from_context(context({"env": "prod"}))
    assert (dev.env, dev.retain_data, prod.env, prod.retain_data) == ("dev", False, "prod", True)
    assert prod.encryption == "sse-kms" and prod.header_policy == "strict"
    # The policy guard protects prod; dev stays changeable by hand.
    assert (dev.guard_policies, prod.guard_policies) == (False, True)


def test_command_line_values_override_and_are_parsed():
    got = s.from_context(
        context(
            {
                "encryption": "dsse-kms",
                "header_policy": "default-aware",
                "key_rotation_days": "90",
                "key_admins": KEY_ADMIN,
                "retain_data": "true",
                "guard_policies": "TRUE",
            }
        )
    )
    assert got == s.Settings("dev", "dsse-kms", "default-aware", 90, (KEY_ADMIN,), True, True)
    two = context({"key_admins": json.dumps([KEY_ADMIN, KEY_ADMIN])})
    assert s.from_context(two).key_admins == (KEY_ADMIN, KEY_ADMIN)


@pytest.mark.parametrize("encryption", s.ENCRYPTIONS)
@pytest.mark.parametrize("header_policy", s.HEADER_POLICIES)
def test_every_combination_is_accepted(encryption, header_policy):
    got = s.parse("dev", {"encryption": encryption, "header_policy": header_policy})
    assert (got.encryption, got.header_policy, got.uses_kms) == (
        encryption,
        header_policy,
        encryption != "sse-s3",
    )


BAD = [
    ({"encryption": "aes"}, "encryption='aes'", "sse-kms, dsse-kms, sse-s3"),
    ({"encryption": "SSE-KMS"}, "encryption='SSE-KMS'", "sse-kms, dsse-kms, sse-s3"),
    ({"header_policy": "lenient"}, "header_policy='lenient'", "strict, default-aware"),
    ({"key_rotation_days": 89}, "key_rotation_days=89", "from 90 to 2560"),
    ({"key_rotation_days": 2561}, "key_rotation_days=2561", "from 90 to 2560"),
    ({"key_rotation_days": "soon"}, "key_rotation_days='soon'", "from 90 to 2560"),
    ({"key_rotation_days": True}, "key_rotation_days=True", "from 90 to 2560"),
    (
        {"key_admins": "arn:aws:iam::12:root"},
        "key_admins='arn:aws:iam::12:root'",
        "IAM principal ARNs",
    ),
    ({"key_admins": "[not json"}, "key_admins='[not json'", "IAM principal ARNs"),
    ({"key_admins": {"a": 1}}, "key_admins={'a': 1}", "IAM principal ARNs"),
    ({"retain_data": "yes"}, "retain_data='yes'", "true, false"),
    ({"guard_policies": "on"}, "guard_policies='on'", "true, false"),
    ({"guard_policies": 1}, "guard_policies=1", "true, false"),
    ({"retain_data": False, "env": "prod"}, "retain_data=false (env 'prod')", "only in env 'dev'"),
    ({"encryption": "sse-s3", "key_admins": [KEY_ADMIN]}, "key_admins", "sse-kms or dsse-kms"),
    ({"colour": "blue"}, "unknown setting 'colour'", "encryption, header_policy"),
    ({"env": "qa"}, "env='qa'", "dev, prod"),
    ({"env": "Prod!"}, "env='Prod!'", "dev, prod"),
]


@pytest.mark.parametrize(("values", "names", "allowed"), BAD, ids=[str(v) for v, _, _ in BAD])
def test_bad_values_fail_with_one_line_naming_setting_value_and_allowed(values, names, allowed):
    values = dict(values)
    env = values.pop("env", "dev")
    blocks = {"dev": {}, "prod": {}}
    if "colour" in values:  # an unknown name in the cdk.json block itself
        blocks[env] = dict(values)
        values = {}
    with pytest.raises(s.SettingsError) as raised:
        s.from_context(context({"env": env, **values}, blocks))
    message = str(raised.value)
    assert "\n" not in message
    assert names in message and allowed in message


def test_bad_context_structure():
    with pytest.raises(s.SettingsError, match="must be an object of settings"):
        s.from_context(context({}, {"dev": ["sse-kms"]}))
    with pytest.raises(s.SettingsError, match="must be an object of environments"):
        s.from_context({s.CONTEXT_KEY: "dev"}.get)


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        ("encrpytion", "did you mean 'encryption'?"),
        ("header-policy", "did you mean 'header_policy'?"),
        ("Encryption", "did you mean 'encryption'?"),
        ("HEADER_POLICY", "did you mean 'header_policy'?"),
        ("foo", "allowed settings are env, encryption, header_policy"),
    ],
)
def test_an_unknown_context_name_is_named_with_the_closest_setting(name, hint):
    with pytest.raises(s.SettingsError) as raised:
        s.check_context_names([*CDK_CONTEXT, "env", name])
    message = str(raised.value)
    assert message.startswith(f"unknown setting {name!r}: ") and hint in message
    assert "\n" not in message


def test_cdk_own_context_names_are_not_settings_typos():
    # Feature flags, keys the CLI adds, cached lookups: none is a setting, none an error.
    own = ["@aws-cdk/aws-s3:x", "aws:cdk:enable-path-metadata", "availability-zones:account=1"]
    assert s.check_context_names([*CDK_CONTEXT, "env", "encryption", *own]) is None
    # The same names beside a typo: the check is live, and it names the typo, not them.
    with pytest.raises(s.SettingsError) as raised:
        s.check_context_names([*CDK_CONTEXT, *own, "encrpytion"])
    assert str(raised.value).startswith("unknown setting 'encrpytion': ")
    assert not any(name in str(raised.value) for name in own)


def test_an_empty_env_is_an_error_not_dev():
    with pytest.raises(s.SettingsError, match=r"^setting env='' is empty: .* -c env=dev$"):
        s.from_context(context({"env": ""}))


OTHER_ADMIN = "arn:aws:iam::210987654321:role/KeyAdmins"


def test_key_admins_from_another_account_are_refused():
    one = s.parse("dev", {"key_admins": [KEY_ADMIN, "arn:aws:iam::123456789012:root"]})
    s.check_account(one, None)
    s.check_account(one, "123456789012")
    two = s.parse("dev", {"key_admins": [KEY_ADMIN, OTHER_ADMIN]})
    with pytest.raises(s.SettingsError, match="names accounts 123456789012, 210987654321: "):
        s.check_account(two, None)
    with pytest.raises(s.SettingsError, match=r"\(deploying to 210987654321\): allowed only"):
        s.check_account(one, "210987654321")


def test_app_run_directly_reads_cdk_json_and_synthesizes_into_cdk_out(monkeypatch):
    """`python app.py` without the CDK CLI: cdk.json's environments, not 'allowed values
    are none' (the CLI passes the context; run directly, the app reads cdk.json itself)."""
    from aws_cdk import App

    import app

    monkeypatch.delenv("CDK_OUTDIR", raising=False)
    options = app.direct_run_options()
    assert options["outdir"] == str(ROOT / "cdk.out")
    settings = s.load(App(context=options["context"]).node.get_all_context())
    assert (settings.env, settings.encryption, settings.retain_data) == ("dev", "sse-kms", False)
    monkeypatch.setenv("CDK_OUTDIR", "/somewhere")  # the CLI's run: its context, its outdir
    assert app.direct_run_options() == {}


def test_app_as_its_own_process_fails_with_one_line_and_exit_1(tmp_path):
    """The real entry point once as its own process: the line is all of stderr."""
    extra = {"encryption": "rot13"}
    env = {**os.environ, "CDK_CONTEXT_JSON": json.dumps({**CDK_CONTEXT, **extra})}
    env["CDK_OUTDIR"] = str(tmp_path / "never")  # nothing may be left in the repository
    env["PATH"] = f"{Path(sys.executable).parent}:{env['PATH']}"  # Node.js 24 for jsii
    result = subprocess.run(
        [sys.executable, "app.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "error: setting encryption='rot13' (env 'dev') is invalid: allowed values are "
        "sse-kms, dsse-kms, sse-s3"
    ]
    assert not list(tmp_path.rglob("*.json"))  # nothing synthesized


def test_stack_names_come_from_one_place(dev_templates):
    from encrypted_s3 import names

    assert set(dev_templates) == {names.stack_name("dev", stack) for stack in names.STACKS}
    with pytest.raises(ValueError, match="the stacks are Key, Bucket, Uploader"):
        names.stack_name("dev", "Lambda")
