#!/usr/bin/env python3
"""Benchmark of the universal proof (called from bench/run.py; `make bench`).

Figures: (1) every property and the necessity of every Deny of each variant, the six of
the tests and the six again with the policy guard and a key administrator, each in a
fresh Python process (interpreter start and z3's import included), against the 2 s
target per variant, beside one `cdk synth`; (2) 200 consecutive mutant checks in one
process (the mutation tests' set, repeated): none gives up, none over 5 s; (3) the
differential check of the IAM encoding against iam-simulate, >= 10,000 random requests
per variant; (4) the storage-layer differential against moto's S3, >= 1,000 random
accepted writes per variant.

`python -m bench.universal --prove DIR` is the timed child process;
`--differential [N]`, `--storage [N]` and `--mutants [N]` run one figure alone on
freshly synthesized variants and print it.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import ROOT, figure, interleaved, synth_variants, timed
from proof.paths import cdk_context

PER_VARIANT = 10_000
STORAGE_PER_VARIANT = 1_000
MUTANT_CHECKS = 200
TARGET_S = 2.0
MUTANT_LIMIT_S = 5.0
KEY_ADMIN = "arn:aws:iam::123456789012:role/KeyAdmin"


def prove(directories: list[str]) -> None:
    """The timed child: load, encode, prove and analyse every assembly; fail if refuted."""
    from encrypted_s3.assembly import load_assembly
    from encrypted_s3.universal.check import check_all
    from proof.deployment import find_deployment

    # As the plugin and `python -m proof` prove several: check_all, side by side.
    deployments = [(find_deployment(load_assembly(d)), None) for d in directories]
    universals = check_all(deployments)
    refuted = [(d, r) for d, u in zip(directories, universals, strict=True) for r in u.refuted]
    if refuted:
        sys.exit(f"refuted: {refuted}")


def guarded_variants(workdir: Path) -> dict[str, Path]:
    """Every variant again with guard_policies on and (KMS variants) a key administrator."""
    from encrypted_s3.settings import parse
    from encrypted_s3.vocabulary import all_configs
    from stacks.app_builder import synth_templates

    out = {}
    for config in all_configs():
        directory = workdir / f"guarded-{config.label.replace('/', '-')}"
        settings: dict[str, Any] = {
            "encryption": config.encryption,
            "header_policy": config.header_policy,
            "guard_policies": True,
        }
        if config.uses_kms:
            settings["key_admins"] = [KEY_ADMIN]
        synth_templates(parse("prod", settings), cdk_context(), str(directory))
        out[f"{config.label}+guard"] = directory
    return out


def all_variants(workdir: Path) -> dict[str, Path]:
    plain = {c.label: d for c, d in synth_variants(workdir).items()}
    return plain | guarded_variants(workdir)


def speed_figure(variants: dict[str, Path], synth_s: float, reps: int) -> dict:
    """Each variant proved in its own fresh process; the slowest median against 2 s."""

    def child(directory: Path) -> float:
        return timed([sys.executable, "-m", "bench.universal", "--prove", str(directory)], ROOT)

    runs = {name: (lambda d=d: child(d)) for name, d in variants.items()}
    samples = interleaved(reps, **runs)
    medians = {name: round(statistics.median(s), 3) for name, s in samples.items()}
    slowest = max(medians.values())
    return figure(
        "universal proof + necessity, slowest variant, fresh process",
        slowest,
        "s",
        f"< {TARGET_S} s each",
        slowest < TARGET_S,
        variants=len(variants),
        per_variant_s=medians,
        synth_s=round(synth_s, 3),
    )


def mutant_set(variants: dict[str, Path]) -> list[tuple[str, list[str]]]:
    """(variant, mutations) of the mutation tests: every single drop and every named
    mutation that applies to the variant."""
    from encrypted_s3.assembly import load_assembly
    from proof import mutate
    from proof.deployment import find_deployment

    found = []
    for name, directory in variants.items():
        d = find_deployment(load_assembly(directory))
        named = [[n] for n in mutate.NAMES if n != "drop:SID"]
        for mutations in [[m] for m in mutate.single_drops(d)] + named:
            try:
                mutate.apply(d, mutations)
            except mutate.MutationError:
                continue
            found.append((name, mutations))
    return found


def mutant_figure(variants: dict[str, Path], count: int) -> dict:
    """`count` mutant checks one after another in THIS process, the set repeated."""
    from encrypted_s3.assembly import load_assembly
    from encrypted_s3.universal.check import check
    from encrypted_s3.universal.solve import STATS, SolverGaveUp
    from proof import mutate
    from proof.deployment import find_deployment

    deployments = {n: find_deployment(load_assembly(d)) for n, d in variants.items()}
    cases = mutant_set(variants)
    STATS.reset()
    times, gave_up = [], []
    for number in range(count):
        name, mutations = cases[number % len(cases)]
        started = time.perf_counter()
        try:
            check(mutate.apply(deployments[name], mutations))
        except SolverGaveUp as error:
            gave_up.append(f"{name} {mutations}: {error}")
        times.append(time.perf_counter() - started)
    for line in gave_up[:5]:
        print(f"gave up: {line}", file=sys.stderr)
    slowest = max(times)
    return figure(
        "universal proof: consecutive mutant checks in one process, slowest",
        slowest,
        "s",
        f"none over {MUTANT_LIMIT_S} s, none gives up",
        slowest <= MUTANT_LIMIT_S and not gave_up and count >= MUTANT_CHECKS,
        mutants=count,
        distinct=len(cases),
        gave_up=len(gave_up),
        median_s=round(statistics.median(times), 3),
        slowest_check_s=round(STATS.slowest_s, 3),
        solver_checks=STATS.checks,
        answered_without_a_check=STATS.pruned,
        retries=STATS.retries,
    )


def differential_figure(directories: list[str], per_variant: int) -> dict:
    from encrypted_s3.assembly import load_assembly
    from proof.deployment import find_deployment
    from proof.differential import compare

    deployments = {d: find_deployment(load_assembly(d)) for d in directories}
    started = time.perf_counter()
    found = compare(deployments, per_variant, seed=2026)
    elapsed = time.perf_counter() - started
    disagreements, total = found.disagreements, found.decided
    for d in disagreements[:5]:
        print(f"disagreement: {d.describe()}", file=sys.stderr)
    agreement = 1 - len(disagreements) / total
    # A quick run's smaller sample can refute agreement, never meet the target: info.
    met = False if disagreements else (True if per_variant >= PER_VARIANT else None)
    return figure(
        "differential: encoding agrees with iam-simulate",
        agreement,
        "",
        f"1 with >= {PER_VARIANT} per variant",
        met,
        requests=total,
        outside_the_model=len(found.outside),
        simulator_limits=len(found.simulator_limits),
        per_variant=per_variant,
        disagreements=len(disagreements),
        seconds=round(elapsed, 1),
    )


def universal_figures(synth_s: float, assemblies: list[Path], quick: bool = False) -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="bench-universal-") as tmp:
        variants = {d.name: d for d in assemblies} | guarded_variants(Path(tmp))
        return [
            speed_figure(variants, synth_s, 1 if quick else 3),
            mutant_figure(variants, MUTANT_CHECKS),
            differential_figure(
                [str(d) for d in variants.values()], 1_000 if quick else PER_VARIANT
            ),
            *storage_figures(variants, 200 if quick else STORAGE_PER_VARIANT),
        ]


def storage_figures(variants: dict[str, Path], per_variant: int) -> list[dict]:
    from bench.storage import storage_figure

    return [storage_figure(variants, per_variant)]


def _alone(which: str, number: int) -> None:
    from proof.demo import offline_environ

    os.environ.update(offline_environ())  # synthesis without AWS credentials
    with tempfile.TemporaryDirectory(prefix="bench-universal-") as tmp:
        variants = all_variants(Path(tmp))
        if which == "--differential":
            found = differential_figure([str(d) for d in variants.values()], number)
        elif which == "--storage":
            (found,) = storage_figures(variants, number)
        else:
            found = mutant_figure(variants, number)
        print(json.dumps(found, indent=2))


DEFAULTS = {"--differential": PER_VARIANT, "--storage": STORAGE_PER_VARIANT, "--mutants": 200}

if __name__ == "__main__":
    if sys.argv[1:2] == ["--prove"]:
        prove(sys.argv[2:])
    elif sys.argv[1:2] and sys.argv[1] in DEFAULTS and len(sys.argv) <= 3:
        _alone(sys.argv[1], int(sys.argv[2]) if len(sys.argv) == 3 else DEFAULTS[sys.argv[1]])
    else:
        sys.exit(
            "usage: python -m bench.universal --prove ASSEMBLY... | --differential [N] | "
            "--storage [N] | --mutants [N]  (make bench runs the rest)"
        )
