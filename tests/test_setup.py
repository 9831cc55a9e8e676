"""`make setup`'s checks that run before anything is installed (scripts/setup.sh)."""

from __future__ import annotations

import os
import subprocess

import pytest

from proof.paths import ROOT

# A stand-in for an old Python: answers the version question, fails the >= 3.11 check.
OLD_PYTHON = """#!/bin/sh
case "$2" in *sys.exit*) exit 1 ;; *) echo 3.10.13 ;; esac
"""


@pytest.mark.parametrize(
    ("python", "message"),
    [
        ("missing", "python3.missing not found: install Python 3.11 or newer"),
        ("old", "Python 3.11 or newer is needed and {path} is 3.10.13: install one, then run"),
    ],
)
def test_setup_stops_with_one_line_on_an_unusable_python(tmp_path, python, message):
    path = tmp_path / "python3.missing"
    if python == "old":
        path = tmp_path / "python3.10"
        path.write_text(OLD_PYTHON)
        path.chmod(0o755)
    result = subprocess.run(
        ["bash", str(ROOT / "scripts" / "setup.sh")],
        env=os.environ | {"SYSTEM_PYTHON": str(path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stdout == ""  # nothing was set up
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: ") and message.format(path=path) in line
