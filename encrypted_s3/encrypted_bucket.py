"""The data bucket that only accepts objects encrypted as the settings say, and its log bucket."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from aws_cdk import CfnResource, Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct, IConstruct

from encrypted_s3 import names
from encrypted_s3.access import Access, bucket_statements
from encrypted_s3.policy_guard import bucket_guard_statements
from encrypted_s3.removal import removal_policy
from encrypted_s3.statements import deny_everyone
from encrypted_s3.vocabulary import (
    ALGORITHM,
    ALGORITHM_KEY,
    CUSTOMER_ALGORITHM_KEY,
    DSSE_KMS,
    HEADER_WRITE_ACTIONS,
    KMS_KEY_ID_KEY,
    SSE_KMS,
    SSE_S3,
    STRICT_HEADERS,
    UPDATE_ENCRYPTION_ACTION,
    bucket_key,
    reencrypts,
)

LOGS_USE_BUCKET_POLICY = "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy"
BUCKET_ENCRYPTION = {
    SSE_KMS: s3.BucketEncryption.KMS,
    DSSE_KMS: s3.BucketEncryption.DSSE,
    SSE_S3: s3.BucketEncryption.S3_MANAGED,
}

# The encryption statements cover every S3 action that decides how an object is stored
# (encrypted_s3.vocabulary.STORE_ACTIONS, docs/design.md "Write paths").
# s3:BypassGovernanceRetention also carries the encryption keys but stores nothing of its
# own: it is authorized next to a PutObject (decided by these statements) or a delete.


def transport_statements(bucket: s3.IBucket) -> list[iam.PolicyStatement]:
    """TLS only, and TLS 1.2 or newer, for every S3 action on the bucket.

    Written here rather than with enforce_ssl/minimum_tls_version, whose statements
    carry no Sid.
    """
    resources = [bucket.bucket_arn, bucket.arn_for_objects("*")]
    return [
        deny_everyone(
            "DenyInsecureTransport", ["s3:*"], resources, {"Bool": {"aws:SecureTransport": "false"}}
        ),
        deny_everyone(
            "DenyOutdatedTls", ["s3:*"], resources, {"NumericLessThan": {"s3:TlsVersion": "1.2"}}
        ),
    ]


def encryption_statements(
    bucket: s3.IBucket, *, encryption: str, key: kms.IKey | None, header_policy: str
) -> list[iam.PolicyStatement]:
    """The rules for every action that stores an object (STORE_ACTIONS): docs/design.md,
    "The rules" and "Write paths".

    Negated operators (StringNotEquals) match when the key is missing, so under
    "default-aware" each statement also requires its header to be present (Null false):
    a request without headers then passes and gets the bucket default.

    UpdateObjectEncryption always targets aws:kms with a key ARN: with an SSE-KMS bucket
    the algorithm and key statements decide it like a write; otherwise it could only move
    objects away from the promised encryption, so one statement denies it outright.
    SSE-C does not apply to it (it takes no customer key).
    """
    algorithm = ALGORITHM[encryption]
    header_actions = (
        [*HEADER_WRITE_ACTIONS, UPDATE_ENCRYPTION_ACTION]
        if reencrypts(encryption)
        else HEADER_WRITE_ACTIONS
    )

    def deny(
        sid: str, conditions: dict[str, dict[str, str]] | None, actions: Sequence[str]
    ) -> iam.PolicyStatement:
        return deny_everyone(sid, actions, [bucket.arn_for_objects("*")], conditions)

    strict = header_policy == STRICT_HEADERS
    statements = [
        deny("DenySseC", {"Null": {CUSTOMER_ALGORITHM_KEY: "false"}}, HEADER_WRITE_ACTIONS)
    ]
    if strict:
        statements.append(
            deny("DenyMissingEncryptionHeader", {"Null": {ALGORITHM_KEY: "true"}}, header_actions)
        )
    wrong_algorithm = {"StringNotEquals": {ALGORITHM_KEY: algorithm}}
    if not strict:
        wrong_algorithm["Null"] = {ALGORITHM_KEY: "false"}
    statements.append(deny("DenyWrongEncryptionAlgorithm", wrong_algorithm, header_actions))
    if key is not None:
        wrong_key = {"StringNotEquals": {KMS_KEY_ID_KEY: key.key_arn}}
        if not strict:
            wrong_key["Null"] = {KMS_KEY_ID_KEY: "false"}
        statements.append(deny("DenyWrongKmsKey", wrong_key, header_actions))
        if not strict:
            # aws:kms without a key id would encrypt with the aws/s3 managed key.
            statements.append(
                deny(
                    "DenyKmsWithoutKeyId",
                    {"StringEquals": {ALGORITHM_KEY: algorithm}, "Null": {KMS_KEY_ID_KEY: "true"}},
                    header_actions,
                )
            )
            if reencrypts(encryption):
                statements.append(update_without_key_id(bucket))
    if not reencrypts(encryption):
        statements.append(deny("DenyUpdateObjectEncryption", None, [UPDATE_ENCRYPTION_ACTION]))
    return statements


PROBE_EXPIRY = Duration.days(1)


def probe_lifecycle_rules(probe_prefix: str | None) -> list[s3.LifecycleRule]:
    """The backstop of the live proof's cleanup: whatever a run leaves under the probe
    prefix (a write that lands after the cleanup, a cleanup out of time) expires after a
    day, current and noncurrent versions and open uploads alike, and the delete markers
    expiry leaves behind go too (that needs a rule of its own)."""
    if probe_prefix is None:
        return []
    prefix = f"{probe_prefix}/"
    return [
        s3.LifecycleRule(
            id="ExpireProbeObjects",
            prefix=prefix,
            expiration=PROBE_EXPIRY,
            noncurrent_version_expiration=PROBE_EXPIRY,
            abort_incomplete_multipart_upload_after=PROBE_EXPIRY,
        ),
        s3.LifecycleRule(
            id="RemoveProbeDeleteMarkers", prefix=prefix, expired_object_delete_marker=True
        ),
    ]


def update_without_key_id(bucket: s3.IBucket) -> iam.PolicyStatement:
    """Default-aware SSE-KMS: UpdateObjectEncryption's body always names a key, so without
    the key id condition key the Null guards would let any key through."""
    return deny_everyone(
        "DenyUpdateObjectEncryptionWithoutKeyId",
        [UPDATE_ENCRYPTION_ACTION],
        [bucket.arn_for_objects("*")],
        {"Null": {KMS_KEY_ID_KEY: "true"}},
    )


AUTO_DELETE_PROVIDER = "Custom::S3AutoDeleteObjectsCustomResourceProvider"


def auto_delete_provider(scope: IConstruct) -> IConstruct | None:
    """CDK's auto-delete-objects Lambda of the stack (only where retain_data is false)."""
    return Stack.of(scope).node.try_find_child(AUTO_DELETE_PROVIDER)


