"""Run the properties of one deployment: proved or refuted, and which Deny each needs.

Every question (the property, the property without one or two statements, whether one
statement refuses what others do) is one check of solve.Session: a fresh solver in the
deployment's own context, a fixed seed and a resource limit, so no answer depends on what
was asked before. Each Deny is switched by its "in force" literal.

The necessity analysis skips the questions whose answer an earlier one already gives
(unless `exhaustive`; known.py): an unsatisfiable core of a property's in-force literals
keeps the property proved whatever is dropped outside it, and a request found to be
refused by one statement and not by another settles every later question it answers
(checked by evaluating the question on it). Each is an answer the check itself would
give, so the report is the same; the exhaustive run is kept to show it (tests/proof).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import z3

from encrypted_s3.assembly import Deployment
from encrypted_s3.universal.access import ACCESS_PROPERTIES
from encrypted_s3.universal.known import Known, Target
from encrypted_s3.universal.model import BLOCKED_SSE_C, CUSTOMER, KEY_ID, Encoded
from encrypted_s3.universal.properties import (
    PROPERTIES,
    Property,
    alias_changeable,
    allowed,
    stores,
)
from encrypted_s3.universal.s3 import accepted
from encrypted_s3.universal.solve import Session, fresh_context, in_main_context
from encrypted_s3.universal.space import model_json
from encrypted_s3.universal.verdicts import Necessity, Result, Universal
from encrypted_s3.universal.who import table as who_table
from encrypted_s3.universal.witness import counterexample
from encrypted_s3.vocabulary import OTHER_KEY_ID, STORE_ACTIONS

S3_CHECKS = ("S3", -2)  # S3's own header validation, for the necessity report


class Checker:
    def __init__(self, enc: Encoded, *, exhaustive: bool = False) -> None:
        self.enc = enc
        self.props = [p for p in (*PROPERTIES, *ACCESS_PROPERTIES) if p.applies(enc)]
        self.bases = {p.id: [enc.world, p.violation(enc)] for p in self.props}
        self.ctx = fresh_context()  # the deployment's: every session below shares it
        self.sessions = {pid: Session(base, self.ctx) for pid, base in self.bases.items()}
        self.overlap = Session([enc.world], self.ctx)  # which statements refuse the same
        self._fixed: bool | None = None  # whether no one but the deploy role can change aliases
        self.exhaustive = exhaustive  # ask every question, none settled by an earlier answer
        self.known = Known()
        self._alias_guard: z3.BoolRef | None = None  # no one but the deployer changes aliases

    def _with_core(self, prop: Property) -> bool:
        """A property's questions keep an unsat core (to prune the necessity analysis),
        unless every question is asked (exhaustive) or it wants requests allowed."""
        return not self.exhaustive and prop.wanted != "allowed"

    def _fixes_alias(self, prop: Property, dropped: Sequence[Target]) -> list[z3.BoolRef]:
        """What the property's checks without `dropped` may take as given."""
        if not (prop.id == "stored-encryption" and self._alias_fixed(dropped)):
            return []
        if self._alias_guard is None:
            self._alias_guard = z3.Not(alias_changeable(self.enc))
        return [self._alias_guard]

    @staticmethod
    def _what(prop: Property, dropped: Sequence[Target]) -> str:
        return f"{prop.id} without {', '.join(map(str, dropped))}" if dropped else prop.id

    def _ask(
        self, prop: Property, dropped: Sequence[Target], extra: Sequence[z3.BoolRef] = ()
    ) -> z3.ModelRef | None:
        """Is the property violated without `dropped` (and with `extra`)? A model if so."""
        in_force = self.enc.all_in_force(dropped)
        # Known unsatisfiable on its own: saying so spares z3 re-proving it each time.
        extra = [*extra, *self._fixes_alias(prop, dropped)]
        return self.sessions[prop.id].ask(in_force, extra, self._what(prop, dropped))

    def _violated_core(self, prop: Property, dropped: Sequence[Target]) -> bool:
        """violated(), answered by a known core where one fits, else by a check that
        assumes the in-force literals and keeps the core it finds."""
        fixes = self._fixes_alias(prop, dropped)
        with_alias = bool(fixes)
        literals = frozenset((k, k not in dropped) for k in self.enc.enable)
        if self.known.proved(prop.id, literals, with_alias):
            return False
        model, core = self.sessions[prop.id].ask_core(
            self.enc.all_in_force(dropped), fixes, f"{self._what(prop, dropped)} (core)"
        )
        if model is None:
            keys = list(self.enc.enable)
            found = frozenset((keys[i], keys[i] not in dropped) for i in core)
            self.known.add_core(prop.id, found, with_alias)
        return model is not None

    def _alias_fixed(self, dropped: Sequence[tuple[str, int]]) -> bool:
        """No one but the deploy role can change the key's aliases (the key policy alone
        decides it, so dropping bucket statements keeps the answer)."""
        if "second" not in self.enc.__dict__ or any(d[0] == "key policy" for d in dropped):
            return False
        if self._fixed is None:
            session = Session([alias_changeable(self.enc)], self.ctx)
            self._fixed = session.ask(self.enc.all_in_force(), [], "alias changes") is None
        return self._fixed

    def violated(self, prop: Property, dropped: Sequence[tuple[str, int]] = ()) -> bool:
        if not self.exhaustive:
            return self._violated_core(prop, dropped)
        return self._ask(prop, dropped) is not None

    def result(self, prop: Property, variant: str) -> Result:
        words, notes = prop.words(self.enc), prop.notes(self.enc)
        # Proved: its core starts the necessity analysis (no drop can refute a property
        # that wants requests allowed). Refuted: asked again in a context of its own (what
        # the deployment's context holds can change z3's model), the same way whatever
        # was asked before, so the counterexample is the same in every mode.
        core = self._with_core(prop)
        if not (self.violated(prop) if core else self._ask(prop, ()) is not None):
            return Result(prop, variant, words, True, notes=notes)
        self.sessions[prop.id] = Session(self.bases[prop.id])
        model = self._ask(prop, ())
        if model is None:  # a model, then none: z3 contradicted itself
            raise RuntimeError(f"{prop.id}: refuted in one context, proved in another")
        example, statements, found = counterexample(self.enc, self._readable(prop, model), prop)
        return Result(prop, variant, words, False, example, statements, found + notes)

    def _readable(self, prop: Property, model: z3.ModelRef) -> z3.ModelRef:
        """A counterexample with readable names where the property allows them."""
        r, env = self.enc.req, self.enc.deployment.env
        other_key = f"arn:{env.partition}:kms:{env.region}:{env.account}:key/{OTHER_KEY_ID}"
        wishes = [
            r.obj == z3.StringVal("example.txt"),
            # a key id naming another key, rather than none, "" or "a"
            z3.And(r.present[KEY_ID], r.value[KEY_ID] == z3.StringVal(other_key)),
        ]
        kept: list[z3.BoolRef] = []
        for wish in wishes:
            found = self._ask(prop, (), [*kept, wish])
            if found is not None:
                kept.append(wish)
                model = found
        return model

    def _relevant(self, prop: Property, policy: str) -> bool:
        return policy in prop.policies or (policy == "S3" and "bucket policy" in prop.policies)

    def _refuses(self, target: tuple[str, int]) -> z3.BoolRef:
        """The statement (or bucket setting, or S3's header checks) refuses the request."""
        enc = self.enc
        if target == BLOCKED_SSE_C:
            return z3.And(enc.req.present[CUSTOMER], stores(enc))
        if target == S3_CHECKS:
            return z3.And(z3.Not(accepted(enc)), stores(enc))
        decision = enc.kms if target[0] == "key policy" else enc.s3
        return next(f for s, f in decision.denies if (s.policy, s.index) == target)

    def _actions(self, target: tuple[str, int]) -> frozenset[int] | None:
        """The actions the statement can refuse (None: not known from its Action alone)."""
        if target[0] == "S3":
            return self.enc.u.matching(STORE_ACTIONS)
        (statement,) = [s for s in self.enc.deny_statements if (s.policy, s.index) == target]
        return None if statement.not_action else self.enc.u.matching(statement.actions)

    def _subsumed(self, target: tuple[str, int], by: Sequence[tuple[str, int]]) -> bool:
        """Does every request `target` refuses get refused by one of `by` as well?"""
        formulas = [self._refuses(target), *[z3.Not(self._refuses(b)) for b in by]]
        what = f"whether {list(by)} refuse what {target} refuses"
        if self.exhaustive:
            return self.overlap.ask([], formulas, what) is None
        # A request found before that `target` refuses and none of `by` does says no.
        if self.known.satisfied(z3.And(self.enc.world, *formulas)):
            return False
        model = self.overlap.ask([], formulas, what)
        if model is not None:
            self.known.witnesses.append(model)
        return model is None

    def _nothing_else_allows(self, target: tuple[str, int]) -> bool:
        """Without `target`, is every request it refuses still refused (or never granted)?"""
        enc = self.enc
        formulas = [self._refuses(target), allowed(enc)]
        if target[0] != "key policy":
            formulas.append(accepted(enc))
        what = f"whether anything allows what {target} refuses"
        return self.overlap.ask(enc.all_in_force([target]), formulas, what) is None

    def _covers(self, target: tuple[str, int], labels: dict[tuple[str, int], str]) -> list[str]:
        # Key policy statements cover KMS requests; the bucket's statements S3 requests.
        others = [
            k
            for k in labels
            if k != target and (k[0] == "key policy") == (target[0] == "key policy")
        ]
        mine = self._actions(target)
        # A statement naming none of the target's actions refuses none of its requests.
        others = [k for k in others if mine is None or (t := self._actions(k)) is None or t & mine]
        single = [labels[k] for k in others if self._subsumed(target, [k])]
        if single:
            return single
        if target[0] == "key policy":  # S3's header checks refuse no KMS request
            if len(others) > 1 and self._subsumed(target, others):
                return ["the other key policy statements together"]
        elif self._subsumed(target, [*others, S3_CHECKS]):
            return ["the other statements and S3's header checks together"]
        return []

    def necessity(self, proved: list[Property]) -> list[Necessity]:
        """Each Deny dropped alone, then each pair of those no property needs alone."""
        enc = self.enc
        labels = {(s.policy, s.index): s.label for s in enc.deny_statements}
        if BLOCKED_SSE_C in enc.enable:
            labels[BLOCKED_SSE_C] = "BlockedEncryptionTypes"

        def may_break(p: Property, dropped: Sequence[tuple[str, int]]) -> bool:
            # Dropping a Deny only allows more: a promise that a request is allowed (wanted
            # "allowed") cannot fail, nor one about actions no dropped statement names.
            if p.wanted == "allowed" or not any(self._relevant(p, d[0]) for d in dropped):
                return False
            if p.actions is None:
                return True
            theirs = [self._actions(d) for d in dropped]
            mine = self.enc.u.matching(p.actions)
            return any(t is None or t & mine for t in theirs)

        def breaks(dropped: Sequence[tuple[str, int]]) -> list[str]:
            return [p.id for p in proved if may_break(p, dropped) and self.violated(p, dropped)]

        needed = {target: breaks([target]) for target in labels}
        alone = [t for t in labels if not needed[t]]
        pairs = {(a, b): breaks([a, b]) for i, a in enumerate(alone) for b in alone[i + 1 :]}
        out = []
        for target, label in labels.items():
            together = [
                (labels[b if a == target else a], props)
                for (a, b), props in pairs.items()
                if target in (a, b) and props
            ]
            covered = [] if needed[target] else self._covers(target, labels)
            idle = not (needed[target] or covered or together)
            shown = "bucket setting" if target[0] == "S3" else target[0]
            out.append(
                Necessity(
                    label,
                    shown,
                    needed[target],
                    covered,
                    together,
                    unused=idle and self._nothing_else_allows(target),
                )
            )
        return out


