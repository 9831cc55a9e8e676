"""The uploader Lambda: the seed's uploads and the live proof, confined to its probe prefix."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, Duration, ILocalBundling
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from encrypted_s3 import names
from encrypted_s3.encryption_key import s3_service_name
from encrypted_s3.removal import removal_policy
from encrypted_s3.vocabulary import bucket_key, reencrypts

ROOT = Path(__file__).resolve().parent.parent
CODE_DIR = ROOT / "lambda" / "uploader"
# The vocabulary's home is the package users install; the Lambda carries these two files
# of it (standard library only: the package imports its constructs lazily).
VOCABULARY_FILES = (ROOT / "encrypted_s3" / "__init__.py", ROOT / "encrypted_s3" / "vocabulary.py")
PROBE_PREFIX = names.PROBE_PREFIX
# Not part of the bundle: caches and the metadata of the project's editable install.
ASSET_EXCLUDES = ["__pycache__", "*.pyc", ".pytest_cache", ".mypy_cache", "*.egg-info"]


@jsii.implements(ILocalBundling)
class _Bundle:
    """The Lambda's bundle, built without Docker: lambda/uploader as it is, and the
    vocabulary it imports as `encrypted_s3.vocabulary`."""

    def try_bundle(self, output_dir: str, *args: Any, **options: Any) -> bool:
        out = Path(output_dir)
        ignore = shutil.ignore_patterns(*ASSET_EXCLUDES)
        shutil.copytree(CODE_DIR, out, dirs_exist_ok=True, ignore=ignore)
        (out / "encrypted_s3").mkdir()
        for source in VOCABULARY_FILES:
            shutil.copyfile(source, out / "encrypted_s3" / source.name)
        return True


def uploader_code() -> lambda_.Code:
    """The bundle, hashed by what it holds: an edit of the vocabulary changes the asset
    (a hash of lambda/uploader alone would keep a stale bundle)."""
    return lambda_.Code.from_asset(
        str(CODE_DIR),
        asset_hash_type=AssetHashType.OUTPUT,
        # The image is never pulled: the local bundle always succeeds or raises.
        bundling=BundlingOptions(image=DockerImage.from_registry("unused"), local=_Bundle()),
    )


class Uploader(Construct):
    """The uploader Lambda, its role (only its probe prefix, the key only through S3) and
    its log group."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bucket: s3.IBucket,
        key: kms.IKey | None,
        key_alias: str | None,
        encryption: str,
        header_policy: str,
        retain_logs: bool,
        readers: Sequence[str],
        writers: Sequence[str],
        role_name: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            retention=logs.RetentionDays.THREE_MONTHS,
            removal_policy=removal_policy(retain_logs),
        )
        statements = self._object_statements(bucket)
        environment = {
            "BUCKET_NAME": bucket.bucket_name,
            "PROBE_PREFIX": PROBE_PREFIX,
            "ENCRYPTION": encryption,
            "HEADER_POLICY": header_policy,
            # The declarations (settings readers, writers), so the live proof expects of
            # each row what the policies promise (a write-only archive: no read).
            "READERS": ",".join(readers),
            "WRITERS": ",".join(writers),
        }
        if key is not None:
            statements.append(self._key_statement(bucket, key, encryption))
            environment["KEY_ARN"] = key.key_arn
            environment["KEY_ALIAS"] = key_alias or ""
        self.role = self._build_role(statements, role_name)
        self.function = self._build_function(environment)

    def _object_statements(self, bucket: s3.IBucket) -> list[iam.PolicyStatement]:
        """Its logs, and the objects under its probe prefix."""
        return [
            iam.PolicyStatement(
                sid="WriteLogs",
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[self.log_group.log_group_arn],
            ),
            iam.PolicyStatement(
                sid="ProbeObjects",
                actions=[
                    "s3:PutObject",
                    "s3:GetObject",
                    "s3:GetObjectVersion",
                    "s3:DeleteObject",
                    "s3:DeleteObjectVersion",
                    "s3:AbortMultipartUpload",
                    # Re-keys its own probe objects (the live UpdateObjectEncryption rows);
                    # the bucket policy decides where that may keep the promise.
                    "s3:UpdateObjectEncryption",
                ],
                resources=[bucket.arn_for_objects(f"{PROBE_PREFIX}/*")],
            ),
            iam.PolicyStatement(
                sid="ListProbePrefix",
                actions=["s3:ListBucket", "s3:ListBucketVersions"],
                resources=[bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{PROBE_PREFIX}/*"]}},
            ),
            # The cleanup finds the uploads a run left open by listing them (the action
            # has no s3:prefix condition key; it lists upload keys, never object data).
            iam.PolicyStatement(
                sid="ListProbeUploads",
                actions=["s3:ListBucketMultipartUploads"],
                resources=[bucket.bucket_arn],
            ),
        ]

    def _key_statement(
        self, bucket: s3.IBucket, key: kms.IKey, encryption: str
    ) -> iam.PolicyStatement:
        """The key, only through S3 and only for what the bucket promises."""
        kms_actions = ["kms:GenerateDataKey", "kms:Decrypt"]
        if reencrypts(encryption):
            # What AWS documents for UpdateObjectEncryption besides those two
            # (kms:ReEncrypt* spelled out).
            kms_actions += ["kms:Encrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo"]
        return iam.PolicyStatement(
            sid="UseKeyThroughS3",
            actions=kms_actions,
            resources=[key.key_arn],
            conditions={
                "StringEquals": {"kms:ViaService": s3_service_name(self)},
                # S3 names the bucket ARN as encryption context with a Bucket Key and the
                # object ARN without one. Allowing only what the bucket promises means the
                # uploader cannot opt out of the Bucket Key per request (no bucket policy
                # condition key can stop that).
                "StringLike": {
                    "kms:EncryptionContext:aws:s3:arn": bucket.bucket_arn
                    if bucket_key(encryption)
                    else bucket.arn_for_objects(f"{PROBE_PREFIX}/*")
                },
            },
        )

    def _build_role(self, statements: list[iam.PolicyStatement], role_name: str | None) -> iam.Role:
        # A role of its own with an inline policy (no AWS managed policy): only what
        # the probe needs, in place before the function can run. Its name is fixed
        # (names.uploader_role_name) when the bucket and the key name it as declared.
        return iam.Role(
            self,
            "Role",
            role_name=role_name,
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Uploader: writes, reads and removes objects under its probe prefix",
            inline_policies={"Uploader": iam.PolicyDocument(statements=statements)},
        )

    def _build_function(self, environment: dict[str, str]) -> lambda_.Function:
        function = lambda_.Function(
            self,
            "Function",
            description="Tries every kind of upload against the encrypted bucket",
            runtime=lambda_.Runtime.PYTHON_3_14,
            architecture=lambda_.Architecture.ARM_64,
            handler="handler.lambda_handler",
            code=uploader_code(),
            role=self.role,
            timeout=Duration.seconds(names.UPLOADER_TIMEOUT_S),
            memory_size=512,
            logging_format=lambda_.LoggingFormat.JSON,
            log_group=self.log_group,
            environment=environment,
        )
        # CDK adds DependsOn the role that Fn::GetAtt already orders (cfn-lint W3005).
        cast(lambda_.CfnFunction, function.node.default_child).add_deletion_override("DependsOn")
        return function
