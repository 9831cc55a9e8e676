"""`python -m proof` on a cloud assembly the session synthesized (no synth of its own),
and `python -m proof.demo`'s checks that come before any synthesis."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from encrypted_s3.vocabulary import Config
from proof import mutate, scope
from proof.deployment import find_deployment
from proof.paths import ROOT
from scenarios import scenarios_for
from tests.support import run_main as run_cli

CONFIG = Config("sse-kms", "strict")


@pytest.fixture(scope="module")
def assembly(variant_assemblies, tmp_path_factory) -> Path:
    """A copy of the session's cloud assembly of CONFIG (the CLI writes its reports there)."""
    out = tmp_path_factory.mktemp("proof-cli") / "cdk.out"
    shutil.copytree(variant_assemblies[CONFIG][0], out)
    return out


def run_subprocess(*args: str, module: str = "proof") -> subprocess.CompletedProcess:
    # proof.simulate finds the venv's Node itself.
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_good_assembly_passes_and_writes_both_reports(assembly):
    # The one run of `python -m proof` as its own process; the other tests call main().
    result = run_subprocess(str(assembly))
    assert result.returncode == 0, result.stdout + result.stderr
    names = [s.name for s in scenarios_for(CONFIG)]
    rows = [(s.name, p) for s in scenarios_for(CONFIG) for p in s.principals]
    assert f"{len(rows)} passed, 0 failed" in result.stdout
    markdown = (assembly / "proof-report.md").read_text()
    report = json.loads((assembly / "proof-report.json").read_text())
    assert all(f"`{name}`" in markdown for name in names)
    assert "UploadPart" in markdown  # the multipart assumption is stated
    assert report["passed"] is True
    assert [(r["scenario"], r["principal"]) for r in report["rows"]] == rows
    header = next(line for line in result.stdout.splitlines() if line.startswith("scenario"))
    assert header.split()[:2] == ["scenario", "principal"]
    assert "| principal |" in markdown
    # The report names the statements kept as defence in depth, and what covers them.
    assert [d["sid"] for d in report["defence_in_depth"]] == [
        "DenySseC",
        "DenyMissingEncryptionHeader",
        "DenyDataUseFromOtherAccounts",
    ]
    assert "Defence in depth: DenyMissingEncryptionHeader, covered by" in result.stdout
    assert set(report["steps"]["sse-kms-project-key"]) == {
        "uploader",
        "account-admin",
        "other-account",
        "declared-admin",
    }
    assert report["config"] == {"encryption": "sse-kms", "header_policy": "strict"}
    # Provenance: what the report was made from, in both reports and one line of text.
    facts = report["provenance"]
    hashes = {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in assembly.glob("*.template.json")
    }
    assert facts["templates_sha256"] == hashes and len(hashes) == 3
    assert facts["settings"] == report["settings"]
    assert len(facts["git"]["commit"]) == 40 and isinstance(facts["git"]["dirty"], bool)
    assert set(facts["versions"]) == {"aws_cdk_lib", "cdk_cli", "iam_simulate"}
    assert all(facts["versions"].values())
    assert "## Provenance" in markdown and all(h in markdown for h in hashes.values())
    # The properties are in the markdown report too, as the text output prints them.
    assert "## Properties" in markdown and "1. Stored encryption: proved" in markdown
    assert f"iam-simulate {facts['versions']['iam_simulate']}" in result.stdout


def test_a_broken_policy_exits_1_and_names_the_scenarios(assembly, tmp_path):
    # --break takes one value: the assembly after it is not swallowed as a mutation.
    result = run_cli("--break", "drop:DenyOutdatedTls", str(assembly))
    assert result.returncode == 1, result.stdout + result.stderr
    last = result.stdout.strip().splitlines()[-1]
    both = "tls-1.1-required, tls-1.1-required (declared-admin)"
    assert last.startswith("FAILED") and last.endswith(f": {both}")
    report = json.loads((assembly / "proof-report.json").read_text())
    assert report["failed"] == both.split(", ")
    assert report["mutations"] == ["drop:DenyOutdatedTls"]


