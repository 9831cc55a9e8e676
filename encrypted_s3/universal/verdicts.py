"""What the universal proof says of one deployment: each property's result, each Deny's
necessity, and their JSON form (check.py finds them, report.py prints them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NotRequired, TypedDict

from encrypted_s3.universal.model import ASSUMPTIONS
from encrypted_s3.universal.properties import Property
from encrypted_s3.universal.space import ModelJson
from encrypted_s3.universal.witness import CounterexampleJson


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


class NeededWithJson(TypedDict):
    statement: str  # the other statement
    by: list[str]  # the properties that fail when both are dropped


class NecessityJson(TypedDict):
    statement: str
    policy: str
    needed_by: list[str]
    covered_by: list[str]
    needed_with: list[NeededWithJson]
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
    """What one Deny (or BlockedEncryptionTypes) does for the proof; every clause checked."""

    statement: str  # a Sid, or "BlockedEncryptionTypes"
    policy: str
    needed_by: list[str]  # property ids that fail without it
    covered_by: list[str]  # when not needed alone: what refuses all it refuses
    needed_with: list[tuple[str, list[str]]] = field(default_factory=list)  # (other, props)
    unused: bool = False  # without it, nothing it refuses is allowed (checked)

    def describe(self) -> str:
        if self.needed_by:
            return f"needed by {', '.join(self.needed_by)}"
        parts = []
        if self.covered_by:
            parts.append(
                f"redundant alone: what it refuses is refused by {', '.join(self.covered_by)}"
            )
        else:
            parts.append("redundant alone: no property fails without it")
        for other, props in self.needed_with:
            parts.append(f"needed together with {other} by {', '.join(props)}")
        if self.unused:
            parts.append("what it refuses is allowed by nothing else")
        return "; ".join(parts)

    def to_json(self) -> NecessityJson:
        return {
            "statement": self.statement,
            "policy": self.policy,
            "needed_by": self.needed_by,
            "covered_by": self.covered_by,
            "needed_with": [{"statement": o, "by": p} for o, p in self.needed_with],
            "verdict": self.describe(),
        }


@dataclass
class Universal:
    """The universal proof of one deployment."""

    variant: str
    results: list[Result]
    necessity: list[Necessity]
    model: ModelJson
    assumptions: tuple[str, ...] = ASSUMPTIONS
    who: str = ""  # the "Who can do what" table (encrypted_s3/universal/who.py)

    @property
    def refuted(self) -> list[str]:
        return [r.prop.id for r in self.results if not r.proved]
