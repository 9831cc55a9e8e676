"""Every command README.md shows is run by a test, with the result the README states.

A command is a line of a ```sh block, or a `$ ` line of a ``` block (whose following
lines, up to the next `$ ` or the block's end, are the output the README quotes). Each
must be a key of COMMANDS, which names the test that runs it; a README edit that adds a
command without a row here fails `test_every_readme_command_has_a_test` with what to add.

The commands run here: `make demo` (as `python -m proof.demo -o <tmp>`, the synthesis
with the real CDK CLI and the proof: the one subprocess run of proof.demo), its broken
variant on that assembly (`python -m proof`, as proof.demo runs it after synthesis), the typo
run through the real `make`, and activating the venv. Commands that need an AWS account
(bootstrap, deploy, destroy) are listed under NEEDS_AWS with the reason, so the table
says plainly what no test here can run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from proof.demo import EXIT_MEANING
from proof.paths import ROOT

README = ROOT / "README.md"

# README command -> the test that runs it with the result the README states.
COMMANDS = {
    "make demo": "tests/test_readme.py::test_make_demo_prints_what_the_readme_quotes",
    "make test": "tests/test_readme.py::test_make_test_is_lint_then_this_suite",
    'make demo ARGS="-c env=prod"': (
        "tests/infra/test_hardening.py::test_the_guard_rows_are_as_the_rules_say"
    ),
    'make demo ARGS="-c encryption=dsse-kms -c header_policy=default-aware"': (
        "tests/proof/test_proof.py::test_every_variant_is_proved_once_per_principal"
    ),
    'make demo ARGS="-c env=prod --break drop:DenyWrongKmsKey"': (
        "tests/test_readme.py::test_prod_broken_by_a_dropped_key_check_fails"
    ),
    'make demo ARGS="--break drop:DenyWrongKmsKey"': (
        "tests/test_readme.py::test_a_broken_policy_prints_what_the_readme_quotes"
    ),
    'make demo ARGS="-c encrpytion=sse-s3"': (
        "tests/test_readme.py::test_a_typo_in_a_setting_prints_what_the_readme_quotes"
    ),
    "make live-proof": (
        "tests/uploader/test_live_proof_cli.py::"
        "test_cli_without_credentials_exits_non_zero_with_one_line"
    ),
    "aws lambda invoke --function-name <FunctionName output> --payload "
    '\'{"action": "upload", "encryption": "sse-s3"}\' --cli-binary-format raw-in-base64-out '
    "/dev/stdout": (
        "tests/uploader/test_probe.py::test_upload_reproduces_upload_file_for_each_choice"
    ),
    ". .venv/bin/activate": "tests/test_readme.py::test_the_activated_venv_has_the_cdk_cli",
    "make audit": "tests/rekey/test_docs.py::test_every_command_of_the_section_runs_as_stated",
    "make rekey": "tests/rekey/test_docs.py::test_every_command_of_the_section_runs_as_stated",
    "make rekey ARGS=--confirm": (
        "tests/rekey/test_docs.py::test_every_command_of_the_section_runs_as_stated"
    ),
    "npx cdk synth -c env=prod": "tests/test_readme.py::test_the_activated_venv_has_the_cdk_cli",
    "pip install path/to/this/clone": (
        "tests/construct/test_package.py::"
        "test_an_app_outside_the_repository_is_proved_by_the_installed_wheel"
    ),
    'cdk synth --app "python examples/orders/orders_app.py"': (
        "tests/construct/test_examples.py::test_the_plugin_proves_every_instance_and_lists_each"
    ),
    'cdk synth --app "python examples/orders/weakened.py"': (
        "tests/construct/test_examples.py::"
        "test_a_statement_of_the_users_own_fails_synthesis_naming_it"
    ),
}
# Commands only an AWS account can answer: no test runs them (the tests reach no AWS).
NEEDS_AWS = {
    "make bootstrap": "cdk bootstrap creates resources in an account",
    "make deploy": "cdk deploy needs an account (the templates it deploys are tested)",
    "make destroy": "cdk destroy needs a deployed stack",
}


def readme_commands(text: str) -> dict[str, list[str]]:
    """{command: the output lines the README quotes after it} in README order."""
    commands: dict[str, list[str]] = {}
    language, current, pending = None, None, ""
    for line in text.splitlines():
        if line.startswith("```"):
            language = None if language is not None else line[3:].strip()
            current, pending = None, ""
            continue
        if language is None:
            continue
        if language == "sh" and line.strip():
            command = pending + re.sub(r"\s+#.*$", "", line).strip()
            if command.endswith("\\"):
                pending = command[:-1].rstrip() + " "
                continue
            pending = ""
            commands.setdefault(command, [])
        elif language == "" and line.startswith("$ "):
            current = line[2:].strip()
            commands.setdefault(current, [])
        elif current is not None:
            commands[current].append(line)
    return commands


COMMANDS_IN_README = readme_commands(README.read_text())


def test_every_readme_command_has_a_test():
    missing = [c for c in COMMANDS_IN_README if c not in COMMANDS and c not in NEEDS_AWS]
    assert missing == [], (
        "README commands without a test: add each to COMMANDS in tests/test_readme.py with "
        "the test that runs it and checks the result the README states"
    )
    stale = [c for c in [*COMMANDS, *NEEDS_AWS] if c not in COMMANDS_IN_README]
    assert stale == [], "no longer in README.md: remove from tests/test_readme.py"


def test_every_named_test_exists():
    for command, node in COMMANDS.items():
        path, name = node.split("::")
        source = (ROOT / path).read_text()
        assert re.search(rf"^def {name}\(", source, re.M), f"{command}: {node} does not exist"


def test_the_readme_shows_no_variable_make_ignores():
    """Options go in ARGS (make stops on any other variable: test_setup.py)."""
    unquoted = [re.sub(r'"[^"]*"', '""', c) for c in COMMANDS_IN_README if c.startswith("make ")]
    variables = {m for c in unquoted for m in re.findall(r"(?:^|\s)(\w+)=", c)}
    assert variables <= {"ARGS"}, variables


def quoted(lines: list[str]) -> list[str]:
    """The lines a README output block quotes, whitespace-normalized, '...' left out."""
    return [" ".join(line.split()) for line in lines if line.strip() and line.strip() != "..."]


def normalized(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.splitlines()]


# What differs between the README's run and this one: the time, the commit, the
# assembly directory, make's line number of the recipe.
VARIABLE = [
    (
        re.compile(
            r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ, commit [0-9a-f]{10}( \+ uncommitted changes)?"
        ),
        "TIME, commit COMMIT",
    ),
    (re.compile(r"\[Makefile:\d+: "), "[Makefile:N: "),
]


def masked(line: str, out: str | None = None) -> str:
    if out is not None:
        line = line.replace(out, "cdk.out")
    for pattern, replacement in VARIABLE:
        line = pattern.sub(replacement, line)
    return line


def matches(quoted_line: str, printed_line: str) -> bool:
    """Equal, where the README's `...` inside a line stands for any text."""
    parts = quoted_line.split("...")
    if len(parts) == 1:
        return quoted_line == printed_line
    if not (printed_line.startswith(parts[0]) and printed_line.endswith(parts[-1])):
        return False
    at = len(parts[0])
    for part in parts[1:-1]:
        at = printed_line.find(part, at)
        if at < 0:
            return False
        at += len(part)
    return True


