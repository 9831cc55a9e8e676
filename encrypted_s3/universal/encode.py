"""A symbolic request and IAM's evaluation of parsed policies, as z3 formulas.

One `Universe` per deployment: the finite action table (every S3 and KMS action on a
bucket, an object or a key), the bucket and key ARNs, and one `SymbolicRequest` whose variables
stand for every request at once. IAM's rules encoded here: wildcards in Action and
Resource (case-insensitive actions), condition operators with IAM's missing-key rules
(negated operators and ...IfExists match a missing key, positive ones do not, Null tests
presence), OR within a key's values and AND across keys and operators, explicit deny
over allow, and how a resource policy and identity policies combine (same account:
either grants; another account: both; a KMS key: the key policy must grant, directly or
by delegating to the account's IAM).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import cache, cached_property

import z3

from encrypted_s3.universal.iamdata import Action, actions, key_type
from encrypted_s3.vocabulary import ALGORITHM_KEY, CUSTOMER_ALGORITHM_KEY, KMS_KEY_ID_KEY

RE = z3.ReSort(z3.StringSort())
ONE_CHAR = z3.AllChar(RE)
NOT_COLON = z3.Intersect(ONE_CHAR, z3.Complement(z3.Re(":")))
TLS_VERSIONS = ("1.0", "1.1", "1.2", "1.3")
# Who can send a request: an IAM principal of any account (root, role, user), an AWS
# service principal, or an anonymous (unsigned) caller. A new kind is one more name here
# and its facts in model.Encoded; p_kind is the name's index.
PRINCIPAL_KINDS = ("iam", "service", "anonymous")
# Keys the request model itself needs, whatever the policies mention.
MODEL_KEYS = (
    "aws:securetransport",
    "s3:tlsversion",
    "aws:principalarn",
    "aws:principalaccount",
    "kms:calleraccount",
    "kms:viaservice",
    ALGORITHM_KEY,
    KMS_KEY_ID_KEY,
    CUSTOMER_ALGORITHM_KEY,
    "kms:grantisforawsresource",
)


def glob(pattern: str, one: z3.ReRef = ONE_CHAR) -> z3.ReRef:
    """IAM's wildcards: * any run of characters, ? exactly one; the rest literal."""
    pieces: list[z3.ReRef] = []
    for token in re.split(r"([*?])", pattern):
        if token == "*":
            pieces.append(z3.Star(one))
        elif token == "?":
            pieces.append(one)
        elif token:
            pieces.append(z3.Re(z3.StringVal(token)))
    if not pieces:
        return z3.Re(z3.StringVal(""))
    return pieces[0] if len(pieces) == 1 else z3.Concat(*pieces)


def arn_glob(pattern: str) -> z3.ReRef | None:
    """ArnLike: wildcards match within one of the first five ':'-separated parts."""
    parts = pattern.split(":", 5)
    if len(parts) < 6:
        return None  # not an ARN: matches nothing
    res = [glob(p, NOT_COLON) for p in parts[:5]] + [glob(parts[5])]
    joined = [res[0]]
    for r in res[1:]:
        joined += [z3.Re(":"), r]
    return z3.Concat(*joined)


@dataclass
class SymbolicRequest:
    """The variables of one symbolic request."""

    act: z3.ArithRef
    obj: z3.SeqRef  # object key (object actions)
    p_kind: z3.ArithRef  # index into PRINCIPAL_KINDS
    p_cls: z3.ArithRef  # an IAM caller's class (principals.Principals.cells)
    p_svc_cls: z3.ArithRef  # a service caller's class (principals.Principals.services)
    present: dict[str, z3.BoolRef] = field(default_factory=dict)
    value: dict[str, z3.ExprRef] = field(default_factory=dict)

    def is_kind(self, kind: str) -> z3.BoolRef:
        return self.p_kind == PRINCIPAL_KINDS.index(kind)

    @property
    def p_iam(self) -> z3.BoolRef:
        return self.is_kind("iam")

    @property
    def p_svc(self) -> z3.BoolRef:
        return self.is_kind("service")

    @property
    def p_anon(self) -> z3.BoolRef:
        return self.is_kind("anonymous")

    @staticmethod
    def make(keys: Iterable[str], tag: str = "") -> SymbolicRequest:
        r = SymbolicRequest(
            act=z3.Int(f"action{tag}"),
            obj=z3.String(f"object{tag}"),
            p_kind=z3.Int(f"principal_kind{tag}"),
            p_cls=z3.Int(f"principal{tag}"),
            p_svc_cls=z3.Int(f"service{tag}"),
        )
        for key in sorted(keys):
            r.present[key] = z3.Bool(f"has {key}{tag}")
            sort = {"Bool": z3.BoolSort(), "Numeric": z3.RealSort()}.get(
                key_type(key) or "", z3.StringSort()
            )
            r.value[key] = z3.Const(f"{key}{tag}", sort)
        return r


