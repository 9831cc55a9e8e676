"""Stacks compose the constructs: stateful (key, bucket) apart from stateless (uploader)."""

from __future__ import annotations

from aws_cdk import CfnOutput, RemovalPolicy, Stack
from constructs import Construct

from stacks.encrypted_bucket import EncryptedBucket
from stacks.encryption_key import ProjectKey
from stacks.settings import Settings
from stacks.uploader import Uploader


class KeyStack(Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, settings: Settings, **kwargs
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.project_key = ProjectKey(
            self,
            "ProjectKey",
            alias=settings.key_alias,
            rotation_days=settings.key_rotation_days,
            admins=settings.key_admins,
            removal_policy=RemovalPolicy.RETAIN if settings.retain_data else RemovalPolicy.DESTROY,
        )
        CfnOutput(self, "KeyArn", value=self.project_key.key.key_arn)
        CfnOutput(self, "KeyAlias", value=self.project_key.alias.alias_name)


class BucketStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: Settings,
        project_key: ProjectKey | None,
        **kwargs,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.encrypted_bucket = EncryptedBucket(
            self,
            "EncryptedBucket",
            encryption=settings.encryption,
            header_policy=settings.header_policy,
            key=project_key.key if project_key else None,
            retain_data=settings.retain_data,
        )
        # The settings the policies were built from travel with the template, so the
        # offline proof knows what to expect of it.
        self.template_options.metadata = {"EncryptedS3Settings": settings.as_metadata()}
        CfnOutput(self, "BucketName", value=self.encrypted_bucket.bucket.bucket_name)
        CfnOutput(self, "AccessLogBucketName", value=self.encrypted_bucket.log_bucket.bucket_name)


class UploaderStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: Settings,
        encrypted_bucket: EncryptedBucket,
        project_key: ProjectKey | None,
        **kwargs,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.uploader = Uploader(
            self,
            "Uploader",
            bucket=encrypted_bucket.bucket,
            key=project_key.key if project_key else None,
            key_alias=project_key.alias.alias_name if project_key else None,
            encryption=settings.encryption,
            header_policy=settings.header_policy,
            retain_logs=settings.retain_data,
        )
        CfnOutput(self, "FunctionName", value=self.uploader.function.function_name)
