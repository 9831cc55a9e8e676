"""The bucket under test, what it promises, and how the probe names its objects."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict

import scenarios as sc
from probe.clients import S3Client


@dataclass(frozen=True)
class Target:
    """The bucket under test and what it promises."""

    bucket: str
    prefix: str
    config: sc.Config
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
    s3: S3Client, where: ObjectLocation, sse: sc.Sse, sse_args: dict[str, Any]
) -> dict[str, Any]:
    """head_object of a written object; an SSE-C object cannot be read without its key."""
    return s3.head_object(**where, **(sse_args if sse.customer_key else {}))
