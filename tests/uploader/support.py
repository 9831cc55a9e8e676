"""Helpers of the uploader and `make live-proof` tests (their fixtures: conftest.py).

A moto "deployment" of the bucket the stacks build (versioned, default encryption, key and
alias) without the bucket policy: moto would treat every conditional Deny as
unconditional. Where a test needs S3 or KMS to refuse something, `Refuser` answers a
request with a real botocore error response (before-call hook), so the probe sees the same
ClientError it would get from AWS. moto has no UpdateObjectEncryption: `ObjectEncryptionUpdates`
answers it as S3 documents it (the version's encryption changes in place).
"""

from __future__ import annotations

import base64
import threading
from dataclasses import dataclass, field
from typing import Any

import boto3
import moto  # noqa: F401  (its botocore hooks must exist before SESSION is made)
from botocore.awsrequest import AWSResponse

import handler
import probe
import scenarios as sc
from encrypted_s3 import vocabulary

REGION = "eu-west-1"
STRICT_KMS = vocabulary.Config("sse-kms", "strict")
# The S3 call of each write operation that carries the encryption it asks for.
WRITE_CALL = {
    "put": "PutObject",
    "multipart": "CreateMultipartUpload",
    "copy": "CopyObject",
    "update-encryption": "UpdateObjectEncryption",  # in the request body, not in headers
}
ACCOUNT = "123456789012"  # moto's default account
BUCKET = "encrypted-s3-probe-test"
PREFIX = "probe"  # the uploader stack's PROBE_PREFIX
ALIAS = "alias/encrypted-s3-dev"
PROJECT_KEY_ID = "2b7c1f4e-5d6a-4b8c-9e0f-112233445566"
FUNCTION_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:uploader"

# boto3 parameter -> the header it becomes (the S3 condition key without "s3:")
SSE_HEADERS = (
    "x-amz-server-side-encryption",
    "x-amz-server-side-encryption-aws-kms-key-id",
    "x-amz-server-side-encryption-customer-algorithm",
    "x-amz-server-side-encryption-customer-key",
    "x-amz-server-side-encryption-customer-key-md5",
)


class FakeContext:
    """The parts of the Lambda context the handler uses."""

    invoked_function_arn = FUNCTION_ARN
    aws_request_id = "test-request-id"

    def __init__(self, remaining_ms: Any = 300_000) -> None:
        self._remaining = remaining_ms

    def get_remaining_time_in_millis(self) -> float:
        return self._remaining() if callable(self._remaining) else self._remaining


@dataclass
class MotoDeployment:
    s3: Any  # an admin client, apart from the probe's
    key_arn: str | None
    keys: sc.KeyRefs
    clients: probe.Clients
    target: probe.Target
    updates: ObjectEncryptionUpdates  # what the probe's UpdateObjectEncryption calls did

    def versions(self, prefix: str = "") -> list[tuple[str, str]]:
        """Every object version and delete marker in the bucket under prefix."""
        page = self.s3.list_object_versions(Bucket=BUCKET, Prefix=prefix)
        items = page.get("Versions", []) + page.get("DeleteMarkers", [])
        return sorted((item["Key"], item["VersionId"]) for item in items)

    def uploads(self) -> list[str]:
        return [u["Key"] for u in self.s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])]


def every_client(clients: probe.Clients) -> list[Any]:
    """The probe's clients: S3 over TLS, over plain HTTP, the cleanup's, and KMS."""
    return [clients.s3(), clients.s3_http(), clients.s3_cleanup(), clients.kms()]


# One boto3 session for every test: clients made from it share its loaded service models.
SESSION = boto3.session.Session(region_name=REGION)


def make_bucket(s3: Any, config: vocabulary.Config, key_arn: str | None, bucket_key: bool) -> None:
    """The versioned bucket with its default encryption, as the bucket stack makes it."""
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    default: dict[str, Any] = {"SSEAlgorithm": config.algorithm}
    if key_arn:
        default["KMSMasterKeyID"] = key_arn
    rule = {"ApplyServerSideEncryptionByDefault": default, "BucketKeyEnabled": bucket_key}
    s3.put_bucket_encryption(Bucket=BUCKET, ServerSideEncryptionConfiguration={"Rules": [rule]})


