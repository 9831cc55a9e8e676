"""The package as a user installs it: a wheel with the construct, the plugin and the IAM
action data, without the test tools, that proves a user's app outside this repository."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from proof.paths import NODE_MODULES, ROOT

UV = Path(sys.executable).parent / "uv"
SIMULATOR_DATA = NODE_MODULES / "@cloud-copilot" / "iam-data" / "data"
PACKAGE_DATA = ROOT / "encrypted_s3" / "iam_data"
# A CDK app as `cdk init` lays many out: its own packages `stacks` and `proof` beside
# app.py, which must not clash with anything the package installs.
USER_APP = """
from aws_cdk import App, Validations

from encrypted_s3 import EncryptedStorage, ProofPlugin, synth
from proof import CHECKED
from stacks import MyStack

app = App()
Validations.of(app).add_plugins(ProofPlugin())
EncryptedStorage(
    MyStack(app, "Mine"),
    "Data",
    settings={
        "readers": ["arn:aws:iam::123456789012:role/Reader"],
        "writers": ["arn:aws:iam::123456789012:role/Writer"],
    },
)
print(CHECKED)
synth(app)
"""
USER_PACKAGES = {
    "stacks/__init__.py": "from aws_cdk import Stack\n\n\nclass MyStack(Stack):\n    pass\n",
    "proof/__init__.py": 'CHECKED = "the app\'s own proof package"\n',
}


def test_the_packaged_action_data_is_the_simulators() -> None:
    """One source of truth: the encoding reads the copy, iam-simulate the original."""
    copies = sorted(p.relative_to(PACKAGE_DATA) for p in PACKAGE_DATA.rglob("*.json"))
    assert [str(p) for p in copies] == [
        "actions/kms.json",
        "actions/s3.json",
        "conditionKeys/kms.json",
        "conditionKeys/s3.json",
    ]
    for relative in copies:
        assert (PACKAGE_DATA / relative).read_bytes() == (SIMULATOR_DATA / relative).read_bytes()


def test_every_public_name_of_the_package_is_its_homes_object() -> None:
    """The package imports its names when first used (the Lambda imports the vocabulary
    without aws-cdk-lib): each name in __all__ is the object its own module defines."""
    import encrypted_s3
    from encrypted_s3 import plugin, settings, storage

    expected = {
        "EncryptedStorage": storage,
        "StorageKey": storage,
        "storage_settings": storage,
        "ProofPlugin": plugin,
        "synth": plugin,
        "Settings": settings,
        "SettingsError": settings,
    }
    assert sorted(encrypted_s3.__all__) == sorted(expected)
    for name, module in expected.items():
        assert getattr(encrypted_s3, name) is getattr(module, name)
    with pytest.raises(AttributeError, match="has no attribute 'Bucket'"):
        _ = encrypted_s3.Bucket


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        # sdist first, then the wheel from it, as a release is built: a wheel built in
        # place would take stale modules from setuptools' build/ directory.
        [str(UV), "build", "--offline", "--quiet", "--out-dir", str(out), str(ROOT)],
        check=True,
        timeout=300,
    )
    (built,) = out.glob("*.whl")
    return built


def test_the_wheel_holds_the_package_and_not_the_test_tools(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        (metadata_name,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        metadata = archive.read(metadata_name).decode()
    for needed in (
        "encrypted_s3/__init__.py",
        "encrypted_s3/storage.py",
        "encrypted_s3/plugin.py",
        "encrypted_s3/vocabulary.py",
        "encrypted_s3/iam_data/actions/s3.json",
        "encrypted_s3/universal/check.py",
    ):
        assert needed in names
    # Nothing but the package and its metadata: no top-level name a user's app may have.
    tops = {n.split("/")[0] for n in names}
    assert tops == {"encrypted_s3", metadata_name.split("/")[0]}
    requires = sorted(
        line.split(":", 1)[1].strip()
        for line in metadata.splitlines()
        if line.startswith("Requires-Dist:")
    )
    assert requires == ["aws-cdk-lib<3,>=2.275.0", "constructs<11,>=10.8.1", "z3-solver>=4.15"]


def test_an_app_outside_the_repository_is_proved_by_the_installed_wheel(wheel, tmp_path):
    """`pip install` of the package, done with uv's pip interface from its cache (the tests
    reach no network), into a new virtual environment; the app runs outside this tree,
    with packages of its own named `stacks` and `proof`."""
    venv = tmp_path / "venv"
    subprocess.run(
        [str(UV), "venv", "--quiet", "--python", sys.executable, str(venv)], check=True, timeout=120
    )
    python = venv / "bin" / "python"
    subprocess.run(
        [str(UV), "pip", "install", "--quiet", "--offline", "--python", str(python), str(wheel)],
        check=True,
        timeout=300,
    )
    app = tmp_path / "app" / "app.py"
    app.parent.mkdir()
    app.write_text(USER_APP)
    for name, text in USER_PACKAGES.items():
        (app.parent / name).parent.mkdir()
        (app.parent / name).write_text(text)
    # As the user's shell has it: no make state (make's bytecode cache would collect the
    # temporary venv's bytecode in this tree), no path into this tree.
    unset = ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONPYCACHEPREFIX")
    env = {k: v for k, v in os.environ.items() if k not in unset}
    result = subprocess.run(
        [str(python), str(app)],
        cwd=app.parent,
        env=env | {"CDK_OUTDIR": str(tmp_path / "out")},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "encrypted-s3-proof: Mine/Data: 10 proved (" in result.stderr
    assert result.stdout.splitlines()[0] == "the app's own proof package"
    where = subprocess.run(
        [str(python), "-c", "import encrypted_s3; print(encrypted_s3.__file__)"],
        cwd=app.parent,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert where.startswith(str(venv))  # the installed package, not this tree


def test_the_package_imports_only_itself_and_its_dependencies() -> None:
    """The wheel's code needs nothing of this app: not the scenario table, the stacks, the
    simulator proof or this repository's layout (a static scan of every import)."""
    import ast

    allowed = set(sys.stdlib_module_names) | {"encrypted_s3", "aws_cdk", "constructs", "jsii", "z3"}
    found = {}
    for path in sorted((ROOT / "encrypted_s3").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                tops = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                tops = {node.module.split(".")[0]}
            else:
                continue
            for top in tops - allowed:
                found.setdefault(top, path.relative_to(ROOT).as_posix())
    assert found == {}
    assert len(list((ROOT / "encrypted_s3").rglob("*.py"))) > 30  # the scan sees the package
