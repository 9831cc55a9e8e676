"""The one renderer for the scenario table: offline (`make demo`) and live (`make live-proof`).

A row is the plain dict of scenarios.row, so the Lambda's JSON and the offline proof
produce the same thing. No import of the rest of proof/: proof/live.py uses it too.
"""

from __future__ import annotations

import hashlib
import json
import textwrap
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from proof.paths import ROOT
from scenarios import failed, not_run, offline_layer, row_name
from stacks.source import SOURCE_FILE, recorded_source

Row = Mapping[str, object]

# What `python -m proof <assembly>` writes into the assembly; `make live-proof` reads the JSON.
REPORT_MD = "proof-report.md"
REPORT_JSON = "proof-report.json"
# The Node packages whose versions decide what a report says (no Node process needed).
NODE_PACKAGES = {"cdk_cli": "aws-cdk", "iam_simulate": "@cloud-copilot/iam-simulate"}


def summary(rows: Sequence[Row]) -> str:
    """ "N passed, M failed" (+ ", K not run"), then the failed scenarios by name."""
    bad = failed(rows)
    skipped = sum(1 for r in rows if not_run(r))
    line = f"{len(rows) - len(bad) - skipped} passed, {len(bad)} failed"
    line += f", {skipped} not run" if skipped else ""
    return line + (f": {', '.join(bad)}" if bad else "")


def _result(r: Row | None) -> str:
    if r is None:
        return "-"
    if not_run(r):
        return "SKIP"
    return "PASS" if r["passed"] else "FAIL"


def _ms(r: Row) -> str:
    ms = r.get("ms")
    return "" if ms is None else f"{float(ms):.0f}"  # type: ignore[arg-type]


# A row is identified by (scenario, principal).
COLUMNS = ("scenario", "principal", "expected", "actual", "detail", "stored")


def _cells(r: Row) -> list[str]:
    return [str(r.get(c) or "") for c in COLUMNS] + [_ms(r), _result(r)]


HEADER = [*COLUMNS, "ms", "result"]


def _kept(header: list[str], body: list[list[str]]) -> list[int]:
    # Columns empty in every row (e.g. "ms" offline) are left out; the first always stays.
    return [i for i in range(len(header)) if i == 0 or any(cells[i] for cells in body)]


def _aligned(header: list[str], body: list[list[str]]) -> list[str]:
    keep = _kept(header, body)
    widths = [max(len(header[i]), *(len(cells[i]) for cells in body)) for i in keep]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return [
        line([header[i] for i in keep]),
        line(["-" * w for w in widths]),
        *(line([cells[i] for i in keep]) for cells in body),
    ]


def render_text(rows: Sequence[Row], title: str, notes: Sequence[str] = ()) -> str:
    """An aligned plain-text table, the notes (assumptions), then "N passed, M failed"."""
    lines = [title, ""] + _aligned(HEADER, [_cells(r) for r in rows])
    for i, note in enumerate(notes):
        wrapped = textwrap.fill(note, 100, initial_indent="note: ", subsequent_indent="      ")
        lines += ["", wrapped] if i == 0 else [wrapped]
    lines += ["", summary(rows)]
    return "\n".join(lines) + "\n"


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _md_table(header: list[str], body: list[list[str]]) -> list[str]:
    keep = _kept(header, body)
    lines = ["| " + " | ".join(header[i] for i in keep) + " |", "|" + "---|" * len(keep)]
    lines += ["| " + " | ".join(_md_escape(cells[i]) for i in keep) + " |" for cells in body]
    return lines


def render_markdown(rows: Sequence[Row], title: str, notes: Sequence[str] = ()) -> str:
    body = [[f"`{c[0]}`", c[1], str(r.get("seed") or ""), *c[2:]] for r, c in _with_cells(rows)]
    header = [*HEADER[:2], "seed", *HEADER[2:]]
    lines = [f"# {title}", "", *_md_table(header, body), ""]
    lines += [*(f"- {n}" for n in notes), ""] if notes else []
    lines += [f"**{summary(rows)}**", ""]
    return "\n".join(lines)


def _with_cells(rows: Sequence[Row]) -> list[tuple[Row, list[str]]]:
    return [(r, _cells(r)) for r in rows]


