"""Helpers of the proof tests: prove while counting the Node processes the proof starts."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import pytest

import proof.prove
from proof.prove import Case, Proof, prove_cases
from proof.simulate import Decision, SimRequest

REAL_SIMULATE = proof.prove.simulate


class NodeCounter:
    """Stands in for proof.prove.simulate: counts Node processes and their requests."""

    def __init__(self) -> None:
        self.runs: list[int] = []  # the number of requests of each Node process

    def __call__(
        self, policies: Mapping[str, Any], requests: Sequence[SimRequest]
    ) -> dict[str, Decision]:
        self.runs.append(len(requests))
        return REAL_SIMULATE(policies, requests)


@contextmanager
def counting_node() -> Iterator[list[int]]:
    """Within: the number of requests of each Node process the proof starts."""
    counter, patch = NodeCounter(), pytest.MonkeyPatch()
    patch.setattr(proof.prove, "simulate", counter)
    try:
        yield counter.runs
    finally:
        patch.undo()


def prove_counting(cases: Sequence[Case]) -> tuple[list[Proof], list[int]]:
    """prove_cases(cases), and the number of requests of each Node process it started."""
    with counting_node() as runs:
        return prove_cases(cases), runs
