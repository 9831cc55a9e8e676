"""The proof as a CDK policy-validation plugin: every EncryptedStorage of any app proved
at synth.

    Validations.of(app).add_plugins(ProofPlugin())

(`App(policy_validation_beta1=[...])` takes it too; aws-cdk-lib deprecates that form.)

At synthesis CDK hands the plugin the templates; it finds every instance (the data
buckets marked by EncryptedStorage), proves each one's properties with the universal
proof (z3, for every request in its model: the same engine as `python -m proof`) and
fails synthesis with one violation per refuted property: the instance's path, the
property, a counterexample and the statements that decided it. Passing instances are
listed on stderr with the properties proved. An app without an instance passes and says
so; a template the proof cannot read fails with one line naming the resource.
The necessity analysis (which Deny each property needs) is left to `python -m proof`:
it does not change what is proved, and it costs several times the properties.
"""

from __future__ import annotations

import contextlib
import json
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import (
    App,
    IPolicyValidationContext,
    IPolicyValidationPlugin,
    PolicyValidationPluginReport,
    PolicyViolatingResource,
    PolicyViolation,
)

NAME = "encrypted-s3-proof"
UNREADABLE = "unreadable-template"  # the rule name of a template the proof cannot read


@cache
def version() -> str:
    """The installed package's version (read when CDK asks, not at import)."""
    try:
        return metadata.version("encrypted-s3-cdk")
    except metadata.PackageNotFoundError:  # run from a source tree that is not installed
        return "unknown"


def _templates(paths: Sequence[str]) -> tuple[dict[str, Any], dict[str, str]]:
    """{stack: template} and {stack: template path}; a stack is named by its file."""
    templates, where = {}, {}
    for path in paths:
        name = Path(path).name.removesuffix(".template.json")
        if name in templates:  # stacks of different stages: the path tells them apart
            name = path
        templates[name] = json.loads(Path(path).read_text())
        where[name] = path
    return templates, where


def _violation(
    rule: str, description: str, fix: str, template: str, logical_id: str
) -> PolicyViolation:
    return PolicyViolation(
        rule_name=rule,
        description=description,
        fix=fix,
        severity="error",
        violating_resources=[
            PolicyViolatingResource(
                locations=[f"Resources/{logical_id}"],
                resource_logical_id=logical_id,
                template_path=template,
            )
        ],
    )


def _example(result: Any) -> str:
    from encrypted_s3.universal.report import request_lines

    lines = request_lines(result.counterexample) if result.counterexample else []
    decided = f"; decided by {'; '.join(result.statements)}" if result.statements else ""
    return " / ".join(line.strip() for line in lines) + decided


def _warm_up() -> None:
    """Imports the engine and makes the z3 contexts of four instances' checks (one each,
    about 10 ms); an error here is left to the validation, which imports the same."""
    with contextlib.suppress(Exception):
        from encrypted_s3.universal import check, solve  # noqa: F401

        solve.spare_contexts(4)


@jsii.implements(IPolicyValidationPlugin)
class ProofPlugin:
    """Proves every EncryptedStorage of the app at synth (see the module's docstring).

    `out`: where the list of instances and properties goes (stderr by default)."""

    def __init__(self, out: Callable[[str], None] | None = None) -> None:
        self._out = out or (lambda line: print(line, file=sys.stderr))
        # The engine loads while the app is built, so that the validation at the end of
        # synth does not wait for it (z3 and the proof's modules, ~0.3 s).
        threading.Thread(target=_warm_up, name=f"{NAME}-warm-up").start()

    @property
    def name(self) -> str:
        return NAME

    @property
    def version(self) -> str:
        return version()

    @property
    def rule_ids(self) -> list[str]:
        from encrypted_s3.universal.check import all_property_ids

        return [*all_property_ids(), UNREADABLE]

    def validate(self, context: IPolicyValidationContext) -> PolicyValidationPluginReport:
        templates, paths = _templates(context.template_paths)
        violations = self._prove(templates, paths)
        return PolicyValidationPluginReport(
            success=not violations, violations=violations, plugin_version=version()
        )

    def _prove(self, templates: dict[str, Any], paths: dict[str, str]) -> list[Any]:
        # The engine loads z3: only when CDK asks for the validation.
        from encrypted_s3.instances import UNREADABLE_ERRORS, find_instances

        try:
            instances = find_instances(templates)
        except UNREADABLE_ERRORS as error:
            first = next(iter(paths.values()))
            return [_violation(UNREADABLE, str(error), "", first, "")]
        if not instances:
            self._out(f"{NAME}: no EncryptedStorage in this app: nothing to prove")
            return []
        violations = []
        for verdict in _verdicts(instances):
            stack, logical_id = verdict.where.rsplit("/", 1)
            if verdict.unreadable:
                line = f"{verdict.path}: the proof cannot read it: {verdict.unreadable}"
                violations.append(_violation(UNREADABLE, line, "", paths[stack], logical_id))
                continue
            proved = ", ".join(verdict.proved)
            self._out(f"{NAME}: {verdict.path}: {len(verdict.proved)} proved ({proved})")
            for rule, description in verdict.refuted:
                self._out(f"{NAME}: {verdict.path}: {rule} REFUTED")
                violations.append(_violation(rule, description, FIX, paths[stack], logical_id))
        return violations


FIX = (
    "Change the statements named after 'decided by' (or the settings: readers, writers) so "
    "that the counterexample's request is decided as the property says"
)


@dataclass(frozen=True)
class Verdict:
    """One instance's proof, as the plugin reports it."""

    path: str
    where: str
    proved: tuple[str, ...] = ()
    refuted: tuple[tuple[str, str], ...] = ()  # (property id, one-line description)
    unreadable: str = ""


def _verdicts(instances: Sequence[Any]) -> list[Verdict]:
    """Each instance's proof: all proved together (their checks side by side); if one
    cannot be read, one at a time, so the verdict names the instance."""
    from encrypted_s3.instances import UNREADABLE_ERRORS
    from encrypted_s3.universal.check import check_all

    try:
        proofs = check_all([(i.deployment, i.path) for i in instances], necessity=False)
    except UNREADABLE_ERRORS as error:
        if len(instances) == 1:
            return [Verdict(instances[0].path, instances[0].where, unreadable=str(error))]
        return [verdict for instance in instances for verdict in _verdicts([instance])]
    return [_verdict(i, universal) for i, universal in zip(instances, proofs, strict=True)]


def _verdict(instance: Any, universal: Any) -> Verdict:
    return Verdict(
        instance.path,
        instance.where,
        tuple(r.prop.id for r in universal.results if r.proved),
        tuple(
            (
                r.prop.id,
                f"{instance.path}: {r.prop.title} REFUTED: {r.words} Counterexample: {_example(r)}",
            )
            for r in universal.results
            if not r.proved
        ),
    )


def synth(app: App) -> None:
    """`app.synth()`, ending the process with one line when a validation plugin failed
    (CDK has printed its report above: the instance, the property, the counterexample)
    rather than with the jsii traceback of CDK's ValidationFailed error."""
    try:
        app.synth()
    except RuntimeError as error:
        text = str(error)
        if not text.startswith("ValidationFailed"):
            raise
        # The message repeats the report CDK printed; its last line says where it is kept.
        sys.exit(f"error: synthesis failed validation; {text.splitlines()[-1].strip()}")
