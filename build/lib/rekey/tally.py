"""What an audit counts: versions per kind, a sample of each kind, the other KMS keys, and
every version UpdateObjectEncryption cannot change, with the reason (never skipped
silently: counted here and written, one line each, to the blocked list).

Constant memory whatever the bucket's size: counts and at most SAMPLE_SIZE keys per kind.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from typing import Any, TextIO

from rekey.kinds import KINDS, OK, OTHER_KEY, Expected, Stored, classify, updatable

SAMPLE_SIZE = 5
BLOCKED_COLUMNS = ("bucket", "key", "version_id", "kind", "reason")


@dataclass
class Tally:
    expected: Expected
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    samples: dict[str, list[dict[str, str | None]]] = field(default_factory=dict)
    # Versions of kind other-kms-key by their key ARN (a re-key job per ARN filters by it).
    other_keys: dict[str, int] = field(default_factory=dict)
    blocked: dict[str, int] = field(default_factory=dict)  # reason -> versions
    delete_markers: int = 0
    vanished: int = 0  # listed, then gone before their HEAD (deleted meanwhile)

    @property
    def versions(self) -> int:
        return sum(self.counts.values())

    @property
    def wrong(self) -> int:
        return self.versions - self.counts[OK]

    def add(
        self,
        bucket: str,
        key: str,
        version_id: str | None,
        stored: Stored,
        blocked_out: TextIO | None = None,
    ) -> str:
        kind = classify(self.expected, stored)
        self.counts[kind] += 1
        if kind == OK:
            return kind
        sample = self.samples.setdefault(kind, [])
        if len(sample) < SAMPLE_SIZE:
            sample.append({"key": key, "version_id": version_id})
        if kind == OTHER_KEY and stored.key_arn:
            self.other_keys[stored.key_arn] = self.other_keys.get(stored.key_arn, 0) + 1
        reason = updatable(self.expected, kind, stored.locked)
        if reason is not None:
            self.blocked[reason] = self.blocked.get(reason, 0) + 1
            if blocked_out is not None:
                csv.writer(blocked_out).writerow((bucket, key, version_id or "", kind, reason))
        return kind

    def as_json(self) -> dict[str, Any]:
        return {
            "versions": self.versions,
            "not_as_settings": self.wrong,
            "counts": dict(self.counts),
            "samples": {k: self.samples[k] for k in KINDS if k in self.samples},
            "other_kms_keys": dict(sorted(self.other_keys.items())),
            "cannot_update": dict(sorted(self.blocked.items())),
            "delete_markers": self.delete_markers,
            "vanished": self.vanished,
        }

    @classmethod
    def from_json(cls, expected: Expected, data: dict[str, Any]) -> Tally:
        """A tally saved in a cursor, to go on counting where it stopped."""
        tally = cls(expected)
        tally.counts.update(data["counts"])
        tally.samples = {k: list(v) for k, v in data["samples"].items()}
        tally.other_keys = dict(data["other_kms_keys"])
        tally.blocked = dict(data["cannot_update"])
        tally.delete_markers = int(data["delete_markers"])
        tally.vanished = int(data["vanished"])
        return tally
