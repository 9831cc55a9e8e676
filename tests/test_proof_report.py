"""The one table renderer shared by the offline proof and the live probe."""

from __future__ import annotations

from proof.report import render_markdown, render_text, side_by_side, summary
from scenarios import row

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
    assert lines[-1] == summary(ROWS)


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
