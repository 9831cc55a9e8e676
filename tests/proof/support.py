"""Helpers of the proof tests: prove while counting the Node processes the proof starts."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from fnmatch import fnmatchcase
from typing import Any

import pytest

import proof.prove
from encrypted_s3.vocabulary import Config
from proof.prove import Case, Proof, prove_cases
from proof.simulate import Decision, SimRequest

REAL_SIMULATE = proof.prove.simulate
SSE_KMS_STRICT = Config("sse-kms", "strict")  # the default variant


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


class CountedProofs(dict[Any, Proof]):
    """Proofs by case key, and the number of requests of each Node process that proved them."""

    def __init__(self, proofs: Mapping[Any, Proof], node_runs: list[int]) -> None:
        super().__init__(proofs)
        self.node_runs = node_runs

    def of(self, kind: str) -> CountedProofs:
        """The proofs whose key is (kind, key), by key: one kind of a joint run."""
        return CountedProofs({k[1]: p for k, p in self.items() if k[0] == kind}, self.node_runs)


def prove_counting(cases: Mapping[Any, Case]) -> CountedProofs:
    """prove_cases of every case, by the case's key, counting the Node processes."""
    with counting_node() as runs:
        proofs = prove_cases(list(cases.values()))
    return CountedProofs(dict(zip(cases, proofs, strict=True)), runs)


def iam_like(pattern: str, arn: str) -> bool:
    """ArnLike as IAM documents it, apart from the encoding: each of the first five ':'
    parts matched on its own (wildcards never cross a ':'), the rest as a whole."""
    p, a = pattern.split(":", 5), arn.split(":", 5)
    if len(p) < 6 or len(a) < 6:
        return False
    escape = str.maketrans({"[": "[[]"})
    return all(fnmatchcase(x, y.translate(escape)) for x, y in zip(a, p, strict=True))
