"""The scenario table: the one source of truth for the live probe and the offline proof.

Every expectation is written from the rules in docs/design.md, "The rules" (the bucket
policy, the key policy and the bucket settings), never computed by running the stacks'
policy code: this package is the specification the deployed and synthesized policies are
checked against. It imports nothing outside the standard library but the vocabulary
(`encrypted_s3.vocabulary`: modes, algorithms, condition keys, the actions that store
objects), which the Lambda's bundle carries beside it; the offline proof imports the
table as the top-level package `scenarios` (the project's editable install maps it to
lambda/uploader/scenarios).

One module per concern:
  principals      who a scenario runs as in the offline proof
  outcomes        expected outcomes and what a row's "actual" may say
  headers         a request's encryption headers (Sse), its keys (KeyRefs), how the probe
                  and the proof state them, and how S3 stores an object (Stored)
  expectations    the hand-written rules
  authorizations  the IAM requests AWS evaluates for each operation
  scenario        Scenario: one row of the table
  table           the scenarios themselves, and the Lambda's upload choices
  rekey_rows      the re-key jobs' role as a principal (offline rows, sse-kms only)
  rows            the rows of a result table, live and offline alike

Every public name of these modules is re-exported here, and nothing else (the vocabulary
is imported from its own module): `import scenarios` and `from scenarios import X` are the
way to use it.
"""

from scenarios.authorizations import (
    GUARD_OPERATIONS,
    KMS_ACTIONS_VIA_S3,
    KMS_VIA_S3_OPERATIONS,
    OPERATION_NAMES,
    S3_STEPS,
    WRITE_OPERATIONS,
    IamRequest,
    guard_request,
    kms_direct_requests,
    kms_requests_via_s3,
)
from scenarios.expectations import (
    OTHER_ACCOUNT_DENIED,
    expected_access,
    expected_update_encryption,
    expected_write,
)
from scenarios.headers import (
    ABSENT_PROJECT_ALIAS,
    ABSENT_PROJECT_KEY_ID,
    OTHER_KEY,
    PROJECT_ALIAS,
    PROJECT_KEY,
    SSE_C_KEY,
    KeyRefs,
    Sse,
    Stored,
    boto3_sse_args,
    s3_context,
)
from scenarios.layers import EXPLICIT, IMPLICIT, live_layer, offline_layer
from scenarios.outcomes import (
    ACTUALS,
    ALLOWED,
    DENIED,
    ERROR,
    NOT_RUN,
    STORED_WRONG,
    Expectation,
)
from scenarios.principals import (
    ACCOUNT_ADMIN,
    ALL_PRINCIPALS,
    AWS_SERVICE,
    DECLARED_ADMIN,
    DECLARED_AS,
    DECLARED_READER,
    DECLARED_READER_ARN,
    DEPLOY_ROLE,
    OTHER_ACCOUNT,
    OTHER_ACCOUNT_ID,
    PRINCIPALS,
    REKEY_ROLE,
    UPLOADER,
)
from scenarios.rekey_rows import REKEY_OFFLINE, REKEY_ROLE_SCENARIOS
from scenarios.rows import Row, failed, not_run, row, row_name
from scenarios.scenario import Scenario
from scenarios.table import (
    GUARD_OFFLINE,
    GUARD_SCENARIOS,
    REPLICATION_OFFLINE,
    SCENARIOS,
    UPLOAD_CHOICES,
    WHO_OFFLINE,
    scenarios_for,
)

__all__ = [
    "EXPLICIT",
    "IMPLICIT",
    "live_layer",
    "offline_layer",
    "KMS_ACTIONS_VIA_S3",
    "KMS_VIA_S3_OPERATIONS",
    "S3_STEPS",
    "guard_request",
    "kms_direct_requests",
    "kms_requests_via_s3",
    "REKEY_OFFLINE",
    "WHO_OFFLINE",
    "DECLARED_ADMIN",
    "DECLARED_AS",
    "DECLARED_READER",
    "DECLARED_READER_ARN",
    "OTHER_ACCOUNT_ID",
    "expected_access",
    "ABSENT_PROJECT_ALIAS",
    "ABSENT_PROJECT_KEY_ID",
    "ACCOUNT_ADMIN",
    "ACTUALS",
    "ALLOWED",
    "ALL_PRINCIPALS",
    "AWS_SERVICE",
    "DENIED",
    "DEPLOY_ROLE",
    "REKEY_ROLE",
    "REKEY_ROLE_SCENARIOS",
    "ERROR",
    "Expectation",
    "GUARD_OFFLINE",
    "GUARD_OPERATIONS",
    "GUARD_SCENARIOS",
    "IamRequest",
    "KeyRefs",
    "NOT_RUN",
    "OPERATION_NAMES",
    "OTHER_ACCOUNT",
    "OTHER_ACCOUNT_DENIED",
    "OTHER_KEY",
    "PRINCIPALS",
    "PROJECT_ALIAS",
    "PROJECT_KEY",
    "REPLICATION_OFFLINE",
    "SCENARIOS",
    "SSE_C_KEY",
    "STORED_WRONG",
    "Scenario",
    "Sse",
    "Stored",
    "UPLOAD_CHOICES",
    "UPLOADER",
    "WRITE_OPERATIONS",
    "boto3_sse_args",
    "expected_update_encryption",
    "expected_write",
    "failed",
    "not_run",
    "Row",
    "row",
    "row_name",
    "s3_context",
    "scenarios_for",
]
