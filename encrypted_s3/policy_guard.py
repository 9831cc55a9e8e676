"""The policy guard (setting guard_policies): only `cdk deploy` may weaken the encryption.

When on, the bucket policy denies the actions that would change how objects are
encrypted or where they are copied, and the key policy denies kms:PutKeyPolicy and the
alias changes (CreateAlias, UpdateAlias, DeleteAlias on the project key), to every
principal except the CloudFormation execution role that `cdk deploy` uses. That role is
read from the stack's synthesizer, so a custom bootstrap qualifier (or a custom role
ARN) is followed; its placeholders are left to CloudFormation with Fn::Sub.

aws:PrincipalArn is the role ARN also for the role's sessions (CloudFormation acts
through an assumed-role session), and IAM documents ARN operators for it.
"""

from __future__ import annotations

from aws_cdk import DefaultStackSynthesizer, Fn, IBoundStackSynthesizer, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import IConstruct

from encrypted_s3.settings import SettingsError
from encrypted_s3.statements import deny_everyone

# What would weaken the bucket's encryption guarantees: its policy (the encryption
# denies live there), its default encryption (which also blocks SSE-C), and
# replication (copies every object to a bucket and key outside these rules).
BUCKET_GUARD_ACTIONS = [
    "s3:PutBucketPolicy",
    "s3:DeleteBucketPolicy",
    "s3:PutEncryptionConfiguration",
    "s3:PutReplicationConfiguration",
]
KEY_GUARD_ACTIONS = ["kms:PutKeyPolicy"]
# An alias name is a name of the project key only while no one can re-point it: each
# alias action needs the key policy's permission for the key it touches.
ALIAS_GUARD_ACTIONS = ["kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias"]
BUCKET_GUARD_SID = "DenyEncryptionChangesOutsideDeploy"
KEY_GUARD_SID = "DenyKeyPolicyChangesOutsideDeploy"
ALIAS_GUARD_SID = "DenyAliasChangesOutsideDeploy"


class GuardError(SettingsError):
    """The guard cannot name the deploy role of this stack."""


class OneStackSynthesizer(DefaultStackSynthesizer):
    """A DefaultStackSynthesizer bound to its one stack itself.

    A stack binds a reusable synthesizer as a copy (Object.create), which jsii maps back
    to the unbound original, so Python could not read the role ARNs of the copy.
    """

    def reusable_bind(self, stack: Stack) -> IBoundStackSynthesizer:
        self.bind(stack)
        return self


def deploy_role_arn(scope: IConstruct) -> str:
    """The CloudFormation execution role of the stack's `cdk deploy`, as a template value."""
    stack = Stack.of(scope)
    synthesizer = stack.synthesizer
    # Unbound: a plain DefaultStackSynthesizer, whose bound copy Python cannot reach.
    if not isinstance(synthesizer, OneStackSynthesizer) or synthesizer.bootstrap_qualifier is None:
        raise GuardError(
            f"setting guard_policies=true needs the stack {stack.stack_name} to use "
            "encrypted_s3.policy_guard.OneStackSynthesizer "
            f"(it uses {type(synthesizer).__name__}): "
            "only it names the CloudFormation execution role that may change the policies"
        )
    # e.g. arn:${AWS::Partition}:iam::${AWS::AccountId}:role/cdk-<qualifier>-cfn-exec-role-...
    return Fn.sub(synthesizer.cloud_formation_execution_role_arn)


def outside_deploy(scope: IConstruct) -> dict[str, dict[str, str]]:
    """The condition "the caller is not the deploy role"."""
    return {"ArnNotEquals": {"aws:PrincipalArn": deploy_role_arn(scope)}}


def bucket_guard_statements(bucket: s3.IBucket) -> list[iam.PolicyStatement]:
    return [
        deny_everyone(
            BUCKET_GUARD_SID, BUCKET_GUARD_ACTIONS, [bucket.bucket_arn], outside_deploy(bucket)
        )
    ]


def key_guard_statement(scope: IConstruct) -> iam.PolicyStatement:
    """Never a BypassPolicyLockoutSafetyCheck: the deploy role keeps kms:PutKeyPolicy, so
    KMS's lockout check accepts the policy CloudFormation puts."""
    return deny_everyone(KEY_GUARD_SID, KEY_GUARD_ACTIONS, ["*"], outside_deploy(scope))


def alias_guard_statement(scope: IConstruct) -> iam.PolicyStatement:
    """No alias of the project key is created, re-pointed or deleted but by `cdk deploy`."""
    return deny_everyone(ALIAS_GUARD_SID, ALIAS_GUARD_ACTIONS, ["*"], outside_deploy(scope))