def test_json_prints_the_report_and_nothing_else(assembly):
    result = run_cli(str(assembly), "--json")
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)  # stdout is the JSON document alone
    assert printed == json.loads((assembly / "proof-report.json").read_text())
    assert printed["passed"] is True and printed["failed"] == []
    assert printed["config"] == {"encryption": "sse-kms", "header_policy": "strict"}
    assert "FAILED" not in result.stderr and "REFUTED" not in result.stderr


def test_an_unknown_sid_exits_2_and_names_it_with_nothing_on_stdout(assembly):
    result = run_cli(str(assembly), "--json", "--break", "drop:NoSuchSid")
    assert result.returncode == 2
    assert "NoSuchSid" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("mutation", "admin_rows"),
    [
        # The uploader's own role refuses DSSE-KMS here (its KMS grant wants the Bucket
        # Key's encryption context): only the account admin shows the bucket's gap.
        ("drop:DenyWrongEncryptionAlgorithm", {"dsse-kms-project-key (declared-admin)"}),
        (
            "drop:DenyWrongKmsKey",
            {
                "sse-kms-aws-managed (declared-admin)",
                "sse-kms-project-alias (declared-admin)",
                "sse-kms-other-key (declared-admin)",
                "update-encryption-other-key (declared-admin)",
            },
        ),
    ],
)
def test_a_dropped_encryption_deny_fails_on_administrator_rows(assembly, mutation, admin_rows):
    result = run_cli(str(assembly), "--break", mutation)
    assert result.returncode == 1, result.stdout + result.stderr
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith(f"FAILED (sse-kms/strict broken by {mutation}): ")
    failed = set(last.split("): ", 1)[1].split(", "))
    assert admin_rows <= failed
    assert not any("other-account" in name for name in failed)


def test_each_break_takes_one_mutation(assembly):
    result = run_cli(str(assembly), "--break", "drop:DenyOutdatedTls", "drop:DenySseC")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: unexpected argument 'drop:DenySseC': one assembly directory; give each "
        "mutation its own --break"
    ]
    result = run_cli("--break", "drop:DenyOutdatedTls", "drop:DenySseC")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: 'drop:DenySseC' is not an assembly directory: give each mutation its own "
        "--break (--break A --break B)"
    ]


def test_a_mutation_with_nothing_to_act_on_names_where_it_applies(assembly):
    result = run_cli(str(assembly), "--break", "drop-null-guard")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: drop-null-guard has nothing to act on in sse-kms/strict (only default-aware "
        "statements have a Null guard): it applies to sse-kms/default-aware, "
        "dsse-kms/default-aware, sse-s3/default-aware"
    ]
    result = run_cli(str(assembly), "--break", "drop:DenyNothing")
    assert result.returncode == 2
    assert "no statement has that Sid in sse-kms/strict; Sids: " in result.stderr
    assert "DenyWrongKmsKey" in result.stderr


def test_where_each_mutation_applies_is_what_the_templates_hold(variant_assemblies):
    """scope.SCOPES is written from the rules; every synthesized variant must agree."""
    for config, (_, templates) in variant_assemblies.items():
        deployment = find_deployment(templates)
        for mutation in scope.SCOPES:
            expected = config in scope.configs_for(mutation)
            if mutation == "drop:KeyAdministration":
                expected = expected and bool(deployment.settings["key_admins"])
            try:
                mutate.apply(deployment, [mutation])
                applied = True
            except mutate.MutationError:
                applied = False
            assert applied == expected, (config.label, mutation)


def _damaged(assembly: Path, tmp_path: Path, damage) -> Path:
    copy = tmp_path / "damaged"
    shutil.copytree(assembly, copy)
    damage(copy)
    return copy


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: (d / "manifest.json").write_text("{not json"), "is not valid JSON"),
        (lambda d: next(d.glob("*Bucket.template.json")).unlink(), "is missing"),
        (lambda d: (d / "manifest.json").write_text("[]"), "has no artifacts"),
    ],
    ids=["corrupt-manifest", "missing-template", "no-artifacts"],
)
def test_a_damaged_assembly_gives_one_line_and_exit_2(assembly, tmp_path, damage, message):
    result = run_cli(str(_damaged(assembly, tmp_path, damage)))
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: ") and message in line


def test_reports_that_cannot_be_written_give_one_line_and_exit_2(assembly, tmp_path):
    def block(directory: Path) -> None:
        (directory / "proof-report.md").unlink(missing_ok=True)
        (directory / "proof-report.md").mkdir()

    damaged = _damaged(assembly, tmp_path, block)
    result = run_cli(str(damaged))
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: cannot write the reports into {damaged}")


