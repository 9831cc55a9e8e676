"""The re-key jobs' role (`make rekey`) as a principal of the offline proof: it re-keys to
the project key and does nothing else with the bucket's data.

Written from the role's rules in docs/design.md, "Existing objects" (never computed by
running the stacks' code). The role exists with sse-kms only (UpdateObjectEncryption can
keep no other promise), so the rows apply there.
"""

from __future__ import annotations

from encrypted_s3.vocabulary import Config, reencrypts
from scenarios.expectations import expected_update_encryption, expected_write
from scenarios.headers import OTHER_KEY, PROJECT_KEY, Sse
from scenarios.outcomes import ALLOWED, DENIED, Expectation
from scenarios.principals import REKEY_ROLE
from scenarios.scenario import Scenario

REKEY_OFFLINE = "offline only: S3 Batch Operations assumes this role, not the probe"


def _rekey_row(
    name: str, seed: str, operation: str, sse: Sse, expect: Expectation | None = None
) -> Scenario:
    """`expect`: the role's own rule where it decides otherwise than the bucket's rules."""

    def rules(config: Config) -> Expectation:
        if operation == "update-encryption":
            return expected_update_encryption(sse, config)
        if operation == "put":
            return expected_write(sse, config)
        return Expectation(ALLOWED, "reads over TLS are allowed")

    def as_role(config: Config) -> Expectation:
        return expect if expect is not None else rules(config)

    return Scenario(
        name,
        f"{seed} ({REKEY_OFFLINE})",
        operation,
        lambda config: sse,
        rules,
        applies=lambda config: reencrypts(config.encryption),
        live=False,
        principals=(REKEY_ROLE,),
        expect_for=((REKEY_ROLE, as_role),),
    )


REKEY_ROLE_SCENARIOS: tuple[Scenario, ...] = (
    _rekey_row(
        "rekey-role-project-key",
        "the re-key role: UpdateObjectEncryption to the project key ARN",
        "update-encryption",
        Sse("aws:kms", PROJECT_KEY),
    ),
    _rekey_row(
        "rekey-role-other-key",
        "the re-key role: UpdateObjectEncryption to another key's ARN",
        "update-encryption",
        Sse("aws:kms", OTHER_KEY),
    ),
    _rekey_row(
        "rekey-role-put-sse-s3",
        "the re-key role: PutObject with SSE-S3",
        "put",
        Sse("AES256"),
        Expectation(DENIED, "the role may store only aws:kms with the project key ARN"),
    ),
    _rekey_row(
        "rekey-role-put-project-key",
        "the re-key role: PutObject with the project key (what UpdateObjectEncryption needs)",
        "put",
        Sse("aws:kms", PROJECT_KEY),
    ),
    _rekey_row(
        "rekey-role-read",
        "the re-key role: read an object",
        "get",
        Sse("aws:kms", PROJECT_KEY),
        Expectation(DENIED, "the role has no s3:GetObject on the data bucket"),
    ),
)