def assert_quoted_lines_printed(
    what: str, lines: list[str], printed: str, out: str | None = None, skip: tuple = ()
) -> None:
    got = [masked(line, out) for line in normalized(printed)]
    for line in quoted(lines):
        if line.startswith(skip):
            continue
        assert any(matches(masked(line), g) for g in got), (
            f"README quotes for {what!r} a line that is not printed: {line}"
        )


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """`make demo` as its own process: the real CDK CLI synthesizes, then the proof runs."""
    out = tmp_path_factory.mktemp("demo") / "cdk.out"
    result = subprocess.run(
        [sys.executable, "-m", "proof.demo", "-o", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return out, result


def test_make_demo_prints_what_the_readme_quotes(demo_run):
    out, result = demo_run
    assert result.returncode == 0, result.stdout + result.stderr
    # `make demo` has no `$ ` block: its output is the block that starts with "synth:".
    text = README.read_text()
    start = text.index("```\nsynth: env dev") + len("```\n")
    output = text[start : text.index("```", start)].splitlines()
    assert_quoted_lines_printed("make demo", output, result.stdout, str(out))
    assert (out / "proof-report.md").is_file() and (out / "proof-report.json").is_file()


def test_a_broken_policy_prints_what_the_readme_quotes(demo_run):
    """As proof.demo runs it after its synthesis: the proof of that assembly, broken, in a
    fresh process as the command runs (z3's model, hence the counterexample shown, can
    depend on what the process solved before). The lines proof.demo and make add are
    checked by the typo run through make."""
    out, _ = demo_run
    command = 'make demo ARGS="--break drop:DenyWrongKmsKey"'
    result = subprocess.run(
        [sys.executable, "-m", "proof", str(out), "--break", "drop:DenyWrongKmsKey"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1
    lines = COMMANDS_IN_README[command]
    assert f"exit code 1: {EXIT_MEANING[1]}" in lines  # what proof.demo adds for exit 1
    skip = ("exit code 1:", "make: ***")
    assert_quoted_lines_printed(command, lines, result.stdout + result.stderr, str(out), skip)


def test_a_typo_in_a_setting_prints_what_the_readme_quotes():
    """Through the real make: the error line, the exit code line and make's own line."""
    command = 'make demo ARGS="-c encrpytion=sse-s3"'
    env = {k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MAKELEVEL", "MFLAGS"}}
    result = subprocess.run(
        ["make", "--no-print-directory", "demo", "ARGS=-c encrpytion=sse-s3"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    printed = result.stdout + result.stderr
    assert_quoted_lines_printed(command, COMMANDS_IN_README[command], printed)


def test_prod_broken_by_a_dropped_key_check_fails(prod_templates):
    from proof.prove import Case, prove_cases

    (proved,) = prove_cases([Case(prod_templates, mutations=("drop:DenyWrongKmsKey",))])
    assert proved.config.guard_policies is True  # prod as cdk.json configures it
    assert "sse-kms-other-key (declared-admin)" in proved.failed  # exit code 1


def test_make_test_is_lint_then_this_suite():
    """`make test` runs lint (ruff, mypy, pyrefly, the code limits) and then this pytest."""
    recipe = subprocess.run(
        ["make", "-n", "--no-print-directory", "test"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert recipe.returncode == 0, recipe.stderr
    lines = recipe.stdout.splitlines()
    steps = ["ruff check", "ruff format --check", "mypy --strict", "pyrefly check", "pytest"]
    positions = [next(i for i, line in enumerate(lines) if step in line) for step in steps]
    assert positions == sorted(positions), lines


def test_the_activated_venv_has_the_cdk_cli():
    """After `. .venv/bin/activate`, `cdk` and `npx cdk` are the project's pinned CLI."""
    from proof.paths import CDK

    # npx runs node_modules/.bin first, so npx cdk is this cdk when npx is the venv's.
    script = ". .venv/bin/activate && command -v cdk && cdk --version && command -v npx"
    result = subprocess.run(
        ["bash", "-c", script],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "HOME": str(Path.home())},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    where, version, npx = result.stdout.splitlines()
    assert Path(where).resolve() == CDK.resolve()
    assert version.startswith("2.") and "(build " in version
    assert Path(npx).parent == ROOT / ".venv" / "bin"
