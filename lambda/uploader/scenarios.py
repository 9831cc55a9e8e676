"""The scenario table: the one source of truth for the live probe and the offline proof.

Every expectation below is written from the rules in docs/design.md, "The rules" (the
bucket policy, the key policy and the bucket settings), never computed by running the stacks'
policy code: this module is the specification the deployed and synthesized policies are
checked against. It imports nothing outside the standard library, so the Lambda bundles
it as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

ENCRYPTIONS = ("sse-kms", "dsse-kms", "sse-s3")
HEADER_POLICIES = ("strict", "default-aware")

# The x-amz-server-side-encryption value each encryption mode requires.
ALGORITHM = {"sse-kms": "aws:kms", "dsse-kms": "aws:kms:dsse", "sse-s3": "AES256"}

ALLOWED = "allowed"
DENIED = "denied"
# What else a row's "actual" may say (the live probe and the offline proof alike).
ERROR = "error"
STORED_WRONG = "stored wrong"  # allowed, but not stored as the bucket promises
NOT_RUN = "not run"  # only for scenarios the live probe cannot perform (Scenario.live)
ACTUALS = (ALLOWED, DENIED, ERROR, STORED_WRONG, NOT_RUN)

# Symbolic keys a request can name; the probe and the proof turn them into ARNs.
PROJECT_KEY = "project"  # the app's KMS key, by ARN
PROJECT_ALIAS = "project-alias"  # the app's KMS key, by alias ARN
OTHER_KEY = "other"  # a key ARN in the same account that is not the app's key


@dataclass(frozen=True)
class Config:
    """What the deployed bucket promises: the two settings the rules depend on."""

    encryption: str
    header_policy: str

    def __post_init__(self) -> None:
        if self.encryption not in ENCRYPTIONS:
            raise ValueError(
                f"encryption {self.encryption!r} is not one of {', '.join(ENCRYPTIONS)}"
            )
        if self.header_policy not in HEADER_POLICIES:
            raise ValueError(
                f"header_policy {self.header_policy!r} is not one of {', '.join(HEADER_POLICIES)}"
            )

    @property
    def algorithm(self) -> str:
        return ALGORITHM[self.encryption]

    @property
    def uses_kms(self) -> bool:
        return self.encryption != "sse-s3"

    @property
    def bucket_key(self) -> bool:
        # S3 Bucket Keys exist for SSE-KMS only (not for DSSE-KMS, not for SSE-S3).
        return self.encryption == "sse-kms"

    @property
    def label(self) -> str:
        return f"{self.encryption}/{self.header_policy}"


def all_configs() -> list[Config]:
    return [Config(e, h) for e in ENCRYPTIONS for h in HEADER_POLICIES]


@dataclass(frozen=True)
class Sse:
    """The encryption headers of one request (None: the header is not sent)."""

    algorithm: str | None = None
    key: str | None = None  # PROJECT_KEY, PROJECT_ALIAS, OTHER_KEY
    customer_key: bool = False  # SSE-C

    @property
    def names_encryption(self) -> bool:
        """False for a request S3 encrypts with the bucket default."""
        return self.algorithm is not None or self.customer_key

    @staticmethod
    def required(config: Config) -> Sse:
        """The headers a well-behaved client sends for this bucket."""
        return Sse(config.algorithm, PROJECT_KEY if config.uses_kms else None)

    def describe(self) -> str:
        if self.customer_key:
            return "SSE-C"
        if self.algorithm is None:
            return "no header"
        return self.algorithm if self.key is None else f"{self.algorithm} + {self.key} key"


# Key ids of keys the app does not own: the bucket policy must refuse them before
# S3 ever asks KMS, so they need not exist.
OTHER_KEY_ID = "00000000-0000-4000-8000-000000000000"
ABSENT_PROJECT_KEY_ID = "11111111-1111-4111-8111-111111111111"
ABSENT_PROJECT_ALIAS = "alias/no-project-key"


@dataclass(frozen=True)
class KeyRefs:
    """Concrete identifiers for the symbolic keys, live or offline."""

    project_arn: str
    alias_arn: str
    other_arn: str

    @staticmethod
    def build(
        partition: str,
        region: str,
        account: str,
        project_arn: str | None = None,
        alias_name: str | None = None,
    ) -> KeyRefs:
        """In SSE-S3 mode the app has no key: "project" requests name an absent one."""
        prefix = f"arn:{partition}:kms:{region}:{account}:"
        return KeyRefs(
            project_arn=project_arn or f"{prefix}key/{ABSENT_PROJECT_KEY_ID}",
            alias_arn=prefix + (alias_name or ABSENT_PROJECT_ALIAS),
            other_arn=f"{prefix}key/{OTHER_KEY_ID}",
        )

    def arn(self, key: str) -> str:
        return {
            PROJECT_KEY: self.project_arn,
            PROJECT_ALIAS: self.alias_arn,
            OTHER_KEY: self.other_arn,
        }[key]


# A fixed SSE-C key: the probe only needs the request to carry one, never to read it back.
SSE_C_KEY = b"0123456789abcdef0123456789abcdef"


def boto3_sse_args(sse: Sse, keys: KeyRefs) -> dict[str, str | bytes]:
    """How the live probe states the headers: boto3 put_object/copy_object arguments."""
    if sse.customer_key:
        return {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": SSE_C_KEY}
    args: dict[str, str | bytes] = {}
    if sse.algorithm is not None:
        args["ServerSideEncryption"] = sse.algorithm
    if sse.key is not None:
        args["SSEKMSKeyId"] = keys.arn(sse.key)
    return args


# The S3 condition keys of the encryption headers.
ALGORITHM_KEY = "s3:x-amz-server-side-encryption"
KMS_KEY_ID_KEY = "s3:x-amz-server-side-encryption-aws-kms-key-id"
CUSTOMER_ALGORITHM_KEY = "s3:x-amz-server-side-encryption-customer-algorithm"


def s3_context(sse: Sse, keys: KeyRefs) -> dict[str, str]:
    """How the offline proof states the headers: S3 condition keys of the request."""
    if sse.customer_key:
        return {CUSTOMER_ALGORITHM_KEY: "AES256"}
    context: dict[str, str] = {}
    if sse.algorithm is not None:
        context[ALGORITHM_KEY] = sse.algorithm
    if sse.key is not None:
        context[KMS_KEY_ID_KEY] = keys.arn(sse.key)
    return context


@dataclass(frozen=True)
class Expectation:
    outcome: str  # ALLOWED or DENIED
    because: str  # the rule of docs/design.md, "The rules", that decides


def expected_write(sse: Sse, config: Config) -> Expectation:
    """The bucket's rules for one write (PutObject, CopyObject, CreateMultipartUpload)."""
    if sse.customer_key:
        return Expectation(DENIED, "SSE-C is refused (DenySseC, BlockedEncryptionTypes)")
    if sse.algorithm is None:
        if config.header_policy == "strict":
            return Expectation(DENIED, "strict: a write must name its encryption")
        return Expectation(ALLOWED, "default-aware: no header gets the bucket default")
    if sse.algorithm != config.algorithm:
        return Expectation(DENIED, f"only {config.algorithm} is accepted")
    if not config.uses_kms:
        return Expectation(ALLOWED, "the required algorithm")
    if sse.key is None:
        return Expectation(DENIED, "no key id means the aws/s3 managed key")
    if sse.key != PROJECT_KEY:
        return Expectation(DENIED, "only the project key, by ARN, is accepted")
    return Expectation(ALLOWED, "the required algorithm and key")


