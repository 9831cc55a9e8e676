"""Stacks compose the constructs: stateful (key, bucket) apart from stateless (uploader).
The key and the bucket are the package's constructs (encrypted_s3), used as any app uses them."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from encrypted_s3 import EncryptedStorage, StorageKey, names
from encrypted_s3.settings import Settings
from encrypted_s3.vocabulary import reencrypts
from stacks.rekey_role import RekeyRole
from stacks.uploader import Uploader


class KeyStack(Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, settings: Settings, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.project_key = StorageKey(self, "ProjectKey", settings=settings)
        CfnOutput(self, names.KEY_ARN_OUTPUT, value=self.project_key.key.key_arn)
        CfnOutput(self, names.KEY_ALIAS_OUTPUT, value=self.project_key.alias.alias_name)


class BucketStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: Settings,
        project_key: StorageKey | None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.encrypted_bucket = EncryptedStorage(
            self,
            "EncryptedBucket",
            settings=settings,
            key=project_key,
            probe_prefix=names.PROBE_PREFIX,
        )
        CfnOutput(self, names.BUCKET_NAME_OUTPUT, value=self.encrypted_bucket.bucket.bucket_name)
        CfnOutput(
            self,
            names.LOG_BUCKET_NAME_OUTPUT,
            value=self.encrypted_bucket.log_bucket.bucket_name,
        )
        # `make rekey`'s jobs: only where UpdateObjectEncryption can keep the promise.
        self.rekey_role: RekeyRole | None = None
        if project_key and reencrypts(settings.encryption):
            self.rekey_role = RekeyRole(
                self,
                "RekeyRole",
                bucket=self.encrypted_bucket.bucket,
                log_bucket=self.encrypted_bucket.log_bucket,
                key=project_key.key,
                role_name=names.rekey_role_name(settings.env),
            )
            CfnOutput(self, names.REKEY_ROLE_ARN_OUTPUT, value=self.rekey_role.role.role_arn)


class UploaderStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: Settings,
        encrypted_bucket: EncryptedStorage,
        project_key: StorageKey | None,
        **kwargs: Any,
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
            role_name=names.uploader_role_name(settings.env),
            readers=settings.readers,
            writers=settings.writers,
        )
        CfnOutput(self, names.FUNCTION_NAME_OUTPUT, value=self.uploader.function.function_name)
