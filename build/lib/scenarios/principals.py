"""Who a scenario runs as in the offline proof.

The uploader is the live probe's role; the account admin (identity policy Allow * on *)
shows what the bucket alone allows; a principal of another account with the same
identity policy must get nothing.
"""

from __future__ import annotations

UPLOADER = "uploader"
ACCOUNT_ADMIN = "account-admin"
OTHER_ACCOUNT = "other-account"
# The uploader's role ARN (a declared reader and writer) with the account admin's
# identity policy: what the bucket and the key alone allow a declared principal, so the
# encryption rules are tested without the uploader role's own limits. The account admin
# itself is declared nothing: every object read and write is refused to it.
DECLARED_ADMIN = "declared-admin"
PRINCIPALS = (UPLOADER, ACCOUNT_ADMIN, OTHER_ACCOUNT, DECLARED_ADMIN)
# The policy guard's rows (offline only) add two more: the CloudFormation execution role
# of `cdk deploy` (the only one the guard lets change the policies), and S3 acting for a
# caller of this account, e.g. creating a KMS grant for an AWS resource.
DEPLOY_ROLE = "deploy-role"
AWS_SERVICE = "aws-service"
# The re-key jobs' role (`make rekey`, sse-kms only): S3 Batch Operations assumes it.
REKEY_ROLE = "rekey-role"
# Who can read it (settings readers, writers): a role of another account that a variant
# declares as a reader (offline only: no such account exists for the live probe).
DECLARED_READER = "declared-other-account-reader"
OTHER_ACCOUNT_ID = "210987654321"
DECLARED_READER_ARN = f"arn:aws:iam::{OTHER_ACCOUNT_ID}:role/DeclaredReader"
ALL_PRINCIPALS = (*PRINCIPALS, DEPLOY_ROLE, AWS_SERVICE, REKEY_ROLE, DECLARED_READER)
# How each principal is named in the settings readers / writers (None: never declared).
DECLARED_AS = {
    UPLOADER: "uploader",
    DECLARED_ADMIN: "uploader",
    DECLARED_READER: DECLARED_READER_ARN,
    REKEY_ROLE: "rekey",
}
