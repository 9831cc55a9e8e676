"""Fixtures of the offline proof tests (proof, CLI, report, resolver, simulator, mutations,
universal proof): the variants' templates come from tests/conftest.py, synthesized once."""

from __future__ import annotations

import pytest

from encrypted_s3.assembly import Deployment
from encrypted_s3.vocabulary import Config
from proof.deployment import find_deployment
from proof.prove import Case
from tests.proof.support import CountedProofs, prove_counting


@pytest.fixture(scope="session")
def deployments(variant_templates) -> dict[Config, Deployment]:
    """{Config: the resolved deployment} of every variant."""
    return {config: find_deployment(t) for config, t in variant_templates.items()}


@pytest.fixture(scope="session")
def proved_together(variant_templates, deployments) -> CountedProofs:
    """The variants, the mutants and every single drop, proved in ONE prove_cases run (one
    Node process, each distinct request simulated once), keyed (kind, key); the fixtures
    proofs, mutants and single_drop_proofs are its views."""
    from tests.proof.test_proof import mutant_cases
    from tests.proof.test_proof_necessity import single_drop_cases

    cases = {("variant", c): Case(t, c) for c, t in variant_templates.items()}
    cases |= {("mutant", k): case for k, case in mutant_cases(variant_templates).items()}
    drops = single_drop_cases(variant_templates, deployments)
    cases |= {("drop", k): case for k, case in drops.items()}
    return prove_counting(cases)
