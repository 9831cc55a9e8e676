"""Who can read it: confidentiality, integrity, no public access, declared use works.

The declared readers and writers come from the settings the templates carry (Metadata),
with `uploader` standing for the uploader role the assembly names (encrypted_s3.universal.
declared); the properties hold for every request of the model (any principal with the
worst-case identity Allow * on *, or an AWS service principal). Each layer is held to
its own part: object plaintext needs the S3 read AND, in KMS modes, S3's Decrypt with
the caller's credentials, and confidentiality asks that each of them alone is refused to
every undeclared caller, so a gap in either policy is a counterexample.
"""

from __future__ import annotations

import z3

from encrypted_s3 import declared as decl
from encrypted_s3.universal.declared import (
    declared_caller,
    distribution,
    iam_is,
    is_reader,
    is_writer,
)
from encrypted_s3.universal.model import ALG, CUSTOMER, KEY_ID, Encoded
from encrypted_s3.universal.properties import MIN_TLS, Property, via_s3
from encrypted_s3.universal.s3 import accepted

# The ordinary object operations a declared principal must be able to perform, as the
# IAM actions AWS authorizes them with (a multipart upload is s3:PutObject for each step,
# and KMS GenerateDataKey and Decrypt through S3).
READ_USE = ("s3:GetObject",)
WRITE_USE = ("s3:PutObject", "s3:PutObjectTagging", "s3:DeleteObject", "s3:AbortMultipartUpload")
KMS_READ_USE = ("kms:Decrypt",)
KMS_WRITE_USE = ("kms:GenerateDataKey", "kms:Decrypt")


def _acts(enc: Encoded, patterns: tuple[str, ...]) -> z3.BoolRef:
    return enc.u.in_set(enc.req.act, enc.u.matching(patterns))


def _on_key(enc: Encoded) -> bool:
    return enc.deployment.key_arn is not None


def confidentiality(enc: Encoded) -> z3.BoolRef:
    """An object read allowed to a non-reader, or (KMS) a Decrypt to one who is neither
    reader nor writer (S3 decrypts for a writer's multipart upload and copy)."""
    d = enc.declared
    read = z3.And(_acts(enc, decl.READ_ACTIONS), enc.s3.allowed, z3.Not(is_reader(enc)))
    if not _on_key(enc):
        return read
    decrypters = z3.Or(is_reader(enc), iam_is(enc, enc.req, d.writers))
    decrypt = z3.And(_acts(enc, decl.KEY_READ_ACTIONS), enc.kms.allowed, z3.Not(decrypters))
    return z3.Or(read, decrypt)


def integrity(enc: Encoded) -> z3.BoolRef:
    """An object write (deletes included, but for CDK's auto-delete role where the bucket
    is not retained) allowed to a non-writer, or (KMS) a data key, Encrypt or ReEncrypt."""
    d = enc.declared
    deleter = iam_is(enc, enc.req, d.deleters)
    writes = z3.Or(
        _acts(enc, decl.WRITE_ACTIONS),
        z3.And(_acts(enc, decl.DELETE_ACTIONS), z3.Not(deleter)),
    )
    cases = [z3.And(writes, enc.s3.allowed, z3.Not(is_writer(enc)))]
    if _on_key(enc):
        cases.append(
            z3.And(_acts(enc, decl.KEY_WRITE_ACTIONS), enc.kms.allowed, z3.Not(is_writer(enc)))
        )
    return z3.Or(*cases)


def no_public_access(enc: Encoded) -> z3.BoolRef:
    """Allowed, on the bucket, its objects or the key, to a caller who is neither of this
    account nor a declared role of another account nor a declared distribution."""
    allowed = z3.If(enc.u.of_kind(enc.req.act, "key"), enc.kms.allowed, enc.s3.allowed)
    return z3.And(allowed, z3.Not(declared_caller(enc)))


def _secure(enc: Encoded) -> z3.BoolRef:
    r = enc.req
    return z3.And(r.value["aws:securetransport"], r.value["s3:tlsversion"] >= z3.RealVal(MIN_TLS))


def _as(enc: Encoded, arn: str) -> z3.BoolRef:
    return enc.who.arn_is(enc.req, arn)


