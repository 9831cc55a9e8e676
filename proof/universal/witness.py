"""A solver model as a request a person can read, and the statements that decided it."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

import z3

from proof.universal.iamdata import key_name
from proof.universal.model import WORST_CASE, Encoded
from proof.universal.s3 import accepted, stored_algorithm, stored_key

if TYPE_CHECKING:
    from proof.universal.properties import Property

# Keys shown apart from the headers: the principal and the transport.
# Keys the counterexample shows as transport or principal, not as headers.
SHOWN_APART = (
    "aws:securetransport",
    "s3:tlsversion",
    "aws:principalarn",
    "aws:principalaccount",
    "aws:principalisawsservice",
)


def text(value: z3.ExprRef) -> str:
    if z3.is_true(value):
        return "true"
    if z3.is_false(value):
        return "false"
    if z3.is_string_value(value):
        return str(value.as_string())
    if z3.is_rational_value(value):
        number = value.numerator_as_long() / value.denominator_as_long()
        return f"{number:g}" if number != int(number) else f"{number:.1f}"
    return str(value)


class CounterexampleJson(TypedDict):
    """A request that breaks a property, as the report shows it."""

    action: str
    resource: str
    principal: str
    account: str | None  # None for an AWS service principal
    transport: str  # "HTTP", "TLS <version>", ...
    context: dict[str, str | None]  # header condition keys; None: absent


def _request(enc: Encoded, model: z3.ModelRef) -> CounterexampleJson:
    r, u = enc.req, enc.u

    def ev(e: z3.ExprRef) -> z3.ExprRef:
        return model.eval(e, model_completion=True)

    action = u.actions[ev(r.act).as_long()]
    if action.kind == "object":
        resource = f"{u.bucket_arn}/{text(ev(r.obj))}"
    else:
        resource = u.bucket_arn if action.kind == "bucket" else str(u.key_arn)
    service = z3.is_true(ev(r.p_svc))
    secure = z3.is_true(ev(r.value["aws:securetransport"]))
    tls = r.present["s3:tlsversion"]
    transport = "HTTP"
    if secure:
        version = text(ev(r.value["s3:tlsversion"])) if z3.is_true(ev(tls)) else None
        transport = f"TLS {version}" if version else "TLS (version not reported for this action)"
    headers = {
        key_name(key): (text(ev(r.value[key])) if z3.is_true(ev(r.present[key])) else None)
        for key in sorted(r.present)
        if key not in SHOWN_APART and action.carries(key)
    }
    return {
        "action": action.name,
        "resource": resource,
        "principal": f"service {text(ev(r.p_svc_name))}" if service else text(ev(r.p_arn)),
        "account": None if service else text(ev(r.p_acct)),
        "transport": transport,
        "context": headers,
    }


def counterexample(
    enc: Encoded, model: z3.ModelRef, prop: Property
) -> tuple[CounterexampleJson, list[str], list[str]]:
    """(the request, the statements that let it through or stopped it, notes)."""
    example = _request(enc, model)

    def true(e: z3.ExprRef) -> bool:
        return bool(z3.is_true(model.eval(e, model_completion=True)))

    kms = example["action"].startswith("kms:")
    decision = enc.kms if kms else enc.s3
    notes: list[str] = []
    if prop.wanted == "denied":
        statements = [s.label for s, f in decision.allows if true(f)]
        if example["account"] is not None:
            statements.append(WORST_CASE)
        statements.append("no Deny matched")
        if prop.id == "stored-encryption":
            notes.append(
                f"S3 stores it as {text(model.eval(stored_algorithm(enc), True))}"
                f" with key {text(model.eval(stored_key(enc), True))}"
            )
    else:
        statements = [s.label for s, f in decision.denies if true(f)]
        if not statements and not true(decision.allowed):
            statements.append("no Allow matched")
        if not kms and not true(accepted(enc)):
            statements.append("S3 refuses the headers")
    return example, statements, notes