def all_property_ids() -> list[str]:
    """Every property the proof knows (each applies to some deployments)."""
    return [p.id for p in (*PROPERTIES, *ACCESS_PROPERTIES)]


def check(
    deployment: Deployment,
    variant: str | None = None,
    *,
    necessity: bool = True,
    exhaustive: bool = False,
) -> Universal:
    """Every applicable property of the deployment, and the necessity of each Deny
    (unless `necessity` is false: a caller that only asks what is refuted); `exhaustive`
    asks every question of the necessity analysis (the same report, more checks)."""
    return check_all([(deployment, variant)], necessity=necessity, exhaustive=exhaustive)[0]


def check_all(
    deployments: Sequence[tuple[Deployment, str | None]],
    *,
    necessity: bool = True,
    exhaustive: bool = False,
) -> list[Universal]:
    """check() of each (deployment, variant), side by side on several cores: each is
    encoded and proved on a thread of its own, the threads taking turns in z3's main
    context (solve.in_main_context). The same reports as one after the other."""
    threads = min(4, os.cpu_count() or 1, len(deployments))
    with ThreadPoolExecutor(threads, thread_name_prefix="prove") as pool:
        proving = [
            pool.submit(in_main_context, partial(_prove, d, v, necessity, exhaustive))
            for d, v in deployments
        ]
        return [p.result() for p in proving]


def _prove(
    deployment: Deployment, variant: str | None, necessity: bool, exhaustive: bool
) -> Universal:
    checker = Checker(Encoded.build(deployment), exhaustive=exhaustive)
    label = variant or deployment.config.label
    results = [checker.result(p, label) for p in checker.props]
    proved = [r.prop for r in results if r.proved]
    return Universal(
        label,
        results,
        checker.necessity(proved) if necessity else [],
        model_json(checker.enc),
        who=who_table(checker.enc, results, label),
    )
