"""Builds the whole app for one Settings: the single place app.py and the tests share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_cdk import App, Environment, Stack, Tags

from encrypted_s3.policy_guard import OneStackSynthesizer
from encrypted_s3.settings import Settings
from stacks.app_stacks import BucketStack, KeyStack, UploaderStack
from stacks.controls import CONTROLS_CONTEXT_KEY, add_controls, app_exemptions
from stacks.nag import WildcardGrant, add_checks
from stacks.source import record_source


@dataclass(frozen=True)
class AppStacks:
    key: KeyStack | None
    bucket: BucketStack
    uploader: UploaderStack

    def all(self) -> list[Stack]:
        return [s for s in (self.key, self.bucket, self.uploader) if s is not None]


def build(
    app: App,
    settings: Settings,
    *,
    env: Environment | None = None,
    bootstrap_version_rule: bool = True,
) -> AppStacks:
    """Add the app's stacks and checks; tests drop the bootstrap rule from their templates."""

    def common() -> dict[str, Any]:
        # A synthesizer serves exactly one stack (the policy guard reads its role ARN).
        synthesizer = OneStackSynthesizer(generate_bootstrap_version_rule=bootstrap_version_rule)
        return {"env": env, "synthesizer": synthesizer}

    key_stack = None
    if settings.uses_kms:
        key_stack = KeyStack(
            app,
            settings.stack_name("Key"),
            settings=settings,
            description="KMS key for the encrypted S3 bucket (stateful)",
            **common(),
        )
    project_key = key_stack.project_key if key_stack else None
    bucket_stack = BucketStack(
        app,
        settings.stack_name("Bucket"),
        settings=settings,
        project_key=project_key,
        description="S3 bucket that only accepts encrypted objects (stateful)",
        **common(),
    )
    uploader_stack = UploaderStack(
        app,
        settings.stack_name("Uploader"),
        settings=settings,
        encrypted_bucket=bucket_stack.encrypted_bucket,
        project_key=project_key,
        description="Uploader Lambda that proves the bucket's rules (stateless)",
        **common(),
    )
    stacks = AppStacks(key_stack, bucket_stack, uploader_stack)
    for stack in stacks.all():
        Tags.of(stack).add("project", "encrypted-s3")
        Tags.of(stack).add("environment", settings.env)
    _add_checks(app, settings, stacks)
    return stacks


def _add_checks(app: App, settings: Settings, stacks: AppStacks) -> None:
    """cdk-nag with its acknowledgments, and the Control Tower controls with their exemptions."""
    uploader = stacks.uploader.uploader
    grants = [
        WildcardGrant(
            uploader.role,
            "The probe writes and removes objects whose keys it makes per run: the "
            "wildcard is confined to the probe prefix of the one data bucket.",
        ),
    ]
    if stacks.bucket.rekey_role:
        grants.append(
            WildcardGrant(
                stacks.bucket.rekey_role.role,
                "A re-key job acts on every object of the one data bucket, only to the project "
                "key; writes manifests and reports under their prefixes of the log bucket; "
                "decrypts through S3 for this bucket only the account's keys that stored them.",
            )
        )
    add_checks(app, grants)
    exemptions = app_exemptions(
        settings, encrypted_bucket=stacks.bucket.encrypted_bucket, uploader=uploader
    )
    add_controls(app, exemptions)


def synth_templates(
    settings: Settings,
    context: dict[str, Any],
    outdir: str,
    *,
    bootstrap_version_rule: bool = False,
    controls: bool = True,
) -> dict[str, dict[str, Any]]:
    """Synthesize the app in-process (tests, benchmarks); templates by stack name.
    The Control Tower controls run unless `controls` is false (stacks/controls.py)."""
    app = App(context={**context, CONTROLS_CONTEXT_KEY: controls}, outdir=outdir)
    stacks = build(app, settings, bootstrap_version_rule=bootstrap_version_rule)
    assembly = app.synth()
    record_source(outdir)
    return {s.stack_name: assembly.get_stack_by_name(s.stack_name).template for s in stacks.all()}
