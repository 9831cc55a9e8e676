"""How the probe reaches AWS: boto3 clients, made lazily and once, from one Session.

The clients are typed by the calls the probe makes (S3Client, KmsClient): boto3 ships no
type information, so `Clients._client` is the one place where its `Any` comes in.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any, Protocol

DEFAULT_CONCURRENCY = 8
MAX_CONCURRENCY = 32  # the most a prove event may ask for; one connection each

# The cleanup's client: short timeouts and one retry, so that one call has a known worst
# case (cleanup_call_bound_ms) the cleanup can check the time left against.
CLEANUP_CONNECT_S = 2
CLEANUP_READ_S = 5
CLEANUP_ATTEMPTS = 2  # in all, the first included
# botocore's standard retry mode waits at most rand(0, 1) * 2**(attempt - 1) s before a
# retry, raised by an x-amz-retry-after header by at most 5 s more.
RETRY_AFTER_MAX_S = 5


def retry_wait_bound_s(attempts: int) -> float:
    """The longest botocore's standard mode waits in all between `attempts` attempts."""
    return float(sum(2 ** (i - 1) + RETRY_AFTER_MAX_S for i in range(1, attempts)))


def cleanup_call_bound_ms() -> float:
    """The longest one cleanup call may take: every attempt connects and waits for its
    answer up to the timeouts, with botocore's longest waits in between (an attempt whose
    answer keeps trickling in past the read timeout is the one case outside it)."""
    attempt_s = CLEANUP_CONNECT_S + CLEANUP_READ_S
    return (CLEANUP_ATTEMPTS * attempt_s + retry_wait_bound_s(CLEANUP_ATTEMPTS)) * 1000


class S3Client(Protocol):
    """The S3 calls the probe makes (boto3 keyword arguments, response dicts)."""

    @property
    def meta(self) -> Any: ...
    def put_object(self, **kwargs: Any) -> dict[str, Any]: ...
    def head_object(self, **kwargs: Any) -> dict[str, Any]: ...
    def get_object(self, **kwargs: Any) -> dict[str, Any]: ...
    def copy_object(self, **kwargs: Any) -> dict[str, Any]: ...
    def create_multipart_upload(self, **kwargs: Any) -> dict[str, Any]: ...
    def upload_part(self, **kwargs: Any) -> dict[str, Any]: ...
    def complete_multipart_upload(self, **kwargs: Any) -> dict[str, Any]: ...
    def abort_multipart_upload(self, **kwargs: Any) -> dict[str, Any]: ...
    def list_multipart_uploads(self, **kwargs: Any) -> dict[str, Any]: ...
    def update_object_encryption(self, **kwargs: Any) -> dict[str, Any]: ...
    def list_object_versions(self, **kwargs: Any) -> dict[str, Any]: ...
    def delete_objects(self, **kwargs: Any) -> dict[str, Any]: ...
    def upload_file(self, *args: Any, **kwargs: Any) -> None: ...


class KmsClient(Protocol):
    """The KMS calls the probe makes."""

    @property
    def meta(self) -> Any: ...
    def generate_data_key(self, **kwargs: Any) -> dict[str, Any]: ...
    def decrypt(self, **kwargs: Any) -> dict[str, Any]: ...


class Clients:
    """boto3 clients, created lazily and once (thread-safe), from one boto3 Session.

    endpoint_url points S3 and KMS at something other than AWS (a moto server, for
    example). The plain-HTTP S3 client uses the same endpoint with the http:// scheme, or
    `use_ssl=False` against AWS; it refuses to exist if it would not speak plain HTTP.
    session_factory returns a boto3 Session (default: `boto3.session.Session()`).
    """

    def __init__(
        self,
        region: str | None = None,
        *,
        endpoint_url: str | None = None,
        kms_endpoint_url: str | None = None,
        max_pool_connections: int = MAX_CONCURRENCY + 8,  # a thread each, and headroom
        session_factory: Callable[[], Any] | None = None,
    ) -> None:
        self.region = region
        self.endpoint_url = endpoint_url
        self.kms_endpoint_url = kms_endpoint_url or endpoint_url
        self.max_pool_connections = max_pool_connections
        self._session_factory = session_factory
        self._session: Any = None
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def s3(self) -> S3Client:
        client: S3Client = self._cached("s3", self._make_s3)
        return client

    def s3_cleanup(self) -> S3Client:
        """The S3 client of the cleanup: short timeouts, few attempts (see above)."""
        client: S3Client = self._cached("s3-cleanup", self._make_s3_cleanup)
        return client

    def s3_http(self) -> S3Client:
        client: S3Client = self._cached("s3-http", self._make_s3_http)
        return client

    def kms(self) -> KmsClient:
        client: KmsClient = self._cached(
            "kms", lambda: self._client("kms", endpoint_url=self.kms_endpoint_url)
        )
        return client

    def _cached(self, name: str, make: Callable[[], Any]) -> Any:
        client = self._clients.get(name)
        if client is None:
            # boto3 sessions are not thread-safe: create clients under the lock.
            with self._lock:
                client = self._clients.get(name)
                if client is None:
                    client = self._clients[name] = make()
        return client

    def _client(
        self,
        service: str,
        *,
        connect_timeout: float = 5,
        read_timeout: float = 30,
        retries: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        from botocore.config import Config

        if self._session is None:
            if self._session_factory is not None:
                self._session = self._session_factory()
            else:
                import boto3.session

                self._session = boto3.session.Session()
        config = Config(
            region_name=self.region,
            retries=retries or {"mode": "standard", "max_attempts": 3},
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            max_pool_connections=self.max_pool_connections,
            user_agent_extra="encrypted-s3-probe",
        )
        kwargs = {k: v for k, v in kwargs.items() if v is not None}
        return self._session.client(service, config=config, **kwargs)

    def _make_s3(self) -> Any:
        return self._client("s3", endpoint_url=self.endpoint_url)

    def _make_s3_cleanup(self) -> Any:
        return self._client(
            "s3",
            endpoint_url=self.endpoint_url,
            connect_timeout=CLEANUP_CONNECT_S,
            read_timeout=CLEANUP_READ_S,
            retries={"mode": "standard", "total_max_attempts": CLEANUP_ATTEMPTS},
        )

    def _make_s3_http(self) -> Any:
        endpoint = (
            self.endpoint_url
            or os.environ.get("AWS_ENDPOINT_URL_S3")
            or os.environ.get("AWS_ENDPOINT_URL")
        )
        if endpoint:
            client = self._client("s3", endpoint_url=plain_http(endpoint))
        else:
            client = self._client("s3", use_ssl=False)
        if not client.meta.endpoint_url.startswith("http://"):
            raise RuntimeError(f"the plain-HTTP client would use {client.meta.endpoint_url}")
        return client


def plain_http(url: str) -> str:
    """The same endpoint with the http:// scheme."""
    return "http://" + url.split("://", 1)[1] if "://" in url else "http://" + url
