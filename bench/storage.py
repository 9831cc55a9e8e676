"""The storage-layer differential figure (bench/universal.py): the model's stored
encryption against moto's S3 for random accepted writes, >= 1,000 per variant."""

from __future__ import annotations

import os
import time
from pathlib import Path

from bench.common import figure

PER_VARIANT = 1_000


def storage_figure(variants: dict[str, Path], per_variant: int) -> dict:
    from encrypted_s3.assembly import load_assembly
    from proof.deployment import find_deployment
    from proof.storage_differential import compare_storage

    # The bucket default is all that matters to storage: the six plain variants.
    plain = {n: d for n, d in variants.items() if not n.endswith("+guard")}
    deployments = {n: find_deployment(load_assembly(d)) for n, d in plain.items()}
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):  # moto's, never real ones
        os.environ[name] = "testing"
    started = time.perf_counter()
    found = compare_storage(deployments, per_variant, seed=2026)
    return figure(
        "storage differential: model stores what moto's S3 stores",
        found.agreements / found.compared,
        "",
        f"0 unexplained with >= {PER_VARIANT} per variant",
        not found.unexplained and per_variant >= PER_VARIANT,
        writes=found.compared,
        per_variant=per_variant,
        unexplained=len(found.unexplained),
        known_moto_differences=found.known,
        seconds=round(time.perf_counter() - started, 1),
    )
