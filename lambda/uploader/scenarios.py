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

# The S3 condition keys of the encryption headers.
ALGORITHM_KEY = "s3:x-amz-server-side-encryption"
KMS_KEY_ID_KEY = "s3:x-amz-server-side-encryption-aws-kms-key-id"
CUSTOMER_ALGORITHM_KEY = "s3:x-amz-server-side-encryption-customer-algorithm"
ENCRYPTION_CONDITION_KEYS = (ALGORITHM_KEY, KMS_KEY_ID_KEY, CUSTOMER_ALGORITHM_KEY)

# The S3 actions that decide how an object ends up stored, each authorized with the
# encryption condition keys of its request: PutObject (also CopyObject and multipart
# uploads), ReplicateObject (a replica, stored with the headers replication sends) and
# UpdateObjectEncryption (re-keys a stored object, always to SSE-KMS with a key ARN).
STORE_ACTIONS = ("s3:PutObject", "s3:ReplicateObject", "s3:UpdateObjectEncryption")

# Who a scenario runs as in the offline proof. The uploader is the live probe's role;
# the account admin (identity policy Allow * on *) shows what the bucket alone allows;
# a principal of another account with the same identity policy must get nothing.
UPLOADER = "uploader"
ACCOUNT_ADMIN = "account-admin"
OTHER_ACCOUNT = "other-account"
PRINCIPALS = (UPLOADER, ACCOUNT_ADMIN, OTHER_ACCOUNT)
# The policy guard's rows (offline only) add two more: the CloudFormation execution role
# of `cdk deploy` (the only one the guard lets change the policies), and S3 acting for a
# caller of this account, e.g. creating a KMS grant for an AWS resource.
DEPLOY_ROLE = "deploy-role"
AWS_SERVICE = "aws-service"
ALL_PRINCIPALS = (*PRINCIPALS, DEPLOY_ROLE, AWS_SERVICE)

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
    # Setting guard_policies: only the deploy role may change the bucket policy, the
    # bucket's encryption and replication configuration, and the key policy.
    guard_policies: bool = False

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


def expected_update_encryption(sse: Sse, config: Config) -> Expectation:
    """The bucket's rules for UpdateObjectEncryption, which re-keys a stored object and
    always to SSE-KMS with a key ARN: only an SSE-KMS bucket can keep its promise then."""
    if config.algorithm != "aws:kms":
        return Expectation(
            DENIED,
            f"it can only move objects away from {config.algorithm} (DenyUpdateObjectEncryption)",
        )
    return expected_write(sse, config)


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
    principal: str = UPLOADER  # one of PRINCIPALS


# Operations that store an object or change how it is stored (read back when allowed).
WRITE_OPERATIONS = ("put", "multipart", "copy", "update-encryption", "replicate")
# Changes to the bucket's or the key's configuration (the policy guard's rows) and KMS
# grants: one authorization each, on the bucket or the key (no object is involved).
GUARD_OPERATIONS: dict[str, tuple[str, str]] = {
    "put-bucket-policy": ("PutBucketPolicy", "s3:PutBucketPolicy"),
    "delete-bucket-policy": ("DeleteBucketPolicy", "s3:DeleteBucketPolicy"),
    "put-encryption-configuration": ("PutBucketEncryption", "s3:PutEncryptionConfiguration"),
    "put-replication-configuration": ("PutBucketReplication", "s3:PutReplicationConfiguration"),
    "put-key-policy": ("PutKeyPolicy", "kms:PutKeyPolicy"),
    "create-grant": ("CreateGrant", "kms:CreateGrant"),
}
OPERATIONS = (*WRITE_OPERATIONS, "get", "kms-direct", *GUARD_OPERATIONS)

# The S3 authorizations of each operation: (API call, IAM action), each evaluated with
# the encryption condition keys of the request.
_S3_STEPS: dict[str, list[tuple[str, str]]] = {
    "put": [("PutObject", "s3:PutObject")],
    # ASSUMPTION: UploadPart and CompleteMultipartUpload are evaluated with the headers
    # of CreateMultipartUpload (only the live probe settles it).
    "multipart": [
        ("CreateMultipartUpload", "s3:PutObject"),
        ("UploadPart", "s3:PutObject"),
        ("CompleteMultipartUpload", "s3:PutObject"),
    ],
    "copy": [("CopyObject", "s3:PutObject")],
    # AWS documents that UpdateObjectEncryption needs s3:PutObject as well; both are
    # modelled with the condition keys of the target encryption.
    "update-encryption": [
        ("UpdateObjectEncryption", "s3:UpdateObjectEncryption"),
        ("UpdateObjectEncryption (s3:PutObject)", "s3:PutObject"),
    ],
    "replicate": [("ReplicateObject", "s3:ReplicateObject")],
    "get": [("GetObject", "s3:GetObject")],
}

