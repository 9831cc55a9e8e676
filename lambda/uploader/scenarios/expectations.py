"""The hand-written rules: what the bucket and the key decide for a request.

Written from the rules in docs/design.md, "The rules" (the bucket policy, the key policy
and the bucket settings), never computed by running the stacks' policy code.
"""

from __future__ import annotations

from encrypted_s3.vocabulary import ALGORITHM, SSE_KMS, STRICT_HEADERS, Config
from scenarios.headers import PROJECT_KEY, Sse
from scenarios.outcomes import ALLOWED, DENIED, Expectation


def expected_write(sse: Sse, config: Config) -> Expectation:
    """The bucket's rules for one write (PutObject, CopyObject, CreateMultipartUpload)."""
    if sse.customer_key:
        return Expectation(DENIED, "SSE-C is refused (DenySseC, BlockedEncryptionTypes)")
    if sse.algorithm is None:
        if config.header_policy == STRICT_HEADERS:
            return Expectation(DENIED, "strict: a write must name its encryption")
        return Expectation(ALLOWED, "default-aware: no header gets the bucket default")
    if sse.algorithm != config.algorithm:
        return Expectation(DENIED, f"only {config.algorithm} is accepted")
    if not config.uses_kms:
        return Expectation(ALLOWED, "the required algorithm")
    if sse.key is None:
        return Expectation(DENIED, "no key id means the aws/s3 managed key")
    if sse.key != PROJECT_KEY:
        return Expectation(DENIED, "only the project key, by ARN, is accepted")
    return Expectation(ALLOWED, "the required algorithm and key")


def expected_update_encryption(sse: Sse, config: Config) -> Expectation:
    """The bucket's rules for UpdateObjectEncryption, which re-keys a stored object and
    always to SSE-KMS with a key ARN: only an SSE-KMS bucket can keep its promise then."""
    if config.algorithm != ALGORITHM[SSE_KMS]:
        return Expectation(
            DENIED,
            f"it can only move objects away from {config.algorithm} (DenyUpdateObjectEncryption)",
        )
    return expected_write(sse, config)


OTHER_ACCOUNT_DENIED = Expectation(
    DENIED,
    "another account: nothing grants it (a cross-account request needs an allow in the "
    "identity AND the resource policy; the bucket policy only denies)",
)


def expected_access(operation: str, config: Config, declared_as: str | None) -> Expectation | None:
    """Who can read it: an object read only by a declared reader, an object write only by a
    declared writer (a copy reads its source and writes); None when the caller may."""
    reads = operation in ("get", "get-tagging", "copy")
    writes = operation in (
        "put",
        "multipart",
        "copy",
        "update-encryption",
        "replicate",
        "put-tagging",
    )
    if operation == "delete" and declared_as not in config.writers:
        return Expectation(DENIED, "not a declared writer (DenyObjectDeletesByUndeclared)")
    if operation == "kms-data-key-via-s3" and declared_as not in config.writers:
        return Expectation(DENIED, "not a declared writer (DenyDataKeysByUndeclared)")
    decrypters = (*config.readers, *config.writers)
    if operation == "kms-decrypt-via-s3" and declared_as not in decrypters:
        return Expectation(DENIED, "neither a declared reader nor writer (DenyDecryptByUndeclared)")
    if writes and declared_as not in config.writers:
        return Expectation(DENIED, "not a declared writer (DenyObjectWritesByUndeclared)")
    if reads and declared_as not in config.readers:
        return Expectation(DENIED, "not a declared reader (DenyObjectReadsByUndeclared)")
    return None
