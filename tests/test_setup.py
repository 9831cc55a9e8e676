"""`make setup`'s checks that run before anything is installed (scripts/setup.sh)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

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


def _outside_venv_path() -> str:
    venv_bin = str(ROOT / ".venv" / "bin")
    return os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if p != venv_bin)


def test_setup_judges_the_python_outside_the_venv_even_with_the_venv_first_on_path():
    """make puts .venv/bin first on PATH: setup must still compare .venv with the system's
    python3 (else a .venv of another minor version is never rebuilt through make)."""
    venv_first = f"{ROOT / '.venv' / 'bin'}{os.pathsep}{_outside_venv_path()}"
    env = {k: v for k, v in os.environ.items() if k != "SYSTEM_PYTHON"} | {"PATH": venv_first}
    result = subprocess.run(
        ["bash", str(ROOT / "scripts" / "setup.sh"), "which-python"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    python, version = result.stdout.split()
    assert python == shutil.which("python3", path=_outside_venv_path())
    assert not python.startswith(str(ROOT / ".venv"))
    assert version.count(".") == 2


def _make(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"ARGS", "MAKEFLAGS", "MAKELEVEL"}}
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=ROOT,
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_make_stops_on_a_variable_it_does_not_read():
    result = _make("synth", "PROOF_ARGS=--break drop:DenyWrongKmsKey")
    assert result.returncode == 2
    assert result.stdout == ""
    error, make_line = result.stderr.splitlines()
    assert error == (
        "error: unknown variable PROOF_ARGS: options go in ARGS, e.g. make demo "
        'ARGS="--break drop:DenyWrongKmsKey"; the variables are ARGS SYSTEM_PYTHON'
    )
    assert make_line.startswith("make: *** [Makefile:") and make_line.endswith("Error 2")


def test_make_stops_on_args_in_the_environment():
    result = _make("synth", ARGS="--json")
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == (
        "error: ARGS is set in the environment; make reads options only from its command "
        'line: make TARGET ARGS="..." (or unset ARGS)'
    )


def test_make_takes_args_and_system_python_from_the_command_line():
    result = _make("-n", "synth", "ARGS=-c env=prod", "SYSTEM_PYTHON=python3")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].endswith("-m proof.demo --synth-only -c env=prod")


def test_ctrl_c_during_the_jsii_warm_up_prints_no_traceback():
    """Setup's background warm-up ends quietly on SIGINT (it used to print a 20-line
    KeyboardInterrupt traceback from inside jsii)."""
    warm = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "warm_jsii.py")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(0.5)  # inside the aws_cdk import (it takes seconds)
    warm.send_signal(signal.SIGINT)
    out, err = warm.communicate(timeout=60)
    assert warm.returncode == -signal.SIGINT
    assert (out, err) == ("", "")
