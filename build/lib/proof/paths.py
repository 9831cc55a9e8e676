"""Where the project's own files are: one definition for the proof, the demo and the bench."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
CDK = NODE_MODULES / ".bin" / "cdk"


def cdk_context() -> dict[str, Any]:
    """The context block of cdk.json: feature flags and the settings of each environment."""
    context: dict[str, Any] = json.loads((ROOT / "cdk.json").read_text())["context"]
    return context
