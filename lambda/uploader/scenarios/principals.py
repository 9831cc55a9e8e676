"""Who a scenario runs as in the offline proof.

The uploader is the live probe's role; the account admin (identity policy Allow * on *)
shows what the bucket alone allows; a principal of another account with the same
identity policy must get nothing.
"""

from __future__ import annotations

UPLOADER = "uploader"
ACCOUNT_ADMIN = "account-admin"
OTHER_ACCOUNT = "other-account"
PRINCIPALS = (UPLOADER, ACCOUNT_ADMIN, OTHER_ACCOUNT)
# The policy guard's rows (offline only) add two more: the CloudFormation execution role
# of `cdk deploy` (the only one the guard lets change the policies), and S3 acting for a
# caller of this account, e.g. creating a KMS grant for an AWS resource.
DEPLOY_ROLE = "deploy-role"
AWS_SERVICE = "aws-service"
# The re-key jobs' role (`make rekey`, sse-kms only): S3 Batch Operations assumes it.
REKEY_ROLE = "rekey-role"
ALL_PRINCIPALS = (*PRINCIPALS, DEPLOY_ROLE, AWS_SERVICE, REKEY_ROLE)
