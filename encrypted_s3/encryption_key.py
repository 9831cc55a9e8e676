"""The project's KMS key: usable for data only through S3, administered apart."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from encrypted_s3.access import Access, fence, key_statements
from encrypted_s3.policy_guard import alias_guard_statement, key_guard_statement
from encrypted_s3.statements import deny_everyone

# Data actions: what turns ciphertext into plaintext or mints data keys.
DATA_USE_ACTIONS = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"]
# Administration without any data action (AWS's "key administrators" set), and without
# kms:PutKeyPolicy (AWS's set has kms:Put*): administrators never rewrite the key policy.
ADMIN_ACTIONS = [
    "kms:Create*",
    "kms:Describe*",
    "kms:Enable*",
    "kms:List*",
    "kms:Update*",
    "kms:Revoke*",
    "kms:Disable*",
    "kms:Get*",
    "kms:Delete*",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:ScheduleKeyDeletion",
    "kms:CancelKeyDeletion",
    "kms:RotateKeyOnDemand",
]


def s3_service_name(scope: Construct) -> str:
    """The kms:ViaService value of S3 in the stack's region."""
    return f"s3.{Stack.of(scope).region}.amazonaws.com"


def data_use_denies(scope: Construct, access: Access) -> list[iam.PolicyStatement]:
    """Explicit denies beat every allow, the account root's included: no one can use the
    key for data except through S3, and only from this account and the declared ones."""
    via_s3 = {"StringNotEquals": {"kms:ViaService": s3_service_name(scope)}}
    return [
        deny_everyone("DenyDataUseOutsideS3", DATA_USE_ACTIONS, ["*"], via_s3),
        deny_everyone(
            "DenyDataUseFromOtherAccounts", DATA_USE_ACTIONS, ["*"], fence(scope, access)
        ),
    ]


def deny_grants_not_for_aws_resources() -> iam.PolicyStatement:
    """Control Tower CT.KMS.PR.3, with the operator and keys its rule requires: grants only
    for AWS resources (a service acting for a caller) or by AWS services. S3's SSE-KMS
    needs no grants at all."""
    return deny_everyone(
        "DenyGrantsNotForAwsResources",
        ["kms:CreateGrant"],
        ["*"],
        {
            "BoolIfExists": {
                "kms:GrantIsForAWSResource": "false",
                "aws:PrincipalIsAWSService": "false",
            }
        },
    )


class ProjectKey(Construct):
    """The KMS key and its alias; the key policy lets data be used only through S3."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        alias: str,
        rotation_days: int,
        admins: tuple[str, ...],
        access: Access,
        removal_policy: RemovalPolicy,
        guard_policies: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        self.key = self._build_key(alias, rotation_days, removal_policy)
        self.alias = kms.Alias(self, "Alias", alias_name=alias, target_key=self.key)
        self.alias.apply_removal_policy(removal_policy)
        self._build_key_policy(admins, access, guard_policies)

    def _build_key(self, alias: str, rotation_days: int, removal_policy: RemovalPolicy) -> kms.Key:
        # The account-root statement keeps the key recoverable and lets IAM policies
        # grant its use (through S3 only: see the denies of _build_key_policy).
        policy = iam.PolicyDocument(
            statements=[
                iam.PolicyStatement(
                    sid="EnableAccountRootAccess",
                    principals=[iam.AccountRootPrincipal()],
                    actions=["kms:*"],
                    resources=["*"],
                )
            ]
        )
        return kms.Key(
            self,
            "Key",
            policy=policy,
            description=f"Encrypts the objects of the encrypted S3 bucket ({alias})",
            enable_key_rotation=True,
            rotation_period=Duration.days(rotation_days),
            pending_window=Duration.days(30),
            removal_policy=removal_policy,
        )

    def _build_key_policy(
        self, admins: tuple[str, ...], access: Access, guard_policies: bool
    ) -> None:
        """Administration for `admins` (no data actions), then the denies and the
        declared readers' and writers' statements (encrypted_s3/access.py)."""
        if admins:
            self.key.add_to_resource_policy(
                iam.PolicyStatement(
                    sid="KeyAdministration",
                    principals=[iam.ArnPrincipal(arn) for arn in admins],
                    actions=ADMIN_ACTIONS,
                    resources=["*"],
                )
            )
        for statement in data_use_denies(self, access) + key_statements(self, access):
            self.key.add_to_resource_policy(statement)
        self.key.add_to_resource_policy(deny_grants_not_for_aws_resources())
        if guard_policies:
            self.key.add_to_resource_policy(key_guard_statement(self))
            self.key.add_to_resource_policy(alias_guard_statement(self))
