"""Figures of the app itself: synth, the test suite, the Lambda asset and cold import,
and the offline proof."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from bench.common import (
    LAMBDA_DIR,
    MINIMAL_APP,
    ROOT,
    figure,
    interleaved,
    ratio_figure,
    timed,
)
from proof.paths import CDK


def synth_figures(reps: int, workdir: Path) -> tuple[list[dict], float, Path]:
    minimal = workdir / "minimal"
    minimal.mkdir()
    (minimal / "app.py").write_text(MINIMAL_APP)
    (minimal / "cdk.json").write_text(json.dumps({"app": f"{sys.executable} app.py"}))
    app_out = workdir / "app.out"

    def synth(cwd: Path, out: Path) -> Callable[[], float]:
        return lambda: timed([str(CDK), "synth", "--quiet", "--no-notices", "-o", str(out)], cwd)

    samples = interleaved(
        reps, app=synth(ROOT, app_out), minimal=synth(minimal, workdir / "minimal.out")
    )
    app, base = statistics.median(samples["app"]), statistics.median(samples["minimal"])
    times = {"app_s": app, "minimal_s": base}
    return [ratio_figure("cdk synth: this app / a one-bucket app", times, 1.5)], app, app_out


def _test_file(classname: str) -> str:
    """ "tests.proof.test_cli[.Class]" -> "proof/test_cli": the test file under tests/."""
    parts = classname.split(".")[1:]
    last = next((i for i, part in enumerate(parts) if part.startswith("test_")), len(parts) - 1)
    return "/".join(parts[: last + 1])


# Caches a fresh clone does not have: each `make test` below starts without them.
TOOL_CACHES = (".mypy_cache", ".pytest_cache", ".ruff_cache", ".pycache")


def _clear_tool_caches() -> None:
    for name in TOOL_CACHES:
        shutil.rmtree(ROOT / name, ignore_errors=True)


def clean_make_test(env: dict[str, str]) -> float:
    """One `make test` from a clean state (setup done: no type-check, lint or test cache)."""
    _clear_tool_caches()
    return timed(["make", "--no-print-directory", "test"], ROOT, env=env)


def test_suite_figure(reps: int, synth_s: float, workdir: Path) -> dict:
    """`make test` from a clean state over one `cdk synth` of the app measured in the same
    run; pytest's JUnit report says where the time goes (a session fixture counts toward
    the first test that uses it)."""
    junit = workdir / "junit.xml"
    env = os.environ | {"PYTEST_ADDOPTS": f"--junitxml={junit}"}
    samples = [clean_make_test(env) for _ in range(reps)]
    times = {"test_s": statistics.median(samples), "synth_s": synth_s}
    result = ratio_figure("make test (no caches) / one cdk synth of the app", times, 6.0)
    by_file: dict[str, float] = {}
    for case in ElementTree.parse(junit).iter("testcase"):
        name = _test_file(case.get("classname", ""))
        by_file[name] = by_file.get(name, 0.0) + float(case.get("time", 0))
    top = sorted(by_file.items(), key=lambda item: -item[1])[:5]
    result["slowest_files_s"] = {name: round(seconds, 1) for name, seconds in top}
    result["floor"] = floor_parts(synth_s)
    return result


# The one test that proves the scenario table on every variant, mutant and single drop
# with iam-simulate (one Node process): the suite's largest piece of required work.
PROOF_TEST = "tests/proof/test_proof.py::test_all_variants_are_proved_in_one_node_process"


def floor_parts(synth_s: float) -> dict[str, float]:
    """Two parts of `make test`, each alone on the machine: the lint from empty caches
    and the simulator proof's test, against the synth measured in the same run. Their
    sum is a floor under `make test` that no ordering of the rest can go below."""
    _clear_tool_caches()
    lint_s = timed(["make", "--no-print-directory", "lint"], ROOT)
    pytest = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", PROOF_TEST]
    proof_s = timed(pytest, ROOT)
    return {
        "lint_from_empty_caches_s": round(lint_s, 2),
        "simulator_proof_test_s": round(proof_s, 2),
        "floor_ratio_to_synth": round((lint_s + proof_s) / synth_s, 2),
    }


def asset_zip_size(app_out: Path) -> int:
    """The uploader's asset as CDK staged it, zipped as CDK uploads it."""
    from encrypted_s3.names import stack_name

    uploader = stack_name("dev", "Uploader")
    template = json.loads((app_out / f"{uploader}.template.json").read_text())
    (function,) = [
        r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"
    ]
    asset_hash = function["Properties"]["Code"]["S3Key"].removesuffix(".zip")
    folder = app_out / f"asset.{asset_hash}"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder))
    return len(buffer.getvalue())


IMPORT_LINE = re.compile(r"^import time:\s+\d+ \|\s+(\d+) \| (\S.*)$")


def cold_import_ms(statement: str) -> float:
    """What `statement` (top-level imports only) costs in a fresh interpreter, in ms.

    Only the modules the statement names count: the interpreter's own start-up imports
    (encodings, site) are not the handler's.
    """
    names = [n.strip() for n in statement.removeprefix("import ").split(",")]
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", statement],
        cwd=LAMBDA_DIR,
        env=os.environ | {"PYTHONPATH": ""},
        capture_output=True,
        text=True,
        check=True,
    )
    top = {}
    for line in result.stderr.splitlines():
        match = IMPORT_LINE.match(line)
        if match and not match.group(2).startswith(" "):  # top-level imports only
            top[match.group(2)] = int(match.group(1)) / 1000
    return sum(top[name] for name in names)


def lambda_figures(app_out: Path, reps: int) -> list[dict]:
    size = asset_zip_size(app_out)
    # The handler imports boto3 when it makes its first client, so a cold start pays
    # both; boto3 alone is measured beside it, the share this project cannot change.
    samples = interleaved(
        3 * reps + 3,
        total=lambda: cold_import_ms("import handler, boto3"),
        handler=lambda: cold_import_ms("import handler"),
        boto3=lambda: cold_import_ms("import boto3"),
    )
    total_ms = statistics.median(samples["total"])
    handler_ms = statistics.median(samples["handler"])
    boto3_ms = statistics.median(samples["boto3"])
    return [
        figure("uploader asset, zipped", size / 1024, "KiB", "<= 50 KB", size <= 50_000),
        figure(
            "handler cold import incl. boto3",
            total_ms,
            "ms",
            "<= 150 ms",
            total_ms <= 150,
            handler_alone_ms=round(handler_ms, 1),
            boto3_alone_ms=round(boto3_ms, 1),
        ),
    ]


def proof_figure(reps: int, assemblies: Mapping[Any, Path]) -> dict:
    """The offline proof alone, all scenarios of all six variants, templates given."""
    from encrypted_s3.assembly import load_assembly
    from proof.prove import prove_variants
    from proof.simulate import node_executable

    variants = {config: load_assembly(path) for config, path in assemblies.items()}
    node = node_executable()  # the Node the proof starts

    def proof() -> float:
        started = time.perf_counter()
        proofs = prove_variants(variants)
        elapsed = time.perf_counter() - started
        assert all(p.passed for p in proofs), "the proof must pass to be worth timing"
        return elapsed

    samples = interleaved(reps, proof=proof, node=lambda: timed([node, "-e", "0"], ROOT))
    proof_s, node_s = statistics.median(samples["proof"]), statistics.median(samples["node"])
    return ratio_figure(
        "offline proof (6 variants) / node -e 0",
        {"proof_s": proof_s, "node_s": node_s},
        10,
        target="< 10 x and < 1 s",
        also=proof_s < 1.0,
    )
