"""The scenario table: the one source of truth for the live probe and the offline proof.

Every expectation is written from the rules in docs/design.md, "The rules" (the bucket
policy, the key policy and the bucket settings), never computed by running the stacks'
policy code: this package is the specification the deployed and synthesized policies are
checked against. It imports nothing outside the standard library, so the Lambda bundles
it as it is; the CDK app and the offline proof import it as the top-level package
`scenarios` (the project's editable install maps it to lambda/uploader/scenarios).

One module per concern:
  vocabulary      names and values the stacks share: modes, algorithms, condition keys,
                  the actions that store objects, uses_kms and bucket_key
  config          Config: what the deployed bucket promises
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

Every public name is re-exported here: `import scenarios` and `from scenarios import X`
are the way to use it.
"""

from scenarios.authorizations import (
    GUARD_OPERATIONS,
    OPERATION_NAMES,
    WRITE_OPERATIONS,
    IamRequest,
)
from scenarios.config import Config, all_configs
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
    OTHER_KEY_ID,
    PROJECT_ALIAS,
    PROJECT_KEY,
    SSE_C_KEY,
    KeyRefs,
    Sse,
    Stored,
    boto3_sse_args,
    s3_context,
)
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
from scenarios.rekey_rows import REKEY_ROLE_SCENARIOS
from scenarios.rows import Row, failed, not_run, row, row_name
from scenarios.scenario import Scenario
from scenarios.table import (
    GUARD_OFFLINE,
    GUARD_SCENARIOS,
    REPLICATION_OFFLINE,
    SCENARIOS,
    UPLOAD_CHOICES,
    scenarios_for,
)
from scenarios.vocabulary import (
    ALGORITHM,
    ALGORITHM_KEY,
    CUSTOMER_ALGORITHM_KEY,
    DEFAULT_AWARE_HEADERS,
    DSSE_KMS,
    ENCRYPTION_CONDITION_KEYS,
    ENCRYPTIONS,
    HEADER_POLICIES,
    HEADER_WRITE_ACTIONS,
    KMS_KEY_ID_KEY,
    SSE_KMS,
    SSE_S3,
    STORE_ACTIONS,
    STRICT_HEADERS,
    UPDATE_ENCRYPTION_ACTION,
)

__all__ = [
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
    "ALGORITHM",
    "ALGORITHM_KEY",
    "ALLOWED",
    "ALL_PRINCIPALS",
    "AWS_SERVICE",
    "CUSTOMER_ALGORITHM_KEY",
    "Config",
    "DEFAULT_AWARE_HEADERS",
    "DENIED",
    "DEPLOY_ROLE",
    "REKEY_ROLE",
    "REKEY_ROLE_SCENARIOS",
    "DSSE_KMS",
    "ENCRYPTIONS",
    "ENCRYPTION_CONDITION_KEYS",
    "ERROR",
    "Expectation",
    "GUARD_OFFLINE",
    "GUARD_OPERATIONS",
    "GUARD_SCENARIOS",
    "HEADER_POLICIES",
    "HEADER_WRITE_ACTIONS",
    "IamRequest",
    "KMS_KEY_ID_KEY",
    "KeyRefs",
    "NOT_RUN",
    "OPERATION_NAMES",
    "OTHER_ACCOUNT",
    "OTHER_ACCOUNT_DENIED",
    "OTHER_KEY",
    "OTHER_KEY_ID",
    "PRINCIPALS",
    "PROJECT_ALIAS",
    "PROJECT_KEY",
    "REPLICATION_OFFLINE",
    "SCENARIOS",
    "SSE_C_KEY",
    "SSE_KMS",
    "SSE_S3",
    "STORED_WRONG",
    "STORE_ACTIONS",
    "STRICT_HEADERS",
    "Scenario",
    "Sse",
    "Stored",
    "UPDATE_ENCRYPTION_ACTION",
    "UPLOAD_CHOICES",
    "UPLOADER",
    "WRITE_OPERATIONS",
    "all_configs",
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
