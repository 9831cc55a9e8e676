"""Decide one concrete request with the encoding's own formulas (values substituted).

This is how the encoding is checked against iam-simulate: the very formulas the proofs
use, with every variable replaced by the request's values and simplified to true/false.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import z3

from encrypted_s3.universal.encode import PRINCIPAL_KINDS
from encrypted_s3.universal.iamdata import key_type
from encrypted_s3.universal.model import Encoded

ANONYMOUS = "anonymous"  # an unsigned request: no principal at all


class NotDecided(RuntimeError):
    """The substituted formula did not simplify to true or false (an encoding bug)."""


@dataclass(frozen=True)
class Concrete:
    action: str  # "s3:PutObject"
    principal: str  # an IAM ARN, a service principal such as "s3.amazonaws.com", or ANONYMOUS
    context: Mapping[str, str] = field(default_factory=dict)  # as iam-simulate gets it
    object_key: str = "probe/object"

    @property
    def kind(self) -> str:
        """ "iam", "service" or "anonymous" (encode.PRINCIPAL_KINDS)."""
        if self.principal == ANONYMOUS:
            return "anonymous"
        return "iam" if self.principal.startswith("arn:") else "service"

    @property
    def service_principal(self) -> bool:
        return self.kind == "service"


def _value(key: str, text: str) -> z3.ExprRef:
    kind = key_type(key)
    if kind == "Bool":
        if text.lower() not in ("true", "false"):
            raise NotDecided(f"{key} = {text!r}: outside the request model (see outside_model)")
        return z3.BoolVal(text.lower() == "true")
    if kind == "Numeric":
        return z3.RealVal(text)
    return z3.StringVal(text)


def outside_model(request: Concrete) -> str | None:
    """Why the request's values are outside the request model (None: inside).

    AWS fills Boolean keys with true or false and numeric keys with numbers; any other
    value is one no real request carries, and the encoding does not decide it.
    """
    for key, text in request.context.items():
        kind = key_type(key)
        if kind == "Bool" and text.lower() not in ("true", "false"):
            return f"{key} = {text!r} is not true or false"
        if kind == "Numeric":
            try:
                float(text)
            except ValueError:
                return f"{key} = {text!r} is not a number"
    return None


def substitution(enc: Encoded, request: Concrete) -> list[tuple[z3.ExprRef, z3.ExprRef]]:
    """Every variable of the request model, and every Deny in force (the action apart)."""
    r, who = enc.req, enc.who
    kind = request.kind
    pairs: list[tuple[z3.ExprRef, z3.ExprRef]] = [
        (r.obj, z3.StringVal(request.object_key)),
        (r.p_kind, z3.IntVal(PRINCIPAL_KINDS.index(kind))),
        (r.p_cls, z3.IntVal(who.cell_of(request.principal) if kind == "iam" else 0)),
        (r.p_svc_cls, z3.IntVal(who.service_cell(request.principal) if kind == "service" else 0)),
    ]
    context = {k.lower(): v for k, v in request.context.items()}
    for key, present in r.present.items():
        pairs.append((present, z3.BoolVal(key in context)))
        if key in context:
            pairs.append((r.value[key], _value(key, context[key])))
    pairs += [(literal, z3.BoolVal(True)) for literal in enc.enable.values()]
    return pairs


def fast_substitute(formula: z3.ExprRef, pairs: list[tuple[z3.ExprRef, z3.ExprRef]]) -> z3.ExprRef:
    """z3.substitute without its per-pair sort checks in Python (the pairs are well sorted)."""
    size = len(pairs)
    sources, targets = (z3.Ast * size)(), (z3.Ast * size)()
    for i, (source, target) in enumerate(pairs):
        sources[i], targets[i] = source.as_ast(), target.as_ast()
    ast = z3.Z3_substitute(formula.ctx_ref(), formula.as_ast(), size, sources, targets)
    return z3.z3._to_expr_ref(ast, formula.ctx)


def truth(formula: z3.BoolRef, pairs: list[tuple[z3.ExprRef, z3.ExprRef]]) -> bool:
    result = z3.simplify(fast_substitute(formula, pairs))
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
