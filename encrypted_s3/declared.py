"""Who may read and who may write the data (settings `readers`, `writers`).

Standard library only: the settings, the stacks and the offline proof read the same
declarations. A declaration is one of
- `uploader`, `rekey`: this app's uploader role and re-key jobs' role (APP_PRINCIPALS;
  their account is the deploying one, which an environment-agnostic synthesis does not
  know, so they are named, not written as ARNs);
- an IAM role ARN, of this or another account: `arn:aws:iam::<12 digits>:role/NAME`;
- for readers only, a CloudFront distribution reading through Origin Access Control:
  `arn:aws:cloudfront::<12 digits>:distribution/ID`, written out (a setting, not a token
  of a distribution in the same app, so the key and the distribution never depend on
  each other in a cycle).
docs/design.md, "Who can read it", says how the bucket and the key enforce them.
"""

from __future__ import annotations

import json
import re
from typing import Any

from encrypted_s3 import names

# This app's own roles, by the name a setting uses: the uploader, and the role of the
# re-key jobs (S3 Batch Operations, `make rekey`), a writer that reads no object.
UPLOADER = "uploader"
REKEY = "rekey"
APP_PRINCIPALS = (UPLOADER, REKEY)
# Each app role's fixed name, so the key and the bucket can name it without a cycle.
_APP_ROLE_NAMES = {UPLOADER: names.uploader_role_name, REKEY: names.rekey_role_name}


def app_role_name(entry: str, env: str) -> str:
    """The role name of one of APP_PRINCIPALS in environment `env`."""
    return _APP_ROLE_NAMES[entry](env)


ROLE = re.compile(r"^arn:(aws[a-z-]*):iam::(\d{12}):role/[\w+=,.@/-]{1,512}$")
DISTRIBUTION = re.compile(r"^arn:(aws[a-z-]*):cloudfront::(\d{12}):distribution/[A-Z0-9]{1,64}$")
_IAM_LIKE = re.compile(r"^arn:([^:]*):([^:]*):([^:]*):([^:]*):(.*)$")
CLOUDFRONT_SERVICE = "cloudfront.amazonaws.com"

# The S3 actions on objects, grouped as AWS's Service Authorization Reference groups them
# (its access levels; tests/infra/test_access.py checks these lists against it).
# Read: every action that returns object data or what is stored with it (all GetObject*).
READ_ACTIONS = ("s3:GetObject*",)
# Write: every action that stores, changes, re-keys, replicates or removes an object;
# the deletes apart (in dev CDK's auto-delete role may delete, see encrypted_s3/access.py).
DELETE_ACTIONS = ("s3:DeleteObject", "s3:DeleteObjectVersion")
WRITE_ACTIONS = (
    "s3:PutObject*",
    "s3:DeleteObjectTagging",
    "s3:DeleteObjectVersionTagging",
    "s3:DeleteObjectAnnotation",
    "s3:DeleteObjectVersionAnnotation",
    "s3:Replicate*",
    "s3:AbortMultipartUpload",
    "s3:BypassGovernanceRetention",
    "s3:InitiateReplication",
    "s3:ObjectOwnerOverrideToBucketOwner",
    "s3:RestoreObject",
    "s3:UpdateObjectEncryption",
)
# What a declared reader / writer of another account is granted (its own account must
# allow it too): the ordinary reads and writes.
READER_GRANTS = ("s3:GetObject", "s3:GetObjectVersion")
WRITER_GRANTS = (
    "s3:PutObject",
    "s3:PutObjectTagging",
    "s3:DeleteObject",
    "s3:AbortMultipartUpload",
)
# The key's data actions by side: S3 decrypts for a read and for a writer's multipart
# upload or copy; it asks for data keys (and re-keys) only for a write.
KEY_READ_ACTIONS = ("kms:Decrypt",)
KEY_WRITE_ACTIONS = ("kms:Encrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*")


class DeclarationError(ValueError):
    """A declaration that cannot be used; the message is one readable line."""


def allowed(readers: bool) -> str:
    cloudfront = (
        ", or a CloudFront distribution arn:aws:cloudfront::<12 digits>:distribution/ID"
        if readers
        else ""
    )
    names = ", ".join(APP_PRINCIPALS)
    return f"{names}, IAM role ARNs arn:aws:iam::<12 digits>:role/NAME{cloudfront}"


def _problem(entry: str, readers: bool) -> str | None:
    """Why one declaration is refused, or None."""
    if entry in APP_PRINCIPALS:
        return None
    if "*" in entry or "?" in entry:
        return "wildcards are not declarations (name each role)"
    parts = _IAM_LIKE.match(entry)
    if not parts:
        return "not an ARN"
    if not parts.group(1).startswith("aws"):
        return f"partition {parts.group(1)!r} is not an AWS partition"
    account = parts.group(4)
    if not re.fullmatch(r"\d{12}", account):
        return f"account {account!r} is not 12 digits"
    resource = parts.group(5)
    if parts.group(2) == "iam" and (resource == "root" or resource.startswith("user/")):
        what = "an account root" if resource == "root" else "a user"
        return f"{what}, where a role is required"
    if DISTRIBUTION.match(entry):
        return None if readers else "a CloudFront distribution can only read"
    if ROLE.match(entry):
        return None
    return "malformed"


def parse(env: str, name: str, value: Any, *, readers: bool) -> tuple[str, ...]:
    """The declarations of setting `name` (a list, or from -c a JSON list / commas)."""

    def fail(shown: Any, problem: str) -> DeclarationError:
        return DeclarationError(
            f"setting {name}={shown!r} (env {env!r}) is invalid: {problem}; "
            f"allowed {allowed(readers)}"
        )

    if isinstance(value, str):
        text = value.strip()
        try:
            value = json.loads(text) if text.startswith("[") else [v for v in text.split(",") if v]
        except json.JSONDecodeError:
            raise fail(value, "not a list") from None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise fail(value, "not a list of strings")
    entries = [v.strip() for v in value]
    seen: set[str] = set()
    for entry in entries:
        problem = _problem(entry, readers)
        if problem:
            raise fail(entry, problem)
        if entry in seen:
            raise fail(entry, "declared twice")
        seen.add(entry)
    return tuple(entries)


def partition(entry: str) -> str | None:
    return None if entry in APP_PRINCIPALS else entry.split(":")[1]


def account(entry: str) -> str | None:
    """The account of a declared ARN (None for an app role: the deploying account)."""
    return None if entry in APP_PRINCIPALS else entry.split(":")[4]


def is_distribution(entry: str) -> bool:
    return bool(DISTRIBUTION.match(entry))


def check_partitions(env: str, arns: dict[str, tuple[str, ...]]) -> None:
    """Every declared ARN (readers, writers, key_admins) names the same partition."""
    found = {(p, name) for name, entries in arns.items() for e in entries if (p := partition(e))}
    partitions = sorted({p for p, _ in found})
    if len(partitions) > 1:
        settings = ", ".join(sorted({n for _, n in found}))
        raise DeclarationError(
            f"settings {settings} (env {env!r}) name partitions {', '.join(partitions)}: "
            "allowed only principals of the one partition the app deploys to"
        )
