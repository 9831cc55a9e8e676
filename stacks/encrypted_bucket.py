"""The data bucket that only accepts objects encrypted as the settings say, and its log bucket."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

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
    """The PutObject rules of docs/design.md, "The rules".

    Negated operators (StringNotEquals) match when the key is missing, so under
    "default-aware" each statement also requires its header to be present (Null false):
    a request without headers then passes and gets the bucket default.
    """

    def deny_put(sid: str, conditions: dict[str, dict[str, str]]) -> iam.PolicyStatement:
        return iam.PolicyStatement(
            sid=sid,
            effect=iam.Effect.DENY,
            principals=[iam.AnyPrincipal()],
            actions=["s3:PutObject"],
            resources=[bucket.arn_for_objects("*")],
            conditions=conditions,
        )

    strict = header_policy == "strict"
    statements = [deny_put("DenySseC", {"Null": {SSE_C_HEADER: "false"}})]
    if strict:
        statements.append(deny_put("DenyMissingEncryptionHeader", {"Null": {HEADER: "true"}}))
    wrong_algorithm = {"StringNotEquals": {HEADER: algorithm}}
    if not strict:
        wrong_algorithm["Null"] = {HEADER: "false"}
    statements.append(deny_put("DenyWrongEncryptionAlgorithm", wrong_algorithm))
    if key is not None:
        wrong_key = {"StringNotEquals": {KEY_HEADER: key.key_arn}}
        if not strict:
            wrong_key["Null"] = {KEY_HEADER: "false"}
        statements.append(deny_put("DenyWrongKmsKey", wrong_key))
        if not strict:
            # aws:kms without a key id would encrypt with the aws/s3 managed key.
            statements.append(
                deny_put(
                    "DenyKmsWithoutKeyId",
                    {"StringEquals": {HEADER: algorithm}, "Null": {KEY_HEADER: "true"}},
                )
            )
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
            lifecycle_rules=[s3.LifecycleRule(id="ExpireLogs", expiration=Duration.days(365))],
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
