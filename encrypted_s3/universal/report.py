"""The universal proof as text (the "Properties" section) and as JSON."""

from __future__ import annotations

import textwrap
from typing import TypedDict

from encrypted_s3.universal.space import ModelJson, model_lines
from encrypted_s3.universal.verdicts import NecessityJson, PropertyJson, Result, Universal
from encrypted_s3.universal.witness import CounterexampleJson

INDENT = "      "


def request_lines(example: CounterexampleJson) -> list[str]:
    """A counterexample as a person reads a request: who, what, how, with which headers."""
    account = f" (account {example['account']})" if example["account"] else ""
    lines = [
        f"{example['action']} on {example['resource']}",
        f"by {example['principal']}{account}, over {example['transport']}",
    ]
    for key, value in example["context"].items():
        lines.append(f"  {key}: " + ("absent" if value is None else repr(value)))
    return lines


def _wrap(text: str, first: str, rest: str) -> list[str]:
    """Wrapped at spaces only: ARNs and host names stay whole."""
    return textwrap.wrap(
        text,
        96,
        initial_indent=first,
        subsequent_indent=rest,
        break_on_hyphens=False,
        break_long_words=False,
    )


def _result_lines(r: Result) -> list[str]:
    verdict = "proved" if r.proved else "REFUTED"
    lines = [f"  {r.prop.number}. {r.prop.title}: {verdict}"]
    lines += _wrap(r.words, INDENT, INDENT)
    if r.counterexample is not None:
        lines.append(f"{INDENT}counterexample:")
        lines += [f"{INDENT}  {line}" for line in request_lines(r.counterexample)]
        lines.append(f"{INDENT}decided by: {'; '.join(r.statements)}")
    for note in r.notes:
        lines += _wrap(note, f"{INDENT}note: ", INDENT)
    return lines


def render_universal_text(universal: Universal) -> str:
    proved = sum(r.proved for r in universal.results)
    lines = [
        f"Properties ({universal.variant}; z3, for every request in this model)",
        "",
        *[line for r in universal.results for line in _result_lines(r)],
        "",
        "Who can do what:",
        *[f"  {line}" if line else "" for line in universal.who.splitlines()],
        "",
        "Necessity of each Deny (dropped, then the proved properties re-checked):",
    ]
    if universal.refuted:
        lines.append(f"  (refuted properties are not judged: {', '.join(universal.refuted)})")
    width = max((len(n.statement) for n in universal.necessity), default=0)
    lines += [f"  {n.statement.ljust(width)}  {n.describe()}" for n in universal.necessity]
    lines += ["", "The model (every property holds for every request in it):"]
    for fact in model_lines(universal.model):
        lines += textwrap.wrap(fact, 100, initial_indent="  ", subsequent_indent="    ")
    lines.append("")
    for i, note in enumerate(universal.assumptions):
        lead = "assumes: " if i == 0 else "         "
        lines += textwrap.wrap(note, 100, initial_indent=lead, subsequent_indent="         ")
    lines += ["", f"{proved} proved, {len(universal.results) - proved} refuted"]
    refuted = universal.refuted
    if refuted:
        lines[-1] += f": {', '.join(refuted)}"
    return "\n".join(lines) + "\n"


class UniversalJson(TypedDict):
    """The universal proof's keys in the JSON report."""

    properties: list[PropertyJson]
    necessity: list[NecessityJson]
    model: ModelJson
    who_can_do_what: str  # a markdown table


def _property_json(r: Result, universal: Universal) -> PropertyJson:
    found = r.to_json()
    found["assumptions"] = list(universal.assumptions)
    return found


def to_json(universal: Universal) -> UniversalJson:
    """The report's keys: properties (each with the assumptions), necessity, the model."""
    return {
        "properties": [_property_json(r, universal) for r in universal.results],
        "necessity": [n.to_json() for n in universal.necessity],
        "model": universal.model,
        "who_can_do_what": universal.who,
    }
