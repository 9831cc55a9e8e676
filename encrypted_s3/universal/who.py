"""The "Who can do what" table: generated from the declared readers and writers, and
marked proved only where the universal proof proved the access properties.

One row per declared principal, one for CDK's auto-delete role where it exists, and one
for everyone else; the columns are what the bucket and the key let each of them do.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from encrypted_s3 import declared as decl
from encrypted_s3.universal.model import Encoded

if TYPE_CHECKING:  # check.py builds the table
    from encrypted_s3.universal.verdicts import Result

ACCESS_PROPERTIES = ("confidentiality", "integrity", "no-public-access", "declared-use")
COLUMNS = (
    "who",
    "read objects",
    "write objects",
    "delete objects",
    "key: Decrypt via S3",
    "key: data keys via S3",
)
YES, NO = "yes", "no"


def _name(arn: str, enc: Encoded) -> str:
    env = str(enc.deployment.settings.get("env", ""))
    if arn == enc.deployment.role_arn:
        return "the uploader (this app's role)"
    if arn.endswith(f":role/{decl.app_role_name(decl.REKEY, env)}"):
        return "the re-key jobs' role (S3 Batch Operations, `make rekey`)"
    return f"`{arn}`"


def rows(enc: Encoded) -> list[tuple[str, ...]]:
    d = enc.declared
    kms = enc.deployment.key_arn is not None
    out: list[tuple[str, ...]] = []
    for arn in dict.fromkeys((*d.readers, *d.writers)):
        reads, writes = arn in d.readers, arn in d.writers
        key = (YES if reads or writes else NO, YES if writes else NO) if kms else ("-", "-")
        out.append(
            (
                _name(arn, enc),
                YES if reads else NO,
                YES if writes else NO,
                YES if writes else NO,
                *key,
            )
        )
    for dist in d.distributions:
        key = (YES, NO) if kms else ("-", "-")
        out.append((f"CloudFront `{dist}` (OAC)", YES, NO, NO, *key))
    for _arn in d.deleters:
        out.append(("CDK's auto-delete role (retain_data false)", NO, NO, YES, NO, NO))
    no_key = (NO, NO) if kms else ("-", "-")
    out.append(("anyone else (account admins and root, other accounts)", NO, NO, NO, *no_key))
    return out


def table(enc: Encoded, results: Sequence[Result], variant: str) -> str:
    """The markdown table and the line saying what proved it."""
    by_id = {r.prop.id: r for r in results}
    states = [
        f"{p} {'proved' if by_id[p].proved else 'REFUTED'}" for p in ACCESS_PROPERTIES if p in by_id
    ]
    lines = [
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
        *("| " + " | ".join(row) + " |" for row in rows(enc)),
        "",
        f"Generated from the settings readers and writers ({variant}); "
        f"{', '.join(states)} for every request of the model (worst-case identity "
        "Allow * on *).",
    ]
    return "\n".join(lines)