@dataclass(frozen=True)
class Stored:
    """How S3 stores an object: what head_object reports."""

    algorithm: str
    key_arn: str | None
    bucket_key: bool

    @staticmethod
    def promised(config: Config, keys: KeyRefs) -> Stored:
        """What every object in the bucket must be stored with."""
        return Stored(
            config.algorithm, keys.project_arn if config.uses_kms else None, config.bucket_key
        )

    def describe(self, keys: KeyRefs) -> str:
        """The "stored" column of the live and the offline table alike."""
        parts = [self.algorithm]
        if self.key_arn:
            known = {keys.project_arn: "project key", keys.other_arn: "other key"}
            # Any other key: its id or alias name shows it is not the project key.
            parts.append(known.get(self.key_arn, self.key_arn.rsplit(":", 1)[-1]))
        if self.bucket_key:
            parts.append("bucket key")
        return " + ".join(parts)


@dataclass(frozen=True)
class IamRequest:
    """One authorization AWS makes for a scenario (offline proof)."""

    step: str  # the API call, e.g. "UploadPart"
    service: str  # "s3" or "kms"
    action: str
    resource: str  # "object", "source-object" or "key": the proof makes it an ARN
    context: dict[str, str] = field(default_factory=dict)
    principal: str = "uploader"  # or "account-admin"


