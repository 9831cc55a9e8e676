"""The shared vocabulary: the names and values the stacks and the Lambda both speak.

The construct builds the bucket and its policies from these names, the settings validate
against them, the proof reads templates with them, and the scenario table states its
requests with them: one definition each, in the package a user installs. Standard library
only and no imports of its own: the uploader Lambda's bundle carries this module beside
its code (stacks/uploader.py), so the deployed probe speaks the same words. Only names
and values live here; what the rules expect stays hand-written in the table
(lambda/uploader/scenarios/expectations.py).
"""

from __future__ import annotations

from dataclasses import dataclass

# Encryption modes (setting `encryption`).
SSE_KMS = "sse-kms"  # SSE-KMS with the project key and an S3 Bucket Key
DSSE_KMS = "dsse-kms"  # dual-layer SSE-KMS with the project key
SSE_S3 = "sse-s3"  # S3-managed keys (AES256): no project key
ENCRYPTIONS = (SSE_KMS, DSSE_KMS, SSE_S3)

# Header policies (setting `header_policy`): `strict` requires every write to name its
# encryption; `default-aware` lets a write omit all headers and get the bucket default.
STRICT_HEADERS = "strict"
DEFAULT_AWARE_HEADERS = "default-aware"
HEADER_POLICIES = (STRICT_HEADERS, DEFAULT_AWARE_HEADERS)

# The x-amz-server-side-encryption value each encryption mode requires.
ALGORITHM = {SSE_KMS: "aws:kms", DSSE_KMS: "aws:kms:dsse", SSE_S3: "AES256"}

# The S3 condition keys of the encryption headers.
ALGORITHM_KEY = "s3:x-amz-server-side-encryption"
KMS_KEY_ID_KEY = "s3:x-amz-server-side-encryption-aws-kms-key-id"
CUSTOMER_ALGORITHM_KEY = "s3:x-amz-server-side-encryption-customer-algorithm"
ENCRYPTION_CONDITION_KEYS = (ALGORITHM_KEY, KMS_KEY_ID_KEY, CUSTOMER_ALGORITHM_KEY)

# The S3 actions that decide how an object ends up stored, each authorized with the
# encryption condition keys of its request (docs/design.md, "Write paths"): PutObject
# (also CopyObject and multipart uploads) and ReplicateObject store what their headers
# name, or the bucket default when none is sent; UpdateObjectEncryption re-keys a stored
# object, always to SSE-KMS with a key ARN.
HEADER_WRITE_ACTIONS = ("s3:PutObject", "s3:ReplicateObject")
UPDATE_ENCRYPTION_ACTION = "s3:UpdateObjectEncryption"
STORE_ACTIONS = (*HEADER_WRITE_ACTIONS, UPDATE_ENCRYPTION_ACTION)


def uses_kms(encryption: str) -> bool:
    """Whether the mode encrypts with the project's KMS key (and so creates one)."""
    return encryption != SSE_S3


def reencrypts(encryption: str) -> bool:
    """Whether the bucket lets UpdateObjectEncryption through: it always re-keys to SSE-KMS
    with a key ARN, so only an SSE-KMS bucket can keep its promise after it."""
    return encryption == SSE_KMS


def bucket_key(encryption: str) -> bool:
    """Whether S3 uses a Bucket Key: it offers them for SSE-KMS only (not for DSSE-KMS,
    and SSE-S3 needs none)."""
    return encryption == SSE_KMS


# The AWS managed key S3 uses for SSE-KMS when a request names no key (key id "aws/s3").
AWS_MANAGED_S3_KEY = "aws/s3"
# A key id of no key of this bucket: the scenario table's "other key", and the key a
# counterexample names where any other key would do. It need not exist: the bucket
# policy must refuse it before S3 ever asks KMS.
OTHER_KEY_ID = "00000000-0000-4000-8000-000000000000"


@dataclass(frozen=True)
class Config:
    """What the deployed bucket promises: the settings the rules depend on (the scenario
    table's expectations, the live probe and both proofs key on it)."""

    encryption: str
    header_policy: str
    # Setting guard_policies: only the deploy role may change the bucket policy, the
    # bucket's encryption and replication configuration, and the key policy.
    guard_policies: bool = False
    # Settings readers and writers (who can read it): the app's uploader by default.
    readers: tuple[str, ...] = ("uploader",)
    writers: tuple[str, ...] = ("uploader", "rekey")

    def __post_init__(self) -> None:
        if self.encryption not in ENCRYPTIONS:
            raise ValueError(
                f"encryption {self.encryption!r} is not one of {', '.join(ENCRYPTIONS)}"
            )
        if self.header_policy not in HEADER_POLICIES:
            raise ValueError(
                f"header_policy {self.header_policy!r} is not one of {', '.join(HEADER_POLICIES)}"
            )

    @property
    def algorithm(self) -> str:
        return ALGORITHM[self.encryption]

    @property
    def uses_kms(self) -> bool:
        return uses_kms(self.encryption)

    @property
    def bucket_key(self) -> bool:
        return bucket_key(self.encryption)

    @property
    def label(self) -> str:
        return f"{self.encryption}/{self.header_policy}"


def all_configs() -> list[Config]:
    return [Config(e, h) for e in ENCRYPTIONS for h in HEADER_POLICIES]
