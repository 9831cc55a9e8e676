"""Where the project's own files are: one definition for the proof, the demo and the bench."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
CDK = NODE_MODULES / ".bin" / "cdk"
