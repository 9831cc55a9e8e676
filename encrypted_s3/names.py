"""The deployed app's public names: what `make live-proof`, the offline proof and the
benchmark look up in stacks, templates and outputs. Standard library only, so those
tools import it without loading the CDK."""

from __future__ import annotations

STACKS = ("Key", "Bucket", "Uploader")
# Outputs of the key, bucket and uploader stacks.
KEY_ARN_OUTPUT, KEY_ALIAS_OUTPUT = "KeyArn", "KeyAlias"
BUCKET_NAME_OUTPUT, LOG_BUCKET_NAME_OUTPUT = "BucketName", "AccessLogBucketName"
FUNCTION_NAME_OUTPUT = "FunctionName"
# Where the uploader writes (and only there): its role is confined to it, and the bucket
# expires what is left under it (the live proof's cleanup backstop).
PROBE_PREFIX = "probe"
# The uploader's Lambda timeout; a prove run must end, cleanup included, within it.
UPLOADER_TIMEOUT_S = 300


def uploader_role_name(env: str) -> str:
    """The uploader role's name: fixed, so the key and the bucket (deployed before the
    uploader) can name it as a declared reader and writer without a dependency cycle."""
    return f"EncryptedS3-{env}-uploader"


def rekey_role_name(env: str) -> str:
    """The re-key jobs' role's name: fixed for the same reason (it is a declared writer,
    named by the key, which is deployed before the bucket stack that holds the role)."""
    return f"EncryptedS3-{env}-rekey"


def stack_name(env: str, stack: str) -> str:
    """e.g. stack_name("dev", "Uploader") == "EncryptedS3-dev-Uploader"."""
    if stack not in STACKS:
        raise ValueError(f"no stack {stack!r}; the stacks are {', '.join(STACKS)}")
    return f"EncryptedS3-{env}-{stack}"


# Where the log bucket receives the data bucket's daily S3 Inventory, and where the
# re-key jobs write their generated manifests and completion reports.
INVENTORY_ID, INVENTORY_PREFIX = "EncryptionAudit", "inventory"
BATCH_MANIFEST_PREFIX, BATCH_REPORT_PREFIX = (
    "batch-operations/manifests",
    "batch-operations/reports",
)
REKEY_ROLE_ARN_OUTPUT = "RekeyRoleArn"
# Resource Metadata of each instance's data bucket (encrypted_s3.EncryptedStorage): the
# settings its policies were built from and where the instance is, so the proof finds
# every instance of any app.
INSTANCE_METADATA = "EncryptedS3Instance"
