"""The HEAD audit in moto: every kind of stored version counted exactly, its samples, the
versions UpdateObjectEncryption cannot change listed with their reason, the cursor."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from rekey import audit, head, kinds
from tests.rekey.support import BUCKET, Planted


def run_audit(tmp_path: Path, planted: Planted, *extra: str) -> tuple[int, dict, str]:
    out = io.StringIO()
    code = audit.main(
        ["--bucket", BUCKET, "--key-arn", planted.project_key, "--out", str(tmp_path),
         "--quiet", *extra],
        out=out,
    )  # fmt: skip
    report = json.loads((tmp_path / audit.REPORT).read_text())
    return code, report, out.getvalue()


def test_head_audit_counts_every_kind_exactly(planted: Planted, tmp_path: Path) -> None:
    code, report, text = run_audit(tmp_path, planted)
    assert code == 1  # some versions are not as the settings say
    assert report["counts"] == planted.counts
    assert report["delete_markers"] == planted.delete_markers
    assert report["versions"] == sum(planted.counts.values())
    assert report["not_as_settings"] == report["versions"] - planted.counts["ok"]
    assert report["source"] == "head"
    assert report["source_why"].startswith("20 versions listed")  # 19 versions + 1 marker
    assert report["expected"] == {
        "encryption": "sse-kms",
        "algorithm": "aws:kms",
        "key_arn": planted.project_key,
        "bucket_key": True,
    }
    assert report["other_kms_keys"] == {planted.other_key: 2}  # nobk/1 is no-bucket-key
    assert {s["key"] for s in report["samples"]["other-kms-key"]} == {"other/0", "other/1"}
    assert {s["key"] for s in report["samples"]["no-bucket-key"]} == {"nobk/0", "nobk/1"}
    assert len(report["samples"]["sse-s3"]) == 5  # SAMPLE_SIZE of the 5
    assert "not-encrypted" in text and "history/a" in text
    assert not (tmp_path / audit.CURSOR).exists()  # finished: the report holds it all


def test_every_version_that_cannot_be_re_keyed_is_listed_with_its_reason(
    planted: Planted, tmp_path: Path
) -> None:
    _, report, _ = run_audit(tmp_path, planted)
    assert report["cannot_update"] == {
        kinds.CANNOT_UPDATE["not-encrypted"]: 3,
        kinds.CANNOT_UPDATE["sse-c"]: 1,
        kinds.CANNOT_UPDATE["dsse-kms"]: 1,
        kinds.LOCKED: 1,
    }
    rows = list(csv.DictReader((tmp_path / audit.BLOCKED).open()))
    assert len(rows) == 6
    assert {(r["key"], r["kind"]) for r in rows} >= {
        ("held/0", "sse-s3"),
        ("sse-c/0", "sse-c"),
        ("dsse/0", "dsse-kms"),
        ("plain/0", "not-encrypted"),
    }
    assert all(r["bucket"] == BUCKET and r["version_id"] for r in rows)


def test_sse_s3_settings_turn_every_kms_version_wrong_and_none_updatable(
    planted: Planted, tmp_path: Path
) -> None:
    code, report, _ = run_audit(tmp_path, planted, "-c", "encryption=sse-s3")
    assert code == 1
    counts = report["counts"]
    assert counts["ok"] == 5  # the AES256 versions
    assert counts["sse-kms"] == 5 + 2 + 2  # right key, other key, no Bucket Key
    assert counts["dsse-kms"] == 1 and counts["not-encrypted"] == 3
    mode = kinds.NOT_TO_THIS_MODE.format(mode="sse-s3")
    assert report["cannot_update"][mode] == 9


def test_an_interrupted_audit_resumes_from_its_cursor(
    planted: Planted, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages of 5: the run dies in its third page; the second run counts the rest once."""
    monkeypatch.setattr(head, "PAGE_SIZE", 5)
    real_head = head.head_version
    calls = {"n": 0}

    def dies_in_third_page(*args: object) -> object:
        calls["n"] += 1
        if calls["n"] == 12:
            raise KeyboardInterrupt
        return real_head(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(head, "head_version", dies_in_third_page)
    with pytest.raises(KeyboardInterrupt):
        run_audit(tmp_path, planted, "--concurrency", "1", "--source", "head")
    saved = json.loads((tmp_path / audit.CURSOR).read_text())
    assert saved["tally"]["versions"] + saved["tally"]["delete_markers"] == 10
    monkeypatch.setattr(head, "head_version", real_head)
    code, report, text = run_audit(tmp_path, planted, "--concurrency", "1")
    assert "resuming" in text
    assert report["counts"] == planted.counts
    assert report["delete_markers"] == planted.delete_markers
    blocked = list(csv.DictReader((tmp_path / audit.BLOCKED).open()))
    assert len(blocked) == 6  # no line twice


def test_progress_line_counts_versions(planted: Planted, tmp_path: Path, capsys) -> None:
    out = io.StringIO()
    audit.main(["--bucket", BUCKET, "--key-arn", planted.project_key, "--out", str(tmp_path)],
               out=out)  # fmt: skip
    assert "audit: 19 versions, 14 not as the settings say" in capsys.readouterr().err
