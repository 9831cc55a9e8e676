"""The state of one prove run: its prefix, clients, deadline and shared source object."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar, cast

import scenarios as sc
from probe.clients import Clients
from probe.errors import aws_errors, classify
from probe.target import ObjectLocation, Target, object_location

PUT_BODY = b"encrypted-s3 probe object\n"
SOURCE_NAME = "_copy-source"

T = TypeVar("T")


def new_run_id() -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + uuid.uuid4().hex[:8]


class SourceUnavailable(Exception):
    """S3 refused the object a scenario starts from (what: "copy source", ...)."""

    def __init__(self, what: str, actual: str, code: str) -> None:
        super().__init__(f"{what} not written: {code}")
        self.what = what
        self.actual = actual
        self.code = code


class Once(Generic[T]):
    """Runs a function once, on first demand, from whichever thread asks first."""

    def __init__(self, fn: Callable[[], T]) -> None:
        self._fn = fn
        self._lock = threading.Lock()
        self._done = False
        self._value: T | None = None
        self._error: BaseException | None = None

    def __call__(self) -> T:
        with self._lock:
            if not self._done:
                try:
                    self._value = self._fn()
                except BaseException as exc:  # re-raised to every caller
                    self._error = exc
                self._done = True
        if self._error is not None:
            raise self._error
        return cast(T, self._value)  # set: _fn returned


@dataclass
class ProofRun:
    """One prove run: its prefix, clients, deadline and shared source object."""

    target: Target
    clients: Clients
    run_id: str
    time_left_ms: Callable[[], float] | None
    reserve_ms: float

    def __post_init__(self) -> None:
        self.source: Once[ObjectLocation] = Once(self._write_source)

    @property
    def prefix(self) -> str:
        return f"{self.target.prefix}/{self.run_id}/"

    def object_key(self, name: str) -> str:
        return self.prefix + name

    def budget_ms(self) -> float | None:
        """Milliseconds left for scenarios (None: no deadline)."""
        if self.time_left_ms is None:
            return None
        return self.time_left_ms() - self.reserve_ms

    def out_of_time(self) -> bool:
        budget = self.budget_ms()
        return budget is not None and budget <= 0

    def args(self, sse: sc.Sse) -> dict[str, str | bytes]:
        return sc.boto3_sse_args(sse, self.target.keys)

    def put_required(self, name: str, what: str) -> ObjectLocation:
        """Write an object with the headers the bucket requires; SourceUnavailable if S3
        refuses it. Scenarios that start from an object of their own use this."""
        key = self.object_key(name)
        sse = sc.Sse.required(self.target.config)
        try:
            response = self.clients.s3().put_object(
                Bucket=self.target.bucket, Key=key, Body=PUT_BODY, **self.args(sse)
            )
        except aws_errors() as exc:
            raise SourceUnavailable(what, *classify(exc)) from exc
        return object_location(self.target.bucket, key, response.get("VersionId"))

    def _write_source(self) -> ObjectLocation:
        """The allowed object the copy and read-back scenarios start from."""
        return self.put_required(SOURCE_NAME, "copy source")
