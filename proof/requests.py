"""A scenario's IAM requests for the simulator: who asks, for what, with which context.

The scenario table (scenarios.py) states each request abstractly (an action, "bucket",
"object" or "key", context templates); here they become concrete ARNs of the resolved
deployment, for each simulated principal, and the policies they are evaluated against
are registered once for all cases.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from encrypted_s3.assembly import Deployment, Policy
from encrypted_s3.vocabulary import AWS_MANAGED_S3_KEY, Config
from proof.simulate import SimRequest
from scenarios import (
    ACCOUNT_ADMIN,
    AWS_SERVICE,
    DECLARED_ADMIN,
    DECLARED_READER,
    DECLARED_READER_ARN,
    DEPLOY_ROLE,
    OTHER_ACCOUNT,
    OTHER_ACCOUNT_ID,
    REKEY_ROLE,
    UPLOADER,
    IamRequest,
    KeyRefs,
    Scenario,
    Sse,
    Stored,
)

ADMIN_ROLE = "AccountAdmin"
# The caller S3 acts for when it creates a grant for an AWS resource.
SERVICE_CALLER_ROLE = "S3Caller"
# A principal of another account with the same identity policy: nothing grants it access.
OTHER_ACCOUNT_ROLE = "OtherAccountAdmin"
# The AdministratorAccess managed policy: what an account admin can do by identity.
ADMINISTRATOR_ACCESS = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "AdministratorAccess", "Effect": "Allow", "Action": "*", "Resource": "*"}
    ],
}
ENCRYPTION_CONTEXT = "kms:EncryptionContext:aws:s3:arn"

# {"admin" | "uploader" | "rekey" | "bucket" | "key": ids of the policies in the shared table}
PolicyIds = Mapping[str, tuple[str, ...]]
# The identity policies a principal is simulated with (the others: AdministratorAccess).
IDENTITY_OF = {UPLOADER: "uploader", REKEY_ROLE: "rekey"}
# Everything a decision depends on: a request without its id.
Signature = tuple[Any, ...]


def object_arn(deployment: Deployment, scenario: Scenario, source: bool = False) -> str:
    suffix = "-source" if source else ""
    return f"{deployment.bucket_arn}/{deployment.probe_prefix}/offline/{scenario.name}{suffix}"


def stored_for(sse: Sse, deployment: Deployment, keys: KeyRefs) -> Stored:
    """How S3 would store a write with these headers: headers first, else the default."""
    rule = deployment.encryption_rule
    default = rule.get("ServerSideEncryptionByDefault", {})
    if sse.customer_key:
        return Stored("SSE-C", None, False)
    if sse.algorithm is None:
        algorithm, key = default.get("SSEAlgorithm", "AES256"), default.get("KMSMasterKeyID")
    else:
        algorithm, key = sse.algorithm, keys.arn(sse.key) if sse.key else None
    if algorithm == "AES256":
        return Stored(algorithm, None, False)
    env = deployment.env
    prefix = f"arn:{env.partition}:kms:{env.region}:{env.account}:"
    if key is None:
        key = AWS_MANAGED_S3_KEY  # aws:kms without a key id: the AWS managed key
    elif not key.startswith("arn:"):
        key = prefix + (key if key.startswith("alias/") else f"key/{key}")
    if key == keys.alias_arn and deployment.key_arn:
        key = deployment.key_arn  # S3 records the key an alias points to
    # Bucket Keys exist for SSE-KMS only; a request without the bucket-key header gets
    # the bucket's setting.
    bucket_key = algorithm == "aws:kms" and bool(rule.get("BucketKeyEnabled", False))
    return Stored(algorithm, key, bucket_key)


def written_with(scenario: Scenario, config: Config) -> Sse:
    """The headers of the write (or, for a read, of the object read back)."""
    if not scenario.writes():
        return Sse.required(config)
    sse = scenario.sse(config)
    return sse if sse.names_encryption else Sse()


def key_refs(deployment: Deployment) -> KeyRefs:
    """The keys a request of the table names, as ARNs of this deployment."""
    env = deployment.env
    return KeyRefs.build(
        env.partition, env.region, env.account, deployment.key_arn, deployment.alias_name
    )


def principal_arn(principal: str, deployment: Deployment) -> tuple[str, str]:
    """The simulated principal's ARN and account."""
    env = deployment.env
    if principal in (UPLOADER, DECLARED_ADMIN):
        return deployment.role_arn, env.account
    if principal == ACCOUNT_ADMIN:
        return f"arn:{env.partition}:iam::{env.account}:role/{ADMIN_ROLE}", env.account
    if principal == OTHER_ACCOUNT:
        arn = f"arn:{env.partition}:iam::{OTHER_ACCOUNT_ID}:role/{OTHER_ACCOUNT_ROLE}"
        return arn, OTHER_ACCOUNT_ID
    if principal == REKEY_ROLE:
        if not deployment.rekey_role_arn:
            raise ValueError("this deployment has no re-key role (sse-kms only)")
        return deployment.rekey_role_arn, env.account
    if principal == DECLARED_READER:
        return DECLARED_READER_ARN, OTHER_ACCOUNT_ID
    if principal == DEPLOY_ROLE:
        return env.deploy_role_arn, env.account
    if principal == AWS_SERVICE:
        return f"arn:{env.partition}:iam::{env.account}:role/{SERVICE_CALLER_ROLE}", env.account
    raise ValueError(f"unknown principal {principal!r}")


