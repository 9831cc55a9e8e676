"""Shared helpers of the benchmarks: paths, timing, interleaving and figure records."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from proof.paths import ROOT, cdk_context

LAMBDA_DIR = ROOT / "lambda" / "uploader"

MINIMAL_APP = """\
import aws_cdk as cdk
from aws_cdk import aws_s3 as s3

app = cdk.App()
stack = cdk.Stack(app, "Minimal")
s3.Bucket(stack, "Bucket")
app.synth()
"""


def timed(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode:
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-20:])
        raise SystemExit(f"bench: {' '.join(command)} failed ({done.returncode}):\n{tail}")
    return time.perf_counter() - started


def interleaved(reps: int, **runs: Callable[[], float]) -> dict[str, list[float]]:
    """Run each measurement once per round, alternating, so drift hits all alike."""
    samples: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(reps):
        for name, run in runs.items():
            samples[name].append(run())
    return samples


def figure(name: str, value: float, unit: str, target: str, met: bool | None, **detail) -> dict:
    return {
        "figure": name,
        "value": round(value, 3),
        "unit": unit,
        "target": target,
        "met": met,
        **detail,
    }


def ratio_figure(
    name: str,
    times: dict[str, float],
    limit: float | None,
    *,
    target: str | None = None,
    also: bool = True,
) -> dict:
    """The first of two median times over the second, against `<= limit` (None: context
    only); `also` adds a further condition of the target."""
    (a, first), (b, second) = times.items()
    ratio = first / second
    met = None if limit is None else ratio <= limit and also
    target = target or (f"<= {limit}" if limit is not None else "(context)")
    return figure(name, ratio, "x", target, met, **{a: round(first, 3), b: round(second, 3)})


def synth_variants(workdir: Path) -> dict[Any, Path]:
    """{scenarios.Config: cloud assembly} for every encryption x header policy (the tests'
    settings), synthesized in-process once per benchmark run."""
    from encrypted_s3.settings import parse
    from encrypted_s3.vocabulary import all_configs
    from stacks.app_builder import synth_templates

    context = cdk_context()
    out = {}
    for config in all_configs():
        directory = workdir / f"variant-{config.label.replace('/', '-')}"
        settings = {"encryption": config.encryption, "header_policy": config.header_policy}
        synth_templates(parse("dev", settings), context, str(directory))
        out[config] = directory
    return out
