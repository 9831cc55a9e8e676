"""This app's deployment in an assembly: the uploader Lambda is the anchor. Its
BUCKET_NAME, KEY_ARN and KEY_ALIAS variables and its role lead to the data bucket, the
bucket policy, the key policy and the identity policies, so the proof checks exactly what
the deployed probe would use, in whichever stack each piece lives. The reading of any
app's assembly it builds on is the package's (encrypted_s3.assembly).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from encrypted_s3.assembly import (
    AssemblyError,
    Deployment,
    Policy,
    Resource,
    exactly_one,
    find_bucket_policy,
    find_encryption_rule,
    find_key_policy,
    instance_marks,
    resources_of,
)
from encrypted_s3.names import INSTANCE_METADATA
from encrypted_s3.resolve import PLACEHOLDER_ENV, Env, Resolver, Templates

# AWS managed policies the proof may leave out because they grant nothing on S3 or KMS.
# Any other managed policy makes the proof refuse: its document is not in the assembly.
HARMLESS_MANAGED_POLICIES = ("service-role/AWSLambdaBasicExecutionRole",)


def settings_of(templates: Templates) -> dict[str, Any]:
    """The settings the app's data bucket was built from (its instance mark)."""
    found = [mark["settings"] for _, mark in instance_marks(templates)]
    if not found:
        raise AssemblyError(f"no data bucket carries Metadata {INSTANCE_METADATA}")
    if any(f != found[0] for f in found):
        raise AssemblyError(f"the data buckets disagree on their settings: {found}")
    return dict(found[0])


@dataclass(frozen=True)
class _Uploader:
    """The uploader function, its resolved environment variables and its role."""

    function: Resource
    variables: Mapping[str, Any]
    role_arn: str

    @property
    def probe_prefix(self) -> str:
        prefix = str(self.variables.get("PROBE_PREFIX") or "").strip("/")
        if not prefix:
            raise AssemblyError(
                f"the uploader {self.function.where} has no PROBE_PREFIX: where may it write?"
            )
        return prefix


def _variables(function: Resource) -> Mapping[str, Any]:
    variables: Mapping[str, Any] = function.properties.get("Environment", {}).get("Variables", {})
    return variables


# The uploader's variables that say which bucket it probes, how, and where it writes (a
# user's own function may well have a BUCKET_NAME; not all three).
UPLOADER_VARIABLES = frozenset({"BUCKET_NAME", "HEADER_POLICY", "PROBE_PREFIX"})


def _is_uploader(function: Resource) -> bool:
    return set(_variables(function)) >= UPLOADER_VARIABLES


def has_uploader(templates: Templates) -> bool:
    """Is this app's uploader in the assembly?"""
    return any(_is_uploader(f) for f in resources_of(templates, "AWS::Lambda::Function"))


def _find_uploader(
    templates: Templates, resolver: Resolver, settings: Mapping[str, Any]
) -> _Uploader:
    """The one function told which bucket to probe, checked against the settings."""
    function = exactly_one(
        [f for f in resources_of(templates, "AWS::Lambda::Function") if _is_uploader(f)],
        f"uploader function (a Lambda with variables {', '.join(sorted(UPLOADER_VARIABLES))})",
    )
    variables = resolver.resolve(_variables(function), function.stack, function.where)
    for name, setting in (("ENCRYPTION", "encryption"), ("HEADER_POLICY", "header_policy")):
        if variables.get(name) != settings[setting]:
            raise AssemblyError(
                f"the uploader's {name}={variables.get(name)!r} contradicts the assembly's "
                f"{setting}={settings[setting]!r}"
            )
    role = function.properties["Role"]
    role_arn = resolver.resolve(role, function.stack, f"{function.where}/Role")
    return _Uploader(function, variables, role_arn)


