"""Malformed events get a structured error naming the problem; nothing is sent or written.

Also: the Lambda code imports nothing but the standard library and boto3/botocore, and
importing the handler does not import boto3 (cold start).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import handler
import probe
import scenarios as sc
from proof.paths import ROOT
from tests.uploader.support import FakeContext, Recorder

LAMBDA_DIR = ROOT / "lambda" / "uploader"
CHOICES = list(sc.UPLOAD_CHOICES)


def upload_event(**fields):
    return {"action": "upload", "encryption": "sse-kms", **fields}


# (event, error code, fragments the message must contain)
BAD_EVENTS = [
    pytest.param(None, "InvalidEvent", ['"upload"', '"prove"', "NoneType"], id="null"),
    pytest.param("prove", "InvalidEvent", ["JSON object", "str"], id="string"),
    pytest.param([{"action": "prove"}], "InvalidEvent", ["list"], id="list"),
    pytest.param(42, "InvalidEvent", ["int"], id="number"),
    pytest.param({}, "MissingField", ['"action"', '"upload", "prove"'], id="no-action"),
    pytest.param({"action": 1}, "UnknownAction", ["1", '"upload", "prove"'], id="action-int"),
    pytest.param({"action": "delete"}, "UnknownAction", ["'delete'"], id="unknown-action"),
    pytest.param({"action": "PROVE"}, "UnknownAction", ["'PROVE'"], id="action-case"),
    pytest.param(
        {"action": "prove", "bucket": "other"},
        "UnknownField",
        ['"bucket"', '"action", "concurrency"'],
        id="prove-extra-field",
    ),
    pytest.param(
        {"action": "prove", "concurrency": 0}, "InvalidConcurrency", ["0", "1 and 32"], id="c0"
    ),
    pytest.param(
        {"action": "prove", "concurrency": 33}, "InvalidConcurrency", ["33", "32"], id="c33"
    ),
    pytest.param({"action": "prove", "concurrency": "8"}, "WrongType", ["integer"], id="c-str"),
    pytest.param({"action": "prove", "concurrency": True}, "WrongType", ["bool"], id="c-bool"),
    pytest.param({"action": "prove", "concurrency": 2.5}, "WrongType", ["float"], id="c-float"),
    pytest.param({"action": "prove", "concurrency": None}, "WrongType", ["null"], id="c-null"),
    pytest.param({"action": "upload"}, "MissingField", ['"encryption"', *CHOICES], id="no-enc"),
    pytest.param(
        upload_event(encryption="aes"), "UnknownEncryption", ["'aes'", *CHOICES], id="unknown-enc"
    ),
    pytest.param(
        upload_event(encryption=["sse-kms"]), "UnknownEncryption", ["['sse-kms']"], id="enc-list"
    ),
    pytest.param(
        upload_event(bucket="elsewhere"),
        "UnknownField",
        ['"bucket"', '"action", "encryption", "key", "content"'],
        id="upload-extra-field",
    ),
    pytest.param(upload_event(key="../../etc/passwd"), "InvalidKey", ['".."'], id="key-dotdot"),
    pytest.param(upload_event(key="a/../b"), "InvalidKey", ['".."'], id="key-inner-dotdot"),
    pytest.param(upload_event(key="/abs/path"), "InvalidKey", ["relative"], id="key-absolute"),
    pytest.param(
        upload_event(key="a//b"), "InvalidKey", ["empty segments"], id="key-empty-segment"
    ),
    pytest.param(upload_event(key=""), "InvalidKey", ["1 to 512"], id="key-empty"),
    pytest.param(upload_event(key="k" * 513), "InvalidKey", ["513"], id="key-too-long"),
    pytest.param(
        upload_event(key="bad key?.txt"), "InvalidKey", ["may contain only"], id="key-chars"
    ),
    pytest.param(upload_event(key="x\n.txt"), "InvalidKey", ["may contain only"], id="key-newline"),
    pytest.param(upload_event(key=5), "WrongType", ['"key"', "string", "int"], id="key-int"),
    pytest.param(upload_event(key=None), "WrongType", ['"key"', "null"], id="key-null"),
    pytest.param(upload_event(content=3), "WrongType", ['"content"', "int"], id="content-int"),
    pytest.param(upload_event(content=None), "WrongType", ['"content"', "null"], id="content-null"),
    pytest.param(
        upload_event(content="x" * (64 * 1024 + 1)),
        "ContentTooLarge",
        ["65537 bytes", "65536"],
        id="content-too-large",
    ),
    pytest.param(
        upload_event(content="é" * 40_000),  # 40 000 characters, 80 000 bytes
        "ContentTooLarge",
        ["80000 bytes"],
        id="content-too-large-utf8",
    ),
]


@pytest.mark.parametrize(("event", "code", "fragments"), BAD_EVENTS)
def test_malformed_event_is_a_structured_error_and_writes_nothing(dep, event, code, fragments):
    recorder = Recorder().attach(dep.clients)
    response = handler.lambda_handler(event, FakeContext())
    assert set(response) == {"ok", "error"}
    assert response["ok"] is False
    assert set(response["error"]) == {"code", "message"}
    assert response["error"]["code"] == code
    for fragment in fragments:
        assert fragment in response["error"]["message"]
    assert "Traceback" not in json.dumps(response)
    assert recorder.sent == []  # not a single request
    assert dep.versions() == []


def _event_error_codes(path: Path) -> set[str]:
    """The codes of every EventError the handler raises: EventError("Code", ...)."""
    return {
        node.args[0].value
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", None) == "EventError"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    }


def test_every_error_code_of_the_handler_has_a_malformed_event():
    raised = _event_error_codes(LAMBDA_DIR / "handler.py")
    assert {"InvalidEvent", "UnknownField"} <= raised  # the scan does see them
    assert raised == {p.values[1] for p in BAD_EVENTS}


@pytest.mark.parametrize(
    "event",
    [
        {"action": "prove"},
        {"action": "prove", "concurrency": 1},
        {"action": "prove", "concurrency": 32},
        {"action": "upload", "encryption": "none"},
        {"action": "upload", "encryption": "sse-c", "key": "a/b-c_d.(1)!*'.txt", "content": ""},
        {"action": "upload", "encryption": "sse-s3", "content": "x" * 64 * 1024},
        {"action": "upload", "encryption": "sse-kms", "key": "k" * 512},
    ],
)
def test_well_formed_events_pass_validation(event):
    request = handler.parse_event(event)
    assert request.action == event["action"]
    assert request.encryption == event.get("encryption")
    assert request.concurrency == event.get("concurrency", probe.DEFAULT_CONCURRENCY)


# ----------------------------------------------------------------------------- imports


def _modules(path: Path) -> set[str]:
    """Every module the file imports, by its full dotted name (`from a import b`: a.b)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            if node.module == "encrypted_s3":  # a module of the package, by its name
                names |= {f"encrypted_s3.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "__import__":
            names.add("<dynamic import>")
    return names


def _imports(path: Path) -> set[str]:
    return {name.split(".")[0] for name in _modules(path)}


def test_lambda_code_imports_only_the_standard_library_boto3_and_the_vocabulary():
    """The bundle is lambda/uploader plus encrypted_s3's __init__ and vocabulary (standard
    library only, lazy constructs): nothing else of the package may be imported."""
    files = sorted(LAMBDA_DIR.rglob("*.py"))
    local = {path.relative_to(LAMBDA_DIR).parts[0].removesuffix(".py") for path in files}
    assert {"handler", "probe", "scenarios"} <= local
    allowed = set(sys.stdlib_module_names) | {"boto3", "botocore"} | local
    bundled = {"encrypted_s3", "encrypted_s3.vocabulary"}
    for path in files:
        outside = {m for m in _modules(path) if m.split(".")[0] not in allowed} - bundled
        assert not outside, f"{path.relative_to(LAMBDA_DIR)} imports {sorted(outside)}"
    assert "boto3" in _imports(LAMBDA_DIR / "probe" / "clients.py")  # the scan sees imports
    assert "encrypted_s3.vocabulary" in _modules(LAMBDA_DIR / "scenarios" / "headers.py")
    vocabulary = ROOT / "encrypted_s3" / "vocabulary.py"
    assert _imports(vocabulary) <= set(sys.stdlib_module_names)


def test_importing_the_handler_does_not_import_boto3():
    code = (
        "import sys, handler; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=LAMBDA_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.strip() == "[]"


def test_a_huge_value_is_cut_short_in_the_message():
    response = handler.lambda_handler({"action": "x" * 100_000}, FakeContext())
    assert response["error"]["code"] == "UnknownAction"
    assert len(response["error"]["message"]) < 200
