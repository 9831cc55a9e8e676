"""Time to first demo: a fresh clone's `make demo` against a bare pip install of the CDK."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path

from bench.common import ROOT, interleaved, ratio_figure, timed


def newcomer_environ(home: Path, shell: Mapping[str, str]) -> dict[str, str]:
    """A shell as a newcomer has it: no venv on PATH, no make state (the bytecode cache make
    exports included), empty home and caches."""
    venv_bin = str(ROOT / ".venv" / "bin")
    env = {
        k: v
        for k, v in shell.items()
        if k
        not in {"VIRTUAL_ENV", "MAKEFLAGS", "MAKELEVEL", "MFLAGS", "ARGS", "PYTHONPYCACHEPREFIX"}
    }
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if p != venv_bin)
    for name, sub in (
        ("HOME", ""),
        ("UV_CACHE_DIR", "uv"),
        ("PIP_CACHE_DIR", "pip"),
        ("npm_config_cache", "npm"),
    ):
        (home / sub).mkdir(parents=True, exist_ok=True)
        env[name] = str(home / sub)
    return env


def first_demo_figure(reps: int, workdir: Path, shell: Mapping[str, str]) -> dict:
    """A fresh clone's `make demo`, setup included, against a bare pip install of the CDK.

    Both start from nothing: an empty home, empty caches, the same python3. The clone
    is of HEAD (commit first to measure a change); each run's files are removed after it.
    """
    rounds = iter(range(1000))
    parts: dict[str, list[float]] = {"setup_s": []}

    def demo() -> float:
        n = next(rounds)
        clone, home = workdir / f"clone-{n}", workdir / f"home-demo-{n}"
        env = newcomer_environ(home, shell)
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True, env=env)
        try:
            # Timed in two parts to show where the time goes: `make demo` runs its setup
            # (setup-app: the app and the proof, not the test tools), then the demo.
            setup = timed(["make", "--no-print-directory", "setup-app"], clone, env=env)
            parts["setup_s"].append(setup)
            return setup + timed(["make", "--no-print-directory", "demo"], clone, env=env)
        finally:
            shutil.rmtree(clone, ignore_errors=True)
            shutil.rmtree(home, ignore_errors=True)

    def pip() -> float:
        n = next(rounds)
        venv, home = workdir / f"pip-venv-{n}", workdir / f"home-pip-{n}"
        env = newcomer_environ(home, shell)
        started = time.perf_counter()
        try:
            timed(["python3", "-m", "venv", str(venv)], workdir, env=env)
            timed([str(venv / "bin" / "pip"), "install", "aws-cdk-lib", "constructs"], workdir, env)
            return time.perf_counter() - started
        finally:
            shutil.rmtree(venv, ignore_errors=True)
            shutil.rmtree(home, ignore_errors=True)

    samples = interleaved(reps, demo=demo, pip=pip)
    demo_s, pip_s = statistics.median(samples["demo"]), statistics.median(samples["pip"])
    result = ratio_figure(
        "time to first demo: fresh clone's make demo / pip install aws-cdk-lib constructs",
        {"demo_s": demo_s, "pip_s": pip_s},
        1.0,
        target="< 1.0",
        also=demo_s < pip_s,
    )
    runs = {k: [round(v, 1) for v in vs] for k, vs in (samples | parts).items()}
    return result | {"setup_s": round(statistics.median(parts["setup_s"]), 3), "runs": runs}