OPERATIONS = ("put", "multipart", "copy", "get", "kms-direct")


@dataclass(frozen=True)
class Scenario:
    name: str
    seed: str  # the seed article's wording (docs/design.md, "Where it comes from")
    operation: str  # one of OPERATIONS
    sse: Callable[[Config], Sse]
    expect: Callable[[Config], Expectation]
    secure_transport: bool = True
    tls_version: str = "1.3"
    applies: Callable[[Config], bool] = lambda config: True
    live: bool = True  # False: AWS endpoints refuse the request before any policy runs

    def writes(self) -> bool:
        return self.operation in ("put", "multipart", "copy")

    def iam_requests(self, config: Config, keys: KeyRefs) -> list[IamRequest]:
        """How the offline proof states the scenario: every authorization it needs.

        Multipart: CreateMultipartUpload, UploadPart and CompleteMultipartUpload are
        all authorized as s3:PutObject. ASSUMPTION (settled only by the live probe):
        UploadPart and CompleteMultipartUpload are evaluated with the encryption
        headers of CreateMultipartUpload.
        """
        transport = {
            "aws:SecureTransport": "true" if self.secure_transport else "false",
            "s3:TlsVersion": self.tls_version,
        }
        if self.operation == "kms-direct":
            # No kms:ViaService: the caller talks to KMS itself.
            return [
                IamRequest(
                    action.split(":")[1],
                    "kms",
                    action,
                    "key",
                    {"kms:CallerAccount": "{account}"},
                    "account-admin",
                )
                for action in ("kms:Decrypt", "kms:GenerateDataKey")
            ]
        sse = self.sse(config)
        if self.operation == "get":
            requests = [IamRequest("GetObject", "s3", "s3:GetObject", "object", transport)]
            stored_with = Sse.required(config)
        else:
            put = {**transport, **s3_context(sse, keys)}
            steps = {
                "put": ["PutObject"],
                "multipart": ["CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload"],
                "copy": ["CopyObject"],
            }[self.operation]
            requests = [IamRequest(step, "s3", "s3:PutObject", "object", put) for step in steps]
            if self.operation == "copy":
                requests.append(
                    IamRequest(
                        "CopyObject (source)", "s3", "s3:GetObject", "source-object", transport
                    )
                )
            # A write without headers is stored with the bucket default.
            stored_with = sse if sse.names_encryption else Sse.required(config)
        # S3 calls KMS with the caller's credentials for an object under the project key.
        if config.uses_kms and stored_with.key == PROJECT_KEY:
            via_s3 = {
                "kms:ViaService": "s3.{region}.amazonaws.com",
                "kms:CallerAccount": "{account}",
            }
            kms_actions = {
                "put": ["kms:GenerateDataKey"],
                "multipart": ["kms:GenerateDataKey", "kms:Decrypt"],
                "copy": ["kms:GenerateDataKey", "kms:Decrypt"],
                "get": ["kms:Decrypt"],
            }[self.operation]
            requests += [
                IamRequest(f"{requests[0].step} via S3", "kms", action, "key", via_s3)
                for action in kms_actions
            ]
        return requests


def _fixed(sse: Sse) -> Callable[[Config], Sse]:
    return lambda config: sse


def _write(sse_of: Callable[[Config], Sse]) -> Callable[[Config], Expectation]:
    return lambda config: expected_write(sse_of(config), config)


def _always(outcome: str, because: str) -> Callable[[Config], Expectation]:
    return lambda config: Expectation(outcome, because)


def _writes(name: str, seed: str, operation: str, sse_of: Callable[[Config], Sse]) -> Scenario:
    """A write over TLS, expected as its headers and the rules decide (expected_write)."""
    return Scenario(name, seed, operation, sse_of, _write(sse_of))


def _put(name: str, seed: str, sse: Sse) -> Scenario:
    return _writes(name, seed, "put", _fixed(sse))


