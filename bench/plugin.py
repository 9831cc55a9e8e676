#!/usr/bin/env python3
"""Benchmark of the policy-validation plugin (`make bench`): what it adds to a synth.

One figure: examples/orders (two instances) synthesized in a fresh process with the
ProofPlugin and without it, interleaved, medians; the difference against +1 s.
`python -m bench.plugin` runs it alone; `--child with|without OUTDIR` is the timed child.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

from bench.common import ROOT, figure, interleaved, timed

TARGET_S = 1.0
EXAMPLE = ROOT / "examples" / "orders"


def child(with_plugin: bool, outdir: str) -> None:
    """One synthesis of the example app, as its own main() does, with or without the plugin."""
    from aws_cdk import App, Validations

    from encrypted_s3 import ProofPlugin

    sys.path.insert(0, str(EXAMPLE))
    import orders_app  # type: ignore[import-not-found]  # the example, by its directory

    app = App(outdir=outdir)
    if with_plugin:
        Validations.of(app).add_plugins(ProofPlugin(out=lambda line: None))
    orders_app.build(app)
    app.synth()


def plugin_figure(reps: int, workdir: Path) -> dict:
    def run(kind: str) -> float:
        out = workdir / f"plugin-{kind}"
        return timed([sys.executable, "-m", "bench.plugin", "--child", kind, str(out)], ROOT)

    samples = interleaved(reps, with_=lambda: run("with"), without=lambda: run("without"))
    with_s, without_s = statistics.median(samples["with_"]), statistics.median(samples["without"])
    added = with_s - without_s
    return figure(
        "ProofPlugin: added to a synth of examples/orders (2 instances), fresh process",
        added,
        "s",
        f"< +{TARGET_S} s",
        added < TARGET_S,
        with_plugin_s=round(with_s, 3),
        without_s=round(without_s, 3),
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs=2, metavar=("KIND", "OUTDIR"))
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child[0] == "with", args.child[1])
        return
    import os

    from proof.demo import offline_environ

    os.environ.update(offline_environ())  # synthesis without AWS credentials
    with tempfile.TemporaryDirectory(prefix="bench-plugin-") as tmp:
        print(json.dumps(plugin_figure(args.reps, Path(tmp)), indent=2))


if __name__ == "__main__":
    main()
