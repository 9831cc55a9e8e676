"""The declared readers and writers of a deployment (settings readers, writers), and
the formulas "the caller is one of them" (encrypted_s3/universal/access.py, properties.py)."""

from __future__ import annotations

import z3

from encrypted_s3 import declared as decl
from encrypted_s3.universal.encode import SymbolicRequest
from encrypted_s3.universal.model import Encoded

SOURCE_ARN = "aws:sourcearn"


def iam_is(enc: Encoded, r: SymbolicRequest, arns: tuple[str, ...]) -> z3.BoolRef:
    return z3.Or(*[enc.who.arn_is(r, a) for a in arns])


def distribution(enc: Encoded, r: SymbolicRequest, distributions: tuple[str, ...]) -> z3.BoolRef:
    if not distributions or SOURCE_ARN not in r.present:
        return z3.BoolVal(False)
    return z3.And(
        enc.who.service_is(r, decl.CLOUDFRONT_SERVICE),
        r.present[SOURCE_ARN],
        z3.Or(*[r.value[SOURCE_ARN] == z3.StringVal(d) for d in distributions]),
    )


def is_reader(enc: Encoded, r: SymbolicRequest | None = None) -> z3.BoolRef:
    d, r = enc.declared, r or enc.req
    return z3.Or(iam_is(enc, r, d.readers), distribution(enc, r, d.distributions))


def is_writer(enc: Encoded, r: SymbolicRequest | None = None) -> z3.BoolRef:
    return iam_is(enc, r or enc.req, enc.declared.writers)


def writer_here(enc: Encoded) -> z3.BoolRef:
    """The caller is a declared writer of the bucket's own account."""
    d = enc.declared
    return iam_is(enc, enc.req, tuple(w for w in d.writers if w.split(":")[4] == d.account))


def reader_here(enc: Encoded) -> z3.BoolRef:
    """The caller is a declared reader of the bucket's own account."""
    d = enc.declared
    return iam_is(enc, enc.req, tuple(w for w in d.readers if w.split(":")[4] == d.account))


def declared_caller(enc: Encoded) -> z3.BoolRef:
    """The caller is of this account, a declared role or a declared distribution."""
    r, d = enc.req, enc.declared
    here = enc.who.in_account(r, d.account)
    declared = iam_is(enc, r, (*d.readers, *d.writers))
    return z3.Or(here, declared, distribution(enc, r, d.distributions))