SCENARIOS: tuple[Scenario, ...] = (
    _put("no-header", "no encryption header", Sse()),
    _put("sse-s3", "SSE-S3 AES256 (the seed's first script)", Sse("AES256")),
    _put("sse-kms-aws-managed", "SSE-KMS aws:kms, no key id (aws/s3 managed key)", Sse("aws:kms")),
    _put("sse-kms-project-key", "SSE-KMS with the project key ARN", Sse("aws:kms", PROJECT_KEY)),
    _put(
        "sse-kms-project-alias",
        "SSE-KMS with the project key by alias",
        Sse("aws:kms", PROJECT_ALIAS),
    ),
    _put("sse-kms-other-key", "SSE-KMS with another key's ARN", Sse("aws:kms", OTHER_KEY)),
    _put(
        "dsse-kms-project-key",
        "DSSE-KMS aws:kms:dsse with the project key",
        Sse("aws:kms:dsse", PROJECT_KEY),
    ),
    _put("sse-c", "SSE-C (customer key)", Sse(customer_key=True)),
    _writes(
        "multipart-required",
        "multipart upload (>= 2 parts) with the required headers",
        "multipart",
        Sse.required,
    ),
    _writes("copy-no-header", "copy of an allowed object, no headers", "copy", _fixed(Sse())),
    _writes("copy-required", "copy with the required headers", "copy", Sse.required),
    Scenario(
        "http-required",
        "correct headers over plain HTTP",
        "put",
        Sse.required,
        _always(DENIED, "TLS only (DenyInsecureTransport)"),
        secure_transport=False,
    ),
    Scenario(
        "tls-1.1-required",
        "correct headers over TLS 1.1",
        "put",
        Sse.required,
        _always(DENIED, "TLS 1.2 or newer (DenyOutdatedTls)"),
        tls_version="1.1",
        live=False,  # S3 endpoints no longer accept TLS 1.1 at all
    ),
    Scenario(
        "read-back",
        "read back an allowed object over TLS",
        "get",
        Sse.required,
        _always(ALLOWED, "reads over TLS are allowed"),
    ),
    Scenario(
        "kms-direct",
        "use the key directly, outside S3 (even as an account admin)",
        "kms-direct",
        _fixed(Sse()),
        _always(DENIED, "the key is usable only through S3 (key policy)"),
        applies=lambda config: config.uses_kms,
    ),
)

# The seed's upload_file(..., ExtraArgs=...) choices of the Lambda's "upload" action.
UPLOAD_CHOICES: dict[str, Sse] = {
    "none": Sse(),
    "sse-s3": Sse("AES256"),
    "sse-kms-aws-managed": Sse("aws:kms"),
    "sse-kms": Sse("aws:kms", PROJECT_KEY),
    "dsse-kms": Sse("aws:kms:dsse", PROJECT_KEY),
    "sse-c": Sse(customer_key=True),
}


def scenarios_for(config: Config) -> list[Scenario]:
    return [s for s in SCENARIOS if s.applies(config)]


def by_name(name: str) -> Scenario:
    for scenario in SCENARIOS:
        if scenario.name == name:
            return scenario
    raise KeyError(f"unknown scenario {name!r}; known: {', '.join(s.name for s in SCENARIOS)}")


# --------------------------------------------------------------------------- rows


def row(
    scenario: str,
    seed: str,
    expected: str,
    actual: str,
    detail: str = "",
    stored: str = "",
    ms: float | None = None,
) -> dict[str, object]:
    """One line of the table, live (the Lambda's JSON) and offline alike:

        {"scenario": "no-header", "seed": "no encryption header",
         "expected": "allowed" | "denied", "actual": one of ACTUALS,
         "detail": "DenyMissingEncryptionHeader",   # deciding Sid, layer or error code
         "stored": "aws:kms + key/... + bucket key", # stored encryption of a write, or ""
         "ms": 12 | None, "passed": True}

    "passed" follows from expected and actual, so nobody sets it by hand.
    """
    if actual not in ACTUALS:
        raise ValueError(f"actual {actual!r} is not one of {', '.join(ACTUALS)}")
    return {
        "scenario": scenario,
        "seed": seed,
        "expected": expected,
        "actual": actual,
        "detail": detail,
        "stored": stored,
        "ms": ms,
        "passed": actual == expected,  # "not run" is counted apart, see failed()
    }


def not_run(r: Mapping[str, object]) -> bool:
    # A scenario the live probe cannot perform (e.g. TLS 1.1: endpoints refuse it) is
    # neither a pass nor a failure; the offline proof covers it.
    return r["actual"] == NOT_RUN


def failed(rows: Iterable[Mapping[str, object]]) -> list[str]:
    """Names of the scenarios that failed (the ones not run are not failures)."""
    return [str(r["scenario"]) for r in rows if not r["passed"] and not not_run(r)]
