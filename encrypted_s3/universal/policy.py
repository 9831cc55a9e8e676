"""Policy documents as the encoding reads them, or one line saying what it cannot read.

The symbolic encoding and the concrete evaluation share this parse, so an element the
encoding does not support stops both, never silently counts as true or false.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from encrypted_s3.universal.iamdata import key_type

NEGATED = ("StringNotEquals", "StringNotLike", "NumericNotEquals", "ArnNotEquals", "ArnNotLike")
OPERATORS = (
    "StringEquals",
    "StringNotEquals",
    "StringLike",
    "StringNotLike",
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
    "Bool",
    "ArnEquals",
    "ArnLike",
    "ArnNotEquals",
    "ArnNotLike",
)
KEY_TYPES = ("String", "ARN", "Numeric", "Bool")
_ACCOUNT = re.compile(r"^\d{12}$")
_ROOT = re.compile(r"^arn:[^:]+:iam::(\d{12}):root$")


class Unsupported(ValueError):
    """A policy uses something the universal proof does not encode (one line)."""


@dataclass(frozen=True)
class Condition:
    operator: str  # as written, e.g. "StringNotEqualsIfExists"
    base: str  # "StringNotEquals", "Null", ...
    if_exists: bool
    key: str  # lower case (condition keys are case-insensitive)
    values: tuple[str, ...]

    @property
    def negated(self) -> bool:
        return self.base in NEGATED


@dataclass(frozen=True)
class Principal:
    any: bool = False
    accounts: tuple[str, ...] = ()  # "123456789012" or its root ARN: the whole account
    arns: tuple[str, ...] = ()  # one IAM role or user
    services: tuple[str, ...] = ()  # "s3.amazonaws.com"


@dataclass(frozen=True)
class Statement:
    policy: str  # "bucket policy", "key policy", or the identity policy's name
    index: int
    sid: str | None
    effect: str  # "Allow" or "Deny"
    principal: Principal | None  # None in identity policies
    actions: tuple[str, ...]
    not_action: bool
    resources: tuple[str, ...]
    not_resource: bool
    conditions: tuple[Condition, ...]

    @property
    def label(self) -> str:
        return self.sid or f"{self.policy} statement #{self.index}"

    @property
    def deny(self) -> bool:
        return self.effect == "Deny"


def _strings(value: Any, where: str) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        if isinstance(item, bool):
            out.append("true" if item else "false")
        elif isinstance(item, (str, int, float)):
            out.append(str(item))
        else:
            raise Unsupported(f"{where}: value {item!r} is not a string")
        if "${" in out[-1]:
            raise Unsupported(f"{where}: policy variable {out[-1]!r} is not supported")
    return tuple(out)


def _condition(operator: str, key: str, value: Any, where: str) -> Condition:
    if ":" in operator:
        raise Unsupported(f"{where}: set operator {operator} is not supported")
    base = operator.removesuffix("IfExists")
    if base == "Null" and operator == "Null":
        return Condition(operator, base, False, key.lower(), _strings(value, where))
    if base not in OPERATORS:
        raise Unsupported(f"{where}: condition operator {operator} is not supported")
    kind = key_type(key)
    if kind not in KEY_TYPES:
        what = "unknown" if kind is None else f"of type {kind}"
        raise Unsupported(f"{where}: condition key {key} ({what}) is not supported")
    family = {"String": "String", "Numeric": "Numeric", "Bool": "Bool", "Arn": "ARN"}
    wanted = next(t for prefix, t in family.items() if base.startswith(prefix))
    if wanted != kind and not (wanted == "String" and kind == "ARN"):
        raise Unsupported(f"{where}: {operator} on {key} ({kind}) is not supported")
    return Condition(operator, base, operator != base, key.lower(), _strings(value, where))


def _principal(value: Any, where: str) -> Principal:
    if value == "*":
        return Principal(any=True)
    if not isinstance(value, Mapping) or set(value) - {"AWS", "Service"}:
        raise Unsupported(f"{where}: principal {value!r} is not supported")
    accounts, arns = [], []
    for aws in _strings(value.get("AWS", []), where):
        if aws == "*":
            return Principal(any=True)
        root = _ROOT.match(aws)
        if _ACCOUNT.match(aws) or root:
            accounts.append(root.group(1) if root else aws)
        elif aws.startswith("arn:") and "*" not in aws:
            arns.append(aws)
        else:
            raise Unsupported(f"{where}: principal {aws!r} is not supported")
    services = _strings(value.get("Service", []), where)
    return Principal(False, tuple(accounts), tuple(arns), services)


_ELEMENTS = {"Sid", "Effect", "Principal", "Action", "NotAction", "Resource", "NotResource"}


def parse_statement(raw: Mapping[str, Any], policy: str, index: int, resource: bool) -> Statement:
    sid = raw.get("Sid")
    where = f"{policy} {sid or f'statement #{index}'}"
    unknown = set(raw) - _ELEMENTS - {"Condition"}
    if unknown:
        raise Unsupported(f"{where}: element {sorted(unknown)[0]} is not supported")
    if raw.get("Effect") not in ("Allow", "Deny"):
        raise Unsupported(f"{where}: Effect {raw.get('Effect')!r} is not Allow or Deny")
    principal = None
    if resource:
        if "Principal" not in raw:
            raise Unsupported(f"{where}: a resource policy statement without Principal")
        principal = _principal(raw["Principal"], where)
    elif "Principal" in raw:
        raise Unsupported(f"{where}: Principal in an identity policy")
    conditions = [
        _condition(operator, key, value, where)
        for operator, block in (raw.get("Condition") or {}).items()
        for key, value in block.items()
    ]
    return Statement(
        policy=policy,
        index=index,
        sid=sid,
        effect=raw["Effect"],
        principal=principal,
        actions=_strings(raw.get("Action", raw.get("NotAction", [])), where),
        not_action="NotAction" in raw,
        resources=_strings(raw.get("Resource", raw.get("NotResource", [])), where),
        not_resource="NotResource" in raw,
        conditions=tuple(conditions),
    )


def parse_policy(document: Mapping[str, Any], policy: str, resource: bool) -> list[Statement]:
    statements = document.get("Statement", [])
    if isinstance(statements, Mapping):
        statements = [statements]
    return [parse_statement(s, policy, i, resource) for i, s in enumerate(statements)]


def keys_of(statements: Sequence[Statement]) -> set[str]:
    return {c.key for s in statements for c in s.conditions}
