"""Builds the whole app for one Settings: the single place app.py and the tests share."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import App, Environment, Stack, Tags

from stacks.nag import Finding, add_checks
from stacks.settings import Settings
from stacks.stacks import BucketStack, KeyStack, UploaderStack


@dataclass(frozen=True)
class AppStacks:
    key: KeyStack | None
    bucket: BucketStack
    uploader: UploaderStack

    def all(self) -> list[Stack]:
        return [s for s in (self.key, self.bucket, self.uploader) if s is not None]


def build(app: App, settings: Settings, *, env: Environment | None = None) -> AppStacks:
    prefix = settings.stack_prefix
    key_stack = None
    if settings.uses_kms:
        key_stack = KeyStack(
            app,
            f"{prefix}-Key",
            settings=settings,
            env=env,
            description="KMS key for the encrypted S3 bucket (stateful)",
        )
    project_key = key_stack.project_key if key_stack else None
    bucket_stack = BucketStack(
        app,
        f"{prefix}-Bucket",
        settings=settings,
        project_key=project_key,
        env=env,
        description="S3 bucket that only accepts encrypted objects (stateful)",
    )
    uploader_stack = UploaderStack(
        app,
        f"{prefix}-Uploader",
        settings=settings,
        encrypted_bucket=bucket_stack.encrypted_bucket,
        project_key=project_key,
        env=env,
        description="Uploader Lambda that proves the bucket's rules (stateless)",
    )
    stacks = AppStacks(key_stack, bucket_stack, uploader_stack)
    for stack in stacks.all():
        Tags.of(stack).add("project", "encrypted-s3")
        Tags.of(stack).add("environment", settings.env)
    uploader = uploader_stack.uploader
    add_checks(
        app,
        [
            Finding(
                uploader.role,
                "AwsSolutions-IAM5",
                "The probe writes and removes objects whose keys it makes per run: the "
                "wildcard is confined to the probe prefix of the one data bucket.",
                wildcard_resources_of=uploader.role.node.default_child,
            ),
            Finding(
                bucket_stack.encrypted_bucket.log_bucket,
                "AwsSolutions-S1",
                "This is the access-log bucket itself; logging it into itself would loop.",
            ),
        ],
    )
    return stacks
