"""One satisfiability question, asked the same way every time.

Every property of every deployment gets a fresh z3 context (its formulas translated into
it) and every check a fresh solver, so no answer and no time depends on what the process
asked before; a fixed seed; and a resource limit per check. A check that reaches it is
asked again by a fresh solver with another seed and a larger limit; if the last try too
cannot decide, SolverGaveUp says so in one line.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import z3

# (seed, resource limit) of each try. z3's resource count, unlike a clock, is the same on
# every machine and under any load, so where a try stops is deterministic; about 2.5
# million units a second here. A check that needs more than the first try's budget is
# usually one where this seed wanders (the times are heavy-tailed): another seed in a
# fresh context settles it quickly.
TRIES = ((0, 1_000_000), (1, 4_000_000), (2, 60_000_000))
TIMEOUT_MS = 60_000  # a wall-clock guard beside the resource limit: never hang
# A question asked with a hint (Session.ask): most are settled within the small budget;
# the rest are mostly satisfiable ones where z3 wanders in the string theory looking for a
# principal ARN, which the hint (the principals the policies name) finds at once.
QUICK_BUDGET, HINTED_BUDGET = 30_000, 1_000_000


class SolverGaveUp(RuntimeError):
    """z3 answered "unknown" on every try: nothing is proved (the message is one line)."""


@dataclass
class Stats:
    """What the checks of this process cost (read by the benchmark)."""

    checks: int = 0
    pruned: int = 0  # questions answered without a check (an unsat core or a model known)
    retries: int = 0
    slowest_s: float = 0.0
    times: list[tuple[float, str]] = field(default_factory=list)  # (seconds, what)
    work: list[int] = field(default_factory=list)  # z3's resource count of each try

    def reset(self) -> None:
        self.checks, self.retries, self.slowest_s, self.times, self.work = 0, 0, 0.0, [], []
        self.pruned = 0


STATS = Stats()


def _spent(solver: z3.Solver) -> int:
    """The context's resource count so far (0 before its first check)."""
    stats = solver.statistics()
    names = stats.keys()
    return int(stats.get_key_value("rlimit count")) if "rlimit count" in names else 0


class Session:
    """The checks about one formula (a property's violation, or the request model): a
    z3 context of their own, the formula translated into it once, and a fresh solver for
    every check and every try. Nothing an earlier check learned, and nothing another
    deployment or property created, reaches a check."""

    def __init__(self, base: Sequence[z3.BoolRef]) -> None:
        self.ctx = z3.Context()
        self.base = [f.translate(self.ctx) for f in base]

    def _solver(self, seed: int, budget: int) -> z3.Solver:
        solver = z3.Solver(ctx=self.ctx)
        solver.set("random_seed", seed)
        solver.set("rlimit", budget)
        solver.set("timeout", TIMEOUT_MS)
        solver.add(*self.base)
        return solver

    def ask(
        self,
        assumptions: Sequence[z3.BoolRef],
        extra: Sequence[z3.BoolRef],
        what: str,
        hint: z3.BoolRef | None = None,
    ) -> z3.ModelRef | None:
        """A model of base + extra under the assumptions (literals), or None if unsat.

        With a hint (a formula that narrows the search, where the caller needs only the
        answer, not a particular model): first a try with a small budget, then one with
        the hint asserted, whose model is a model of the question too; either one that
        does not settle the question leaves it to the tries as usual."""
        return self._check(assumptions, extra, what, assume=False, hint=hint)[0]

    def ask_core(
        self,
        literals: Sequence[z3.BoolRef],
        extra: Sequence[z3.BoolRef],
        what: str,
        hint: z3.BoolRef | None = None,
    ) -> tuple[z3.ModelRef | None, list[int]]:
        """As ask, with the literals given to the check as assumptions: a model, or (None,
        the indices of an unsatisfiable core of the literals): base + extra and those
        literals alone are unsatisfiable, whatever the other literals say."""
        return self._check(literals, extra, what, assume=True, hint=hint)

    def _check(
        self,
        assumptions: Sequence[z3.BoolRef],
        extra: Sequence[z3.BoolRef],
        what: str,
        *,
        assume: bool,
        hint: z3.BoolRef | None,
    ) -> tuple[z3.ModelRef | None, list[int]]:
        started = time.perf_counter()
        reasons = []
        plan: list[tuple[int, int, z3.BoolRef | None]] = [(s, b, None) for s, b in TRIES]
        if hint is not None:
            plan = [(0, QUICK_BUDGET, None), (0, HINTED_BUDGET, hint), *plan]
        try:
            for attempt, (seed, budget, narrowed) in enumerate(plan):
                STATS.retries += attempt > len(plan) - len(TRIES)
                solver = self._solver(seed, budget)
                literals = [f.translate(self.ctx) for f in assumptions]
                # Fixed literals are asserted, not assumed: z3 then simplifies them away;
                # assumed only where the core is wanted.
                more = [*extra] if narrowed is None else [*extra, narrowed]
                solver.add(*([] if assume else literals), *[f.translate(self.ctx) for f in more])
                before = _spent(solver)
                result = solver.check(*literals) if assume else solver.check()
                STATS.work.append(_spent(solver) - before)
                if result == z3.sat:
                    return solver.model().translate(z3.main_ctx()), []
                if result == z3.unsat and narrowed is None:
                    index = {f.get_id(): i for i, f in enumerate(literals)}
                    core = solver.unsat_core() if assume else []
                    return None, sorted(index[f.get_id()] for f in core)
                if attempt >= len(plan) - len(TRIES):
                    reason = solver.reason_unknown()
                    reasons.append(f"{reason} (seed {seed}, resource limit {budget:,})")
            raise SolverGaveUp(f"the solver could not decide {what}: {'; then '.join(reasons)}")
        finally:
            spent = time.perf_counter() - started
            STATS.checks += 1
            STATS.times.append((spent, what))
            STATS.slowest_s = max(STATS.slowest_s, spent)
