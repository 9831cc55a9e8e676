"""Every EncryptedStorage of an assembly of any app: the data buckets the construct marks
(INSTANCE_METADATA), each with its policies, default encryption, key and alias, resolved
for its own stack's account and region. No uploader: the universal proof's properties
hold for every principal, so it needs none."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from encrypted_s3.assembly import (
    AssemblyError,
    Deployment,
    find_bucket_policy,
    find_encryption_rule,
    find_key_policy,
    instance_marks,
    resources_of,
)
from encrypted_s3.resolve import PLACEHOLDER_ENV, Env, ResolveError, Resolver, Templates
from encrypted_s3.universal.policy import Unsupported

# What says "the proof cannot read this assembly" (each message one line): a missing or
# contradictory part, a value it cannot resolve, a policy element it does not encode.
UNREADABLE_ERRORS = (AssemblyError, ResolveError, Unsupported)


@dataclass(frozen=True)
class Instance:
    """One EncryptedStorage of an assembly: where it is, and what the proof evaluates."""

    path: str  # the construct path, e.g. "Orders/Archive"
    where: str  # the data bucket's stack/logical id
    deployment: Deployment


def _instance_env(mark: Mapping[str, Any]) -> Env:
    """The instance stack's account and region where the synthesis knew them."""
    account, region = mark.get("account"), mark.get("region")
    return Env(
        account=account if isinstance(account, str) else PLACEHOLDER_ENV.account,
        region=region if isinstance(region, str) else PLACEHOLDER_ENV.region,
    )


def _alias_of(templates: Templates, resolver: Resolver, key_arn: str) -> str | None:
    """The alias name CloudFormation creates for the key, if the assembly has one."""
    key_id = key_arn.rsplit("/", 1)[1]
    for alias in resources_of(templates, "AWS::KMS::Alias"):
        target = resolver.resolve(alias.properties.get("TargetKeyId"), alias.stack, alias.where)
        if target in (key_arn, key_id):
            return str(resolver.resolve(alias.properties["AliasName"], alias.stack, alias.where))
    return None


def find_instances(templates: Templates) -> list[Instance]:
    """Every EncryptedStorage of the assembly (data buckets marked INSTANCE_METADATA),
    each resolved for its own stack's account and region (placeholders where unknown)."""
    found = []
    for bucket, mark in instance_marks(templates):
        env = _instance_env(mark)
        resolver = Resolver(templates, env)
        bucket_name = resolver.ref(bucket.stack, bucket.logical_id, bucket.where)
        rule = find_encryption_rule(templates, resolver, bucket_name)
        default = rule.get("ServerSideEncryptionByDefault", {})
        key_arn = default.get("KMSMasterKeyID") or None
        if key_arn and not str(key_arn).startswith("arn:"):
            raise AssemblyError(
                f"{bucket.where}: the default encryption names key {key_arn!r}: "
                "the proof needs the key's ARN (a key of the assembly)"
            )
        deployment = Deployment(
            settings=dict(mark["settings"]),
            env=env,
            bucket_name=bucket_name,
            bucket_policy=find_bucket_policy(templates, resolver, bucket_name),
            encryption_rule=rule,
            key_arn=key_arn,
            alias_name=_alias_of(templates, resolver, key_arn) if key_arn else None,
            key_policy=find_key_policy(templates, resolver, key_arn),
            role_arn="",  # no uploader: the properties hold for every principal
            identity_policies=(),
            probe_prefix="",
        )
        found.append(Instance(str(mark.get("path", bucket.where)), bucket.where, deployment))
    return sorted(found, key=lambda i: i.path)
