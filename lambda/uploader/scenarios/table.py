"""The scenario table: every request the live probe performs and the offline proof states.

Each row's expectation comes from the hand-written rules (scenarios.expectations) or is
written here with its reason; nothing is computed by running the stacks' policy code.
"""

from __future__ import annotations

from collections.abc import Callable

from encrypted_s3.vocabulary import SSE_S3, Config
from scenarios.expectations import expected_update_encryption, expected_write
from scenarios.headers import OTHER_KEY, PROJECT_ALIAS, PROJECT_KEY, Sse
from scenarios.outcomes import ALLOWED, DENIED, Expectation
from scenarios.principals import (
    ACCOUNT_ADMIN,
    AWS_SERVICE,
    DECLARED_ADMIN,
    DECLARED_READER,
    DEPLOY_ROLE,
)
from scenarios.rekey_rows import REKEY_ROLE_SCENARIOS
from scenarios.scenario import Scenario


def _fixed(sse: Sse) -> Callable[[Config], Sse]:
    return lambda config: sse


def _write_rules(sse_of: Callable[[Config], Sse]) -> Callable[[Config], Expectation]:
    return lambda config: expected_write(sse_of(config), config)


def _always(outcome: str, because: str) -> Callable[[Config], Expectation]:
    return lambda config: Expectation(outcome, because)


def _write_scenario(
    name: str, seed: str, operation: str, sse_of: Callable[[Config], Sse]
) -> Scenario:
    """A write over TLS, expected as its headers and the rules decide (expected_write)."""
    return Scenario(name, seed, operation, sse_of, _write_rules(sse_of))


def _put_scenario(name: str, seed: str, sse: Sse) -> Scenario:
    return _write_scenario(name, seed, "put", _fixed(sse))


def _update_encryption_scenario(name: str, seed: str, key: str) -> Scenario:
    sse = Sse("aws:kms", key)  # the only kind of target UpdateObjectEncryption has
    return Scenario(
        name,
        seed,
        "update-encryption",
        _fixed(sse),
        lambda config: expected_update_encryption(sse, config),
        live=True,
    )


REPLICATION_OFFLINE = "offline only: replication writes as the replication role, not a caller"


def _wrong_replica(config: Config) -> Sse:
    """A replica encrypted otherwise than the bucket promises: AES256 (aws/s3 in sse-s3)."""
    return Sse("aws:kms") if config.encryption == SSE_S3 else Sse("AES256")


def _replicate_scenario(name: str, seed: str, sse_of: Callable[[Config], Sse]) -> Scenario:
    return Scenario(
        name,
        f"{seed} ({REPLICATION_OFFLINE})",
        "replicate",
        sse_of,
        _write_rules(sse_of),
        live=False,
        # Written from the role, not the bucket: the uploader may not replicate at all.
        expect_uploader=_always(DENIED, "the uploader's role does not grant s3:ReplicateObject"),
    )


# The live probe runs as its own role only: no undeclared role, no other account's role,
# and its cleanup (not a row) deletes what it wrote.
WHO_OFFLINE = "offline only: the probe acts as its own role, a declared reader and writer"

GUARD_OFFLINE = "offline only: the probe's role may not change the bucket or the key"


def _guard_scenario(name: str, seed: str, operation: str, kms: bool = False) -> Scenario:
    """A change the policy guard leaves to the deploy role: an account admin may make it
    only while guard_policies is off; the deploy role always may."""

    def as_admin(config: Config) -> Expectation:
        if config.guard_policies:
            return Expectation(DENIED, "guard_policies: only the deploy role may change it")
        return Expectation(ALLOWED, "guard_policies off: IAM decides (AdministratorAccess)")

    return Scenario(
        name,
        f"{seed} ({GUARD_OFFLINE})",
        operation,
        _fixed(Sse()),
        as_admin,
        applies=(lambda config: config.uses_kms) if kms else (lambda config: True),
        live=False,
        principals=(ACCOUNT_ADMIN, DEPLOY_ROLE),
        expect_for=(
            (DEPLOY_ROLE, _always(ALLOWED, "the deploy role keeps every change (cdk deploy)")),
        ),
    )


