"""Fixtures of the construct and plugin tests: the example app (examples/orders),
synthesized in this process with the plugin, its report lines captured."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Validations

from encrypted_s3 import ProofPlugin
from proof.paths import ROOT

EXAMPLES = ROOT / "examples" / "orders"


def orders_app() -> Any:
    """The example's module, imported as the example imports it (by its directory)."""
    if str(EXAMPLES) not in sys.path:
        sys.path.insert(0, str(EXAMPLES))
    return importlib.import_module("orders_app")


@dataclass
class Synthesis:
    outdir: Path
    lines: list[str] = field(default_factory=list)  # what the plugin printed
    error: str | None = None  # the synthesis' error, if it failed


def synthesize(outdir: Path, change: Callable[[Any], None] | None = None) -> Synthesis:
    """The example app with the plugin (its lines captured), optionally changed first."""
    found = Synthesis(outdir)
    app = App(outdir=str(outdir))
    Validations.of(app).add_plugins(ProofPlugin(out=found.lines.append))
    stacks = orders_app().build(app)
    if change is not None:
        change(stacks)
    try:
        app.synth()
    except RuntimeError as error:
        found.error = str(error)
    return found


@pytest.fixture(scope="session")
def orders(tmp_path_factory: pytest.TempPathFactory) -> Synthesis:
    return synthesize(tmp_path_factory.mktemp("orders"))
