"""The declared readers and writers of a deployment (settings readers, writers), and
the formulas "the caller is one of them" (encrypted_s3/universal/access.py, properties.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import z3

from encrypted_s3 import declared as decl
from encrypted_s3.assembly import Deployment
from encrypted_s3.universal.encode import SymbolicRequest
from encrypted_s3.universal.policy import Statement

if TYPE_CHECKING:  # model.py builds its principals from Declared
    from encrypted_s3.universal.model import Encoded

SOURCE_ARN = "aws:sourcearn"
AUTO_DELETE_ROLE = "CustomS3AutoDeleteObjectsCustomResourceProviderRole"


@dataclass(frozen=True)
class Declared:
    """The declarations of one deployment, resolved to ARNs of its environment."""

    readers: tuple[str, ...]  # role ARNs
    writers: tuple[str, ...]
    distributions: tuple[str, ...]
    account: str
    # CDK's auto-delete role (only where retain_data is false): it empties the bucket when
    # the stack is destroyed, so it may delete objects (encrypted_s3/access.py).
    deleters: tuple[str, ...] = ()

    @staticmethod
    def of(enc: Encoded) -> Declared:
        return Declared.of_parts(enc.deployment, enc.bucket)

    @staticmethod
    def of_parts(d: Deployment, bucket: Sequence[Statement]) -> Declared:
        settings = d.settings

        env, iam = str(settings.get("env", "")), f"arn:{d.env.partition}:iam::{d.env.account}"

        def arn(entry: str) -> str:
            """An app role by its fixed name, as the policies name it (encrypted_s3/access.py)."""
            if entry in decl.APP_PRINCIPALS:
                return f"{iam}:role/{decl.app_role_name(entry, env)}"
            return entry

        def arns(name: str) -> tuple[str, ...]:
            entries = settings.get(name, [decl.UPLOADER])
            return tuple(arn(e) for e in entries if not decl.is_distribution(e))

        distributions = tuple(e for e in settings.get("readers", []) if decl.is_distribution(e))
        deleters = _deleters(settings, bucket)
        return Declared(arns("readers"), arns("writers"), distributions, d.env.account, deleters)

    @cached_property
    def accounts(self) -> tuple[str, ...]:
        """Every account a declared role belongs to, the deploying one first."""
        found = [self.account, *(a.split(":")[4] for a in (*self.readers, *self.writers))]
        return tuple(dict.fromkeys(found))

    def words(self, kind: str) -> str:
        names = list(self.readers if kind == "readers" else self.writers)
        if kind == "readers":
            names += [f"CloudFront {d.rsplit('/', 1)[1]}" for d in self.distributions]
        return ", ".join(names) or "none"


def _deleters(settings: Mapping[str, object], bucket: Sequence[Statement]) -> tuple[str, ...]:
    """The auto-delete role CDK names in the bucket policy, where the data is not retained."""
    if settings.get("retain_data", True):
        return ()
    found = []
    for statement in bucket:
        principal = statement.principal
        if not statement.deny and principal is not None:
            found += [a for a in principal.arns if AUTO_DELETE_ROLE in a]
    return tuple(dict.fromkeys(found))


def iam_is(enc: Encoded, r: SymbolicRequest, arns: tuple[str, ...]) -> z3.BoolRef:
    return z3.Or(*[enc.u.principals.arn_is(r, a) for a in arns])


def distribution(enc: Encoded, r: SymbolicRequest, distributions: tuple[str, ...]) -> z3.BoolRef:
    if not distributions or SOURCE_ARN not in r.present:
        return z3.BoolVal(False)
    return z3.And(
        enc.u.principals.service_is(r, decl.CLOUDFRONT_SERVICE),
        r.present[SOURCE_ARN],
        z3.Or(*[r.value[SOURCE_ARN] == z3.StringVal(d) for d in distributions]),
    )


def is_reader(enc: Encoded, r: SymbolicRequest | None = None) -> z3.BoolRef:
    d, r = Declared.of(enc), r or enc.req
    return z3.Or(iam_is(enc, r, d.readers), distribution(enc, r, d.distributions))


def is_writer(enc: Encoded, r: SymbolicRequest | None = None) -> z3.BoolRef:
    return iam_is(enc, r or enc.req, Declared.of(enc).writers)


def writer_here(enc: Encoded) -> z3.BoolRef:
    """The caller is a declared writer of the bucket's own account."""
    d = Declared.of(enc)
    return iam_is(enc, enc.req, tuple(w for w in d.writers if w.split(":")[4] == d.account))


def reader_here(enc: Encoded) -> z3.BoolRef:
    """The caller is a declared reader of the bucket's own account."""
    d = Declared.of(enc)
    return iam_is(enc, enc.req, tuple(w for w in d.readers if w.split(":")[4] == d.account))


def declared_caller(enc: Encoded) -> z3.BoolRef:
    """The caller is of this account, a declared role or a declared distribution."""
    r, d = enc.req, Declared.of(enc)
    here = enc.u.principals.in_account(r, d.account)
    declared = iam_is(enc, r, (*d.readers, *d.writers))
    return z3.Or(here, declared, distribution(enc, r, d.distributions))
