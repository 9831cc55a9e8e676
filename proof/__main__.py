"""python -m proof [cdk.out] [--json] [--break MUTATION ...]

Proves the synthesized assembly against the scenario table with the IAM simulator,
prints the table, writes <assembly>/proof-report.md and proof-report.json, and exits 1
if any scenario's simulated outcome differs from the table (2 if it cannot prove).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from proof import mutate
from proof.assembly import AssemblyError, load_assembly
from proof.mutate import MutationError
from proof.prove import Case, Proof, prove_cases
from proof.report import REPORT_JSON, REPORT_MD, render_markdown, render_text
from proof.resolve import ResolveError
from proof.simulate import SimulatorError
from proof.universal.policy import Unsupported
from proof.universal.report import Section


def title(proof: Proof) -> str:
    env = proof.deployment.env
    name = proof.deployment.settings.get("env", "?")
    return (
        f"Offline proof: env {name}, {proof.label} "
        f"(iam-simulate; placeholder account {env.account}, {env.region})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m proof", description=__doc__.split("\n")[2])
    parser.add_argument("assembly", nargs="?", default="cdk.out", help="cloud assembly directory")
    parser.add_argument("--json", action="store_true", help="print the JSON report, not the table")
    parser.add_argument(
        "--break",
        dest="mutations",
        action="extend",
        nargs="+",
        default=[],
        metavar="MUTATION",
        help=f"break the synthesized policies first: {', '.join(mutate.NAMES)}",
    )
    args = parser.parse_args(argv)
    assembly = Path(args.assembly)
    try:
        (proof,) = prove_cases([Case(load_assembly(assembly), mutations=tuple(args.mutations))])
        universal = Section(proof.deployment)  # the properties, for every request (z3)
    except (AssemblyError, ResolveError, MutationError, SimulatorError, Unsupported) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    heading = title(proof)
    document = {"title": heading, **proof.to_json(), **universal.json()}
    (assembly / REPORT_MD).write_text(render_markdown(proof.rows, heading, proof.notes))
    (assembly / REPORT_JSON).write_text(json.dumps(document, indent=2) + "\n")
    if args.json:
        print(json.dumps(document, indent=2))
    else:
        print(render_text(proof.rows, heading, proof.notes), end="")
        print("\n" + universal.text(), end="")
        print(f"reports: {assembly / REPORT_MD}, {assembly / REPORT_JSON}")
    if universal.failed:
        print(
            f"REFUTED ({proof.label}): {', '.join(universal.failed)}",
            file=sys.stderr if args.json else sys.stdout,
        )
    if proof.failed:
        # With --json, stdout stays pure JSON.
        print(
            f"FAILED ({proof.label}): {', '.join(proof.failed)}",
            file=sys.stderr if args.json else sys.stdout,
        )
    return 1 if proof.failed or universal.failed else 0


if __name__ == "__main__":
    sys.exit(main())
