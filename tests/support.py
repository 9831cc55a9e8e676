"""Helpers of every test group: run a command-line entry point in-process."""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import subprocess


def run_main(*args: str, module: str = "proof") -> subprocess.CompletedProcess[str]:
    """`python -m <module> ARGS` in this process: its main(), stdout and stderr captured,
    the exit code returned or raised (argparse), os.environ restored (proof.demo replaces
    it). Each entry point also has one test that runs it as its own process."""
    name = f"{module}.__main__" if module == "proof" else module
    main = importlib.import_module(name).main
    out, err = io.StringIO(), io.StringIO()
    saved = dict(os.environ)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exit_:
                code = exit_.code if isinstance(exit_.code, int) else 1
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return subprocess.CompletedProcess([module, *args], code, out.getvalue(), err.getvalue())
