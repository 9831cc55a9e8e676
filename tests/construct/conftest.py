"""Fixtures of the construct and plugin tests: the example app (examples/orders) and its
weakened variant, each synthesized once by the real CDK CLI as README "Use it in your own
app" runs them, the plugin's lines read from the output."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from proof.paths import CDK, ROOT

EXAMPLES = ROOT / "examples" / "orders"
PREFIX = "encrypted-s3-proof: "


@dataclass
class Synthesis:
    outdir: Path
    returncode: int
    output: str  # the CLI's stdout and stderr

    @property
    def lines(self) -> list[str]:
        """What the plugin printed."""
        return [line for line in self.output.splitlines() if line.startswith(PREFIX)]


def cli_synth(script: str, outdir: Path) -> Synthesis:
    """`cdk synth --app "python examples/orders/<script>"`, as after activating the venv
    (its python and Node.js first on PATH)."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    result = subprocess.run(
        [str(CDK), "synth", "-q", "--app", f"python {EXAMPLES / script}", "-o", str(outdir)],
        cwd=ROOT,
        env=os.environ | {"PATH": path},
        capture_output=True,
        text=True,
        timeout=300,
    )
    return Synthesis(outdir, result.returncode, result.stdout + result.stderr)


@pytest.fixture(scope="session")
def orders(tmp_path_factory: pytest.TempPathFactory) -> Synthesis:
    return cli_synth("orders_app.py", tmp_path_factory.mktemp("orders"))


@pytest.fixture(scope="session")
def weakened(tmp_path_factory: pytest.TempPathFactory) -> Synthesis:
    return cli_synth("weakened.py", tmp_path_factory.mktemp("weakened"))
