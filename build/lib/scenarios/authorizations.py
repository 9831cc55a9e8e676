"""The authorizations AWS makes for each kind of operation (the offline proof's requests).

Each operation of the table maps to the IAM actions AWS evaluates for it: the S3 steps,
each with the encryption condition keys of the request, and the KMS actions S3 asks for
with the caller's credentials when the object is (or is to be) under the project key.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from scenarios.principals import UPLOADER


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
# What S3 asks KMS for with a caller's credentials, stated alone (offline only): the key
# policy's own fence on undeclared callers, whatever the bucket decides first.
KMS_VIA_S3_OPERATIONS = {
    "kms-decrypt-via-s3": "kms:Decrypt",
    "kms-data-key-via-s3": "kms:GenerateDataKey",
}
# Every operation a scenario can name (the probe's operations perform the live ones).
OPERATION_NAMES = (
    *WRITE_OPERATIONS,
    "get",
    "get-tagging",
    "put-tagging",
    "delete",
    "kms-direct",
    *KMS_VIA_S3_OPERATIONS,
    *GUARD_OPERATIONS,
)

# The S3 authorizations of each operation: (API call, IAM action), each evaluated with
# the encryption condition keys of the request.
S3_STEPS: dict[str, list[tuple[str, str]]] = {
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
    "get-tagging": [("GetObjectTagging", "s3:GetObjectTagging")],
    "put-tagging": [("PutObjectTagging", "s3:PutObjectTagging")],
    "delete": [("DeleteObject", "s3:DeleteObject")],
}

# The KMS actions S3 asks for, with the caller's credentials, when the object is (or is
# to be) under the project key.
KMS_ACTIONS_VIA_S3: dict[str, list[str]] = {
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
    # Reading or writing an object's tags, or removing it, needs no key.
    "get-tagging": [],
    "put-tagging": [],
    "delete": [],
}


def guard_request(
    operation: str, principal: str, tls_version: str, extra: tuple[tuple[str, str], ...]
) -> IamRequest:
    """The one authorization of a change to the bucket or the key (GUARD_OPERATIONS)."""
    step, action = GUARD_OPERATIONS[operation]
    service = action.split(":")[0]
    if service == "s3":
        context = {"aws:SecureTransport": "true", "s3:TlsVersion": tls_version}
    else:
        context = {"kms:CallerAccount": "{caller_account}"}
    # In every signed request: the caller's ARN (a role's, also for its sessions),
    # and whether an AWS service principal itself calls: never here (the
    # aws-service row is a caller's request that S3 makes on its behalf).
    context["aws:PrincipalArn"] = "{principal_arn}"
    context["aws:PrincipalIsAWSService"] = "false"
    context.update(extra)
    resource = "bucket" if service == "s3" else "key"
    return IamRequest(step, service, action, resource, context, principal)


def kms_direct_requests(principal: str) -> list[IamRequest]:
    """Using the key outside S3: no kms:ViaService, the caller talks to KMS itself."""
    return [
        IamRequest(
            action.split(":")[1],
            "kms",
            action,
            "key",
            {
                "kms:CallerAccount": "{caller_account}",
                "aws:PrincipalArn": "{principal_arn}",
                "aws:PrincipalAccount": "{caller_account}",
            },
            principal,
        )
        for action in ("kms:Decrypt", "kms:GenerateDataKey")
    ]


def kms_requests_via_s3(operation: str, step: str, principal: str) -> list[IamRequest]:
    """What S3 asks KMS, with the caller's credentials, for the object's project key (or,
    for a KMS_VIA_S3_OPERATIONS one, that one request alone)."""
    via_s3 = {
        "kms:ViaService": "s3.{region}.amazonaws.com",
        "kms:CallerAccount": "{caller_account}",
        # S3 asks with the caller's credentials: the caller's ARN and account.
        "aws:PrincipalArn": "{principal_arn}",
        "aws:PrincipalAccount": "{caller_account}",
    }
    if operation in KMS_VIA_S3_OPERATIONS:
        actions = [KMS_VIA_S3_OPERATIONS[operation]]
    else:
        actions = KMS_ACTIONS_VIA_S3[operation]
    return [
        IamRequest(f"{step} via S3", "kms", action, "key", via_s3, principal) for action in actions
    ]
