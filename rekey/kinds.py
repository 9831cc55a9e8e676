"""How an object version is stored, against how the settings say it must be: its kind.

One classification for both audit sources (HEAD responses and S3 Inventory rows) and the
one place that says which kinds UpdateObjectEncryption can change and why the others not
(docs/design.md, "Existing objects").
"""

from __future__ import annotations

from dataclasses import dataclass

from encrypted_s3.vocabulary import ALGORITHM, bucket_key, reencrypts

# S3's x-amz-server-side-encryption values, and what this module calls SSE-C (S3 reports
# it in other headers) and no encryption at all.
AES256, AWS_KMS, AWS_KMS_DSSE = "AES256", "aws:kms", "aws:kms:dsse"
CUSTOMER_KEY, UNENCRYPTED = "SSE-C", "none"

# The kinds, in report order. "ok" is stored as the settings say.
OK = "ok"
NOT_ENCRYPTED = "not-encrypted"
SSE_C = "sse-c"
SSE_S3 = "sse-s3"  # AES256 where the settings choose a KMS mode
SSE_KMS_KIND = "sse-kms"  # SSE-KMS where the settings choose SSE-S3 or DSSE-KMS
DSSE = "dsse-kms"  # DSSE-KMS where the settings choose another mode
NO_BUCKET_KEY = "no-bucket-key"  # SSE-KMS without the Bucket Key the settings require
OTHER_KEY = "other-kms-key"  # the settings' algorithm under another KMS key
KEY_UNKNOWN = "kms-key-unknown"  # Inventory: right algorithm and Bucket Key, key not listed
KINDS = (
    OK,
    NOT_ENCRYPTED,
    SSE_C,
    SSE_S3,
    SSE_KMS_KIND,
    DSSE,
    NO_BUCKET_KEY,
    OTHER_KEY,
    KEY_UNKNOWN,
)
WRONG_KINDS = KINDS[1:]

# Why UpdateObjectEncryption cannot change a kind (it re-wraps the data key of an object
# already under SSE-S3 or SSE-KMS, and only ever to SSE-KMS with a key ARN).
CANNOT_UPDATE = {
    NOT_ENCRYPTED: "UpdateObjectEncryption does not take unencrypted objects: copy in place",
    SSE_C: "SSE-C: only the holder of the customer key can read it, so only they can rewrite it",
    DSSE: "UpdateObjectEncryption does not take DSSE-KMS objects: copy in place",
}
NOT_TO_THIS_MODE = "UpdateObjectEncryption only produces SSE-KMS, the settings choose {mode}"
LOCKED = "under Object Lock retention or legal hold: UpdateObjectEncryption fails until it ends"
UNKNOWN_KEY = (
    "S3 Inventory has no key ARN: find the keys with the HEAD audit or S3 Metadata's "
    "kms_key_arn, then re-key them with --other-key ARN"
)


@dataclass(frozen=True)
class Expected:
    """How the settings say every object is stored."""

    encryption: str  # encrypted_s3.vocabulary mode
    key_arn: str | None  # the project key (None with sse-s3)

    @property
    def algorithm(self) -> str:
        return ALGORITHM[self.encryption]

    @property
    def bucket_key(self) -> bool:
        return bucket_key(self.encryption)

    def as_json(self) -> dict[str, object]:
        return {
            "encryption": self.encryption,
            "algorithm": self.algorithm,
            "key_arn": self.key_arn,
            "bucket_key": self.bucket_key,
        }


@dataclass(frozen=True)
class Stored:
    """How one object version is stored; key_arn None where the source cannot tell."""

    algorithm: str  # AES256, aws:kms, aws:kms:dsse, SSE-C or none
    key_arn: str | None = None
    bucket_key: bool = False
    locked: bool = False  # Object Lock retention in force or legal hold on


def classify(expected: Expected, stored: Stored) -> str:
    """The kind of a stored version. With SSE-KMS required, a missing Bucket Key is named
    before another key: one re-key job (filter BucketKeyEnabled false) fixes it whatever
    the key, and the other-key jobs then filter Bucket Key enabled: no version in two jobs.
    """
    algorithm = stored.algorithm
    if algorithm == UNENCRYPTED:
        return NOT_ENCRYPTED
    if algorithm == CUSTOMER_KEY:
        return SSE_C
    if algorithm != expected.algorithm:
        return {AES256: SSE_S3, AWS_KMS: SSE_KMS_KIND, AWS_KMS_DSSE: DSSE}[algorithm]
    if algorithm == AES256:
        return OK
    if expected.bucket_key and not stored.bucket_key:
        return NO_BUCKET_KEY
    if stored.key_arn is None:
        return KEY_UNKNOWN
    return OK if stored.key_arn == expected.key_arn else OTHER_KEY


def updatable(expected: Expected, kind: str, locked: bool) -> str | None:
    """None if UpdateObjectEncryption can bring the version to the settings, else why not."""
    if kind in CANNOT_UPDATE:
        return CANNOT_UPDATE[kind]
    if not reencrypts(expected.encryption):
        return NOT_TO_THIS_MODE.format(mode=expected.encryption)
    if locked:
        return LOCKED
    if kind == KEY_UNKNOWN:
        return UNKNOWN_KEY
    return None