def _grant_scenario(
    name: str, seed: str, principal: str, expect: Expectation, **context: str
) -> Scenario:
    return Scenario(
        name,
        f"{seed} ({GUARD_OFFLINE})",
        "create-grant",
        _fixed(Sse()),
        lambda config: expect,
        applies=lambda config: config.uses_kms,
        live=False,
        principals=(principal,),
        context=tuple(context.items()),
    )


GUARD_SCENARIOS: tuple[Scenario, ...] = (
    _guard_scenario(
        "guard-put-bucket-policy",
        "an account admin replaces the bucket policy",
        "put-bucket-policy",
    ),
    _guard_scenario(
        "guard-delete-bucket-policy",
        "an account admin deletes the bucket policy",
        "delete-bucket-policy",
    ),
    _guard_scenario(
        "guard-put-encryption",
        "an account admin changes the bucket's default encryption",
        "put-encryption-configuration",
    ),
    _guard_scenario(
        "guard-put-replication",
        "an account admin sets up replication to another bucket",
        "put-replication-configuration",
    ),
    _guard_scenario(
        "guard-put-key-policy",
        "an account admin rewrites the key policy",
        "put-key-policy",
        kms=True,
    ),
    # CT.KMS.PR.3: grants only for AWS resources, whatever guard_policies says. A direct
    # CreateGrant carries no kms:GrantIsForAWSResource (BoolIfExists denies it then too).
    _grant_scenario(
        "grant-for-self",
        "an account admin creates a grant on the key for itself",
        ACCOUNT_ADMIN,
        Expectation(DENIED, "grants only for AWS resources (DenyGrantsNotForAwsResources)"),
    ),
    _grant_scenario(
        "grant-for-aws-resource",
        "S3 creates a grant for an AWS resource on a caller's behalf",
        AWS_SERVICE,
        Expectation(ALLOWED, "a grant for an AWS resource, made through S3"),
        **{"kms:GrantIsForAWSResource": "true", "kms:ViaService": "s3.{region}.amazonaws.com"},
    ),
)


