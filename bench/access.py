#!/usr/bin/env python3
"""Benchmark of the universal proof with readers and writers declared (`make bench`).

One figure: every property (the access properties included) and the necessity of every
Deny for the six variants plus the declared ones (proof/access_variants.py), in a fresh
Python process (interpreter start and z3's import included), measured interleaved with
the six variants alone, against the 3 s target. `python -m bench.access` runs it alone.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

from bench.common import ROOT, figure, interleaved, synth_variants, timed

TARGET_S = 3.0


def synth_access_variants(workdir: Path) -> list[Path]:
    from encrypted_s3.settings import parse
    from proof.access_variants import ACCESS_VARIANTS, directory_name
    from proof.paths import cdk_context
    from stacks.app_builder import synth_templates

    out = []
    for name, values in ACCESS_VARIANTS.items():
        directory = workdir / f"access-{directory_name(name)}"
        synth_templates(parse("dev", values), cdk_context(), str(directory))
        out.append(directory)
    return out


def access_figure(variants: list[Path], declared: list[Path], reps: int) -> dict:
    def child(directories: list[Path]) -> list[str]:
        return [sys.executable, "-m", "bench.universal", "--prove", *map(str, directories)]

    samples = interleaved(
        reps,
        all=lambda: timed(child([*variants, *declared]), ROOT),
        six=lambda: timed(child(variants), ROOT),
    )
    all_s, six_s = statistics.median(samples["all"]), statistics.median(samples["six"])
    return figure(
        f"universal proof + necessity, {len(variants)} variants + {len(declared)} declared, "
        "fresh process",
        all_s,
        "s",
        f"< {TARGET_S} s",
        all_s < TARGET_S,
        six_variants_s=round(six_s, 3),
        ratio_to_six=round(all_s / six_s, 2),
    )


def main() -> None:
    from proof.demo import offline_environ

    os.environ.update(offline_environ())  # synthesis without AWS credentials
    with tempfile.TemporaryDirectory(prefix="bench-access-") as tmp:
        variants = list(synth_variants(Path(tmp)).values())
        declared = synth_access_variants(Path(tmp))
        print(json.dumps(access_figure(variants, declared, 3), indent=2))


if __name__ == "__main__":
    main()