def lambda_env(monkeypatch: Any, config: vocabulary.Config, key_arn: str | None) -> None:
    """The uploader's environment, as the uploader stack sets it."""
    env = {
        "BUCKET_NAME": BUCKET,
        "PROBE_PREFIX": PREFIX,
        "ENCRYPTION": config.encryption,
        "HEADER_POLICY": config.header_policy,
        "AWS_REGION": REGION,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for name in ("KEY_ARN", "KEY_ALIAS"):
        monkeypatch.delenv(name, raising=False)
    if key_arn:
        monkeypatch.setenv("KEY_ARN", key_arn)
        monkeypatch.setenv("KEY_ALIAS", ALIAS)


def deploy(
    monkeypatch: Any,
    config: vocabulary.Config,
    *,
    bucket_key: bool | None = None,
    real_key: bool = False,
) -> MotoDeployment:
    """Inside mock_aws: the bucket, the Lambda environment, and fresh probe clients for
    the handler. moto's S3 never looks a KMS key up, so the project key is only an ARN
    unless real_key (a moto KMS key + alias: slow, moto makes an RSA key for it) is asked
    for."""
    s3 = SESSION.client("s3")
    key_arn = None
    if config.uses_kms and real_key:
        kms = SESSION.client("kms")
        key_arn = kms.create_key(Description="project key")["KeyMetadata"]["Arn"]
        kms.create_alias(AliasName=ALIAS, TargetKeyId=key_arn)
    elif config.uses_kms:
        key_arn = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{PROJECT_KEY_ID}"
    make_bucket(s3, config, key_arn, config.bucket_key if bucket_key is None else bucket_key)
    lambda_env(monkeypatch, config, key_arn)
    keys = sc.KeyRefs.build("aws", REGION, ACCOUNT, key_arn, ALIAS if key_arn else None)
    clients = probe.Clients(REGION, session_factory=lambda: SESSION)
    updates = ObjectEncryptionUpdates().attach(clients)  # moto lacks the API
    monkeypatch.setattr(handler, "_clients", clients)  # the handler uses these; undone after
    target = probe.Target(BUCKET, PREFIX, config, keys)
    return MotoDeployment(s3, key_arn, keys, clients, target, updates)


@dataclass(frozen=True)
class Sent:
    operation: str
    method: str
    url: str
    sse: dict[str, str]  # the x-amz-server-side-encryption* headers, lower-case names

    @property
    def object_name(self) -> str:
        """The last path segment of the URL: the probe names objects after scenarios."""
        return self.url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]


@dataclass
class Recorder:
    """Every request the probe's clients put on the wire (botocore before-send hook)."""

    sent: list[Sent] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, request: Any, event_name: str, **kwargs: Any) -> None:
        headers = {name.lower(): value for name, value in request.headers.items()}
        sse = {
            name: value.decode() if isinstance(value, bytes) else value
            for name, value in headers.items()
            if name in SSE_HEADERS
        }
        with self.lock:
            self.sent.append(Sent(event_name.rsplit(".", 1)[-1], request.method, request.url, sse))

    def attach(self, clients: probe.Clients) -> Recorder:
        for client in every_client(clients):
            client.meta.events.register("before-send", self)
        return self

    def for_key(self, key: str) -> list[Sent]:
        return [s for s in self.sent if s.object_name == key]


def expected_headers(sse: sc.Sse, keys: sc.KeyRefs) -> dict[str, str]:
    """The headers the table says a request carries: its S3 condition keys, as headers
    (plus the SSE-C key itself, which is no condition key)."""
    headers = {name.removeprefix("s3:"): value for name, value in sc.s3_context(sse, keys).items()}
    if sse.customer_key:
        headers["x-amz-server-side-encryption-customer-key"] = base64.b64encode(
            sc.SSE_C_KEY
        ).decode()
    return headers


def sent_headers(sent: Sent) -> dict[str, str]:
    return {
        k: v for k, v in sent.sse.items() if k != "x-amz-server-side-encryption-customer-key-md5"
    }


REQUEST_ID = "TESTREQUESTID0001"  # answers carry a request id, as S3's do


def _answer(params: dict[str, Any], status: int, parsed: dict[str, Any]) -> tuple[Any, dict]:
    """What a before-call hook returns to answer a request without sending it."""
    parsed = {**parsed, "ResponseMetadata": {"HTTPStatusCode": status, "RequestId": REQUEST_ID}}
    return AWSResponse(params.get("url", ""), status, {}, None), parsed