@cache
def _matching(patterns: tuple[str, ...]) -> frozenset[int]:
    """The indices of the actions the (lower-case) patterns name: the same table for every
    deployment, so one answer for all."""
    names = [a.name.lower() for a in actions()]
    return frozenset(
        i for i, name in enumerate(names) if any(fnmatchcase(name, p) for p in patterns)
    )


class Universe:
    """The finite action table and the fixed ARNs of one deployment."""

    def __init__(
        self,
        partition: str,
        account: str,
        bucket_arn: str,
        key_arn: str | None,
    ):
        self.partition, self.account = partition, account
        self.bucket_arn, self.key_arn = bucket_arn, key_arn
        self.actions: tuple[Action, ...] = actions()
        self.by_name = {a.name.lower(): i for i, a in enumerate(self.actions)}
        # in_set's formulas by (request variable, indices): the properties ask for the
        # same sets again and again, and building a z3 term in Python is the slow part.
        self._terms: dict[tuple[int, frozenset[int]], z3.BoolRef] = {}
        self._kinds: dict[tuple[str, ...], frozenset[int]] = {}
        self._resources: dict[tuple[int, str], z3.BoolRef] = {}

    def index(self, name: str) -> int:
        return self.by_name[name.lower()]

    def matching(self, patterns: Sequence[str]) -> frozenset[int]:
        return _matching(tuple(p.lower() for p in patterns))

    def in_set(self, act: z3.ArithRef, indices: Iterable[int]) -> z3.BoolRef:
        """act in indices, as a few ranges (the table is sorted, so prefixes are contiguous)."""
        wanted = frozenset(indices)
        key = (act.get_id(), wanted)
        if key not in self._terms:
            self._terms[key] = self._in_ranges(act, wanted)
        return self._terms[key]

    @staticmethod
    def _in_ranges(act: z3.ArithRef, indices: frozenset[int]) -> z3.BoolRef:
        ranges: list[list[int]] = []
        for i in sorted(indices):
            if ranges and ranges[-1][1] == i - 1:
                ranges[-1][1] = i
            else:
                ranges.append([i, i])
        terms = [act == lo if lo == hi else z3.And(act >= lo, act <= hi) for lo, hi in ranges]
        return z3.Or(*terms) if len(terms) != 1 else terms[0]

    def of_kind(self, act: z3.ArithRef, *kinds: str) -> z3.BoolRef:
        return self.in_set(act, self._of_kind(kinds))

    def _of_kind(self, kinds: tuple[str, ...]) -> frozenset[int]:
        if kinds not in self._kinds:
            self._kinds[kinds] = frozenset(i for i, a in enumerate(self.actions) if a.kind in kinds)
        return self._kinds[kinds]

    def carrying(self, act: z3.ArithRef, key: str) -> z3.BoolRef:
        return self.in_set(act, [i for i, a in enumerate(self.actions) if a.carries(key)])

    @cached_property
    def kinds(self) -> tuple[str, ...]:
        return ("bucket", "object", "key") if self.key_arn else ("bucket", "object")

    def resource_matches(self, req: SymbolicRequest, pattern: str) -> z3.BoolRef:
        key = (req.act.get_id(), pattern)
        if key not in self._resources:
            self._resources[key] = self._resource_matches(req, pattern)
        return self._resources[key]

    def _resource_matches(self, req: SymbolicRequest, pattern: str) -> z3.BoolRef:
        terms = []
        for kind in self.kinds:
            if kind == "object":
                prefix = self.bucket_arn + "/"
                matched = z3.InRe(z3.Concat(z3.StringVal(prefix), req.obj), glob(pattern))
            else:
                arn = self.bucket_arn if kind == "bucket" else str(self.key_arn)
                matched = z3.BoolVal(fnmatchcase(arn, pattern.replace("[", "[[]")))
            terms.append(z3.And(self.of_kind(req.act, kind), matched))
        return z3.Or(*terms)
