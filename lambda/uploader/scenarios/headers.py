"""The encryption headers of a request, the keys they name, and how S3 stores an object.

A request names keys symbolically (PROJECT_KEY, PROJECT_ALIAS, OTHER_KEY); KeyRefs turns
them into ARNs, live (the deployed key) or offline (the synthesized one). The same
headers are stated two ways: as boto3 arguments (the live probe) and as S3 condition
keys (the offline proof).
"""

from __future__ import annotations

from dataclasses import dataclass

from encrypted_s3.vocabulary import (
    ALGORITHM_KEY,
    CUSTOMER_ALGORITHM_KEY,
    KMS_KEY_ID_KEY,
    OTHER_KEY_ID,
    Config,
)

# Symbolic keys a request can name; the probe and the proof turn them into ARNs.
PROJECT_KEY = "project"  # the app's KMS key, by ARN
PROJECT_ALIAS = "project-alias"  # the app's KMS key, by alias ARN
OTHER_KEY = "other"  # a key ARN in the same account that is not the app's key


@dataclass(frozen=True)
class Sse:
    """The encryption headers of one request (None: the header is not sent)."""

    algorithm: str | None = None
    key: str | None = None  # PROJECT_KEY, PROJECT_ALIAS, OTHER_KEY
    customer_key: bool = False  # SSE-C

    @property
    def names_encryption(self) -> bool:
        """False for a request S3 encrypts with the bucket default."""
        return self.algorithm is not None or self.customer_key

    @staticmethod
    def required(config: Config) -> Sse:
        """The headers a well-behaved client sends for this bucket."""
        return Sse(config.algorithm, PROJECT_KEY if config.uses_kms else None)

    def describe(self) -> str:
        if self.customer_key:
            return "SSE-C"
        if self.algorithm is None:
            return "no header"
        return self.algorithm if self.key is None else f"{self.algorithm} + {self.key} key"


# Key ids of keys the app does not own (and the vocabulary's OTHER_KEY_ID): the bucket
# policy must refuse them before S3 ever asks KMS, so they need not exist.
ABSENT_PROJECT_KEY_ID = "11111111-1111-4111-8111-111111111111"
ABSENT_PROJECT_ALIAS = "alias/no-project-key"


@dataclass(frozen=True)
class KeyRefs:
    """Concrete identifiers for the symbolic keys, live or offline."""

    project_arn: str
    alias_arn: str
    other_arn: str

    @staticmethod
    def build(
        partition: str,
        region: str,
        account: str,
        project_arn: str | None = None,
        alias_name: str | None = None,
    ) -> KeyRefs:
        """In SSE-S3 mode the app has no key: "project" requests name an absent one."""
        prefix = f"arn:{partition}:kms:{region}:{account}:"
        return KeyRefs(
            project_arn=project_arn or f"{prefix}key/{ABSENT_PROJECT_KEY_ID}",
            alias_arn=prefix + (alias_name or ABSENT_PROJECT_ALIAS),
            other_arn=f"{prefix}key/{OTHER_KEY_ID}",
        )

    def arn(self, key: str) -> str:
        return {
            PROJECT_KEY: self.project_arn,
            PROJECT_ALIAS: self.alias_arn,
            OTHER_KEY: self.other_arn,
        }[key]


# A fixed SSE-C key: the probe only needs the request to carry one, never to read it back.
SSE_C_KEY = b"0123456789abcdef0123456789abcdef"


def boto3_sse_args(sse: Sse, keys: KeyRefs) -> dict[str, str | bytes]:
    """How the live probe states the headers: boto3 put_object/copy_object arguments."""
    if sse.customer_key:
        return {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": SSE_C_KEY}
    args: dict[str, str | bytes] = {}
    if sse.algorithm is not None:
        args["ServerSideEncryption"] = sse.algorithm
    if sse.key is not None:
        args["SSEKMSKeyId"] = keys.arn(sse.key)
    return args


def s3_context(sse: Sse, keys: KeyRefs) -> dict[str, str]:
    """How the offline proof states the headers: S3 condition keys of the request."""
    if sse.customer_key:
        return {CUSTOMER_ALGORITHM_KEY: "AES256"}
    context: dict[str, str] = {}
    if sse.algorithm is not None:
        context[ALGORITHM_KEY] = sse.algorithm
    if sse.key is not None:
        context[KMS_KEY_ID_KEY] = keys.arn(sse.key)
    return context


@dataclass(frozen=True)
class Stored:
    """How S3 stores an object: what head_object reports."""

    algorithm: str
    key_arn: str | None
    bucket_key: bool

    @staticmethod
    def promised(config: Config, keys: KeyRefs) -> Stored:
        """What every object in the bucket must be stored with."""
        return Stored(
            config.algorithm, keys.project_arn if config.uses_kms else None, config.bucket_key
        )

    def describe(self, keys: KeyRefs) -> str:
        """The "stored" column of the live and the offline table alike."""
        parts = [self.algorithm]
        if self.key_arn:
            known = {keys.project_arn: "project key", keys.other_arn: "other key"}
            # Any other key: its id or alias name shows it is not the project key.
            parts.append(known.get(self.key_arn, self.key_arn.rsplit(":", 1)[-1]))
        if self.bucket_key:
            parts.append("bucket key")
        return " + ".join(parts)