def _required_headers(enc: Encoded) -> z3.BoolRef:
    r, d = enc.req, enc.deployment
    headers = [
        z3.Not(r.present[CUSTOMER]),
        z3.And(r.present[ALG], r.value[ALG] == z3.StringVal(d.config.algorithm)),
    ]
    if _on_key(enc):
        headers.append(z3.And(r.present[KEY_ID], r.value[KEY_ID] == z3.StringVal(str(d.key_arn))))
    else:
        headers.append(z3.Not(r.present[KEY_ID]))
    return z3.And(*headers)


def declared_use(enc: Encoded) -> z3.BoolRef:
    """A declared reader's read or a declared writer's ordinary write that is refused."""
    r, d = enc.req, enc.declared
    put = r.act == enc.u.index("s3:PutObject")
    s3_ok = z3.And(enc.s3.allowed, z3.Implies(put, accepted(enc)))
    via = z3.And(
        r.present["kms:viaservice"], r.value["kms:viaservice"] == z3.StringVal(via_s3(enc))
    )
    uses = [
        *((iam, READ_USE, KMS_READ_USE) for iam in d.readers),
        *((iam, WRITE_USE, KMS_WRITE_USE) for iam in d.writers),
    ]
    cases = []
    for arn, s3_actions, kms_actions in uses:
        s3_use = z3.And(
            _acts(enc, s3_actions), _secure(enc), z3.Implies(put, _required_headers(enc))
        )
        cases.append(z3.And(_as(enc, arn), s3_use, z3.Not(s3_ok)))
        if _on_key(enc):
            kms_use = z3.And(_acts(enc, kms_actions), via)
            cases.append(z3.And(_as(enc, arn), kms_use, z3.Not(enc.kms.allowed)))
    for dist in d.distributions:
        cloudfront = distribution(enc, r, (dist,))
        cases.append(z3.And(cloudfront, _acts(enc, READ_USE), _secure(enc), z3.Not(enc.s3.allowed)))
        if _on_key(enc):
            kms_use = z3.And(cloudfront, _acts(enc, KMS_READ_USE), via)
            cases.append(z3.And(kms_use, z3.Not(enc.kms.allowed)))
    return z3.Or(*cases) if cases else z3.BoolVal(False)


def _confidentiality_words(enc: Encoded) -> str:
    d = enc.declared
    key = (
        "; and the key refuses kms:Decrypt to everyone but them and the declared writers "
        f"({d.words('writers')}, whose multipart uploads S3 decrypts for)"
        if _on_key(enc)
        else ""
    )
    return (
        "object data reaches only the declared readers "
        f"({d.words('readers')}): the bucket refuses every s3:GetObject* to anyone else{key}"
    )


def _integrity_words(enc: Encoded) -> str:
    d = enc.declared
    key = (
        "; the key gives data keys (and Encrypt, ReEncrypt*) to them alone" if _on_key(enc) else ""
    )
    deleters = (
        " (and CDK's auto-delete role deletes, where retain_data is false)" if d.deleters else ""
    )
    return (
        "objects are stored, changed, re-keyed, replicated or deleted only by the declared "
        f"writers ({d.words('writers')}){deleters}{key}"
    )


ACCESS_PROPERTIES = (
    Property(
        "confidentiality",
        8,
        "Confidentiality",
        _confidentiality_words,
        confidentiality,
        ("bucket policy", "key policy"),
    ),
    Property(
        "integrity", 9, "Integrity", _integrity_words, integrity, ("bucket policy", "key policy")
    ),
    Property(
        "no-public-access",
        10,
        "No public access",
        lambda enc: (
            "no request on the bucket, its objects or the key is allowed to a caller outside "
            f"account {enc.u.account}, the declared roles and the declared CloudFront "
            "distributions (anonymous callers included)"
        ),
        no_public_access,
        ("bucket policy", "key policy"),
    ),
    Property(
        "declared-use",
        11,
        "Declared use works",
        lambda enc: (
            f"every declared reader can GetObject over TLS >= {MIN_TLS}, every declared writer "
            "can PutObject with the required headers (each step of a multipart upload), "
            "PutObjectTagging, DeleteObject and AbortMultipartUpload"
            + ("; the KMS calls S3 makes for them are allowed" if _on_key(enc) else "")
        ),
        declared_use,
        ("bucket policy", "key policy"),
        wanted="allowed",
    ),
)
