"""One deployment encoded: the facts every request obeys, S3's own rules, the decisions.

The S3 and KMS facts below are assumptions about AWS, each listed in ASSUMPTIONS and
printed with the proof; everything else comes from the synthesized policies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import z3

from encrypted_s3.assembly import Deployment
from encrypted_s3.universal.declarations import Declared
from encrypted_s3.universal.encode import (
    MODEL_KEYS,
    PRINCIPAL_KINDS,
    TLS_VERSIONS,
    SymbolicRequest,
    Universe,
)
from encrypted_s3.universal.iam import Matched, SymbolicDecision, decide, match
from encrypted_s3.universal.policy import Statement, keys_of, parse_policy
from encrypted_s3.universal.principals import Principals
from encrypted_s3.vocabulary import ALGORITHM_KEY, CUSTOMER_ALGORITHM_KEY, KMS_KEY_ID_KEY

ALG, KEY_ID, CUSTOMER = ALGORITHM_KEY, KMS_KEY_ID_KEY, CUSTOMER_ALGORITHM_KEY
S3_ALGORITHMS = ("AES256", "aws:kms", "aws:kms:dsse")
KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")
BLOCKED_SSE_C = ("S3", -1)  # the enable literal of BlockedEncryptionTypes
WORST_CASE = "worst-case identity (Allow * on *)"

ASSUMPTIONS = (
    "Principals are of three kinds: IAM principals (an account root, a role or a user; "
    "aws:PrincipalArn and aws:PrincipalAccount always present) of any account, with the "
    "worst-case identity policy Allow * on *; AWS service principals (no identity policy, "
    "no aws:PrincipalArn); anonymous callers (unsigned requests: no identity policy, no "
    'principal keys, S3 actions only, matched only by Principal "*"). '
    "aws:PrincipalIsAWSService is present on every signed request and true exactly for a "
    "service principal.",
    "aws:SecureTransport is present on every request; s3:TlsVersion is present on every "
    "request over TLS for the actions AWS's Service Authorization Reference lists it for, "
    "with a value of 1.0, 1.1, 1.2 or 1.3.",
    "A request carries a service's condition key only if the Service Authorization "
    "Reference lists the key for its action; kms:CallerAccount is the caller's account; "
    "kms:ViaService may be present with any value (the worst case).",
    "S3 stores a write without encryption headers with the bucket default; aws:kms without "
    "a key id uses the AWS managed key aws/s3; S3 rejects an algorithm other than AES256, "
    "aws:kms, aws:kms:dsse, a key id without a KMS algorithm, and SSE-C headers together "
    "with SSE headers.",
    "BlockedEncryptionTypes SSE-C makes S3 refuse any write with SSE-C headers.",
    "UpdateObjectEncryption stores aws:kms with the key its body names; when the request "
    "carries no key id condition key, that key is any key (the worst case).",
    "Key names are resolved as AWS does: the full key ARN names the project key for every "
    "caller; a bare key id or an alias name is resolved in the caller's account; an alias "
    "(name or ARN) names the project key only while no principal but the deploy role can "
    "create, re-point or delete an alias of the key (checked in the same query); any other "
    "value names another key, assumed usable.",
    "aws:SourceArn is present only when an AWS service principal calls on behalf of one of "
    "its resources (a CloudFront distribution through Origin Access Control); an IAM "
    "principal cannot set it. S3 asks KMS with the caller's credentials (kms:ViaService "
    "S3), also for CloudFront.",
)


@dataclass
class Encoded:
    """The formulas of one deployment, shared by every property and the necessity check."""

    deployment: Deployment
    u: Universe
    req: SymbolicRequest
    bucket: list[Statement]
    key: list[Statement]
    identity: list[Statement]  # the uploader's
    declared: Declared
    who: Principals  # the classes of the callers (principals.py)
    enable: dict[tuple[str, int], z3.BoolRef] = field(default_factory=dict)
    _decisions: dict[tuple[str, bool], SymbolicDecision] = field(default_factory=dict)

    @staticmethod
    def build(deployment: Deployment, extra_names: Sequence[str] = ()) -> Encoded:
        """The deployment encoded; `extra_names`: IAM ARNs a caller's formulas will name
        besides those of the policies and the settings (principals.Principals)."""
        d = deployment
        bucket = (
            parse_policy(d.bucket_policy.document, "bucket policy", True) if d.bucket_policy else []
        )
        key = parse_policy(d.key_policy.document, "key policy", True) if d.key_policy else []
        identity = [s for p in d.identity_policies for s in parse_policy(p.document, p.name, False)]
        keys = set(MODEL_KEYS) | keys_of(bucket) | keys_of(key) | keys_of(identity)
        declared = Declared.of(d, bucket)
        named = [d.env.deploy_role_arn, *declared.readers, *declared.writers, *declared.deleters]
        who = Principals.of(
            d.env.partition, [*bucket, *key, *identity], [*named, *extra_names], [d.env.account]
        )
        u = Universe(d.env.partition, d.env.account, d.bucket_arn, d.key_arn)
        enc = Encoded(d, u, SymbolicRequest.make(keys), bucket, key, identity, declared, who)
        for s in [*bucket, *key]:
            if s.deny:
                enc.enable[(s.policy, s.index)] = z3.Bool(f"in force: {s.policy} {s.label}")
        if d.blocks_sse_c:
            enc.enable[BLOCKED_SSE_C] = z3.Bool("in force: BlockedEncryptionTypes")
        return enc

    @property
    def deny_statements(self) -> list[Statement]:
        return [s for s in [*self.bucket, *self.key] if s.deny]

    def all_in_force(self, but: Sequence[tuple[str, int]] = ()) -> list[z3.BoolRef]:
        return [z3.Not(v) if k in but else v for k, v in self.enable.items()]

    # -- the request model --------------------------------------------------------------

    @cached_property
    def world(self) -> z3.BoolRef:
        """What holds for every request (the ASSUMPTIONS about AWS)."""
        return self.world_of(self.req)

    def world_of(self, r: SymbolicRequest) -> z3.BoolRef:
        u = self.u
        facts = [
            z3.Length(r.obj) > 0,  # S3 object keys have 1 to 1024 characters
            r.act >= 0,
            r.act < len(u.actions),
            z3.Not(u.of_kind(r.act, *[k for k in ("key",) if not u.key_arn])),
            *self._principal_facts(r),
            *self._key_facts(r),
        ]
        tls = r.value["s3:tlsversion"]
        versions = z3.Or(*[tls == z3.RealVal(v) for v in TLS_VERSIONS])
        facts.append(z3.Implies(r.present["s3:tlsversion"], versions))
        return z3.And(*facts)

    def _principal_facts(self, r: SymbolicRequest) -> list[z3.BoolRef]:
        u = self.u
        return [
            r.p_kind >= 0,
            r.p_kind < len(PRINCIPAL_KINDS),
            *self.who.facts(r),
            # KMS takes only signed requests: an anonymous caller reaches S3 alone.
            z3.Implies(r.p_anon, u.of_kind(r.act, "bucket", "object")),
        ]

    def _key_facts(self, r: SymbolicRequest) -> list[z3.BoolRef]:
        """Which condition keys a request carries, and the values AWS fills in."""
        u = self.u
        secure = r.value["aws:securetransport"]
        iam = r.p_iam
        tied = {
            "aws:securetransport": (z3.BoolVal(True), None),
            "s3:tlsversion": (z3.And(secure, u.carrying(r.act, "s3:tlsversion")), None),
            # The principal's keys: their values are its class's (principals.compare).
            "aws:principalarn": (iam, None),
            "aws:principalaccount": (iam, None),
            # In every signed request: true exactly for an AWS service principal.
            "aws:principalisawsservice": (z3.Not(r.p_anon), r.p_svc),
            "kms:calleraccount": (z3.And(iam, u.carrying(r.act, "kms:calleraccount")), None),
        }
        facts = []
        for key, present in r.present.items():
            if key in tied:
                must, value = tied[key]
                facts.append(present == must)
                if value is not None:
                    facts.append(z3.Implies(present, r.value[key] == value))
            elif not key.startswith("aws:"):
                facts.append(z3.Implies(present, u.carrying(r.act, key)))
        if "aws:sourcearn" in r.present:  # only a service acting for one of its resources
            facts.append(z3.Implies(r.present["aws:sourcearn"], r.p_svc))
        return facts

    # -- decisions ----------------------------------------------------------------------

    def matched(
        self, statements: Sequence[Statement], req: SymbolicRequest | None = None
    ) -> list[Matched]:
        return [match(s, self.u, self.who, req or self.req) for s in statements]

    @cached_property
    def second(self) -> SymbolicRequest:
        """A second request, for properties that speak of two (an alias change, then a write)."""
        return SymbolicRequest.make(self.req.present, " (second request)")

    @cached_property
    def _second_kms(self) -> SymbolicDecision:
        return decide(
            self.u,
            self.who,
            self.second,
            self.matched(self.key, self.second),
            None,
            "kms",
            self.enable,
        )

    def second_kms_allowed(self) -> z3.BoolRef:
        """The key's decision on the second request, for any principal (worst case); built
        once (the property and the alias check both ask)."""
        return self._second_kms.allowed

    def decision(self, service: str, *, uploader: bool = False) -> SymbolicDecision:
        """The bucket's ("s3") or the key's ("kms") decision: for any principal with the
        worst-case identity, or for the uploader with its own identity policies."""
        if (service, uploader) not in self._decisions:
            resource = self.matched(self.bucket if service == "s3" else self.key)
            identity = self.matched(self.identity) if uploader else None
            self._decisions[(service, uploader)] = decide(
                self.u, self.who, self.req, resource, identity, service, self.enable
            )
        return self._decisions[(service, uploader)]

    @property
    def s3(self) -> SymbolicDecision:
        return self.decision("s3")

    @property
    def kms(self) -> SymbolicDecision:
        return self.decision("kms")
