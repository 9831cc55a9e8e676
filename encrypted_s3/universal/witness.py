"""A solver model as a request a person can read, and the statements that decided it."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

import z3

from encrypted_s3.universal.encode import PRINCIPAL_KINDS, SymbolicRequest
from encrypted_s3.universal.iamdata import key_name
from encrypted_s3.universal.model import WORST_CASE, Encoded
from encrypted_s3.universal.principals import EXAMPLE_ROLES
from encrypted_s3.universal.s3 import KeyNames, accepted, stored_algorithm, stored_key

if TYPE_CHECKING:
    from encrypted_s3.universal.properties import Property

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
    account: str | None  # None for an AWS service principal or an anonymous caller
    transport: str  # "HTTP", "TLS <version>", ...
    context: dict[str, str | None]  # header condition keys; None: absent


def _request(
    enc: Encoded, model: z3.ModelRef, req: SymbolicRequest | None = None
) -> CounterexampleJson:
    r, u = req or enc.req, enc.u
    # A principal no one names is shown as a role of its account: the second request
    # (an alias change) by another name than the first.
    example = EXAMPLE_ROLES[1] if req is not None and req is not enc.req else EXAMPLE_ROLES[0]

    def ev(e: z3.ExprRef) -> z3.ExprRef:
        return model.eval(e, model_completion=True)

    action = u.actions[ev(r.act).as_long()]
    if action.kind == "object":
        resource = f"{u.bucket_arn}/{text(ev(r.obj))}"
    else:
        resource = u.bucket_arn if action.kind == "bucket" else str(u.key_arn)
    kind = PRINCIPAL_KINDS[ev(r.p_kind).as_long()]
    secure = z3.is_true(ev(r.value["aws:securetransport"]))
    tls = r.present["s3:tlsversion"]
    transport = "HTTP"
    if secure:
        version = text(ev(r.value["s3:tlsversion"])) if z3.is_true(ev(tls)) else None
        transport = f"TLS {version}" if version else "TLS (version not reported for this action)"
    arn = enc.who.arn_of(ev(r.p_cls).as_long(), example) if kind == "iam" else None
    account = arn.split(":")[4] if arn else None

    def shown(key: str) -> str | None:
        if not z3.is_true(ev(r.present[key])):
            return None
        return account if key == "kms:calleraccount" else text(ev(r.value[key]))

    headers = {
        key_name(key): shown(key)
        for key in sorted(r.present)
        if key not in SHOWN_APART and action.carries(key)
    }
    return {
        "action": action.name,
        "resource": resource,
        "principal": {
            "iam": str(arn),
            "service": f"service {enc.who.service_of(ev(r.p_svc_cls).as_long())}",
            "anonymous": "an anonymous caller (unsigned request)",
        }[kind],
        "account": account,
        "transport": transport,
        "context": headers,
    }


def _key_name_notes(
    enc: Encoded, model: z3.ModelRef, example: CounterexampleJson, key: str
) -> list[str]:
    """Why a name of the project key did not name it for this caller."""
    names = KeyNames.of(enc)
    if names is None or key not in names.all() or key == names.arn:
        return []
    notes = []
    caller = example["account"]
    if key in (names.key_id, names.alias) and caller != names.account:
        who = f"account {caller}" if caller else "no account (not an IAM principal)"
        notes.append(
            f"{key!r} is resolved in the caller's account ({who}), not in the key's account "
            f"{names.account}: it names another key; only the key ARN names the project key "
            "for every caller"
        )
    if key in (names.alias, names.alias_arn):
        change = _request(enc, model, enc.second)
        if change["action"].lower() in ("kms:createalias", "kms:updatealias", "kms:deletealias"):
            notes.append(
                f"the alias can be re-pointed: {change['action']} by {change['principal']} is "
                "allowed, so an alias names the project key only while no one can change it"
            )
    return notes


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
            key = text(model.eval(stored_key(enc), True))
            notes.append(
                f"S3 stores it as {text(model.eval(stored_algorithm(enc), True))} with key {key}"
            )
            notes += _key_name_notes(enc, model, example, key)
    else:
        statements = [s.label for s, f in decision.denies if true(f)]
        if not statements and not true(decision.allowed):
            statements.append("no Allow matched")
        if not kms and not true(accepted(enc)):
            statements.append("S3 refuses the headers")
    return example, statements, notes
