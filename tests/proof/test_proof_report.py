"""The one table renderer shared by the offline proof and the live probe."""

from __future__ import annotations

from proof.report import render_markdown, render_text, side_by_side, summary
from scenarios import ACCOUNT_ADMIN, row

ROWS = [
    row("no-header", "no encryption header", "denied", "denied", "DenyMissingEncryptionHeader"),
    row("sse-kms-project-key", "SSE-KMS | key", "allowed", "stored wrong", "", "AES256", 12.0),
    row("tls-1.1-required", "TLS 1.1", "denied", "not run"),
]


def test_passed_follows_from_expected_and_actual():
    assert [r["passed"] for r in ROWS] == [True, False, False]


def test_summary_counts_and_names_failures_but_not_skips():
    assert summary(ROWS) == "1 passed, 1 failed, 1 not run: sse-kms-project-key"


def test_text_columns_are_aligned():
    lines = render_text(ROWS, "title").splitlines()
    header = next(line for line in lines if line.startswith("scenario"))
    body = [line for line in lines if line.startswith(("no-header", "sse-kms", "tls"))]
    column = header.index("actual")
    assert [line[column:].split("  ")[0] for line in body] == ["denied", "stored wrong", "not run"]
    assert body[0].endswith("PASS") and body[1].endswith("FAIL") and body[2].endswith("SKIP")
    assert lines[-1] == "1 passed, 1 failed, 1 not run: sse-kms-project-key"


def test_markdown_escapes_pipes_and_keeps_notes():
    text = render_markdown(ROWS, "title", ["an assumption"])
    assert text.startswith("# title")
    assert "SSE-KMS \\| key" in text
    assert "- an assumption" in text
    assert sum(line.startswith("| `") for line in text.splitlines()) == len(ROWS)


def test_side_by_side_matches_rows_by_scenario_name():
    live = [
        row("sse-kms-project-key", "", "allowed", "allowed", "", "aws:kms", 80.0),
        row("no-header", "", "denied", "denied", "AccessDenied"),
        row("live-only", "", "denied", "denied"),
    ]
    lines = side_by_side(ROWS, live).splitlines()
    by_name = {line.split()[0]: line for line in lines[2:] if line and not line.startswith("-")}
    assert by_name["no-header"].rstrip().endswith("yes")
    assert by_name["sse-kms-project-key"].rstrip().endswith("NO")
    assert "live-only" in by_name and "tls-1.1-required" in by_name


def test_rows_show_their_principal_and_failures_name_it():
    rows = [
        row("sse-s3", "AES256", "denied", "denied", "DenyWrongEncryptionAlgorithm"),
        row(
            "sse-s3", "AES256", "denied", "allowed", "AdministratorAccess", principal=ACCOUNT_ADMIN
        ),
    ]
    text = render_text(rows, "title")
    header = next(line for line in text.splitlines() if line.startswith("scenario"))
    assert header.split()[:3] == ["scenario", "principal", "expected"]
    assert any(line.split()[:2] == ["sse-s3", "account-admin"] for line in text.splitlines())
    assert summary(rows) == "1 passed, 1 failed: sse-s3 (account-admin)"
    markdown = render_markdown(rows, "title")
    assert "| scenario | principal | seed |" in markdown
    assert "| `sse-s3` | account-admin | AES256 |" in markdown


def test_side_by_side_pairs_live_rows_with_the_uploaders_offline_rows():
    offline = [
        row("sse-s3", "", "denied", "denied", "DenyWrongEncryptionAlgorithm"),
        row(
            "sse-s3",
            "",
            "denied",
            "denied",
            "DenyWrongEncryptionAlgorithm",
            principal=ACCOUNT_ADMIN,
        ),
    ]
    legacy = {k: v for k, v in row("sse-s3", "", "denied", "allowed").items() if k != "principal"}
    lines = side_by_side(offline, [legacy]).splitlines()
    uploader = next(line for line in lines if line.startswith("sse-s3 "))
    admin = next(line for line in lines if line.startswith("sse-s3 (account-admin)"))
    assert uploader.rstrip().endswith("NO")  # compared with the live (uploader) row
    assert admin.rstrip().endswith("-")  # the live probe never runs as the admin
