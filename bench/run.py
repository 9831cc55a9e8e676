#!/usr/bin/env python3
"""Benchmarks: what users wait for, measured side by side in one run and read as ratios.

These machines are noisy, so every figure compares two things measured in the same run,
interleaved, several times, and reports medians. Prints one line per figure with its
target and writes bench/results.json. Run with `make bench`; `make bench ARGS=--quick`
takes one repetition of the slow figures (noisier; 339 s on 2 cores before the
type-check split);
`--loop-only` only the development loop (cdk synth, make test from a clean state).
`python -m bench.plugin` measures the policy-validation plugin alone.

"Time to first demo" needs the package registries (PyPI, npm): it clones this
repository and runs `make demo` with an empty home and empty pip, uv and npm caches,
against a bare `pip install aws-cdk-lib constructs` into a new venv.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from bench.access import access_figure, synth_access_variants
from bench.app_figures import lambda_figures, proof_figure, synth_figures, test_suite_figure
from bench.common import ROOT, synth_variants
from bench.first_demo import first_demo_figure
from bench.live_figures import prove_concurrency_figures
from bench.plugin import plugin_figure
from bench.rekey_audit import rekey_audit_figures
from bench.universal import universal_figures
from proof.demo import offline_environ


def step(text: str) -> None:
    """A progress line: a run takes minutes, and says what it is measuring."""
    print(f"bench: {text}", file=sys.stderr, flush=True)


def other_figures(reps: int, quick: bool, workdir: Path, loop_only: bool = False) -> list[dict]:
    step(f"cdk synth of this app and of a one-bucket app, {reps} interleaved rounds")
    synth, synth_s, app_out = synth_figures(reps, workdir)
    if loop_only:
        step("make test from a clean state (no type-check, lint or test cache), then its floor")
        return [*synth, test_suite_figure(1 if quick else 2, synth_s, workdir)]
    step("uploader asset and cold import")
    figures = [*synth, *lambda_figures(app_out, reps)]
    step("offline proof of the six variants")
    variants = synth_variants(workdir)  # one synthesis per variant for both proofs
    figures.append(proof_figure(5, variants))
    step("universal proof and the differential check")
    figures += universal_figures(synth_s, list(variants.values()), quick=quick)
    step("universal proof with readers and writers declared")
    figures.append(
        access_figure(list(variants.values()), synth_access_variants(workdir), 3 if quick else 5)
    )
    step("the policy-validation plugin on examples/orders, synth with and without it")
    figures.append(plugin_figure(3 if quick else 5, workdir))
    step("live proof against local moto")
    figures += prove_concurrency_figures(2 * reps + 3)  # short runs: more rounds
    step("the audit of existing objects against local moto (10,000 and 50,000 objects)")
    figures += rekey_audit_figures()
    step("make test from a clean state (no type-check, lint or test cache), then its floor")
    figures.append(test_suite_figure(1 if quick else 2, synth_s, workdir))
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one repetition of slow figures")
    parser.add_argument(
        "--first-demo-only", action="store_true", help="measure only the time to first demo"
    )
    parser.add_argument(
        "--loop-only",
        action="store_true",
        help="measure only the development loop: cdk synth and make test from a clean state",
    )
    parser.add_argument(
        "--audit-only", action="store_true", help="measure only the audit's figures (make audit)"
    )
    args = parser.parse_args(argv)
    reps = 1 if args.quick else 3
    newcomer = os.environ.copy()  # the first-demo runs start from the user's shell
    # No credentials, no metadata service, the venv's Node 24 first: no synth calls AWS.
    offline = offline_environ()
    os.environ.clear()
    os.environ.update(offline)
    figures: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        if args.audit_only:
            step("the audit of existing objects against local moto (10,000 and 50,000 objects)")
            figures += rekey_audit_figures()
        else:
            if not args.loop_only:
                step(f"time to first demo: a fresh clone's make demo, {reps} interleaved rounds")
                figures.append(first_demo_figure(reps, Path(tmp), newcomer))
            if not args.first_demo_only:
                figures += other_figures(reps, args.quick, Path(tmp), args.loop_only)
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"benchmarks on {machine}")
    for f in figures:
        extra = ", ".join(
            f"{k}={v}"
            for k, v in f.items()
            if k not in {"figure", "value", "unit", "target", "met"}
        )
        status = {True: "met", False: "NOT MET", None: "info"}[f["met"]]
        value = f"{f['value']:>9.3f} {f['unit']:<4}"
        print(f"{f['figure']:<58} {value} target {f['target']:<16} {status}  ({extra})")
    results = {
        "machine": machine,
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "figures": figures,
    }
    (ROOT / "bench" / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
