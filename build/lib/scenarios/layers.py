"""Which policy layer denied a request, live (S3's AccessDenied message) and offline (the
simulator's detail), in the same words so the two tables can be compared.

S3 names the policy type that denied a same-account (and same-organization) caller:
"... with an explicit deny in a resource-based policy" or "... because no identity-based
policy allows the s3:PutObject action"; cross-account callers get a bare "Access Denied".
"""

from __future__ import annotations

import re

EXPLICIT = re.compile(r"with an explicit deny in an? ([a-zA-Z -]+?policy|permissions boundary)")
IMPLICIT = re.compile(r"because no ([a-zA-Z -]+?policy|permissions boundary) allows")


def live_layer(message: str) -> str | None:
    """The layer S3's AccessDenied message names, e.g. "explicit deny in a resource-based
    policy", or None when it names none."""
    found = EXPLICIT.search(message)
    if found:
        return f"explicit deny in a {found.group(1)}"
    found = IMPLICIT.search(message)
    if found:
        return f"no {found.group(1)} allows it"
    return None


def offline_layer(detail: str) -> str | None:
    """The same words for an offline row's detail (proof.detail.step_detail): a Sid of the
    bucket or key policy is an explicit deny in a resource-based policy."""
    if not detail or detail.startswith(("allowed", "simulator error", "BlockedEncryptionTypes")):
        return None
    if detail.startswith("implicit deny in "):
        where = detail.removeprefix("implicit deny in ").split(" (at ")[0]
        kinds = {"bucket policy": "resource-based policy", "key policy": "resource-based policy"}
        first = where.split(" and ")[0]
        return f"no {kinds.get(first, first.replace(' policy', '-based policy'))} allows it"
    if detail.endswith("*") or detail.startswith(("S3 ", "KMS ")):
        return None  # decided without a named statement
    named_other = re.match(r"(identity|session|service control) policy: ", detail)
    if named_other:
        kind = {"identity": "identity-based policy"}.get(named_other.group(1), named_other.group(0))
        return f"explicit deny in a {kind}"
    return "explicit deny in a resource-based policy"