def find_deployment(templates: Templates, env: Env = PLACEHOLDER_ENV) -> Deployment:
    """Everything the proof evaluates, found from the uploader and resolved for `env`."""
    resolver = Resolver(templates, env)
    settings = settings_of(templates)
    uploader = _find_uploader(templates, resolver, settings)
    variables = uploader.variables
    bucket_name = variables["BUCKET_NAME"]
    probe_prefix = uploader.probe_prefix
    encryption_rule = find_encryption_rule(templates, resolver, bucket_name)
    bucket_policy = find_bucket_policy(templates, resolver, bucket_name)
    key_arn = variables.get("KEY_ARN") or None
    key_policy = find_key_policy(templates, resolver, key_arn)
    identity, notes = _identity_policies(templates, resolver, uploader.role_arn)
    rekey_role_arn = _rekey_role_arn(templates, resolver)
    rekey_policies: tuple[Policy, ...] = ()
    if rekey_role_arn:
        rekey_policies, _ = _identity_policies(templates, resolver, rekey_role_arn)
    return Deployment(
        settings=settings,
        env=env,
        bucket_name=bucket_name,
        bucket_policy=bucket_policy,
        encryption_rule=encryption_rule,
        key_arn=key_arn,
        alias_name=variables.get("KEY_ALIAS") or None,
        key_policy=key_policy,
        role_arn=uploader.role_arn,
        identity_policies=identity,
        probe_prefix=probe_prefix,
        notes=notes,
        rekey_role_arn=rekey_role_arn,
        rekey_policies=rekey_policies,
    )


REKEY_SERVICE = "batchoperations.s3.amazonaws.com"


def _rekey_role_arn(templates: Templates, resolver: Resolver) -> str | None:
    """The role S3 Batch Operations may assume (none, or exactly one)."""
    found = [
        r
        for r in resources_of(templates, "AWS::IAM::Role")
        if REKEY_SERVICE in json.dumps(r.properties.get("AssumeRolePolicyDocument", {}))
    ]
    if not found:
        return None
    role = exactly_one(found, f"role trusted by {REKEY_SERVICE}")
    arn: str = resolver.get_att(role.stack, role.logical_id, "Arn")
    return arn


def _policies_of_role(
    templates: Templates, resolver: Resolver, role: Resource
) -> tuple[list[Policy], dict[str, Policy]]:
    """The role's inline policies and the policy resources attached to it, and every
    customer managed policy of the templates by ARN."""
    role_name = resolver.ref(role.stack, role.logical_id)
    found = [
        Policy(
            f"{role.where}/{p['PolicyName']}",
            resolver.resolve(p["PolicyDocument"], role.stack, f"{role.where}/Policies"),
        )
        for p in role.properties.get("Policies", [])
    ]
    managed_arns = {}
    for kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        for r in resources_of(templates, kind):
            document = resolver.resolve(r.properties["PolicyDocument"], r.stack, r.where)
            if kind == "AWS::IAM::ManagedPolicy":  # Ref of a managed policy is its ARN
                managed_arns[resolver.ref(r.stack, r.logical_id)] = Policy(r.where, document)
            roles = resolver.resolve(r.properties.get("Roles", []), r.stack, f"{r.where}/Roles")
            if role_name in roles:
                found.append(Policy(r.where, document))
    return found, managed_arns


def _identity_policies(
    templates: Templates, resolver: Resolver, role_arn: str
) -> tuple[tuple[Policy, ...], tuple[str, ...]]:
    """Inline policies, AWS::IAM::Policy / ManagedPolicy resources and managed policy ARNs."""
    role = exactly_one(
        [
            r
            for r in resources_of(templates, "AWS::IAM::Role")
            if resolver.get_att(r.stack, r.logical_id, "Arn") == role_arn
        ],
        f"role {role_arn}",
    )
    found, managed_arns = _policies_of_role(templates, resolver, role)
    notes = []
    for arn in resolver.resolve(role.properties.get("ManagedPolicyArns", []), role.stack):
        if arn in managed_arns:
            if managed_arns[arn] not in found:
                found.append(managed_arns[arn])
        elif arn.split(":policy/", 1)[-1] in HARMLESS_MANAGED_POLICIES and ":iam::aws:" in arn:
            notes.append(f"left out {arn}: it grants nothing on S3 or KMS")
        else:
            raise AssemblyError(
                f"role {role_arn} uses managed policy {arn}, whose document is not in the "
                "assembly: the proof cannot evaluate it"
            )
    return tuple(found), tuple(notes)
