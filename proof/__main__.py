"""python -m proof [cdk.out] [--json] [--break MUTATION] [--break MUTATION ...]

Proves the synthesized assembly against the scenario table with the IAM simulator,
prints the table, writes <assembly>/proof-report.md and proof-report.json, and exits 1
if any scenario's simulated outcome differs from the table (2 if it cannot prove).
An assembly of another app (no uploader) gets the universal proof of every
EncryptedStorage it holds (encrypted_s3/instances.py).
`python -m proof.demo` (what `make demo` runs) synthesizes first, then calls this.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from encrypted_s3.assembly import AssemblyError, load_assembly
from encrypted_s3.instances import UNREADABLE_ERRORS
from encrypted_s3.resolve import Templates
from encrypted_s3.universal.check import check
from encrypted_s3.universal.report import render_universal_text, to_json
from encrypted_s3.universal.solve import SolverGaveUp
from proof import mutate
from proof.any_app import prove_instances
from proof.cli import Parser, UsageError
from proof.deployment import find_deployment, has_uploader
from proof.mutate import MutationError
from proof.prove import Case, Proof, prove_cases
from proof.report import (
    REPORT_JSON,
    REPORT_MD,
    provenance,
    provenance_line,
    provenance_markdown,
    render_markdown,
    render_text,
)
from proof.scope import explain, template_sids
from proof.simulate import SimulatorError


def title(proof: Proof) -> str:
    env = proof.deployment.env
    name = proof.deployment.settings.get("env", "?")
    return (
        f"Offline proof: env {name}, {proof.label} "
        f"(iam-simulate; placeholder account {env.account}, {env.region})"
    )


# What stops a proof before any result (exit 2, one line).
CANNOT_PROVE = (*UNREADABLE_ERRORS, MutationError, SimulatorError, SolverGaveUp)


def proof_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="python -m proof",
        description="The offline proof of a synthesized assembly: the simulator proof (every "
        "scenario through iam-simulate) and the universal proof (z3, every request). Not the "
        "live proof (make live-proof), which asks the deployed uploader.",
        positional_hint="one assembly directory; give each mutation its own --break",
    )
    parser.add_argument("assembly", nargs="?", default="cdk.out", help="cloud assembly directory")
    parser.add_argument("--json", action="store_true", help="print the JSON report, not the table")
    mutate.add_break_option(parser)
    return parser


def explained(error: MutationError, templates: Templates, mutations: list[str]) -> MutationError:
    """The mutation that finds nothing to change, and the configurations where it would.

    Only on the error path: each mutation is tried alone on a fresh deployment."""
    deployment = find_deployment(templates)
    for name in mutations:
        try:
            mutate.apply(deployment, [name])
        except MutationError as alone:
            if str(alone).startswith("unknown mutation"):
                return alone
            return MutationError(explain(name, deployment.config, template_sids(templates)))
    return error


def main(argv: list[str] | None = None) -> int:
    try:
        args = proof_parser().parse_args(argv)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    assembly = Path(args.assembly)
    try:
        if not assembly.is_dir() and (":" in args.assembly or args.assembly in mutate.NAMES):
            raise AssemblyError(
                f"{args.assembly!r} is not an assembly directory: give each mutation its own "
                "--break (--break A --break B)"
            )
        templates = load_assembly(assembly)
        if not has_uploader(templates):  # another app's: its EncryptedStorage instances
            return prove_instances(templates, assembly, args.json, args.mutations)
        try:
            (proof,) = prove_cases([Case(templates, mutations=tuple(args.mutations))])
        except MutationError as error:
            raise explained(error, templates, args.mutations) from None
        universal = check(proof.deployment, proof.label)  # every property, every request (z3)
    except CANNOT_PROVE as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    heading = title(proof)
    facts = provenance(assembly, proof.deployment.settings)
    properties = render_universal_text(universal)
    document = {"title": heading, **proof.to_json(), **to_json(universal), "provenance": facts}
    markdown = "\n".join(
        [
            render_markdown(proof.rows, heading, proof.notes),
            f"## Properties\n\n```\n{properties}```\n",
            provenance_markdown(facts),
        ]
    )
    try:
        (assembly / REPORT_MD).write_text(markdown)
        (assembly / REPORT_JSON).write_text(json.dumps(document, indent=2) + "\n")
    except OSError as error:
        print(f"error: cannot write the reports into {assembly}: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(document, indent=2))
    else:
        print(render_text(proof.rows, heading, proof.notes), end="")
        print("\n" + properties, end="")
        print(provenance_line(facts))
        print(f"reports: {assembly / REPORT_MD}, {assembly / REPORT_JSON}")
    if universal.refuted:
        print(
            f"REFUTED ({proof.label}): {', '.join(universal.refuted)}",
            file=sys.stderr if args.json else sys.stdout,
        )
    if proof.failed:
        # With --json, stdout stays pure JSON.
        print(
            f"FAILED ({proof.label}): {', '.join(proof.failed)}",
            file=sys.stderr if args.json else sys.stdout,
        )
    return 1 if proof.failed or universal.refuted else 0


if __name__ == "__main__":
    sys.exit(main())
