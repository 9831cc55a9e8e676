"""Universal properties of the re-key jobs' role (stacks/rekey_role.py), in the same model
as the other properties (encrypted_s3.universal.model: its ASSUMPTIONS hold here too): for every
request the role can make, z3 finds none that breaks the promise.

- rekey-role-project-key-only: every store the role is allowed (UpdateObjectEncryption,
  PutObject) stores with aws:kms under the project key, by its identity policy alone
  (every Deny of the bucket and key policies out of force) and with them.
- rekey-role-no-data: it is allowed no read of object data and no delete on the bucket.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import z3

from encrypted_s3.assembly import Deployment
from encrypted_s3.universal.model import ALG, Encoded
from encrypted_s3.universal.s3 import accepted, names_project_key, stored_algorithm, stored_key
from encrypted_s3.vocabulary import STORE_ACTIONS

READ_OR_DELETE = ("s3:GetObject*", "s3:Delete*", "s3:RestoreObject")
TIMEOUT_MS = 60_000


@dataclass(frozen=True)
class RoleResult:
    id: str
    words: str
    proved: bool
    counterexample: str | None = None


def _as_role(enc: Encoded, role_arn: str) -> z3.BoolRef:
    return enc.who.arn_is(enc.req, role_arn)


def _role_allowed(enc: Encoded) -> z3.BoolRef:
    """Allowed with the role's own identity policies (Encoded's identity here)."""
    s3, kms = enc.decision("s3", uploader=True), enc.decision("kms", uploader=True)
    return z3.If(enc.u.of_kind(enc.req.act, "key"), kms.allowed, s3.allowed)


def _acts(enc: Encoded, patterns: tuple[str, ...]) -> z3.BoolRef:
    return enc.u.in_set(enc.req.act, enc.u.matching(patterns))


def _wrong_store(enc: Encoded) -> z3.BoolRef:
    # The strictest reading: only the full key ARN counts as the project key (no bare id
    # or alias, which AWS resolves in the caller's account or which can be re-pointed).
    no = z3.BoolVal(False)
    other_key = z3.Not(names_project_key(enc, stored_key(enc), no, no))
    wrong = z3.Or(stored_algorithm(enc) != z3.StringVal("aws:kms"), other_key)
    return z3.And(_acts(enc, STORE_ACTIONS), accepted(enc), wrong)


def _check(enc: Encoded, violation: z3.BoolRef, assumptions: list[z3.BoolRef]) -> str | None:
    """None if no request satisfies `violation`, else the counterexample's action and
    headers."""
    solver = z3.Solver()
    solver.set("timeout", TIMEOUT_MS)
    solver.add(enc.world, violation)
    result = solver.check(*assumptions)
    if result == z3.unknown:
        raise RuntimeError(f"the solver gave up: {solver.reason_unknown()}")
    if result == z3.unsat:
        return None
    model, r = solver.model(), enc.req
    action = enc.u.actions[model.eval(r.act, model_completion=True).as_long()].name
    headers = {
        key: model.eval(r.value[key], model_completion=True)
        for key in (ALG, "s3:x-amz-server-side-encryption-aws-kms-key-id")
        if key in r.present and z3.is_true(model.eval(r.present[key], model_completion=True))
    }
    return f"{action} {headers}"


def check_rekey_role(deployment: Deployment) -> list[RoleResult]:
    """The properties for a deployment that has the role (sse-kms); [] otherwise."""
    if not deployment.rekey_role_arn or not deployment.key_arn:
        return []
    role = replace(deployment, identity_policies=deployment.rekey_policies)
    enc = Encoded.build(role, extra_names=[deployment.rekey_role_arn])
    as_role = _as_role(enc, deployment.rekey_role_arn)
    allowed = z3.And(as_role, _role_allowed(enc))
    project_only = z3.And(allowed, _wrong_store(enc))
    no_data = z3.And(allowed, _acts(enc, READ_OR_DELETE))
    results = []
    for prop_id, words, violation, policies in (
        (
            "rekey-role-project-key-only",
            "the re-key role stores only aws:kms under the project key, by its identity "
            "policy alone",
            project_only,
            enc.all_in_force(but=list(enc.enable)),
        ),
        (
            "rekey-role-project-key-only-with-policies",
            "the same with the bucket and key policies in force",
            project_only,
            enc.all_in_force(),
        ),
        (
            "rekey-role-no-data",
            "the re-key role reads and deletes no object of the bucket",
            no_data,
            enc.all_in_force(but=list(enc.enable)),
        ),
    ):
        example = _check(enc, violation, policies)
        results.append(RoleResult(prop_id, words, example is None, example))
    return results
