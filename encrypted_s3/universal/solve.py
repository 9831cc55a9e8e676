"""One satisfiability question, asked the same way every time.

Every deployment gets a fresh z3 context (its formulas translated into it) and every
check a fresh solver, so no answer and no time depends on what the process asked before
about other deployments; a fixed seed; and a resource limit per check. A check that reaches it is
asked again by a fresh solver with another seed and a larger limit; if the last try too
cannot decide, SolverGaveUp says so in one line.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import z3

T = TypeVar("T")

# (seed, resource limit) of each try. z3's resource count, unlike a clock, is the same on
# every machine and under any load, so where a try stops is deterministic; about 2.5
# million units a second here. A check that needs more than the first try's budget is
# usually one where this seed wanders (the times are heavy-tailed): another seed in a
# fresh context settles it quickly.
TRIES = ((0, 1_000_000), (1, 4_000_000), (2, 60_000_000))
TIMEOUT_MS = 60_000  # a wall-clock guard beside the resource limit: never hang


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


def fresh_context() -> z3.Context:
    """A context no formula was made in (a spare one if there is: spare_contexts)."""
    return _SPARE.popleft() if _SPARE else z3.Context()


class Session:
    """The checks about one formula (a property's violation, or the request model): the
    formula translated once into a context (its own, or the one the sessions of one
    deployment share), and a fresh solver for every check and every try. Nothing an
    earlier check learned reaches a check; a model may depend on which formulas the
    context holds (an answer cannot), so a counterexample is asked in a context of its
    own. A context is fresh per deployment, not per property: making one touches about
    16 MB, which costs more than most checks."""

    def __init__(self, base: Sequence[z3.BoolRef], ctx: z3.Context | None = None) -> None:
        self.ctx = ctx or fresh_context()
        self.base = [f.translate(self.ctx) for f in base]

    def _solver(self, seed: int, budget: int) -> z3.Solver:
        solver = z3.Solver(ctx=self.ctx)
        solver.set("random_seed", seed)
        solver.set("rlimit", budget)
        solver.set("timeout", TIMEOUT_MS)
        solver.add(*self.base)
        return solver

    def ask(
        self, assumptions: Sequence[z3.BoolRef], extra: Sequence[z3.BoolRef], what: str
    ) -> z3.ModelRef | None:
        """A model of base + extra under the assumptions (literals), or None if unsat."""
        return self._answer(assumptions, extra, what, assume=False)[0]

    def ask_core(
        self, literals: Sequence[z3.BoolRef], extra: Sequence[z3.BoolRef], what: str
    ) -> tuple[z3.ModelRef | None, list[int]]:
        """As ask, with the literals given to the check as assumptions: a model, or (None,
        the indices of an unsatisfiable core of the literals): base + extra and those
        literals alone are unsatisfiable, whatever the other literals say."""
        return self._answer(literals, extra, what, assume=True)

    def _answer(
        self,
        assumptions: Sequence[z3.BoolRef],
        extra: Sequence[z3.BoolRef],
        what: str,
        assume: bool,
    ) -> tuple[z3.ModelRef | None, list[int]]:
        """(a model, []) if satisfiable, (None, the core's indices) if not. The formulas
        are translated here and the model back, in the main context; the tries touch
        this session's context only, so they let go of the main context's lock."""
        literals = [f.translate(self.ctx) for f in assumptions]
        more = [f.translate(self.ctx) for f in extra]
        a = _unlocked(lambda: self._run(literals, more, assume))
        STATS.checks += 1
        STATS.retries += a.retries
        STATS.work.extend(a.work)
        STATS.times.append((a.seconds, what))
        STATS.slowest_s = max(STATS.slowest_s, a.seconds)
        if a.model is not None:
            return a.model.translate(z3.main_ctx()), []
        if a.unsat:
            return None, a.core
        raise SolverGaveUp(f"the solver could not decide {what}: {'; then '.join(a.reasons)}")

    def _run(self, literals: list[z3.BoolRef], more: list[z3.BoolRef], assume: bool) -> _Answer:
        """The tries of one question (this session's context only)."""
        started, answer = time.perf_counter(), _Answer()
        reasons = []
        for attempt, (seed, budget) in enumerate(TRIES):
            answer.retries += attempt > 0
            solver = self._solver(seed, budget)
            # Fixed literals are asserted, not assumed: z3 then simplifies them away;
            # assumed only where the core is wanted.
            solver.add(*([] if assume else literals), *more)
            before = _spent(solver)
            result = solver.check(*literals) if assume else solver.check()
            answer.work.append(_spent(solver) - before)
            if result == z3.sat:
                answer.model = solver.model()
                break
            if result == z3.unsat:
                index = {f.get_id(): i for i, f in enumerate(literals)}
                core = solver.unsat_core() if assume else []
                answer.core, answer.unsat = sorted(index[f.get_id()] for f in core), True
                break
            reasons.append(f"{solver.reason_unknown()} (seed {seed}, resource limit {budget:,})")
        answer.reasons, answer.seconds = reasons, time.perf_counter() - started
        return answer


@dataclass
class _Answer:
    model: z3.ModelRef | None = None  # in the session's context
    unsat: bool = False
    core: list[int] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    retries: int = 0
    work: list[int] = field(default_factory=list)
    seconds: float = 0.0


# z3's main context, where the encoding builds every formula, is one thread's at a time:
# check_all proves deployments on threads of their own, each holding this lock except
# while z3 solves in the deployment's context (_unlocked), so one builds and translates
# while another's check runs. A thread that drops a formula holds it too (a z3 object
# frees itself in its context when dropped).
_MAIN = threading.Lock()
_HOLDS = threading.local()


def in_main_context(work: Callable[[], T]) -> T:
    """`work` with the main context's lock (see _MAIN)."""
    with _MAIN:
        _HOLDS.main = True
        try:
            return work()
        finally:
            _HOLDS.main = False


def _unlocked(check: Callable[[], T]) -> T:
    """Work in a session's context only, the main context's lock let go meanwhile."""
    if not getattr(_HOLDS, "main", False):
        return check()
    _MAIN.release()
    try:
        return check()
    finally:
        _MAIN.acquire()


_SPARE: deque[z3.Context] = deque()  # fresh contexts, never used: see spare_contexts


def spare_contexts(count: int) -> int:
    """Makes fresh contexts ahead until `count` are spare, for Sessions to take (z3 takes
    about 10 ms to make one): a caller with time to spare (the plugin while the app is
    built) calls it on a thread of its own. A context never used is the same whenever it
    was made. (Two threads at once may make a few more than `count`.) Returns how many
    are spare."""
    while len(_SPARE) < count:
        _SPARE.append(z3.Context())
    return len(_SPARE)