# The KMS actions S3 asks for, with the caller's credentials, when the object is (or is
# to be) under the project key.
_KMS_ACTIONS: dict[str, list[str]] = {
    "put": ["kms:GenerateDataKey"],
    "multipart": ["kms:GenerateDataKey", "kms:Decrypt"],
    "copy": ["kms:GenerateDataKey", "kms:Decrypt"],
    # The permissions AWS documents for UpdateObjectEncryption (kms:ReEncrypt* spelled
    # out): each must be allowed.
    "update-encryption": [
        "kms:Decrypt",
        "kms:ReEncryptFrom",
        "kms:ReEncryptTo",
        "kms:GenerateDataKey",
        "kms:Encrypt",
    ],
    # The replication role encrypts the replica with the destination bucket's key.
    "replicate": ["kms:Encrypt"],
    "get": ["kms:Decrypt"],
}

OTHER_ACCOUNT_DENIED = Expectation(
    DENIED,
    "another account: nothing grants it (a cross-account request needs an allow in the "
    "identity AND the resource policy; the bucket policy only denies)",
)


@dataclass(frozen=True)
class Scenario:
    name: str
    seed: str  # the seed article's wording (docs/design.md, "Where it comes from")
    operation: str  # one of OPERATIONS
    sse: Callable[[Config], Sse]
    expect: Callable[[Config], Expectation]  # the bucket's rules (any principal allowed by IAM)
    secure_transport: bool = True
    tls_version: str = "1.3"
    applies: Callable[[Config], bool] = lambda config: True
    live: bool = True  # False: the live probe cannot perform it (the seed column says why)
    principals: tuple[str, ...] = PRINCIPALS  # who the offline proof runs it as
    # Where the uploader's narrower role decides otherwise than the bucket's rules.
    expect_uploader: Callable[[Config], Expectation] | None = None
    # Where another principal's own rule decides: ((principal, expectation), ...).
    expect_for: tuple[tuple[str, Callable[[Config], Expectation]], ...] = ()
    # Context keys of a guard operation's request beyond the caller's account.
    context: tuple[tuple[str, str], ...] = ()

    def writes(self) -> bool:
        return self.operation in WRITE_OPERATIONS

    def expect_as(self, config: Config, principal: str = UPLOADER) -> Expectation:
        """The expected outcome when `principal` makes the request (offline proof)."""
        if principal not in ALL_PRINCIPALS:
            raise ValueError(f"principal {principal!r} is not one of {', '.join(ALL_PRINCIPALS)}")
        if principal == OTHER_ACCOUNT:
            return OTHER_ACCOUNT_DENIED
        for who, expect in self.expect_for:
            if who == principal:
                return expect(config)
        if principal == UPLOADER and self.expect_uploader is not None:
            return self.expect_uploader(config)
        return self.expect(config)

    def _guard_request(self, principal: str) -> IamRequest:
        """The one authorization of a change to the bucket or the key (GUARD_OPERATIONS)."""
        step, action = GUARD_OPERATIONS[self.operation]
        service = action.split(":")[0]
        if service == "s3":
            context = {"aws:SecureTransport": "true", "s3:TlsVersion": self.tls_version}
        else:
            context = {"kms:CallerAccount": "{caller_account}"}
        # In every signed request: the caller's ARN (a role's, also for its sessions),
        # and whether an AWS service principal itself calls: never here (the
        # aws-service row is a caller's request that S3 makes on its behalf).
        context["aws:PrincipalArn"] = "{principal_arn}"
        context["aws:PrincipalIsAWSService"] = "false"
        context.update(self.context)
        resource = "bucket" if service == "s3" else "key"
        return IamRequest(step, service, action, resource, context, principal)

    def iam_requests(
        self, config: Config, keys: KeyRefs, principal: str | None = None
    ) -> list[IamRequest]:
        """How the offline proof states the scenario: every authorization it needs.

        `principal` defaults to the first of `principals`. The proof fills in "{region}",
        "{account}" (the bucket's), "{caller_account}", "{principal_arn}" (the caller's).
        """
        principal = principal or self.principals[0]
        if self.operation in GUARD_OPERATIONS:
            return [self._guard_request(principal)]
        if self.operation == "kms-direct":
            # No kms:ViaService: the caller talks to KMS itself.
            return [
                IamRequest(
                    action.split(":")[1],
                    "kms",
                    action,
                    "key",
                    {"kms:CallerAccount": "{caller_account}"},
                    principal,
                )
                for action in ("kms:Decrypt", "kms:GenerateDataKey")
            ]
        transport = {
            "aws:SecureTransport": "true" if self.secure_transport else "false",
            "s3:TlsVersion": self.tls_version,
        }
        sse = self.sse(config)
        if self.writes():
            context = {**transport, **s3_context(sse, keys)}
            # A write without headers is stored with the bucket default.
            stored_with = sse if sse.names_encryption else Sse.required(config)
        else:
            context, stored_with = transport, Sse.required(config)
        requests = [
            IamRequest(step, "s3", action, "object", context, principal)
            for step, action in _S3_STEPS[self.operation]
        ]
        if self.operation == "copy":
            requests.append(
                IamRequest(
                    "CopyObject (source)",
                    "s3",
                    "s3:GetObject",
                    "source-object",
                    transport,
                    principal,
                )
            )
        if config.uses_kms and stored_with.key == PROJECT_KEY:
            via_s3 = {
                "kms:ViaService": "s3.{region}.amazonaws.com",
                "kms:CallerAccount": "{caller_account}",
            }
            requests += [
                IamRequest(f"{requests[0].step} via S3", "kms", action, "key", via_s3, principal)
                for action in _KMS_ACTIONS[self.operation]
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


def _update_encryption(name: str, seed: str, key: str) -> Scenario:
    sse = Sse("aws:kms", key)  # the only kind of target UpdateObjectEncryption has
    return Scenario(
        name,
        seed,
        "update-encryption",
        _fixed(sse),
        lambda config: expected_update_encryption(sse, config),
        live=True,
    )


REPLICATION_OFFLINE = "offline only: replication writes as the replication role, not a caller"


def _wrong_replica(config: Config) -> Sse:
    """A replica encrypted otherwise than the bucket promises: AES256 (aws/s3 in sse-s3)."""
    return Sse("aws:kms") if config.encryption == "sse-s3" else Sse("AES256")


def _replicate(name: str, seed: str, sse_of: Callable[[Config], Sse]) -> Scenario:
    return Scenario(
        name,
        f"{seed} ({REPLICATION_OFFLINE})",
        "replicate",
        sse_of,
        _write(sse_of),
        live=False,
        # Written from the role, not the bucket: the uploader may not replicate at all.
        expect_uploader=_always(DENIED, "the uploader's role does not grant s3:ReplicateObject"),
    )


GUARD_OFFLINE = "offline only: the probe's role may not change the bucket or the key"


def _guarded(name: str, seed: str, operation: str, kms: bool = False) -> Scenario:
    """A change the policy guard leaves to the deploy role: an account admin may make it
    only while guard_policies is off; the deploy role always may."""

    def as_admin(config: Config) -> Expectation:
        if config.guard_policies:
            return Expectation(DENIED, "guard_policies: only the deploy role may change it")
        return Expectation(ALLOWED, "guard_policies off: IAM decides (AdministratorAccess)")

    return Scenario(
        name,
        f"{seed} ({GUARD_OFFLINE})",
        operation,
        _fixed(Sse()),
        as_admin,
        applies=(lambda config: config.uses_kms) if kms else (lambda config: True),
        live=False,
        principals=(ACCOUNT_ADMIN, DEPLOY_ROLE),
        expect_for=(
            (DEPLOY_ROLE, _always(ALLOWED, "the deploy role keeps every change (cdk deploy)")),
        ),
    )


def _grant(name: str, seed: str, principal: str, expect: Expectation, **context: str) -> Scenario:
    return Scenario(
        name,
        f"{seed} ({GUARD_OFFLINE})",
        "create-grant",
        _fixed(Sse()),
        lambda config: expect,
        applies=lambda config: config.uses_kms,
        live=False,
        principals=(principal,),
        context=tuple(context.items()),
    )


GUARD_SCENARIOS: tuple[Scenario, ...] = (
    _guarded(
        "guard-put-bucket-policy",
        "an account admin replaces the bucket policy",
        "put-bucket-policy",
    ),
    _guarded(
        "guard-delete-bucket-policy",
        "an account admin deletes the bucket policy",
        "delete-bucket-policy",
    ),
    _guarded(
        "guard-put-encryption",
        "an account admin changes the bucket's default encryption",
        "put-encryption-configuration",
    ),
    _guarded(
        "guard-put-replication",
        "an account admin sets up replication to another bucket",
        "put-replication-configuration",
    ),
    _guarded(
        "guard-put-key-policy",
        "an account admin rewrites the key policy",
        "put-key-policy",
        kms=True,
    ),
    # CT.KMS.PR.3: grants only for AWS resources, whatever guard_policies says. A direct
    # CreateGrant carries no kms:GrantIsForAWSResource (BoolIfExists denies it then too).
    _grant(
        "grant-for-self",
        "an account admin creates a grant on the key for itself",
        ACCOUNT_ADMIN,
        Expectation(DENIED, "grants only for AWS resources (DenyGrantsNotForAwsResources)"),
    ),
    _grant(
        "grant-for-aws-resource",
        "S3 creates a grant for an AWS resource on a caller's behalf",
        AWS_SERVICE,
        Expectation(ALLOWED, "a grant for an AWS resource, made through S3"),
        **{"kms:GrantIsForAWSResource": "true", "kms:ViaService": "s3.{region}.amazonaws.com"},
    ),
)


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
    _put(
        "dsse-kms-other-key",
        "DSSE-KMS aws:kms:dsse with another key's ARN",
        Sse("aws:kms:dsse", OTHER_KEY),
    ),
    _put(
        "dsse-kms-aws-managed",
        "DSSE-KMS aws:kms:dsse, no key id (aws/s3 managed key)",
        Sse("aws:kms:dsse"),
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
    _update_encryption(
        "update-encryption-other-key", "UpdateObjectEncryption to another key's ARN", OTHER_KEY
    ),
    _update_encryption(
        "update-encryption-project-key",
        "UpdateObjectEncryption to the project key ARN",
        PROJECT_KEY,
    ),
    _replicate("replicate-wrong", "ReplicateObject encrypted otherwise", _wrong_replica),
    _replicate("replicate-required", "ReplicateObject with the required headers", Sse.required),
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
        principals=(ACCOUNT_ADMIN,),  # the strongest principal of the account, once
    ),
    *GUARD_SCENARIOS,
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
    principal: str = UPLOADER,
) -> dict[str, object]:
    """One line of the table, live (the Lambda's JSON) and offline alike:

        {"scenario": "no-header", "principal": "uploader", "seed": "no encryption header",
         "expected": "allowed" | "denied", "actual": one of ACTUALS,
         "detail": "DenyMissingEncryptionHeader",   # deciding Sid, layer or error code
         "stored": "aws:kms + key/... + bucket key", # stored encryption of a write, or ""
         "ms": 12 | None, "passed": True}

    A row is identified by (scenario, principal); the live probe runs as the uploader.
    "passed" follows from expected and actual, so nobody sets it by hand.
    """
    if actual not in ACTUALS:
        raise ValueError(f"actual {actual!r} is not one of {', '.join(ACTUALS)}")
    if principal not in ALL_PRINCIPALS:
        raise ValueError(f"principal {principal!r} is not one of {', '.join(ALL_PRINCIPALS)}")
    return {
        "scenario": scenario,
        "principal": principal,
        "seed": seed,
        "expected": expected,
        "actual": actual,
        "detail": detail,
        "stored": stored,
        "ms": ms,
        "passed": actual == expected,  # "not run" is counted apart, see failed()
    }


def row_name(r: Mapping[str, object]) -> str:
    """How a row is named in summaries: the scenario, and the principal unless the uploader
    (rows without a principal, e.g. from an older probe, are the uploader's)."""
    principal = r.get("principal") or UPLOADER
    return str(r["scenario"]) if principal == UPLOADER else f"{r['scenario']} ({principal})"


def not_run(r: Mapping[str, object]) -> bool:
    # A scenario the live probe cannot perform (e.g. TLS 1.1: endpoints refuse it) is
    # neither a pass nor a failure; the offline proof covers it.
    return r["actual"] == NOT_RUN


def failed(rows: Iterable[Mapping[str, object]]) -> list[str]:
    """Names (row_name) of the rows that failed (the ones not run are not failures)."""
    return [row_name(r) for r in rows if not r["passed"] and not not_run(r)]
