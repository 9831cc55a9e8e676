"""Fixtures of the audit and re-key tests: moto with a bucket holding every kind."""

from __future__ import annotations

from collections.abc import Iterator

import moto
import pytest

from rekey.target import Target
from tests.rekey.support import Planted, answer_sse_c_like_s3, clients, plant_every_kind


@pytest.fixture
def planted(monkeypatch: pytest.MonkeyPatch) -> Iterator[Planted]:
    """moto holding every kind; the audit's S3 clients answer HEADs of SSE-C like S3."""
    real_client = Target.client

    def client(self: Target, service: str, max_pool: int = 10) -> object:
        made = real_client(self, service, max_pool)
        return answer_sse_c_like_s3(made) if service == "s3" else made

    monkeypatch.setattr(Target, "client", client)
    with moto.mock_aws():
        yield plant_every_kind(*clients())
