"""Decide one concrete request with the encoding's own formulas (values substituted).

This is how the encoding is checked against iam-simulate: the very formulas the proofs
use, with every variable replaced by the request's values and simplified to true/false.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import z3

from proof.universal.iamdata import key_type
from proof.universal.model import Encoded


class NotDecided(RuntimeError):
    """The substituted formula did not simplify to true or false (an encoding bug)."""


@dataclass(frozen=True)
class Concrete:
    action: str  # "s3:PutObject"
    principal: str  # an IAM ARN, or a service principal such as "s3.amazonaws.com"
    context: Mapping[str, str] = field(default_factory=dict)  # as iam-simulate gets it
    object_key: str = "probe/object"

    @property
    def service_principal(self) -> bool:
        return not self.principal.startswith("arn:")


def _value(key: str, text: str) -> z3.ExprRef:
    kind = key_type(key)
    if kind == "Bool":
        return z3.BoolVal(text.lower() == "true")
    if kind == "Numeric":
        return z3.RealVal(text)
    return z3.StringVal(text)


def substitution(enc: Encoded, request: Concrete) -> list[tuple[z3.ExprRef, z3.ExprRef]]:
    """Every variable of the request model, and every Deny in force (the action apart)."""
    r = enc.req
    parts = request.principal.split(":", 5)
    service = request.service_principal
    pairs: list[tuple[z3.ExprRef, z3.ExprRef]] = [
        (r.obj, z3.StringVal(request.object_key)),
        (r.p_svc, z3.BoolVal(service)),
        (r.p_svc_name, z3.StringVal(request.principal if service else "")),
        (r.p_arn, z3.StringVal("" if service else request.principal)),
        (r.p_acct, z3.StringVal("" if service else parts[4])),
        (r.p_rest, z3.StringVal("" if service else parts[5])),
    ]
    context = {k.lower(): v for k, v in request.context.items()}
    for key, present in r.present.items():
        pairs.append((present, z3.BoolVal(key in context)))
        if key in context:
            pairs.append((r.value[key], _value(key, context[key])))
    pairs += [(literal, z3.BoolVal(True)) for literal in enc.enable.values()]
    return pairs


def _substitute(formula: z3.ExprRef, pairs: list[tuple[z3.ExprRef, z3.ExprRef]]) -> z3.ExprRef:
    """z3.substitute without its per-pair sort checks in Python (the pairs are well sorted)."""
    size = len(pairs)
    sources, targets = (z3.Ast * size)(), (z3.Ast * size)()
    for i, (source, target) in enumerate(pairs):
        sources[i], targets[i] = source.as_ast(), target.as_ast()
    ast = z3.Z3_substitute(formula.ctx_ref(), formula.as_ast(), size, sources, targets)
    return z3.BoolRef(ast, formula.ctx)


def truth(formula: z3.BoolRef, pairs: list[tuple[z3.ExprRef, z3.ExprRef]]) -> bool:
    result = z3.simplify(_substitute(formula, pairs))
    if z3.is_true(result):
        return True
    if z3.is_false(result):
        return False
    raise NotDecided(f"the encoding left {result} undecided")


def decide_concrete(
    enc: Encoded,
    request: Concrete,
    uploader: bool = False,
    pairs: list[tuple[z3.ExprRef, z3.ExprRef]] | None = None,
) -> bool:
    """True iff the encoding allows the request (IAM only, not S3's header checks).

    uploader: evaluate with the uploader's identity policies instead of the worst case.
    """
    formula = for_action(enc, request.action, "uploader" if uploader else "any")
    return truth(formula, pairs if pairs is not None else substitution(enc, request))


def for_action(enc: Encoded, action: str, which: str) -> z3.BoolRef:
    """A formula with the action substituted (cached: requests share actions).

    which: "any" (the decision for any principal), "uploader" (with the uploader's
    identity policies) or "world" (the request model's facts).
    """
    cache: dict[tuple[str, str], z3.BoolRef] = enc.__dict__.setdefault("_by_action", {})
    cache_key = (action.lower(), which)
    if cache_key not in cache:
        kms = action.lower().startswith("kms:")
        formulas = {
            "any": lambda: (enc.kms if kms else enc.s3).allowed,
            "uploader": lambda: enc.decision("kms" if kms else "s3", uploader=True).allowed,
            "world": lambda: enc.world,
        }
        index = z3.IntVal(enc.u.index(action))
        cache[cache_key] = z3.simplify(z3.substitute(formulas[which](), (enc.req.act, index)))
    return cache[cache_key]