class EncryptedBucket(Construct):
    """The data bucket (default encryption, policy) and the bucket its access logs go to."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        encryption: str,
        header_policy: str,
        key: kms.IKey | None,
        retain_data: bool,
        access: Access,
        guard_policies: bool = False,
        probe_prefix: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        # In any app, whatever its cdk.json: access logs delivered under a bucket policy
        # (an ACL cannot be set on a bucket whose owner enforces object ownership).
        self.node.set_context(LOGS_USE_BUCKET_POLICY, True)
        self._probe_prefix = probe_prefix  # where a live prover writes: expired after a day
        common: dict[str, Any] = dict(
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            removal_policy=removal_policy(retain_data),
            auto_delete_objects=not retain_data,
        )
        self.log_bucket = self._build_log_bucket(common)
        self.bucket = self._build_data_bucket(encryption, key, common)
        if not retain_data:
            self._drop_auto_delete_depends_on()
        self._build_policies(encryption, header_policy, key, guard_policies)
        self._build_access(access)

    def _build_log_bucket(self, common: dict[str, Any]) -> s3.Bucket:
        # S3 server access logs can only be delivered to an SSE-S3 bucket.
        return s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            # Versioned, so an overwritten or deleted log leaves its previous version.
            versioned=True,
            lifecycle_rules=[
                s3.LifecycleRule(id="ExpireLogs", expiration=Duration.days(365)),
                # A replaced log stays as long as the log itself would have.
                s3.LifecycleRule(
                    id="ExpireNoncurrentLogVersions",
                    noncurrent_version_expiration=Duration.days(365),
                ),
            ],
            **common,
        )

    def _build_data_bucket(
        self, encryption: str, key: kms.IKey | None, common: dict[str, Any]
    ) -> s3.Bucket:
        return s3.Bucket(
            self,
            "Data",
            encryption=BUCKET_ENCRYPTION[encryption],
            encryption_key=key,
            # Bucket Keys cut KMS calls for SSE-KMS; S3 does not offer them for DSSE-KMS.
            bucket_key_enabled=bucket_key(encryption),
            blocked_encryption_types=[s3.BlockedEncryptionType.SSE_C],
            versioned=True,
            server_access_logs_bucket=self.log_bucket,
            server_access_logs_prefix="data/",
            inventories=[self._encryption_inventory()],
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="AbortIncompleteMultipartUploads",
                    abort_incomplete_multipart_upload_after=Duration.days(7),
                ),
                s3.LifecycleRule(
                    id="ExpireNoncurrentVersions",
                    noncurrent_version_expiration=Duration.days(30),
                ),
                *probe_lifecycle_rules(self._probe_prefix),
            ],
            **common,
        )

    def _encryption_inventory(self) -> s3.Inventory:
        """A daily list of every version and how it is stored, for `make audit` on buckets
        too large to HEAD (docs/design.md, "Existing objects": why CSV, what it lacks)."""
        return s3.Inventory(
            inventory_id=names.INVENTORY_ID,
            destination=s3.InventoryDestination(
                bucket=self.log_bucket, prefix=names.INVENTORY_PREFIX
            ),
            format=s3.InventoryFormat.CSV,
            frequency=s3.InventoryFrequency.DAILY,
            include_object_versions=s3.InventoryObjectVersion.ALL,
            optional_fields=[
                "EncryptionStatus",
                "BucketKeyStatus",
                "ObjectLockMode",
                "ObjectLockRetainUntilDate",
                "ObjectLockLegalHoldStatus",
            ],
        )

    def _drop_auto_delete_depends_on(self) -> None:
        # The auto-delete provider's DependsOn its role repeats what Fn::GetAtt
        # already orders (cfn-lint W3005).
        provider = Stack.of(self).node.find_child(AUTO_DELETE_PROVIDER)
        # The provider's handler is a plain CfnResource (find_child is typed IConstruct).
        handler = cast(CfnResource, provider.node.find_child("Handler"))
        handler.add_deletion_override("DependsOn")

    def _build_access(self, access: Access) -> None:
        """Who may read and write the objects. The one exception besides the declared
        writers: CDK's auto-delete role (only where retain_data is false) deletes every
        object when the stack is destroyed."""
        provider = auto_delete_provider(self)
        deleters = []
        if provider is not None:
            role = cast(CfnResource, provider.node.find_child("Role"))
            deleters.append(role.get_att("Arn").to_string())
        for statement in bucket_statements(self.bucket, access, deleters):
            self.bucket.add_to_resource_policy(statement)

    def _build_policies(
        self, encryption: str, header_policy: str, key: kms.IKey | None, guard_policies: bool
    ) -> None:
        for statement in transport_statements(self.log_bucket):
            self.log_bucket.add_to_resource_policy(statement)
        for statement in transport_statements(self.bucket) + encryption_statements(
            self.bucket, encryption=encryption, key=key, header_policy=header_policy
        ):
            self.bucket.add_to_resource_policy(statement)
        if guard_policies:
            for statement in bucket_guard_statements(self.bucket):
                self.bucket.add_to_resource_policy(statement)
