"""The bucket under test, what it promises, and how the probe names its objects."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict

import scenarios as sc
from encrypted_s3 import vocabulary
from probe.clients import S3Client


class ConfigError(Exception):
    """The function's environment does not describe a bucket to prove."""


@dataclass(frozen=True)
class Target:
    """The bucket under test and what it promises."""

    bucket: str
    prefix: str
    config: vocabulary.Config
    keys: sc.KeyRefs

    def __post_init__(self) -> None:
        if not self.bucket:
            raise ValueError("bucket name is empty")
        if not self.prefix or self.prefix.startswith("/") or self.prefix.endswith("/"):
            raise ValueError(f"probe prefix {self.prefix!r} must be non-empty, without '/' ends")

    def promised(self) -> sc.Stored:
        """What every object in the bucket must be stored with."""
        return sc.Stored.promised(self.config, self.keys)


class ObjectLocation(TypedDict):
    """An object as boto3 names it (keyword arguments of head_object, get_object...)."""

    Bucket: str
    Key: str
    VersionId: NotRequired[str]


def object_location(bucket: str, key: str, version_id: str | None) -> ObjectLocation:
    """That version, or the latest when S3 gave no version id."""
    where: ObjectLocation = {"Bucket": bucket, "Key": key}
    if version_id:
        where["VersionId"] = version_id
    return where


def head_written(
    s3: S3Client, where: ObjectLocation, sse: sc.Sse, sse_args: dict[str, str | bytes]
) -> dict[str, Any]:
    """head_object of a written object; an SSE-C object cannot be read without its key."""
    return s3.head_object(**where, **(sse_args if sse.customer_key else {}))


def _declared(environ: Mapping[str, str], name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    """Settings readers or writers, comma-separated ("" is none: a write-only archive)."""
    value = environ.get(name)
    return default if value is None else tuple(v for v in value.split(",") if v)


def target_from_env(environ: Mapping[str, str], function_arn: str) -> tuple[Target, str]:
    """The bucket under test and the region, from the function's environment (as the
    uploader stack sets it) and its own ARN (partition and account)."""
    parts = function_arn.split(":")
    if len(parts) < 6 or parts[0] != "arn" or parts[2] != "lambda":
        raise ConfigError("cannot tell the account: context.invoked_function_arn is missing")
    partition, arn_region, account = parts[1], parts[3], parts[4]
    region = environ.get("AWS_REGION") or arn_region
    bucket = environ.get("BUCKET_NAME", "")
    if not bucket:
        raise ConfigError("BUCKET_NAME is not set")
    try:
        config = vocabulary.Config(
            environ.get("ENCRYPTION", ""),
            environ.get("HEADER_POLICY", ""),
            readers=_declared(environ, "READERS", vocabulary.Config.readers),
            writers=_declared(environ, "WRITERS", vocabulary.Config.writers),
        )
    except ValueError as exc:
        raise ConfigError(f"ENCRYPTION/HEADER_POLICY: {exc}") from exc
    key_arn = environ.get("KEY_ARN") or None
    key_alias = environ.get("KEY_ALIAS") or None
    if config.uses_kms and not (key_arn and key_alias):
        raise ConfigError(f"KEY_ARN and KEY_ALIAS are required with ENCRYPTION={config.encryption}")
    if key_alias and not key_alias.startswith("alias/"):
        raise ConfigError(f"KEY_ALIAS {key_alias!r} must start with alias/")
    keys = sc.KeyRefs.build(partition, region, account, key_arn, key_alias)
    try:
        target = Target(bucket, environ.get("PROBE_PREFIX", ""), config, keys)
    except ValueError as exc:
        raise ConfigError(f"PROBE_PREFIX: {exc}") from exc
    return target, region
