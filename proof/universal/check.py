"""Run the properties of one deployment: proved or refuted, and which Deny each needs.

One solver per deployment holds the request model once; each property is switched on by
its own literal and each Deny statement by its "in force" literal, so every question
(a property, a property without one statement) is one incremental check with assumptions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import z3

from proof.assembly import Deployment
from proof.universal.model import ASSUMPTIONS, BLOCKED_SSE_C, Encoded
from proof.universal.properties import PROPERTIES, Property
from proof.universal.witness import counterexample


@dataclass
class Result:
    prop: Property
    variant: str
    words: str
    proved: bool
    counterexample: dict[str, Any] | None = None
    statements: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.prop.id,
            "number": self.prop.number,
            "title": self.prop.title,
            "variant": self.variant,
            "statement": self.words,
            "result": "proved" if self.proved else "refuted",
            "counterexample": self.counterexample,
            "statements": self.statements,
            "notes": self.notes,
        }


@dataclass
class Necessity:
    statement: str  # a Sid, or "BlockedEncryptionTypes"
    policy: str
    needed_by: list[str]  # property ids that fail without it
    covered_by: list[str]  # when redundant: what makes it so

    def describe(self) -> str:
        if self.needed_by:
            return f"needed by {', '.join(self.needed_by)}"
        if self.covered_by:
            return f"redundant: covered by {', '.join(self.covered_by)}"
        return "redundant: no proved property fails without it, alone or with another Deny"

    def to_json(self) -> dict[str, Any]:
        return {
            "statement": self.statement,
            "policy": self.policy,
            "needed_by": self.needed_by,
            "covered_by": self.covered_by,
            "verdict": self.describe(),
        }


@dataclass
class Universal:
    """The universal proof of one deployment."""

    variant: str
    results: list[Result]
    necessity: list[Necessity]
    assumptions: tuple[str, ...] = ASSUMPTIONS

    @property
    def refuted(self) -> list[str]:
        return [r.prop.id for r in self.results if not r.proved]


class Checker:
    def __init__(self, enc: Encoded) -> None:
        self.enc = enc
        self.props = [p for p in PROPERTIES if p.applies(enc)]
        self.solver = z3.Solver()
        self.solver.add(enc.world)
        self.on = {p.id: z3.Bool(f"check {p.id}") for p in self.props}
        for p in self.props:
            self.solver.add(z3.Implies(self.on[p.id], p.violation(enc)))

    def violated(self, prop: Property, dropped: Sequence[tuple[str, int]] = ()) -> bool:
        result = self.solver.check(self.on[prop.id], *self.enc.all_in_force(dropped))
        if result == z3.unknown:
            raise RuntimeError(f"the solver gave up on {prop.id}: {self.solver.reason_unknown()}")
        return result == z3.sat

    def result(self, prop: Property, variant: str) -> Result:
        words = prop.words(self.enc)
        if not self.violated(prop):
            return Result(prop, variant, words, True)
        example, statements, notes = counterexample(self.enc, self.solver.model(), prop)
        return Result(prop, variant, words, False, example, statements, notes)

    def _relevant(self, prop: Property, policy: str) -> bool:
        return policy in prop.policies or (policy == "S3" and "bucket policy" in prop.policies)

    def necessity(self, proved: list[Property]) -> list[Necessity]:
        enc = self.enc
        candidates = [(s.policy, s.index, s.label) for s in enc.deny_statements]
        if BLOCKED_SSE_C in enc.enable:
            candidates.append((*BLOCKED_SSE_C, "BlockedEncryptionTypes"))
        needs: dict[tuple[str, int], list[str]] = {}
        for policy, index, _ in candidates:
            needs[(policy, index)] = [
                p.id
                for p in proved
                if self._relevant(p, policy) and self.violated(p, [(policy, index)])
            ]
        out = []
        for policy, index, label in candidates:
            covered = []
            if not needs[(policy, index)]:
                for other_policy, other_index, other_label in candidates:
                    if (other_policy, other_index) == (policy, index):
                        continue
                    pair = [(policy, index), (other_policy, other_index)]
                    alone = needs[(other_policy, other_index)]
                    if any(
                        p.id not in alone and self._relevant(p, policy) and self.violated(p, pair)
                        for p in proved
                    ):
                        covered.append(other_label)
            shown = "bucket setting" if policy == "S3" else policy
            out.append(Necessity(label, shown, needs[(policy, index)], covered))
        return out


def check(deployment: Deployment, variant: str | None = None) -> Universal:
    """Every applicable property of the deployment, and the necessity of each Deny."""
    variant = variant or deployment.config.label
    checker = Checker(Encoded.build(deployment))
    results = [checker.result(p, variant) for p in checker.props]
    proved = [r.prop for r in results if r.proved]
    return Universal(variant, results, checker.necessity(proved))
