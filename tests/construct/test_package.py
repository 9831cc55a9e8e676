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
USER_APP = """
from aws_cdk import App, Stack, Validations

from encrypted_s3 import EncryptedStorage, ProofPlugin, synth

app = App()
Validations.of(app).add_plugins(ProofPlugin())
EncryptedStorage(
    Stack(app, "Mine"),
    "Data",
    settings={
        "readers": ["arn:aws:iam::123456789012:role/Reader"],
        "writers": ["arn:aws:iam::123456789012:role/Writer"],
    },
)
synth(app)
"""


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
    from encrypted_s3 import plugin, storage
    from stacks import settings

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
        "proof/universal/check.py",
    ):
        assert needed in names
    assert not [n for n in names if n.startswith(("tests/", "examples/", "bench/"))]
    assert "scenarios/vocabulary.py" not in names  # one home: the package's own module
    requires = sorted(
        line.split(":", 1)[1].strip()
        for line in metadata.splitlines()
        if line.startswith("Requires-Dist:")
    )
    assert requires == ["aws-cdk-lib<3,>=2.275.0", "constructs<11,>=10.8.1", "z3-solver>=4.15"]


def test_an_app_outside_the_repository_is_proved_by_the_installed_wheel(wheel, tmp_path):
    """`pip install` of the package, done with uv's pip interface from its cache (the tests
    reach no network), into a new virtual environment; the app runs outside this tree."""
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
    where = subprocess.run(
        [str(python), "-c", "import encrypted_s3; print(encrypted_s3.__file__)"],
        cwd=app.parent,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert where.startswith(str(venv))  # the installed package, not this tree