def denied_message(operation: str) -> str:
    """S3's AccessDenied message for a same-account caller denied by the bucket policy."""
    return (
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/uploader/uploader is not authorized to "
        f"perform: s3:{operation} with an explicit deny in a resource-based policy"
    )


@dataclass
class Refuser:
    """Answers chosen requests with an AWS error instead of sending them.

    rules: (operation or "*", object-name suffix or "*") -> (HTTP status, error code), an
    exception instance to raise (a scenario that blows up midway), or a dict: the parsed
    body of a successful (200) answer.
    """

    rules: dict[tuple[str, str], Any]
    refused: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, model: Any, params: dict[str, Any], **kwargs: Any) -> Any:
        operation = model.name
        name = params.get("url_path", "").split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
        for (rule_op, rule_name), answer in self.rules.items():
            if rule_op in ("*", operation) and rule_name in ("*", name):
                with self.lock:
                    self.refused.append((operation, name))
                if isinstance(answer, BaseException):
                    raise answer
                if isinstance(answer, dict):
                    return _answer(params, 200, answer)
                status, code = answer
                message = denied_message(operation) if code == "AccessDenied" else "refused"
                error = {"Code": code, "Message": message} if code else {}
                return _answer(params, status, {"Error": error})
        return None

    def attach(self, clients: probe.Clients) -> Refuser:
        for client in every_client(clients):
            client.meta.events.register("before-call", self)
        return self


def refuse_as_the_table_says(config: vocabulary.Config) -> dict[tuple[str, str], Any]:
    """Rules that refuse exactly the writes the table expects denied, with AccessDenied, as
    the deployed bucket policy would (used to test the probe's bookkeeping, not the rules)."""
    rules: dict[tuple[str, str], Any] = {}
    for scenario in sc.scenarios_for(config):
        if not scenario.live or scenario.expect_as(config, sc.UPLOADER).outcome != sc.DENIED:
            continue
        if scenario.operation == "kms-direct":
            rules[("GenerateDataKey", "*")] = (400, "AccessDeniedException")
            rules[("Decrypt", "*")] = (400, "AccessDeniedException")
        else:
            rules[(WRITE_CALL[scenario.operation], scenario.name)] = (403, "AccessDenied")
    return rules


@dataclass
class ObjectEncryptionUpdates:
    """S3's UpdateObjectEncryption, which moto lacks, as S3 documents it: the encryption
    of that object version changes in place (no new version); head_object then reports it.

    Records the API parameters of every call (`calls`). Attach a Refuser first to refuse
    some of them: the first hook that answers wins.
    """

    calls: list[dict[str, Any]] = field(default_factory=list)
    updated: dict[tuple[str, str | None], dict[str, Any]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def attach(self, clients: probe.Clients) -> ObjectEncryptionUpdates:
        events = clients.s3().meta.events
        events.register("before-parameter-build.s3", self._keep_params)
        # Last on the Refuser's event: a Refuser attached before or after answers first.
        events.register_last("before-call", self._call)
        return self

    def _call(self, model: Any, **kwargs: Any) -> Any:
        if model.service_model.service_name != "s3":
            return None
        if model.name == "UpdateObjectEncryption":
            return self._update(**kwargs)
        if model.name == "HeadObject":
            return self._head(**kwargs)
        return None

    @staticmethod
    def _keep_params(params: dict[str, Any], context: dict[str, Any], **kwargs: Any) -> None:
        context["api_params"] = dict(params)

    def _update(self, params: dict[str, Any], context: dict[str, Any], **kwargs: Any) -> Any:
        api = context["api_params"]
        kms = api["ObjectEncryption"]["SSEKMS"]
        stored = {
            "ServerSideEncryption": "aws:kms",
            "SSEKMSKeyId": kms["KMSKeyArn"],
            "BucketKeyEnabled": kms.get("BucketKeyEnabled", False),
        }
        with self.lock:
            self.calls.append(api)
            self.updated[(api["Key"], api.get("VersionId"))] = stored
        return _answer(params, 200, {})

    def _head(self, params: dict[str, Any], context: dict[str, Any], **kwargs: Any) -> Any:
        api = context["api_params"]
        with self.lock:
            stored = self.updated.get((api["Key"], api.get("VersionId")))
        if stored is None:
            return None  # moto answers
        return _answer(params, 200, {**stored, "VersionId": api.get("VersionId")})