@pytest.mark.parametrize(
    ("args", "stderr"),
    [
        (
            ["-c", "encrpytion=sse-s3"],
            "error: unknown setting 'encrpytion': did you mean 'encryption'?",
        ),
        (
            ["-c", "header-policy=default-aware"],
            "error: unknown setting 'header-policy': did you mean 'header_policy'?",
        ),
        (["-c", "env="], "error: setting env='' is empty"),
        (["-c", "env"], "error: -c 'env': write -c NAME=VALUE"),
        (
            ["--brake", "drop:DenySseC"],
            "error: unknown option '--brake': did you mean '--break'? the options are "
            "-c NAME=VALUE, --break MUTATION, --json, --synth-only, -o DIR",
        ),
        (["--jsn"], "error: unknown option '--jsn': did you mean '--json'?"),
        (["--break"], "error: --break needs a value: break the policies before proving"),
        (["-c"], "error: -c/--context needs a value: a setting for synthesis"),
        (["extra"], "error: unexpected argument 'extra': settings go in -c NAME=VALUE"),
        (
            ["--break", "drop-nul-guard"],
            "error: unknown mutation 'drop-nul-guard'; known: drop:SID, drop-null-guard",
        ),
        (["--synth-only", "--break", "ifexists"], "error: --break and --json need the proof"),
        (
            ["--break", "drop-null-guard"],
            "error: drop-null-guard has nothing to act on in sse-kms/strict",
        ),
    ],
    ids=[
        "typo",
        "dash",
        "empty-env",
        "no-value",
        "unknown-option",
        "misspelt-option",
        "break-without-value",
        "c-without-value",
        "stray-argument",
        "unknown-mutation",
        "unused-break",
        "no-guard",
    ],
)
def test_demo_refuses_before_synthesis(tmp_path, args, stderr):
    """Every mistake ends with exit 2 and names itself in one line (argparse's too);
    nothing is synthesized, so the reports of the last run stay."""
    out = tmp_path / "cdk.out"
    out.mkdir()
    (out / "manifest.json").write_text("{}")  # the last run's assembly
    (out / "proof-report.md").write_text("last run")
    result = run_cli(*args, "-o", str(out), module="proof.demo")
    assert result.returncode == 2
    error, code = result.stderr.splitlines()
    assert error.startswith(stderr)
    assert code == "exit code 2: nothing could be proved"
    assert result.stdout == ""
    assert (out / "proof-report.md").read_text() == "last run"


def test_demo_never_clears_a_directory_that_is_not_an_assembly(tmp_path):
    keep = tmp_path / "notes"
    keep.mkdir()
    (keep / "mine.txt").write_text("not a cloud assembly")
    result = run_cli("-o", str(keep), module="proof.demo")
    assert result.returncode == 2
    assert f"error: {keep} is not empty and holds no cloud assembly" in result.stderr
    assert (keep / "mine.txt").read_text() == "not a cloud assembly"


def test_the_git_state_reported_is_the_one_recorded_at_synthesis(assembly, tmp_path):
    """A tree changed (or reverted) after synthesis must not pass for the one synthesized:
    the app records the git state in the assembly, the proof reports that record."""
    from stacks.source import SOURCE_FILE, git_state

    assert json.loads((assembly / SOURCE_FILE).read_text())["git"] == git_state()
    recorded = {"commit": "a" * 40, "dirty": True}
    synthesized = _damaged(
        assembly,
        tmp_path,
        lambda d: (d / SOURCE_FILE).write_text(json.dumps({"git": recorded})),
    )
    result = run_cli(str(synthesized))
    assert result.returncode == 0, result.stderr
    assert json.loads((synthesized / "proof-report.json").read_text())["provenance"]["git"] == (
        recorded
    )
    assert "commit aaaaaaaaaa + uncommitted changes; aws-cdk-lib" in result.stdout
    (synthesized / SOURCE_FILE).unlink()  # an assembly this app did not synthesize
    result = run_cli(str(synthesized))
    assert f"source unknown (no {SOURCE_FILE} from synthesis); aws-cdk-lib" in result.stdout
