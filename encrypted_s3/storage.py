"""The storage as constructs for any CDK app: the key, and the bucket that only accepts
objects encrypted as the settings say, with its log bucket, policies, readers and writers.

The key and the bucket may live in different stacks (the stateful key apart, as this
repository's app keeps it): create a `StorageKey` in one and pass it to `EncryptedStorage`
in the other. Without a key, an SSE-KMS or DSSE-KMS `EncryptedStorage` creates its own.
Each instance marks its data bucket with the settings its policies were built from, so
the proof (`python -m proof`, `encrypted_s3.ProofPlugin`) finds every instance in any
assembly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from aws_cdk import CfnResource, Stack, Token
from constructs import Construct

from encrypted_s3.access import Access
from encrypted_s3.encrypted_bucket import EncryptedBucket
from encrypted_s3.encryption_key import ProjectKey
from encrypted_s3.names import INSTANCE_METADATA
from encrypted_s3.removal import removal_policy
from encrypted_s3.settings import Settings, SettingsError, parse

REQUIRED = ("readers", "writers")


def storage_settings(name: str, **values: Any) -> Settings:
    """Validated settings of one instance, named `name` (its key alias is
    alias/encrypted-s3-<name>). readers and writers are required: who may use the data is
    declared, never a default."""
    for setting in REQUIRED:
        if setting not in values:
            raise SettingsError(
                f"setting {setting} (instance {name!r}) is missing: allowed a list of IAM role "
                "ARNs (arn:aws:iam::<12 digits>:role/NAME)"
                + (", CloudFront distribution ARNs," if setting == "readers" else "")
                + " or [] (readers=[] only with write_only_archive=true)"
            )
    return parse(name, values)


def _settings(settings: Settings | Mapping[str, Any], name: str) -> Settings:
    if isinstance(settings, Settings):
        return settings
    return storage_settings(name, **settings)


class StorageKey(ProjectKey):
    """The KMS key (and alias) of one instance: data use only through S3, only by the
    declared readers and writers. Pass it to `EncryptedStorage` in any stack."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: Settings | Mapping[str, Any],
        name: str | None = None,
    ) -> None:
        resolved = _settings(settings, name or construct_id.lower())
        if not resolved.uses_kms:
            raise SettingsError(
                f"StorageKey {construct_id}: setting encryption={resolved.encryption!r} uses "
                "no key: allowed values are sse-kms, dsse-kms"
            )
        super().__init__(
            scope,
            construct_id,
            alias=resolved.key_alias,
            rotation_days=resolved.key_rotation_days,
            admins=resolved.key_admins,
            access=Access.of(resolved),
            removal_policy=removal_policy(resolved.retain_data),
            guard_policies=resolved.guard_policies,
        )
        self.settings = resolved


class EncryptedStorage(EncryptedBucket):
    """The data bucket, its log bucket and their policies, for one block of settings.

    `settings`: a Settings (from `storage_settings`) or a mapping of the same settings,
    validated with `name` (default: the construct id, lower-case). `key`: the instance's
    StorageKey when it lives in another stack; KMS modes create one here otherwise.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: Settings | Mapping[str, Any],
        name: str | None = None,
        key: StorageKey | None = None,
        probe_prefix: str | None = None,
    ) -> None:
        resolved = _settings(settings, name or construct_id.lower())
        if key is not None and not resolved.uses_kms:
            raise SettingsError(
                f"EncryptedStorage {construct_id}: encryption={resolved.encryption!r} uses no "
                "key, but one was passed: allowed key=None with sse-s3"
            )
        if key is not None and key.settings != resolved:
            raise SettingsError(
                f"EncryptedStorage {construct_id}: its key {key.node.path} was built from other "
                "settings: allowed only the key built from the same settings"
            )
        if key is None and resolved.uses_kms:
            # A key of its own, beside the instance (its alias names the instance).
            key = StorageKey(scope, f"{construct_id}Key", settings=resolved)
        super().__init__(
            scope,
            construct_id,
            encryption=resolved.encryption,
            header_policy=resolved.header_policy,
            key=key.key if key else None,
            retain_data=resolved.retain_data,
            access=Access.of(resolved),
            guard_policies=resolved.guard_policies,
            probe_prefix=probe_prefix,
        )
        self.settings = resolved
        self.storage_key = key
        self._mark()

    def _mark(self) -> None:
        """The data bucket's Metadata: the settings and this instance's path, and the
        stack's account and region where they are known at synth."""
        stack = Stack.of(self)
        mark: dict[str, Any] = {"path": self.node.path, "settings": self.settings.as_metadata()}
        for field in ("account", "region"):
            value = getattr(stack, field)
            if not Token.is_unresolved(value):
                mark[field] = value
        cast(CfnResource, self.bucket.node.default_child).add_metadata(INSTANCE_METADATA, mark)
