"""`python -m proof` on an assembly of any app: the universal proof of every
EncryptedStorage it holds (no uploader, so no scenario table: that is this repository's
app's own). Prints each instance's properties, necessity and model, writes the reports,
and exits 1 if a property is refuted (2 if it cannot prove)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from encrypted_s3.assembly import AssemblyError
from encrypted_s3.instances import find_instances
from encrypted_s3.resolve import Templates
from encrypted_s3.universal.check import check_all
from encrypted_s3.universal.report import render_universal_text, to_json
from proof.report import REPORT_JSON, REPORT_MD, provenance, provenance_line, provenance_markdown


def prove_instances(
    templates: Templates, assembly: Path, as_json: bool, mutations: Sequence[str] = ()
) -> int:
    if mutations:
        raise AssemblyError("--break needs this app's assembly (its uploader and scenarios)")
    instances = find_instances(templates)
    if not instances:
        raise AssemblyError(
            f"{assembly} holds neither this app's uploader nor an EncryptedStorage: "
            "nothing to prove"
        )
    universals = check_all([(i.deployment, i.path) for i in instances])
    proofs = list(zip(instances, universals, strict=True))
    facts = provenance(assembly, {})
    texts = [(i, render_universal_text(universal)) for i, universal in proofs]
    heading = f"Universal proof of {len(proofs)} EncryptedStorage instance(s) (z3)"
    document = {
        "title": heading,
        "instances": [
            {"path": i.path, "resource": i.where, **to_json(universal)} for i, universal in proofs
        ],
        "provenance": facts,
    }
    sections = [f"## {i.path}\n\n```\n{text}```\n" for i, text in texts]
    (assembly / REPORT_MD).write_text(
        "\n".join([f"# {heading}\n", *sections, provenance_markdown(facts)])
    )
    (assembly / REPORT_JSON).write_text(json.dumps(document, indent=2) + "\n")
    refuted = [f"{i.path}: {', '.join(u.refuted)}" for i, u in proofs if u.refuted]
    if as_json:
        print(json.dumps(document, indent=2))
    else:
        print(heading + "\n")
        for i, text in texts:
            print(f"== {i.path} ({i.where})\n{text}")
        print(provenance_line(facts))
        print(f"reports: {assembly / REPORT_MD}, {assembly / REPORT_JSON}")
    for line in refuted:
        print(f"REFUTED {line}")
    return 1 if refuted else 0
