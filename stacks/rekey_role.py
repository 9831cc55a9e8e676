"""The role S3 Batch Operations re-key jobs run as (`make rekey`): UpdateObjectEncryption on
the data bucket, only to the project key, and nothing else of the data.

docs/design.md, "Existing objects": what each statement is for, and what only a real job
can settle.
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from encrypted_s3 import names
from encrypted_s3.encryption_key import s3_service_name
from encrypted_s3.vocabulary import (
    ALGORITHM,
    ALGORITHM_KEY,
    KMS_KEY_ID_KEY,
    SSE_KMS,
    UPDATE_ENCRYPTION_ACTION,
)

BATCH_OPERATIONS = "batchoperations.s3.amazonaws.com"
ENCRYPTION_CONTEXT_KEY = "kms:EncryptionContext:aws:s3:arn"


class RekeyRole(Construct):
    """Trusted by S3 Batch Operations of this account only. It can re-key the bucket's
    objects to the project key (the request must name aws:kms and the key's ARN), list
    the bucket for the generated manifest, write manifests and completion reports under
    their prefixes of the log bucket, and use keys only through S3 for this bucket. It
    cannot read object data (no s3:GetObject on the data bucket) nor delete anything."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bucket: s3.IBucket,
        log_bucket: s3.IBucket,
        key: kms.IKey,
        role_name: str,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.role = iam.Role(
            self,
            "Role",
            # Fixed: the key and the bucket name it as a declared writer (names.rekey_role_name).
            role_name=role_name,
            assumed_by=iam.ServicePrincipal(
                BATCH_OPERATIONS,
                conditions={
                    # Confused deputy: only jobs of this account, in this region.
                    "StringEquals": {"aws:SourceAccount": stack.account},
                    "ArnLike": {
                        "aws:SourceArn": f"arn:{stack.partition}:s3:{stack.region}:"
                        f"{stack.account}:job/*"
                    },
                },
            ),
            description="S3 Batch Operations: re-keys the data bucket's objects to the project key",
            inline_policies={
                "Rekey": iam.PolicyDocument(
                    statements=[
                        *self._bucket_statements(bucket, key),
                        *self._log_statements(log_bucket),
                        *self._key_statements(bucket, key),
                    ]
                )
            },
        )

    @staticmethod
    def _bucket_statements(bucket: s3.IBucket, key: kms.IKey) -> list[iam.PolicyStatement]:
        return [
            iam.PolicyStatement(
                sid="RekeyToProjectKey",
                # AWS documents s3:PutObject besides s3:UpdateObjectEncryption for the
                # operation; both only with the project key named (full ARN).
                actions=[UPDATE_ENCRYPTION_ACTION, "s3:PutObject"],
                resources=[bucket.arn_for_objects("*")],
                conditions={
                    "StringEquals": {ALGORITHM_KEY: ALGORITHM[SSE_KMS], KMS_KEY_ID_KEY: key.key_arn}
                },
            ),
            iam.PolicyStatement(
                sid="ListForManifest",
                actions=["s3:ListBucket", "s3:ListBucketVersions"],
                resources=[bucket.bucket_arn],
            ),
        ]

    @staticmethod
    def _log_statements(log_bucket: s3.IBucket) -> list[iam.PolicyStatement]:
        manifests = log_bucket.arn_for_objects(f"{names.BATCH_MANIFEST_PREFIX}/*")
        reports = log_bucket.arn_for_objects(f"{names.BATCH_REPORT_PREFIX}/*")
        return [
            iam.PolicyStatement(
                sid="GeneratedManifests",  # written by the manifest generator, read by the job
                actions=["s3:PutObject", "s3:GetObject", "s3:GetObjectVersion"],
                resources=[manifests],
            ),
            iam.PolicyStatement(
                sid="CompletionReports", actions=["s3:PutObject"], resources=[reports]
            ),
            iam.PolicyStatement(
                sid="LocateLogBucket",
                actions=["s3:GetBucketLocation"],
                resources=[log_bucket.bucket_arn],
            ),
        ]

    def _key_statements(self, bucket: s3.IBucket, key: kms.IKey) -> list[iam.PolicyStatement]:
        stack = Stack.of(self)
        through_s3_for_bucket = {
            "StringEquals": {"kms:ViaService": s3_service_name(self)},
            # S3's encryption context: the bucket with a Bucket Key, else the object.
            "StringLike": {
                ENCRYPTION_CONTEXT_KEY: [bucket.bucket_arn, bucket.arn_for_objects("*")]
            },
        }
        return [
            iam.PolicyStatement(
                sid="ProjectKeyThroughS3",
                actions=[
                    "kms:Encrypt",
                    "kms:Decrypt",
                    "kms:GenerateDataKey",
                    "kms:ReEncryptFrom",
                    "kms:ReEncryptTo",
                ],
                resources=[key.key_arn],
                conditions=through_s3_for_bucket,
            ),
            iam.PolicyStatement(
                # Unwrapping the data keys of versions under another key of the account
                # (their key policies must allow it too); wrapping is only the project key's.
                sid="OtherKeysDecryptThroughS3",
                actions=["kms:Decrypt", "kms:ReEncryptFrom"],
                resources=[f"arn:{stack.partition}:kms:{stack.region}:{stack.account}:key/*"],
                conditions=through_s3_for_bucket,
            ),
        ]
