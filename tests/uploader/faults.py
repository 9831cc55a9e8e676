"""Faults injected where the network is: a botocore `before-send` hook, below the retry
handler, so an injected failure is retried like a real one and counted per attempt.

`Wire` takes the place of moto's own `before-send` handler on every client of the probe
and decides each attempt by its rules: a transport failure (timeout,
reset, no connection), an HTTP answer of its own (an S3 error document with a request
id), or moto's answer, possibly changed (a lost reply, a DeleteObjects that refuses some
versions). A `VirtualClock` makes time a number: a timed-out attempt costs the client's
connect and read timeouts, botocore's wait between attempts costs what it would sleep.
"""

from __future__ import annotations

import functools
import io
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any
from xml.sax.saxutils import escape

import botocore.endpoint
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ConnectionClosedError, EndpointConnectionError, ReadTimeoutError
from moto.core.models import botocore_stubber

import probe
from tests.uploader.support import REQUEST_ID, every_client


class _Raw(io.BytesIO):
    """The raw body of an AWSResponse (botocore reads it with stream())."""

    def stream(self, **kwargs: Any) -> Iterator[bytes]:
        chunk = self.read()
        while chunk:
            yield chunk
            chunk = self.read()


def error_document(status: int, code: str, message: str, *, request_id: bool = True) -> Any:
    """An S3 error answer as S3 sends it: an XML Error document, with S3's request id."""
    body = f"<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
    headers = {"Content-Type": "application/xml"}
    if request_id:
        headers |= {"x-amz-request-id": REQUEST_ID, "x-amz-id-2": "test-host-id"}
    return lambda url: AWSResponse(url, status, headers, _Raw(body.encode()))


@dataclass
class VirtualClock:
    """The Lambda's time left, in virtual milliseconds: it moves only when told."""

    left_ms: float
    lowest_ms: float = field(init=False)

    def __post_init__(self) -> None:
        self.lowest_ms = self.left_ms

    def time_left_ms(self) -> float:
        return self.left_ms

    def advance(self, ms: float) -> None:
        self.left_ms -= ms
        self.lowest_ms = min(self.lowest_ms, self.left_ms)

    def sleep(self, seconds: float) -> None:
        self.advance(seconds * 1000)

    def install(self, monkeypatch: Any) -> VirtualClock:
        """botocore's waits between attempts (endpoint.time.sleep) advance this clock."""
        monkeypatch.setattr(botocore.endpoint, "time", SimpleNamespace(sleep=self.sleep))
        return self


# What a rule does to an attempt. Each gets the request, what the client waits at most
# for one attempt (ms), the clock, and a function that lets moto answer the request.
Fault = Callable[[Any, float, VirtualClock | None, Callable[[Any], Any]], Any]


def timeout(request: Any, attempt_ms: float, clock: VirtualClock | None, _: Any) -> Any:
    """No answer within the client's timeouts: the attempt costs all of them."""
    if clock is not None:
        clock.advance(attempt_ms)
    raise ReadTimeoutError(endpoint_url=request.url)


def reset(request: Any, *_: Any) -> Any:
    raise ConnectionClosedError(endpoint_url=request.url)


def unreachable(request: Any, *_: Any) -> Any:
    raise EndpointConnectionError(endpoint_url=request.url)


def answer(status: int, code: str, message: str = "", *, request_id: bool = True) -> Fault:
    """An HTTP answer of the wire's own instead of moto's."""
    document = error_document(status, code, message or code, request_id=request_id)
    return lambda request, *_: document(request.url)


def lost_reply(request: Any, attempt_ms: float, clock: Any, moto: Callable[[Any], Any]) -> Any:
    """The request lands (moto performs it), the reply never comes back."""
    moto(request)
    raise ConnectionClosedError(endpoint_url=request.url)


def refuse_versions(name: str, code: str = "AccessDenied") -> Fault:
    """DeleteObjects deletes every version it is asked to except those of objects named
    `name`, which it lists as refused (a 200 answer with <Error> entries, as S3 does)."""
    entry = re.compile(r"<Object>(?:(?!</Object>).)*</Object>", re.S)

    def refusing(request: Any, attempt_ms: float, clock: Any, moto: Any) -> Any:
        body = request.body.decode() if isinstance(request.body, bytes) else request.body
        refused = [e for e in entry.findall(body) if re.search(rf"<Key>[^<]*/{name}</Key>", e)]
        for e in refused:
            body = body.replace(e, "")
        request.body = body.encode()
        request.headers.pop("Content-MD5", None)
        for header in [h for h in request.headers if h.lower().startswith("x-amz-checksum-")]:
            request.headers.pop(header)
        response = moto(request)
        errors = "".join(
            f"<Error>{re.sub(r'</?Object>', '', e)}<Code>{code}</Code>"
            f"<Message>refused</Message></Error>"
            for e in refused
        )
        content = response.content.decode().replace("</DeleteResult>", errors + "</DeleteResult>")
        return AWSResponse(
            response.url, response.status_code, response.headers, _Raw(content.encode())
        )

    return refusing


@dataclass
class Rule:
    operation: str  # "PutObject", ... or "*"
    name: str  # the object's name (the URL's last path segment), or "*"
    fault: Fault
    times: int | None = None  # the first `times` matching attempts; None: every one
    hits: int = 0


@dataclass
class Wire:
    """The network under the probe's clients (see the module's docstring)."""

    rules: list[Rule]
    clock: VirtualClock | None = None
    attempts: Counter[tuple[str, str]] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def attach(self, clients: probe.Clients) -> Wire:
        for client in every_client(clients):
            config = client.meta.config
            attempt_ms = (config.connect_timeout + config.read_timeout) * 1000
            hook = functools.partial(self._send, attempt_ms)
            # The wire answers in moto's place (botocore calls every before-send handler,
            # so moto must not also perform a request the wire refused).
            client.meta.events.unregister("before-send", botocore_stubber)
            client.meta.events.register_first("before-send", hook)
        return self

    def _send(self, attempt_ms: float, request: Any, event_name: str, **kwargs: Any) -> Any:
        operation = event_name.rsplit(".", 1)[-1]
        name = request.url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
        with self.lock:
            self.attempts[(operation, name)] += 1
            rule = next((r for r in self.rules if self._matches(r, operation, name)), None)
            if rule is not None:
                rule.hits += 1

        def moto(req: Any) -> Any:
            return botocore_stubber(event_name=event_name, request=req)

        if rule is None:
            return moto(request)
        return rule.fault(request, attempt_ms, self.clock, moto)

    @staticmethod
    def _matches(rule: Rule, operation: str, name: str) -> bool:
        return (
            rule.operation in ("*", operation)
            and rule.name in ("*", name)
            and (rule.times is None or rule.hits < rule.times)
        )

    def count(self, operation: str, name: str = "*") -> int:
        """Attempts of that operation (on that object) put on the wire."""
        return sum(
            n for (op, nm), n in self.attempts.items() if op == operation and name in ("*", nm)
        )
