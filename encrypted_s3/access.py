"""Who can read it: the declared readers and writers, enforced by the bucket and the key.

Bucket policy: every object read (READ_ACTIONS) is denied to everyone but the declared
readers, every object write (WRITE_ACTIONS, DELETE_ACTIONS) to everyone but the declared
writers; declared principals of other accounts get the Allows a cross-account request
needs. Key policy: Decrypt only for declared readers and writers (S3 decrypts for a
writer's multipart upload and copy), data keys and re-encryption only for writers, the
cross-account fence open to exactly the declared accounts. Each Deny names principals by
aws:PrincipalArn (a role's ARN also for its sessions), never by Principal, so a declared
role that does not exist yet, or is re-created, does not break or silently change the
policy. A CloudFront distribution (a service principal, without aws:PrincipalArn) is
named by aws:SourceArn. docs/design.md, "Who can read it", has the reasons.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import Fn, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import IConstruct

from encrypted_s3 import declared
from encrypted_s3.declared import (
    CLOUDFRONT_SERVICE,
    DELETE_ACTIONS,
    KEY_READ_ACTIONS,
    KEY_WRITE_ACTIONS,
    READ_ACTIONS,
    READER_GRANTS,
    WRITE_ACTIONS,
    WRITER_GRANTS,
)

PRINCIPAL_ARN = "aws:PrincipalArn"
SOURCE_ARN = "aws:SourceArn"
PRINCIPAL_ACCOUNT = "aws:PrincipalAccount"


@dataclass(frozen=True)
class Access:
    """The declarations of one environment (settings readers, writers)."""

    env: str
    readers: tuple[str, ...]
    writers: tuple[str, ...]

    def _arns(self, scope: IConstruct, entries: Sequence[str]) -> list[str]:
        """Role ARNs as template values (an app role's ARN built from its fixed name)."""
        out = []
        for entry in entries:
            if declared.is_distribution(entry):
                continue
            if entry in declared.APP_PRINCIPALS:
                role = declared.app_role_name(entry, self.env)
                entry = Fn.sub(f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/{role}")
            out.append(entry)
        return out

    def reader_arns(self, scope: IConstruct) -> list[str]:
        return self._arns(scope, self.readers)

    def writer_arns(self, scope: IConstruct) -> list[str]:
        return self._arns(scope, self.writers)

    @staticmethod
    def of(settings: Any) -> Access:
        return Access(settings.env, settings.readers, settings.writers)

    @property
    def distributions(self) -> list[str]:
        return [e for e in self.readers if declared.is_distribution(e)]

    @property
    def other_accounts(self) -> list[str]:
        """Accounts named by declared ARNs (the deploying account may be among them)."""
        found = {declared.account(e) for e in self._foreign([*self.readers, *self.writers])}
        return sorted(a for a in found if a)

    def _foreign(self, entries: Sequence[str]) -> list[str]:
        return [e for e in entries if declared.account(e) and not declared.is_distribution(e)]


def _unless(
    principals: Sequence[str], distributions: Sequence[str] = ()
) -> dict[str, dict[str, Any]] | None:
    """The condition "the caller is none of these" (None: no exception, everyone)."""
    conditions: dict[str, dict[str, Any]] = {}
    if principals:
        conditions["ArnNotEquals"] = {PRINCIPAL_ARN: list(principals)}
    if distributions:
        conditions["StringNotEquals"] = {SOURCE_ARN: list(distributions)}
    return conditions or None


def _statement(
    sid: str,
    effect: iam.Effect,
    actions: Sequence[str],
    resources: Sequence[str],
    conditions: dict[str, dict[str, Any]] | None,
    principal: iam.IPrincipal | None = None,
) -> iam.PolicyStatement:
    return iam.PolicyStatement(
        sid=sid,
        effect=effect,
        principals=[principal or iam.AnyPrincipal()],
        actions=list(actions),
        resources=list(resources),
        conditions=conditions,
    )


def _other_accounts_only(scope: IConstruct, arns: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The declared roles, when they call from another account than the resource's."""
    return {
        "ArnEquals": {PRINCIPAL_ARN: list(arns)},
        "StringNotEquals": {PRINCIPAL_ACCOUNT: Stack.of(scope).account},
    }


def bucket_statements(
    bucket: s3.IBucket, access: Access, deleters: Sequence[str] = ()
) -> list[iam.PolicyStatement]:
    """The data bucket's access statements. `deleters`: role ARNs besides the writers that
    may delete objects (CDK's auto-delete role of a bucket that is not retained)."""
    objects = [bucket.arn_for_objects("*")]
    readers, writers = access.reader_arns(bucket), access.writer_arns(bucket)
    deny = iam.Effect.DENY
    statements = [
        _statement(
            "DenyObjectReadsByUndeclared",
            deny,
            READ_ACTIONS,
            objects,
            _unless(readers, access.distributions),
        ),
        _statement("DenyObjectWritesByUndeclared", deny, WRITE_ACTIONS, objects, _unless(writers)),
        _statement(
            "DenyObjectDeletesByUndeclared",
            deny,
            DELETE_ACTIONS,
            objects,
            _unless([*writers, *deleters]),
        ),
    ]
    allow = iam.Effect.ALLOW
    for sid, entries, grants in (
        ("AllowDeclaredReadersOfOtherAccounts", access.readers, READER_GRANTS),
        ("AllowDeclaredWritersOfOtherAccounts", access.writers, WRITER_GRANTS),
    ):
        foreign = access._foreign(entries)
        if foreign:
            condition = _other_accounts_only(bucket, foreign)
            statements.append(_statement(sid, allow, grants, objects, condition))
    if access.distributions:
        statements.append(
            _statement(
                "AllowCloudFrontReads",
                allow,
                ["s3:GetObject"],
                objects,
                {"StringEquals": {SOURCE_ARN: access.distributions}},
                iam.ServicePrincipal(CLOUDFRONT_SERVICE),
            )
        )
    return statements


def key_statements(scope: IConstruct, access: Access) -> list[iam.PolicyStatement]:
    """The key policy's access statements (the fence is in encryption_key.data_use_denies)."""
    readers, writers = access.reader_arns(scope), access.writer_arns(scope)
    decrypters = [*readers, *[w for w in writers if w not in readers]]
    deny = iam.Effect.DENY
    statements = [
        _statement(
            "DenyDecryptByUndeclared",
            deny,
            KEY_READ_ACTIONS,
            ["*"],
            _unless(decrypters, access.distributions),
        ),
        _statement("DenyDataKeysByUndeclared", deny, KEY_WRITE_ACTIONS, ["*"], _unless(writers)),
    ]
    via_s3 = {"kms:ViaService": f"s3.{Stack.of(scope).region}.amazonaws.com"}
    allow = iam.Effect.ALLOW
    foreign = access._foreign([*access.readers, *access.writers])
    if foreign:
        condition = {**_other_accounts_only(scope, sorted(set(foreign))), "StringEquals": via_s3}
        statements.append(
            _statement(
                "AllowDeclaredDecryptOfOtherAccounts", allow, KEY_READ_ACTIONS, ["*"], condition
            )
        )
    foreign_writers = access._foreign(access.writers)
    if foreign_writers:
        condition = {**_other_accounts_only(scope, foreign_writers), "StringEquals": via_s3}
        statements.append(
            _statement(
                "AllowDeclaredDataKeysOfOtherAccounts", allow, KEY_WRITE_ACTIONS, ["*"], condition
            )
        )
    if access.distributions:
        statements.append(
            _statement(
                "AllowCloudFrontDecrypt",
                allow,
                KEY_READ_ACTIONS,
                ["*"],
                {"StringEquals": {SOURCE_ARN: access.distributions}},
                iam.ServicePrincipal(CLOUDFRONT_SERVICE),
            )
        )
    return statements


def fence(scope: IConstruct, access: Access) -> dict[str, dict[str, Any]]:
    """The key's cross-account fence: data use only from this account and the declared
    ones (and by the declared CloudFront distributions, which have no caller account)."""
    account = Stack.of(scope).account
    others = access.other_accounts
    callers: Any = [account, *others] if others else account
    conditions: dict[str, dict[str, Any]] = {"StringNotEquals": {"kms:CallerAccount": callers}}
    if access.distributions:
        conditions["StringNotEquals"][SOURCE_ARN] = access.distributions
    return conditions
