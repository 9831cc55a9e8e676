"""IAM's evaluation of parsed statements on the symbolic request (see encode.py)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import z3

from encrypted_s3.universal.encode import SymbolicRequest, Universe, arn_glob, glob
from encrypted_s3.universal.policy import Condition, Statement, Unsupported
from encrypted_s3.universal.principals import PRINCIPAL_KEYS, Principals

Enable = Mapping[tuple[str, int], z3.BoolRef]  # (policy, index) of a Deny -> "it is in force"


def _number(text: str, where: str) -> z3.RatNumRef:
    try:
        float(text)
    except ValueError:
        raise Unsupported(f"{where}: {text!r} is not a number") from None
    return z3.RealVal(text)


def _bool(text: str, where: str) -> bool:
    if text.lower() not in ("true", "false"):
        raise Unsupported(f"{where}: {text!r} is not true or false")
    return text.lower() == "true"


_NUMERIC: dict[str, Callable[[z3.ArithRef, z3.ArithRef], z3.BoolRef]] = {
    "NumericEquals": lambda v, c: v == c,
    "NumericNotEquals": lambda v, c: v == c,  # negated below
    "NumericLessThan": lambda v, c: v < c,
    "NumericLessThanEquals": lambda v, c: v <= c,
    "NumericGreaterThan": lambda v, c: v > c,
    "NumericGreaterThanEquals": lambda v, c: v >= c,
}


def _value_match(base: str, value: z3.ExprRef, text: str, where: str) -> z3.BoolRef:
    """Does one policy value match the (present) request value, before negation?"""
    if base in ("StringEquals", "StringNotEquals"):
        return value == z3.StringVal(text)
    if base in ("StringLike", "StringNotLike"):
        return z3.InRe(value, glob(text))
    if base.startswith("Arn"):
        if not any(c in text for c in "*?") and text.count(":") >= 5:
            return value == z3.StringVal(text)  # no wildcard: the ARN itself (cheaper)
        pattern = arn_glob(text)
        return z3.BoolVal(False) if pattern is None else z3.InRe(value, pattern)
    if base == "Bool":
        return value == z3.BoolVal(_bool(text, where))
    return _NUMERIC[base](value, _number(text, where))


def condition_matches(
    c: Condition, who: Principals, req: SymbolicRequest, where: str
) -> z3.BoolRef:
    present = req.present[c.key]
    if c.base == "Null":
        tests = [z3.Not(present) if _bool(v, where) else present for v in c.values]
        return z3.Or(*tests)
    if c.key in PRINCIPAL_KEYS:  # the caller's class decides (principals.py)
        matches = [who.compare(req, c.key, c.base, v) for v in c.values]
    else:
        value = req.value[c.key]
        matches = [_value_match(c.base, value, v, where) for v in c.values]
    # Negated operators: the value differs from every listed value; else: equals one.
    held = z3.And(*[z3.Not(m) for m in matches]) if c.negated else z3.Or(*matches)
    missing = z3.BoolVal(c.negated or c.if_exists)
    return z3.If(present, held, missing)


@dataclass(frozen=True)
class Matched:
    """A statement and the formulas saying it applies to the request."""

    statement: Statement
    core: z3.BoolRef  # action, resource and conditions
    direct: z3.BoolRef  # ... and the principal, by name or "*" (identity: always)
    account: z3.BoolRef  # ... and the principal, through its account


def match(st: Statement, u: Universe, who: Principals, req: SymbolicRequest) -> Matched:
    where = f"{st.policy} {st.label}"
    action = u.in_set(req.act, u.matching(st.actions))
    if st.not_action:
        action = z3.Not(action)
    resource = z3.Or(*[u.resource_matches(req, r) for r in st.resources])
    if st.not_resource:
        resource = z3.Not(resource)
    conditions = [condition_matches(c, who, req, where) for c in st.conditions]
    core = z3.And(action, resource, *conditions)
    if st.principal is None:
        return Matched(st, core, core, z3.BoolVal(False))
    p = st.principal
    direct_terms = [z3.BoolVal(p.any)]  # "*" names anonymous callers too
    direct_terms += [who.arn_is(req, a) for a in p.arns]
    direct_terms += [who.service_is(req, s) for s in p.services]
    account = z3.Or(*[who.in_account(req, a) for a in p.accounts])
    return Matched(st, core, z3.And(core, z3.Or(*direct_terms)), z3.And(core, account))


@dataclass(frozen=True)
class SymbolicDecision:
    allowed: z3.BoolRef
    denies: tuple[tuple[Statement, z3.BoolRef], ...]  # each Deny that matches (in force or not)
    allows: tuple[tuple[Statement, z3.BoolRef], ...]  # each Allow that applies


def decide(
    u: Universe,
    who: Principals,
    req: SymbolicRequest,
    resource: Sequence[Matched],
    identity: Sequence[Matched] | None,
    service: str,
    enable: Enable,
) -> SymbolicDecision:
    """identity None: the worst case, an identity policy allowing everything."""
    denies = [
        # A Deny naming an account applies to that account's principals, too.
        (m.statement, z3.Or(m.direct, m.account))
        for m in [*resource, *(identity or [])]
        if m.statement.deny
    ]
    in_force = [z3.And(enable.get((s.policy, s.index), True), matched) for s, matched in denies]
    allows_r = [m for m in resource if not m.statement.deny]
    direct = z3.Or(*[m.direct for m in allows_r])
    account = z3.Or(*[m.account for m in allows_r])
    if identity is None:
        id_allow: z3.BoolRef = z3.BoolVal(True)
        id_allows: list[tuple[Statement, z3.BoolRef]] = []
    else:
        id_allows = [(m.statement, m.direct) for m in identity if not m.statement.deny]
        id_allow = z3.Or(*[f for _, f in id_allows])
    same = who.in_account(req, u.account)
    if service == "kms":  # the key policy is the root of trust
        same_grant = z3.Or(direct, z3.And(account, id_allow))
    else:
        same_grant = z3.Or(direct, id_allow)
    # A service or an anonymous caller has no identity policy: only a direct grant.
    grant = z3.If(
        z3.Not(req.p_iam),
        direct,
        z3.If(same, same_grant, z3.And(z3.Or(direct, account), id_allow)),
    )
    denied = z3.Or(*in_force)
    allows = [(m.statement, z3.Or(m.direct, m.account)) for m in allows_r] + id_allows
    return SymbolicDecision(z3.And(z3.Not(denied), grant), tuple(denies), tuple(allows))
