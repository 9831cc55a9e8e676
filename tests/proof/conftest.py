"""Fixtures of the offline proof tests (proof, CLI, report, resolver, simulator, mutations,
universal proof): the variants' templates come from tests/conftest.py, synthesized once."""

from __future__ import annotations

import pytest

from proof.assembly import Deployment, find_deployment
from scenarios import Config


@pytest.fixture(scope="session")
def deployments(variant_templates) -> dict[Config, Deployment]:
    """{Config: the resolved deployment} of every variant."""
    return {config: find_deployment(t) for config, t in variant_templates.items()}
