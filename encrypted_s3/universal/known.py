"""What the necessity analysis already knows, so that it asks z3 only what it does not.

Every entry is an answer a check gave, kept in a form that answers later questions the
same way the check would: an unsatisfiable core of a property's in-force literals (a
drop that keeps all of them leaves the property proved), and requests the overlap checks
found (one that a later question holds for answers it: satisfiable).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import z3

from encrypted_s3.universal.solve import STATS

Target = tuple[str, int]  # a Deny's (policy, index), or a bucket setting, or S3's checks
Literals = frozenset[tuple[Target, bool]]  # (statement, in force?)


@dataclass(frozen=True)
class Core:
    """Literals under which a property's violation is unsatisfiable."""

    literals: Literals
    alias_fixed: bool  # found with the alias guard's consequence asserted (Checker._ask)

    def settles(self, literals: Literals, alias_fixed: bool) -> bool:
        return self.literals <= literals and (alias_fixed or not self.alias_fixed)


@dataclass
class Known:
    cores: dict[str, list[Core]] = field(default_factory=dict)  # property id -> cores
    witnesses: list[z3.ModelRef] = field(default_factory=list)  # requests of the world

    def proved(self, prop: str, literals: Literals, alias_fixed: bool) -> bool:
        """A known core keeps the property proved under these literals."""
        if any(core.settles(literals, alias_fixed) for core in self.cores.get(prop, [])):
            STATS.pruned += 1
            return True
        return False

    def add_core(self, prop: str, literals: Literals, alias_fixed: bool) -> None:
        self.cores.setdefault(prop, []).append(Core(literals, alias_fixed))

    def satisfied(self, question: z3.BoolRef) -> bool:
        """A known request satisfies the question (which includes the world's facts)."""
        for known in self.witnesses:
            if z3.is_true(known.eval(question, model_completion=True)):
                STATS.pruned += 1
                return True
        return False
