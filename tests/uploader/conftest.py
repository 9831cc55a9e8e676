"""Fixtures of the uploader and `make live-proof` tests: moto, the deployment, small parts."""

from __future__ import annotations

from collections.abc import Iterator

import moto
import pytest

from probe import operations
from tests.uploader.support import STRICT_KMS, MotoDeployment, deploy

SMALL_PART = 8 * 1024


@pytest.fixture(autouse=True)
def _small_parts_when_marked(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch):
    """Tests marked `small_parts` use parts of 8 KiB instead of S3's 5 MiB minimum, in the
    probe and in moto alike (moto's own tests do this per test with
    @reduced_min_part_size): a full 5 MiB part costs moto about a second per prove run."""
    if request.node.get_closest_marker("small_parts") is None:
        return
    import moto.s3.models

    monkeypatch.setattr(operations, "MIN_PART_SIZE", SMALL_PART)
    monkeypatch.setattr(moto.s3.models, "S3_UPLOAD_PART_MIN_SIZE", SMALL_PART)


@pytest.fixture
def aws() -> Iterator[None]:
    with moto.mock_aws():
        yield


@pytest.fixture
def dep(aws: None, monkeypatch: pytest.MonkeyPatch) -> MotoDeployment:
    """The sse-kms/strict deployment in moto."""
    return deploy(monkeypatch, STRICT_KMS)
