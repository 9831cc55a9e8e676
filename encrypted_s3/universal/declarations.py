"""The declared readers and writers of a deployment (settings readers, writers), resolved
to the ARNs its policies name: what the encoding names (model.py) and the formulas "the
caller is one of them" speak of (declared.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

from encrypted_s3 import declared as decl
from encrypted_s3.assembly import Deployment
from encrypted_s3.universal.policy import Statement

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
    def of(d: Deployment, bucket: Sequence[Statement]) -> Declared:
        """From the settings, and the bucket policy's statements (CDK's auto-delete role)."""
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
