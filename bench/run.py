#!/usr/bin/env python3
"""Benchmarks: what users wait for, measured side by side in one run and read as ratios.

These machines are noisy, so every figure compares two things measured in the same run,
interleaved, several times, and reports medians. Prints one line per figure with its
target and writes bench/results.json. Run with `make bench`; `make bench ARGS=--quick`
takes one repetition of the slow figures (about 3 minutes instead of 8, noisier).

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
from bench.universal import universal_figures
from proof.demo import offline_environ


def other_figures(reps: int, quick: bool, workdir: Path) -> list[dict]:
    synth, synth_s, app_out = synth_figures(reps, workdir)
    variants = synth_variants(workdir)  # one synthesis per variant for both proofs
    return [
        *synth,
        *lambda_figures(app_out, reps),
        proof_figure(5, variants),
        *universal_figures(synth_s, list(variants.values()), quick=quick),
        access_figure(list(variants.values()), synth_access_variants(workdir), 3 if quick else 5),
        *prove_concurrency_figures(2 * reps + 3),  # short runs: more rounds
        test_suite_figure(1 if quick else 2, synth_s, workdir),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one repetition of slow figures")
    parser.add_argument(
        "--first-demo-only", action="store_true", help="measure only the time to first demo"
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
        figures.append(first_demo_figure(reps, Path(tmp), newcomer))
        if not args.first_demo_only:
            figures += other_figures(reps, args.quick, Path(tmp))
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
