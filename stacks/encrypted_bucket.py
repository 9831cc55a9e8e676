"""The data bucket that only accepts objects encrypted as the settings say, and its log bucket."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks.policy_guard import bucket_guard_statements

# The x-amz-server-side-encryption value each encryption mode requires.
ALGORITHM = {"sse-kms": "aws:kms", "dsse-kms": "aws:kms:dsse", "sse-s3": "AES256"}
ENCRYPTION = {
    "sse-kms": s3.BucketEncryption.KMS,
    "dsse-kms": s3.BucketEncryption.DSSE,
    "sse-s3": s3.BucketEncryption.S3_MANAGED,
}
HEADER = "s3:x-amz-server-side-encryption"
KEY_HEADER = "s3:x-amz-server-side-encryption-aws-kms-key-id"
SSE_C_HEADER = "s3:x-amz-server-side-encryption-customer-algorithm"

# Every S3 action AWS authorizes with those condition keys and that decides how an object
# is stored (docs/design.md, "Write paths"). PutObject (CopyObject and multipart uploads
# too) and ReplicateObject store what their headers name, or the bucket default when none
# is sent; UpdateObjectEncryption re-keys a stored object, always to SSE-KMS with a key ARN.
# s3:BypassGovernanceRetention also carries the keys but stores nothing of its own: it is
# authorized next to a PutObject (decided by these statements) or a delete.
WRITE_ACTIONS = ("s3:PutObject", "s3:ReplicateObject")
UPDATE_ENCRYPTION_ACTION = "s3:UpdateObjectEncryption"
GUARDED_ACTIONS = (*WRITE_ACTIONS, UPDATE_ENCRYPTION_ACTION)


def transport_statements(bucket: s3.IBucket) -> list[iam.PolicyStatement]:
    """TLS only, and TLS 1.2 or newer, for every S3 action on the bucket.

    Written here rather than with enforce_ssl/minimum_tls_version, whose statements
    carry no Sid.
    """
    resources = [bucket.bucket_arn, bucket.arn_for_objects("*")]
    return [
        iam.PolicyStatement(
            sid="DenyInsecureTransport",
            effect=iam.Effect.DENY,
            principals=[iam.AnyPrincipal()],
            actions=["s3:*"],
            resources=resources,
            conditions={"Bool": {"aws:SecureTransport": "false"}},
        ),
        iam.PolicyStatement(
            sid="DenyOutdatedTls",
            effect=iam.Effect.DENY,
            principals=[iam.AnyPrincipal()],
            actions=["s3:*"],
            resources=resources,
            conditions={"NumericLessThan": {"s3:TlsVersion": "1.2"}},
        ),
    ]


def encryption_statements(
    bucket: s3.IBucket, *, algorithm: str, key: kms.IKey | None, header_policy: str
) -> list[iam.PolicyStatement]:
    """The rules for every action that stores an object (GUARDED_ACTIONS): docs/design.md,
    "The rules" and "Write paths".

    Negated operators (StringNotEquals) match when the key is missing, so under
    "default-aware" each statement also requires its header to be present (Null false):
    a request without headers then passes and gets the bucket default.

    UpdateObjectEncryption always targets aws:kms with a key ARN: with an SSE-KMS bucket
    the algorithm and key statements decide it like a write; otherwise it could only move
    objects away from the promised encryption, so one statement denies it outright.
    SSE-C does not apply to it (it takes no customer key).
    """
    reencrypts = algorithm == "aws:kms"
    header_actions = [*WRITE_ACTIONS, UPDATE_ENCRYPTION_ACTION] if reencrypts else WRITE_ACTIONS

    def deny(
        sid: str, conditions: dict[str, dict[str, str]] | None, actions: Sequence[str]
    ) -> iam.PolicyStatement:
        return iam.PolicyStatement(
            sid=sid,
            effect=iam.Effect.DENY,
            principals=[iam.AnyPrincipal()],
            actions=list(actions),
            resources=[bucket.arn_for_objects("*")],
            conditions=conditions,
        )

    strict = header_policy == "strict"
    statements = [deny("DenySseC", {"Null": {SSE_C_HEADER: "false"}}, WRITE_ACTIONS)]
    if strict:
        statements.append(
            deny("DenyMissingEncryptionHeader", {"Null": {HEADER: "true"}}, header_actions)
        )
    wrong_algorithm = {"StringNotEquals": {HEADER: algorithm}}
    if not strict:
        wrong_algorithm["Null"] = {HEADER: "false"}
    statements.append(deny("DenyWrongEncryptionAlgorithm", wrong_algorithm, header_actions))
    if key is not None:
        wrong_key = {"StringNotEquals": {KEY_HEADER: key.key_arn}}
        if not strict:
            wrong_key["Null"] = {KEY_HEADER: "false"}
        statements.append(deny("DenyWrongKmsKey", wrong_key, header_actions))
        if not strict:
            # aws:kms without a key id would encrypt with the aws/s3 managed key.
            statements.append(
                deny(
                    "DenyKmsWithoutKeyId",
                    {"StringEquals": {HEADER: algorithm}, "Null": {KEY_HEADER: "true"}},
                    header_actions,
                )
            )
    if not reencrypts:
        statements.append(deny("DenyUpdateObjectEncryption", None, [UPDATE_ENCRYPTION_ACTION]))
    return statements


class EncryptedBucket(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        encryption: str,
        header_policy: str,
        key: kms.IKey | None,
        retain_data: bool,
        guard_policies: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        removal = RemovalPolicy.RETAIN if retain_data else RemovalPolicy.DESTROY
        common = dict(
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            removal_policy=removal,
            auto_delete_objects=not retain_data,
        )
        # S3 server access logs can only be delivered to an SSE-S3 bucket.
        self.log_bucket = s3.Bucket(
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
        self.bucket = s3.Bucket(
            self,
            "Data",
            encryption=ENCRYPTION[encryption],
            encryption_key=key,
            # Bucket Keys cut KMS calls for SSE-KMS; S3 does not offer them for DSSE-KMS.
            bucket_key_enabled=encryption == "sse-kms",
            blocked_encryption_types=[s3.BlockedEncryptionType.SSE_C],
            versioned=True,
            server_access_logs_bucket=self.log_bucket,
            server_access_logs_prefix="data/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="AbortIncompleteMultipartUploads",
                    abort_incomplete_multipart_upload_after=Duration.days(7),
                ),
                s3.LifecycleRule(
                    id="ExpireNoncurrentVersions",
                    noncurrent_version_expiration=Duration.days(30),
                ),
            ],
            **common,
        )
        if not retain_data:
            # The auto-delete provider's DependsOn its role repeats what Fn::GetAtt
            # already orders (cfn-lint W3005).
            provider = Stack.of(self).node.find_child(
                "Custom::S3AutoDeleteObjectsCustomResourceProvider"
            )
            provider.node.find_child("Handler").add_deletion_override("DependsOn")
        for statement in transport_statements(self.log_bucket):
            self.log_bucket.add_to_resource_policy(statement)
        for statement in transport_statements(self.bucket) + encryption_statements(
            self.bucket, algorithm=ALGORITHM[encryption], key=key, header_policy=header_policy
        ):
            self.bucket.add_to_resource_policy(statement)
        if guard_policies:
            for statement in bucket_guard_statements(self.bucket):
                self.bucket.add_to_resource_policy(statement)
