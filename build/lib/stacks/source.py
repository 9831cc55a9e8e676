"""What an assembly was synthesized from: the git commit and whether the work tree
differed from it, recorded in the assembly at synthesis (the proof reports it later, so
a tree changed after synthesis cannot be mistaken for the one the templates came from)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

SOURCE_FILE = "source.json"  # beside manifest.json in the cloud assembly
ROOT = Path(__file__).resolve().parent.parent


def git_state(root: Path = ROOT) -> dict[str, Any]:
    """{"commit": sha or None, "dirty": bool or None (None: not in git, or no git)}."""

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", "-C", str(root), *args], capture_output=True, text=True, timeout=10
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain") if commit else None
    return {
        "commit": commit.strip() if commit else None,
        "dirty": None if status is None else bool(status.strip()),
    }


def record_source(outdir: str | Path) -> None:
    """Write the source's git state into the assembly just synthesized into `outdir`."""
    path = Path(outdir) / SOURCE_FILE
    path.write_text(json.dumps({"git": git_state()}, indent=2) + "\n")


def recorded_source(assembly: Path) -> dict[str, Any] | None:
    """The git state recorded at synthesis, or None (an assembly not made by this app)."""
    try:
        git = json.loads((assembly / SOURCE_FILE).read_text())["git"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return git if isinstance(git, dict) else None