SCENARIOS: tuple[Scenario, ...] = (
    _put_scenario("no-header", "no encryption header", Sse()),
    _put_scenario("sse-s3", "SSE-S3 AES256 (the seed's first script)", Sse("AES256")),
    _put_scenario(
        "sse-kms-aws-managed", "SSE-KMS aws:kms, no key id (aws/s3 managed key)", Sse("aws:kms")
    ),
    _put_scenario(
        "sse-kms-project-key", "SSE-KMS with the project key ARN", Sse("aws:kms", PROJECT_KEY)
    ),
    _put_scenario(
        "sse-kms-project-alias",
        "SSE-KMS with the project key by alias",
        Sse("aws:kms", PROJECT_ALIAS),
    ),
    _put_scenario("sse-kms-other-key", "SSE-KMS with another key's ARN", Sse("aws:kms", OTHER_KEY)),
    _put_scenario(
        "dsse-kms-project-key",
        "DSSE-KMS aws:kms:dsse with the project key",
        Sse("aws:kms:dsse", PROJECT_KEY),
    ),
    _put_scenario(
        "dsse-kms-other-key",
        "DSSE-KMS aws:kms:dsse with another key's ARN",
        Sse("aws:kms:dsse", OTHER_KEY),
    ),
    _put_scenario(
        "dsse-kms-aws-managed",
        "DSSE-KMS aws:kms:dsse, no key id (aws/s3 managed key)",
        Sse("aws:kms:dsse"),
    ),
    _put_scenario("sse-c", "SSE-C (customer key)", Sse(customer_key=True)),
    _write_scenario(
        "multipart-required",
        "multipart upload (>= 2 parts) with the required headers",
        "multipart",
        Sse.required,
    ),
    _write_scenario(
        "copy-no-header", "copy of an allowed object, no headers", "copy", _fixed(Sse())
    ),
    _write_scenario("copy-required", "copy with the required headers", "copy", Sse.required),
    _update_encryption_scenario(
        "update-encryption-other-key", "UpdateObjectEncryption to another key's ARN", OTHER_KEY
    ),
    _update_encryption_scenario(
        "update-encryption-project-key",
        "UpdateObjectEncryption to the project key ARN",
        PROJECT_KEY,
    ),
    _replicate_scenario("replicate-wrong", "ReplicateObject encrypted otherwise", _wrong_replica),
    _replicate_scenario(
        "replicate-required", "ReplicateObject with the required headers", Sse.required
    ),
    Scenario(
        "http-required",
        "correct headers over plain HTTP",
        "put",
        Sse.required,
        _always(DENIED, "TLS only (DenyInsecureTransport)"),
        secure_transport=False,
    ),
    Scenario(
        "tls-1.1-required",
        "correct headers over TLS 1.1",
        "put",
        Sse.required,
        _always(DENIED, "TLS 1.2 or newer (DenyOutdatedTls)"),
        tls_version="1.1",
        live=False,  # S3 endpoints no longer accept TLS 1.1 at all
    ),
    Scenario(
        "read-back",
        "read back an allowed object over TLS",
        "get",
        Sse.required,
        _always(ALLOWED, "reads over TLS are allowed"),
    ),
    Scenario(
        "read-declared-other-account",
        f"a declared reader of another account reads an object ({WHO_OFFLINE})",
        "get",
        Sse.required,
        _always(ALLOWED, "a declared reader: the bucket and the key allow its account"),
        live=False,
        principals=(DECLARED_READER,),
    ),
    Scenario(
        "read-tags",
        f"read an object's tags, which needs no key ({WHO_OFFLINE})",
        "get-tagging",
        Sse.required,
        _always(ALLOWED, "a declared reader may read what is stored with an object"),
        live=False,
        # Written from the role, not the bucket: the uploader does not read tags.
        expect_uploader=_always(DENIED, "the uploader's role does not grant s3:GetObjectTagging"),
    ),
    Scenario(
        "tag-object",
        f"tag an object, which needs no key ({WHO_OFFLINE})",
        "put-tagging",
        _fixed(Sse()),
        _always(ALLOWED, "a declared writer may change what is stored with an object"),
        live=False,
        expect_uploader=_always(DENIED, "the uploader's role does not grant s3:PutObjectTagging"),
    ),
    Scenario(
        "delete-object",
        f"delete an object ({WHO_OFFLINE})",
        "delete",
        _fixed(Sse()),
        _always(ALLOWED, "a declared writer may delete"),
        live=False,
    ),
    Scenario(
        "kms-decrypt-via-s3",
        f"S3 decrypts with the caller's credentials, the key policy alone ({WHO_OFFLINE})",
        "kms-decrypt-via-s3",
        _fixed(Sse()),
        _always(ALLOWED, "a declared reader or writer, through S3"),
        applies=lambda config: config.uses_kms,
        live=False,
        principals=(ACCOUNT_ADMIN, DECLARED_ADMIN),
    ),
    Scenario(
        "kms-data-key-via-s3",
        f"S3 asks a data key with the caller's credentials, the key policy alone ({WHO_OFFLINE})",
        "kms-data-key-via-s3",
        _fixed(Sse()),
        _always(ALLOWED, "a declared writer, through S3"),
        applies=lambda config: config.uses_kms,
        live=False,
        principals=(ACCOUNT_ADMIN, DECLARED_ADMIN),
    ),
    Scenario(
        "kms-direct",
        "use the key directly, outside S3 (even as an account admin)",
        "kms-direct",
        _fixed(Sse()),
        _always(DENIED, "the key is usable only through S3 (key policy)"),
        applies=lambda config: config.uses_kms,
        # The strongest principal of the account, and a declared one (whom only
        # DenyDataUseOutsideS3 stops).
        principals=(ACCOUNT_ADMIN, DECLARED_ADMIN),
    ),
    *GUARD_SCENARIOS,
    *REKEY_ROLE_SCENARIOS,
)

# The seed's upload_file(..., ExtraArgs=...) choices of the Lambda's "upload" action.
UPLOAD_CHOICES: dict[str, Sse] = {
    "none": Sse(),
    "sse-s3": Sse("AES256"),
    "sse-kms-aws-managed": Sse("aws:kms"),
    "sse-kms": Sse("aws:kms", PROJECT_KEY),
    "dsse-kms": Sse("aws:kms:dsse", PROJECT_KEY),
    "sse-c": Sse(customer_key=True),
}


def scenarios_for(config: Config) -> list[Scenario]:
    return [s for s in SCENARIOS if s.applies(config)]