def _layers_agree(offline: Row, live: Row) -> str:
    """ ", layer NO (...)" when both name the denying layer and they differ."""
    o = offline_layer(str(offline.get("detail") or ""))
    v = str(live.get("detail") or "").partition(": ")[2]
    if o and v.startswith(("explicit deny", "no ")) and o != v:
        return f", layer NO (offline {o}, live {v})"
    return ""


def side_by_side(offline_rows: Sequence[Row], live_rows: Sequence[Row]) -> str:
    """One table with offline and live columns per row, matched by (scenario, principal).

    The live probe runs as the uploader, so the offline rows of the other principals show
    "-" on the live side, as does any row present on one side only.
    """
    offline = {row_name(r): r for r in offline_rows}
    live = {row_name(r): r for r in live_rows}
    names = list(offline) + [n for n in live if n not in offline]
    header = [
        "scenario",
        "expected",
        "offline",
        "offline detail",
        "live",
        "live detail",
        "live stored",
        "offline result",
        "live result",
        "agree",
    ]
    body = []
    for name in names:
        o, v = offline.get(name), live.get(name)
        expected = str((o or v or {}).get("expected", ""))
        agree = "-"
        if o is not None and v is not None and not not_run(o) and not not_run(v):
            agree = "yes" if o["actual"] == v["actual"] else "NO"
            agree += _layers_agree(o, v)
        body.append(
            [
                name,
                expected,
                str(o["actual"]) if o else "-",
                str(o.get("detail") or "") if o else "",
                str(v["actual"]) if v else "-",
                str(v.get("detail") or "") if v else "",
                str(v.get("stored") or "") if v else "",
                _result(o),
                _result(v),
                agree,
            ]
        )
    lines = ["offline proof vs live probe", ""] + _aligned(header, body)
    lines += ["", f"offline: {summary(offline_rows)}", f"live: {summary(live_rows)}"]
    return "\n".join(lines) + "\n"


def _package_version(name: str) -> str | None:
    try:
        version = json.loads((ROOT / "node_modules" / name / "package.json").read_text())["version"]
        return str(version)
    except (OSError, ValueError, KeyError):
        return None


def _template_hashes(assembly: Path) -> dict[str, str]:
    """sha256 of every template the assembly's manifest lists (stale files are not)."""
    try:
        artifacts = json.loads((assembly / "manifest.json").read_text())["artifacts"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    hashes = {}
    for artifact in artifacts.values():
        template = artifact.get("properties", {}).get("templateFile")
        if artifact.get("type") == "aws:cloudformation:stack" and template:
            data = (assembly / template).read_bytes()
            hashes[template] = hashlib.sha256(data).hexdigest()
    return hashes


def provenance(assembly: Path, settings: Mapping[str, Any]) -> dict[str, Any]:
    """What a report was made from: when, which commit, settings, templates, tool versions."""
    try:
        cdk_lib: str | None = metadata.version("aws-cdk-lib")
    except metadata.PackageNotFoundError:
        cdk_lib = None
    return {
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        # Recorded at synthesis: the tree now may differ from the one synthesized.
        "git": recorded_source(assembly) or {"commit": None, "dirty": None, "unknown": True},
        "settings": dict(settings),
        "templates_sha256": _template_hashes(assembly),
        "versions": {"aws_cdk_lib": cdk_lib}
        | {key: _package_version(name) for key, name in NODE_PACKAGES.items()},
    }


def _commit(facts: Mapping[str, Any]) -> str:
    git = facts["git"]
    if git.get("unknown"):
        return f"source unknown (no {SOURCE_FILE} from synthesis)"
    if not git["commit"]:
        return "outside git"
    return f"commit {git['commit'][:10]}" + (" + uncommitted changes" if git["dirty"] else "")


def provenance_line(facts: Mapping[str, Any]) -> str:
    """One line for the text output; the reports carry the whole record."""
    v = facts["versions"]
    return (
        f"{facts['time']}, {_commit(facts)}; aws-cdk-lib {v['aws_cdk_lib']}, "
        f"cdk {v['cdk_cli']}, iam-simulate {v['iam_simulate']}"
    )


def provenance_markdown(facts: Mapping[str, Any]) -> str:
    settings = ", ".join(f"{k}={json.dumps(v)}" for k, v in facts["settings"].items())
    lines = ["## Provenance", "", f"- {provenance_line(facts)}", f"- settings: {settings}"]
    lines += [f"- `{name}` sha256 `{h}`" for name, h in facts["templates_sha256"].items()]
    return "\n".join(lines) + "\n"