def _encryption_context(
    iam: IamRequest, scenario: Scenario, deployment: Deployment, stored: Stored
) -> str:
    """S3's encryption context: the bucket with a Bucket Key, else the object.

    (A read's own object was written with the required headers: `stored`.)
    """
    keys = key_refs(deployment)
    reads_source = scenario.operation == "copy" and iam.action == "kms:Decrypt"
    of = stored_for(Sse.required(deployment.config), deployment, keys) if reads_source else stored
    if of.bucket_key:
        return deployment.bucket_arn
    return object_arn(deployment, scenario, source=reads_source)


def _resource_arn(
    iam: IamRequest, scenario: Scenario, deployment: Deployment, policy_ids: PolicyIds
) -> tuple[str, str | None]:
    """The request's resource ARN and the id of the resource policy that governs it."""
    if iam.resource == "key":
        return key_refs(deployment).project_arn, policy_ids.get("key", (None,))[0]
    bucket_policy = policy_ids.get("bucket", (None,))[0]
    if iam.resource == "bucket":
        return deployment.bucket_arn, bucket_policy
    source = iam.resource == "source-object"
    return object_arn(deployment, scenario, source=source), bucket_policy


def sim_requests(
    case_id: str,
    scenario: Scenario,
    principal: str,
    deployment: Deployment,
    policy_ids: PolicyIds,
) -> list[tuple[IamRequest, SimRequest]]:
    """The scenario's IAM requests as `principal`, each with its simulator request."""
    config, keys, env = deployment.config, key_refs(deployment), deployment.env
    arn, caller_account = principal_arn(principal, deployment)
    placeholders = {
        "region": env.region,
        "account": env.account,
        "caller_account": caller_account,
        "principal_arn": arn,
    }
    stored = stored_for(written_with(scenario, config), deployment, keys)
    out = []
    for index, iam in enumerate(scenario.iam_requests(config, keys, principal)):
        context = {k: v.format(**placeholders) for k, v in iam.context.items()}
        is_s3_data_use = "kms:ViaService" in context and iam.action != "kms:CreateGrant"
        if iam.resource == "key" and is_s3_data_use:
            context[ENCRYPTION_CONTEXT] = _encryption_context(iam, scenario, deployment, stored)
        resource, resource_policy = _resource_arn(iam, scenario, deployment, policy_ids)
        sim = SimRequest(
            id=f"{case_id}/{scenario.name}/{principal}/{index}",
            action=iam.action,
            principal=arn,
            resource=resource,
            account=env.account,
            context=context,
            identity=policy_ids[IDENTITY_OF.get(principal, "admin")],
            resource_policy=resource_policy,
        )
        out.append((iam, sim))
    return out


def register_policies(
    case_id: str, deployment: Deployment, policies: dict[str, Any], seen: dict[str, str]
) -> dict[str, tuple[str, ...]]:
    """Put the case's policies into the table shared by all cases; returns their ids.

    A document already registered (by an earlier case: `seen`, keyed by its JSON) keeps
    its id, so identical requests of different cases can be simulated once.
    """

    def add(kind: str, policy: Policy) -> str:
        content = f"{kind}:{json.dumps(policy.document, sort_keys=True)}"
        if content not in seen:
            seen[content] = f"{case_id}:{kind}:{policy.name}"
            policies[seen[content]] = policy.document
        return seen[content]

    ids = {
        "admin": (add("identity", Policy(ADMIN_ROLE, ADMINISTRATOR_ACCESS)),),
        "uploader": tuple(add("identity", p) for p in deployment.identity_policies),
        "rekey": tuple(add("identity", p) for p in deployment.rekey_policies),
    }
    if deployment.bucket_policy:
        ids["bucket"] = (add("bucket", deployment.bucket_policy),)
    if deployment.key_policy:
        ids["key"] = (add("key", deployment.key_policy),)
    return ids


def signature(sim: SimRequest) -> Signature:
    """Everything a decision depends on: the request without its id."""
    context = tuple(sorted(sim.context.items()))
    return (
        sim.action,
        sim.principal,
        sim.resource,
        sim.account,
        context,
        sim.identity,
        sim.resource_policy,
    )
