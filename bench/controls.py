#!/usr/bin/env python3
"""What the Control Tower controls (cfn-guard) add to `cdk synth`.

Per round, interleaved: `cdk synth` of this app with the controls (`-c
encrypted-s3:controls=true`), without them (the default), and of the one-bucket app of
bench/run.py. Prints medians of wall time and of CPU time (user + system of the whole
process tree, steadier than wall time on a busy machine) and the ratios to the one-bucket
app. Not part of `make bench`; run it offline like that target does:
`.venv/bin/python -m bench.controls [--reps N]`.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench import common as bench  # the shared helpers
from proof.paths import CDK

SWITCH_ON = ["-c", "encrypted-s3:controls=true"]


def timed_with_cpu(command: list[str], cwd: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the command and its children)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"bench: {' '.join(command)} failed:\n{done.stderr[-2000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="cdk synth with and without the controls")
    parser.add_argument("--reps", type=int, default=5)
    reps = parser.parse_args(argv).reps
    samples: dict[str, list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        minimal = work / "minimal"
        minimal.mkdir()
        (minimal / "app.py").write_text(bench.MINIMAL_APP)
        (minimal / "cdk.json").write_text(json.dumps({"app": f"{sys.executable} app.py"}))

        def synth(cwd: Path, out: str, *extra: str) -> Callable[[], tuple[float, float]]:
            command = [str(CDK), "synth", "--quiet", "--no-notices", "-o", str(work / out)]
            return lambda: timed_with_cpu([*command, *extra], cwd)

        runs = {
            "controls": synth(bench.ROOT, "on.out", *SWITCH_ON),
            "no_controls": synth(bench.ROOT, "off.out"),
            "minimal": synth(minimal, "minimal.out"),
        }
        for _ in range(reps):
            for name, run in runs.items():
                samples.setdefault(name, []).append(run())
    for index, measure in enumerate(("wall", "cpu")):
        medians = {
            name: statistics.median(s[index] for s in runs) for name, runs in samples.items()
        }
        base = medians["minimal"]
        print(
            f"{measure}: with controls {medians['controls']:.2f} s "
            f"({medians['controls'] / base:.2f}x), without {medians['no_controls']:.2f} s "
            f"({medians['no_controls'] / base:.2f}x), one-bucket app {base:.2f} s; "
            f"the controls add {medians['controls'] - medians['no_controls']:.2f} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
