#!/usr/bin/env python3
"""Benchmark of the universal proof (called from bench/run.py; `make bench`).

Two figures: (1) every property and the necessity of every Deny for all six variants,
in a fresh Python process (interpreter start and z3's import included), against one
`cdk synth` of the app and the 2 s target; (2) the differential check of the encoding
against iam-simulate with at least 10,000 random requests per variant: count and
agreement. `python -m bench.universal --prove DIR...` is the timed child process;
`python -m bench.universal --differential [N]` runs the differential check alone (N per
variant, default 10,000) on freshly synthesized variants and prints its figure.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

from bench.common import ROOT, figure, interleaved, ratio_figure, synth_variants, timed

PER_VARIANT = 10_000
TARGET_S = 2.0


def prove(directories: list[str]) -> None:
    """The timed child: load, encode, prove and analyse every assembly; fail if refuted."""
    from proof.assembly import find_deployment, load_assembly
    from proof.universal.check import check

    refuted = [
        (d, r) for d in directories for r in check(find_deployment(load_assembly(d))).refuted
    ]
    if refuted:
        sys.exit(f"refuted: {refuted}")


def universal_figures(synth_s: float, assemblies: list[Path], quick: bool = False) -> list[dict]:
    directories = [str(d) for d in assemblies]
    child = [sys.executable, "-m", "bench.universal", "--prove", *directories]
    samples = interleaved(3 if quick else 5, proof=lambda: timed(child, ROOT))["proof"]
    proof_s = statistics.median(samples)
    speed = ratio_figure(
        "universal proof + necessity, 6 variants, fresh process / cdk synth",
        {"proof_s": proof_s, "synth_s": synth_s},
        None,
    )
    speed["met"] = proof_s < TARGET_S
    speed["target"] = f"< {TARGET_S} s"
    return [speed, differential_figure(directories, 1_000 if quick else PER_VARIANT)]


def differential_figure(directories: list[str], per_variant: int) -> dict:
    from proof.assembly import find_deployment, load_assembly
    from proof.universal.differential import compare

    deployments = {d: find_deployment(load_assembly(d)) for d in directories}
    started = time.perf_counter()
    found = compare(deployments, per_variant, seed=2026)
    elapsed = time.perf_counter() - started
    disagreements, total = found.disagreements, found.decided
    for d in disagreements[:5]:
        print(f"disagreement: {d.describe()}", file=sys.stderr)
    agreement = 1 - len(disagreements) / total
    return figure(
        "differential: encoding agrees with iam-simulate",
        agreement,
        "",
        f"1 with >= {PER_VARIANT} per variant",
        not disagreements and per_variant >= PER_VARIANT,
        requests=total,
        outside_the_model=len(found.outside),
        simulator_limits=len(found.simulator_limits),
        per_variant=per_variant,
        disagreements=len(disagreements),
        seconds=round(elapsed, 1),
    )


def _differential_alone(per_variant: int) -> None:
    import tempfile

    from proof.demo import offline_environ

    os.environ.update(offline_environ())  # synthesis without AWS credentials
    with tempfile.TemporaryDirectory(prefix="bench-universal-") as tmp:
        directories = [str(d) for d in synth_variants(Path(tmp)).values()]
        print(json.dumps(differential_figure(directories, per_variant), indent=2))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--prove"]:
        prove(sys.argv[2:])
    elif sys.argv[1:2] == ["--differential"] and len(sys.argv) <= 3:
        _differential_alone(int(sys.argv[2]) if len(sys.argv) == 3 else PER_VARIANT)
    else:
        sys.exit(
            "usage: python -m bench.universal --prove ASSEMBLY... | --differential [N]"
            "  (make bench runs the rest)"
        )
