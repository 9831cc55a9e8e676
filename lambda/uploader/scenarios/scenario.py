"""One scenario: a request, how the probe performs it, how the proof states it, and what
the rules expect of it for each principal."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from encrypted_s3.vocabulary import Config
from scenarios.authorizations import (
    GUARD_OPERATIONS,
    KMS_VIA_S3_OPERATIONS,
    S3_STEPS,
    WRITE_OPERATIONS,
    IamRequest,
    guard_request,
    kms_direct_requests,
    kms_requests_via_s3,
)
from scenarios.expectations import OTHER_ACCOUNT_DENIED, expected_access
from scenarios.headers import PROJECT_KEY, KeyRefs, Sse, s3_context
from scenarios.outcomes import Expectation
from scenarios.principals import ALL_PRINCIPALS, DECLARED_AS, OTHER_ACCOUNT, PRINCIPALS, UPLOADER


@dataclass(frozen=True)
class Scenario:
    name: str
    seed: str  # the seed article's wording (docs/design.md, "Where it comes from")
    operation: str  # one of OPERATION_NAMES
    sse: Callable[[Config], Sse]
    expect: Callable[[Config], Expectation]  # the bucket's rules (any principal allowed by IAM)
    secure_transport: bool = True
    tls_version: str = "1.3"
    applies: Callable[[Config], bool] = lambda config: True
    live: bool = True  # False: the live probe cannot perform it (the seed column says why)
    principals: tuple[str, ...] = PRINCIPALS  # who the offline proof runs it as
    # Where the uploader's narrower role decides otherwise than the bucket's rules.
    expect_uploader: Callable[[Config], Expectation] | None = None
    # Where another principal's own rule decides: ((principal, expectation), ...).
    expect_for: tuple[tuple[str, Callable[[Config], Expectation]], ...] = ()
    # Context keys of a guard operation's request beyond the caller's account.
    context: tuple[tuple[str, str], ...] = ()

    def writes(self) -> bool:
        return self.operation in WRITE_OPERATIONS

    def expect_as(self, config: Config, principal: str = UPLOADER) -> Expectation:
        """The expected outcome when `principal` makes the request (offline proof)."""
        if principal not in ALL_PRINCIPALS:
            raise ValueError(f"principal {principal!r} is not one of {', '.join(ALL_PRINCIPALS)}")
        if principal == OTHER_ACCOUNT:
            return OTHER_ACCOUNT_DENIED
        access = expected_access(self.operation, config, DECLARED_AS.get(principal))
        if access is not None:
            return access
        for who, expect in self.expect_for:
            if who == principal:
                return expect(config)
        if principal == UPLOADER and self.expect_uploader is not None:
            return self.expect_uploader(config)
        return self.expect(config)

    def iam_requests(
        self, config: Config, keys: KeyRefs, principal: str | None = None
    ) -> list[IamRequest]:
        """How the offline proof states the scenario: every authorization it needs.

        `principal` defaults to the first of `principals`. The proof fills in "{region}",
        "{account}" (the bucket's), "{caller_account}", "{principal_arn}" (the caller's).
        """
        principal = principal or self.principals[0]
        if self.operation in GUARD_OPERATIONS:
            return [guard_request(self.operation, principal, self.tls_version, self.context)]
        if self.operation == "kms-direct":
            return kms_direct_requests(principal)
        if self.operation in KMS_VIA_S3_OPERATIONS:
            return kms_requests_via_s3(self.operation, self.operation, principal)
        transport = {
            "aws:SecureTransport": "true" if self.secure_transport else "false",
            "s3:TlsVersion": self.tls_version,
            # In every signed request: who calls (a role's ARN also for its sessions).
            "aws:PrincipalArn": "{principal_arn}",
            "aws:PrincipalAccount": "{caller_account}",
        }
        sse = self.sse(config)
        if self.writes():
            context = {**transport, **s3_context(sse, keys)}
            # A write without headers is stored with the bucket default.
            stored_with = sse if sse.names_encryption else Sse.required(config)
        else:
            context, stored_with = transport, Sse.required(config)
        requests = [
            IamRequest(step, "s3", action, "object", context, principal)
            for step, action in S3_STEPS[self.operation]
        ]
        if self.operation == "copy":
            requests.append(
                IamRequest(
                    "CopyObject (source)",
                    "s3",
                    "s3:GetObject",
                    "source-object",
                    transport,
                    principal,
                )
            )
        if config.uses_kms and stored_with.key == PROJECT_KEY:
            requests += kms_requests_via_s3(self.operation, requests[0].step, principal)
        return requests
