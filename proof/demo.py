"""python -m proof.demo [-c NAME=VALUE ...] [--break MUTATION ...] [--json] [--synth-only]

What `make demo` runs (`make demo ARGS="..."` passes its options here): synthesize the
app offline with the project's CDK CLI into a clean cdk.out, then prove it with
`python -m proof`. `-c` settings go to synthesis, every other option to the proof; an
option that means nothing here is an error, never ignored. Settings are checked before
synthesis, so a typo costs no synth.

Exit codes: 0 every scenario matched, 1 the proof found a mismatch, 2 nothing could be
proved (a bad option or setting, a failed synthesis, a missing tool).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from encrypted_s3.settings import (
    Settings,
    SettingsError,
    load,
)
from encrypted_s3.vocabulary import Config
from proof import __main__ as proof_cli
from proof import mutate
from proof.cli import Parser, UsageError
from proof.paths import CDK, ROOT, cdk_context
from proof.scope import configs_for, explain

DEFAULT_OUT = "cdk.out"
# Synthesis for review and proof never talks to AWS: no credentials, no metadata service.
OFFLINE_UNSET = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "CDK_DEFAULT_ACCOUNT",
    "CDK_DEFAULT_REGION",
)
OFFLINE_SET = {
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "CDK_DISABLE_CLI_TELEMETRY": "true",
}
EXIT_MEANING = {1: "the proof found a mismatch", 2: "nothing could be proved"}


class DemoError(RuntimeError):
    """Nothing to prove: the message is one line."""


def offline_environ(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """`base` (default os.environ) without AWS credentials, with the venv's Node first."""
    env = {k: v for k, v in (os.environ if base is None else base).items()}
    for name in OFFLINE_UNSET:
        env.pop(name, None)
    env.update(OFFLINE_SET)
    env["PATH"] = os.pathsep.join([str(ROOT / ".venv" / "bin"), env.get("PATH", "")])
    return env


def demo_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="python -m proof.demo",
        description="make demo: synthesize offline into a clean directory, then run the "
        "offline proof (simulator proof and universal proof) on it.",
        positional_hint="settings go in -c NAME=VALUE, mutations in --break MUTATION",
    )
    parser.add_argument(
        "-c",
        "--context",
        dest="context",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a setting for synthesis, e.g. -c env=prod -c encryption=dsse-kms",
    )
    mutate.add_break_option(parser)
    parser.add_argument("--json", action="store_true", help="print the proof's JSON report")
    parser.add_argument("--synth-only", action="store_true", help="synthesize, do not prove")
    parser.add_argument(
        "-o", "--output", default=DEFAULT_OUT, metavar="DIR", help="assembly directory"
    )
    return parser


def context_values(pairs: Sequence[str]) -> dict[str, str]:
    """-c NAME=VALUE pairs as the CDK CLI passes them to the app: values stay strings."""
    values = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise DemoError(f"-c {pair!r}: write -c NAME=VALUE, e.g. -c env=prod")
        values[name.strip()] = value
    return values


def check_settings(overrides: Mapping[str, str]) -> Settings:
    """The app's own checks on cdk.json plus the -c values."""
    context = cdk_context() | dict(overrides)
    try:
        settings = load(context)
    except SettingsError as error:
        raise DemoError(str(error)) from None
    return settings


def check_settings_mutations(settings: Settings, mutations: Sequence[str]) -> None:
    """A mutation known to have nothing to act on here fails before a synthesis is spent."""
    config = Config(settings.encryption, settings.header_policy)
    for name in mutations:
        try:
            mutate.check_name(name)  # an unknown name: before a synthesis clears cdk.out
        except mutate.MutationError as error:
            raise DemoError(str(error)) from None
        configs = configs_for(name)
        if configs is not None and config not in configs:
            raise DemoError(explain(name, config, []))


def clear(out: Path) -> None:
    """Synthesize into a clean directory: no stale template of another configuration."""
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise DemoError(f"{out} is not a directory")
    if out.is_dir() and any(out.iterdir()) and not (out / "manifest.json").is_file():
        raise DemoError(f"{out} is not empty and holds no cloud assembly: not removing it")
    shutil.rmtree(out, ignore_errors=True)


def synth(overrides: Mapping[str, str], out: Path) -> list[Path]:
    if not CDK.is_file():
        raise DemoError(f"{CDK} is missing: run make setup")
    clear(out)
    command = [str(CDK), "synth", "--no-notices", "--quiet", "--output", str(out)]
    for name, value in overrides.items():
        command += ["--context", f"{name}={value}"]
    done = subprocess.run(
        command, cwd=ROOT, env=offline_environ(), capture_output=True, text=True, check=False
    )
    if done.returncode:
        # The app's own one-line errors, without the CLI's "Subprocess exited" echo.
        errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
        sys.stderr.write("\n".join(errors) + "\n" if errors else done.stdout + done.stderr)
        raise DemoError(f"synthesis failed (cdk synth exit code {done.returncode})")
    return sorted(out.glob("*.template.json"))


def run(args: argparse.Namespace) -> int:
    overrides = context_values(args.context)
    settings = check_settings(overrides)
    check_settings_mutations(settings, args.mutations)
    label = f"env {settings.env}, {settings.encryption}/{settings.header_policy}"
    out = Path(args.output)
    if not args.json:
        print(f"synth: {label} into {out}/ (offline: no AWS credentials are used)", flush=True)
    templates = synth(overrides, out)
    if args.synth_only:
        print("\n".join(str(t) for t in templates))
        return 0
    proof_args = [str(out), *(["--json"] if args.json else [])]
    for name in args.mutations:
        proof_args += ["--break", name]
    return proof_cli.main(proof_args)


def main(argv: list[str] | None = None) -> int:
    offline = offline_environ()  # the proof's own Node process runs offline too
    os.environ.clear()
    os.environ.update(offline)
    try:
        args = demo_parser().parse_args(argv)
        if args.synth_only and (args.mutations or args.json):
            raise DemoError("--break and --json need the proof: drop --synth-only")
        code = run(args)
    except (DemoError, UsageError) as error:
        print(f"error: {error}", file=sys.stderr)
        code = 2
    if code in EXIT_MEANING:
        print(f"exit code {code}: {EXIT_MEANING[code]}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
