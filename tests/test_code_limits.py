"""scripts/code_limits.py: the size limits `make lint` checks, and that they can fail."""

from __future__ import annotations

from pathlib import Path

import pytest

from proof.paths import ROOT
from scripts import code_limits


def function(name: str, lines: int) -> str:
    """Python source of a function `lines` lines long."""
    body = "".join(f"    x{i} = {i}\n" for i in range(lines - 2))
    return f"def {name}():\n{body}    return 0\n"


def run_limits(tmp_path: Path, capsys: pytest.CaptureFixture[str], *paths: str) -> tuple[int, str]:
    code = code_limits.main(list(paths), root=tmp_path)
    return code, capsys.readouterr().out


def test_the_lambda_code_is_within_the_limits(capsys):
    assert code_limits.main(["lambda"], root=ROOT) == 0
    out = capsys.readouterr().out
    assert out.startswith("longest file: lambda/uploader/")
    assert "\nlongest function: lambda/uploader/" in out


def test_the_proof_code_is_within_the_limits(capsys):
    assert code_limits.main(["proof"], root=ROOT) == 0
    out = capsys.readouterr().out
    assert out.startswith("longest file: proof/")
    assert "OVER" not in out and "known" not in out


def test_a_function_over_the_limit_fails(tmp_path, capsys):
    (tmp_path / "ok.py").write_text(function("fits", code_limits.MAX_FUNCTION_LINES))
    assert run_limits(tmp_path, capsys, ".")[0] == 0
    (tmp_path / "long.py").write_text(function("too_long", code_limits.MAX_FUNCTION_LINES + 1))
    code, out = run_limits(tmp_path, capsys, ".")
    assert code == 1
    assert "longest function: long.py:1 too_long: 61 lines (limit 60)" in out
    assert "long.py:1 too_long: 61 lines (limit 60): OVER" in out
    assert "fits" not in out


def test_a_file_over_the_limit_fails_and_tests_are_not_source(tmp_path, capsys):
    lines = "x = 1\n" * (code_limits.MAX_FILE_LINES + 1)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "big.py").write_text(lines)
    assert run_limits(tmp_path, capsys, ".")[0] == 0
    (tmp_path / "big.py").write_text(lines)
    code, out = run_limits(tmp_path, capsys, ".")
    assert code == 1
    assert "big.py: 401 lines (limit 400): OVER" in out


def test_known_debt_passes_until_it_is_paid(tmp_path, capsys, monkeypatch):
    (tmp_path / "long.py").write_text(function("too_long", 70))
    monkeypatch.setattr(code_limits, "KNOWN_OVER", {"long.py:too_long": "split next"})
    code, out = run_limits(tmp_path, capsys, ".")
    assert code == 0 and "known, split next" in out
    (tmp_path / "long.py").write_text(function("too_long", 10))
    code, out = run_limits(tmp_path, capsys, ".")
    assert code == 1 and "long.py:too_long: within the limits now" in out
