"""Run the properties of one deployment: proved or refuted, and which Deny each needs.

One solver per property holds the request model and the property's violation; each Deny
statement is switched by its "in force" literal, so every question (the property, the
property without one statement) is one incremental check with assumptions. (One solver
for all properties, each behind its own literal, measured about 1.5x slower.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NotRequired, TypedDict

import z3

from proof.assembly import Deployment
from proof.universal.access import ACCESS_PROPERTIES
from proof.universal.model import ASSUMPTIONS, BLOCKED_SSE_C, CUSTOMER, KEY_ID, Encoded
from proof.universal.properties import PROPERTIES, Property, stores
from proof.universal.s3 import accepted
from proof.universal.who import table as who_table
from proof.universal.witness import CounterexampleJson, counterexample
from scenarios import OTHER_KEY_ID

TIMEOUT_MS = 60_000


class SolverGaveUp(RuntimeError):
    """z3 answered "unknown" (time-out or an undecided theory): nothing is proved."""


S3_CHECKS = ("S3", -2)  # S3's own header validation, for the necessity report


class PropertyJson(TypedDict):
    """One property of the universal proof in the JSON report."""

    id: str
    number: int
    title: str
    variant: str
    statement: str
    result: str  # "proved" or "refuted"
    counterexample: CounterexampleJson | None
    statements: list[str]
    notes: list[str]
    assumptions: NotRequired[list[str]]  # the report adds them to each property


class NecessityJson(TypedDict):
    statement: str
    policy: str
    needed_by: list[str]
    covered_by: list[str]
    verdict: str


@dataclass
class Result:
    prop: Property
    variant: str
    words: str
    proved: bool
    counterexample: CounterexampleJson | None = None
    statements: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> PropertyJson:
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
            return f"redundant: what it refuses is refused by {', '.join(self.covered_by)}"
        return "redundant: no property needs it (what it refuses is not granted otherwise)"

    def to_json(self) -> NecessityJson:
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
    who: str = ""  # the "Who can do what" table (proof/universal/who.py)

    @property
    def refuted(self) -> list[str]:
        return [r.prop.id for r in self.results if not r.proved]


class Checker:
    def __init__(self, enc: Encoded) -> None:
        self.enc = enc
        self.props = [p for p in (*PROPERTIES, *ACCESS_PROPERTIES) if p.applies(enc)]
        self.on = {p.id: z3.Bool(f"check {p.id}") for p in self.props}
        self.solvers: dict[str, z3.Solver] = {}
        self._selectors: dict[tuple[tuple[str, int], bool], z3.BoolRef] = {}
        self.overlap = z3.Solver()  # which statements refuse the same requests
        self.overlap.set("timeout", TIMEOUT_MS)
        self.overlap.add(enc.world)
        for p in self.props:
            self.solvers[p.id] = z3.Solver()
            self.solvers[p.id].set("timeout", TIMEOUT_MS)  # a stuck check fails, never hangs
            self.solvers[p.id].add(enc.world, z3.Implies(self.on[p.id], p.violation(enc)))

    def violated(self, prop: Property, dropped: Sequence[tuple[str, int]] = ()) -> bool:
        solver = self.solvers[prop.id]
        result = solver.check(self.on[prop.id], *self.enc.all_in_force(dropped))
        if result == z3.unknown:
            raise SolverGaveUp(f"the solver gave up on {prop.id}: {solver.reason_unknown()}")
        return bool(result == z3.sat)

    def result(self, prop: Property, variant: str) -> Result:
        words, notes = prop.words(self.enc), prop.notes(self.enc)
        if not self.violated(prop):
            return Result(prop, variant, words, True, notes=notes)
        example, statements, found = counterexample(self.enc, self._readable(prop), prop)
        return Result(prop, variant, words, False, example, statements, found + notes)

    def _readable(self, prop: Property) -> z3.ModelRef:
        """A counterexample with readable names where the property allows them."""
        r, env = self.enc.req, self.enc.deployment.env
        other_key = f"arn:{env.partition}:kms:{env.region}:{env.account}:key/{OTHER_KEY_ID}"
        wishes = [
            r.p_rest == z3.StringVal("role/Example"),
            r.obj == z3.StringVal("example.txt"),
            # a key id naming another key, rather than none, "" or "a"
            z3.And(r.present[KEY_ID], r.value[KEY_ID] == z3.StringVal(other_key)),
        ]
        base = [self.on[prop.id], *self.enc.all_in_force()]
        solver = self.solvers[prop.id]
        model = solver.model()
        kept: list[z3.BoolRef] = []
        for number, wish in enumerate(wishes):
            literal = z3.Bool(f"wish {number}")
            solver.add(z3.Implies(literal, wish))
            if solver.check(*base, *kept, literal) == z3.sat:
                kept.append(literal)
                model = solver.model()
        return model

    def _relevant(self, prop: Property, policy: str) -> bool:
        return policy in prop.policies or (policy == "S3" and "bucket policy" in prop.policies)

    def _applies(self, target: tuple[str, int], polarity: bool = True) -> z3.BoolRef:
        """A literal for "the statement (or bucket setting) refuses the request" (or not)."""
        if (target, polarity) not in self._selectors:
            enc = self.enc
            if target == BLOCKED_SSE_C:
                formula = z3.And(enc.req.present[CUSTOMER], stores(enc))
            elif target == S3_CHECKS:
                formula = z3.And(z3.Not(accepted(enc)), stores(enc))
            else:
                decision = enc.kms if target[0] == "key policy" else enc.s3
                formula = next(f for s, f in decision.denies if (s.policy, s.index) == target)
            literal = z3.Bool(f"applies {polarity}: {target}")
            self.overlap.add(z3.Implies(literal, formula if polarity else z3.Not(formula)))
            self._selectors[(target, polarity)] = literal
        return self._selectors[(target, polarity)]

    def _subsumed(self, target: tuple[str, int], by: Sequence[tuple[str, int]]) -> bool:
        """Does every request `target` refuses get refused by one of `by` as well?"""
        assumptions = [self._applies(target), *[self._applies(b, False) for b in by]]
        result = self.overlap.check(*assumptions)
        if result == z3.unknown:
            raise SolverGaveUp(f"the solver gave up comparing {target} with {list(by)}")
        return bool(result == z3.unsat)

    def _covers(self, target: tuple[str, int], labels: dict[tuple[str, int], str]) -> list[str]:
        # Key policy statements cover KMS requests; the bucket's statements S3 requests.
        others = [
            k
            for k in labels
            if k != target and (k[0] == "key policy") == (target[0] == "key policy")
        ]
        single = [labels[k] for k in others if self._subsumed(target, [k])]
        if single:
            return single
        if self._subsumed(target, [*others, S3_CHECKS]):
            return ["the other statements and S3's header checks together"]
        return []

    def necessity(self, proved: list[Property]) -> list[Necessity]:
        enc = self.enc
        labels = {(s.policy, s.index): s.label for s in enc.deny_statements}
        if BLOCKED_SSE_C in enc.enable:
            labels[BLOCKED_SSE_C] = "BlockedEncryptionTypes"
        out = []
        # Dropping a Deny only allows more: a property about what must be allowed
        # (not-vacuous, declared-use) can never need one.
        refusals = [p for p in proved if p.wanted == "denied"]
        for target, label in labels.items():
            needed = [
                p.id
                for p in refusals
                if self._relevant(p, target[0]) and self.violated(p, [target])
            ]
            covered = [] if needed else self._covers(target, labels)
            shown = "bucket setting" if target[0] == "S3" else target[0]
            out.append(Necessity(label, shown, needed, covered))
        return out


def check(deployment: Deployment, variant: str | None = None) -> Universal:
    """Every applicable property of the deployment, and the necessity of each Deny."""
    variant = variant or deployment.config.label
    checker = Checker(Encoded.build(deployment))
    results = [checker.result(p, variant) for p in checker.props]
    proved = [r.prop for r in results if r.proved]
    who = who_table(checker.enc, results, variant)
    return Universal(variant, results, checker.necessity(proved), who=who)
