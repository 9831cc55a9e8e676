"""Read a cloud assembly and pick out, resolved, everything the proof evaluates.

The uploader Lambda is the anchor: its BUCKET_NAME, KEY_ARN and KEY_ALIAS variables and
its role lead to the data bucket, the bucket policy, the key policy and the identity
policies, so the proof checks exactly what the deployed probe would use, in whichever
stack each piece lives.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from proof.resolve import DEFAULT_ENV, Env, ResolveError, Resolver, Templates
from scenarios import Config, KeyRefs
from stacks.names import SETTINGS_METADATA

T = TypeVar("T")

# AWS managed policies the proof may leave out because they grant nothing on S3 or KMS.
# Any other managed policy makes the proof refuse: its document is not in the assembly.
HARMLESS_MANAGED_POLICIES = ("service-role/AWSLambdaBasicExecutionRole",)

# Since January 2023 S3 encrypts with SSE-S3 when a bucket names no default.
S3_DEFAULT_ENCRYPTION = {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}


class AssemblyError(ValueError):
    """The assembly lacks something the proof needs, or contradicts itself."""


def load_assembly(path: str | Path) -> dict[str, dict]:
    """{stack name: template} of every CloudFormation stack in a cloud assembly (cdk.out)."""
    root = Path(path)
    manifest_file = root / "manifest.json"
    if not manifest_file.is_file():
        raise AssemblyError(f"{manifest_file} not found: synthesize first (make synth)")
    manifest = json.loads(manifest_file.read_text())
    templates = {}
    for artifact_id, artifact in manifest.get("artifacts", {}).items():
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        properties = artifact.get("properties", {})
        name = properties.get("stackName", artifact_id)
        templates[name] = json.loads((root / properties["templateFile"]).read_text())
    if not templates:
        raise AssemblyError(f"{root} holds no CloudFormation stacks")
    return templates


def settings_of(templates: Templates) -> dict[str, Any]:
    """The settings the assembly was built with (template Metadata, written by the stacks)."""
    found = [
        t["Metadata"][SETTINGS_METADATA]
        for t in templates.values()
        if SETTINGS_METADATA in t.get("Metadata", {})
    ]
    if not found:
        raise AssemblyError(f"no template carries Metadata {SETTINGS_METADATA}")
    if any(f != found[0] for f in found):
        raise AssemblyError(f"templates disagree on {SETTINGS_METADATA}: {found}")
    return dict(found[0])


@dataclass(frozen=True)
class Policy:
    name: str  # where it comes from, e.g. "EncryptedS3-dev-Uploader/UploaderRole/Uploader"
    document: dict[str, Any]


@dataclass(frozen=True)
class Deployment:
    """One synthesized app, resolved for the placeholder environment."""

    settings: Mapping[str, Any]
    env: Env
    bucket_name: str
    bucket_policy: Policy | None
    encryption_rule: Mapping[str, Any]  # ServerSideEncryptionConfiguration[0], resolved
    key_arn: str | None
    alias_name: str | None
    key_policy: Policy | None
    role_arn: str
    identity_policies: tuple[Policy, ...]
    probe_prefix: str
    notes: tuple[str, ...] = field(default=())

    @property
    def config(self) -> Config:
        return Config(
            self.settings["encryption"],
            self.settings["header_policy"],
            bool(self.settings.get("guard_policies", False)),
        )

    @property
    def bucket_arn(self) -> str:
        return f"arn:{self.env.partition}:s3:::{self.bucket_name}"

    def keys(self) -> KeyRefs:
        env = self.env
        return KeyRefs.build(env.partition, env.region, env.account, self.key_arn, self.alias_name)


def _resources(templates: Templates, kind: str) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    for stack, template in templates.items():
        for logical_id, resource in template.get("Resources", {}).items():
            if resource.get("Type") == kind:
                yield stack, logical_id, resource


def _one(found: list[T], what: str) -> T:
    if len(found) != 1:
        raise AssemblyError(f"expected exactly one {what}, found {len(found)}")
    return found[0]


def find_deployment(templates: Templates, env: Env = DEFAULT_ENV) -> Deployment:
    resolver = Resolver(templates, env)
    settings = settings_of(templates)

    # The uploader: the one function told which bucket to probe.
    stack, function_id, function = _one(
        [
            f
            for f in _resources(templates, "AWS::Lambda::Function")
            if "BUCKET_NAME" in f[2]["Properties"].get("Environment", {}).get("Variables", {})
        ],
        "uploader function (a Lambda with a BUCKET_NAME variable)",
    )
    where = f"{stack}/{function_id}"
    variables = resolver.resolve(function["Properties"]["Environment"]["Variables"], stack, where)
    for name, setting in (("ENCRYPTION", "encryption"), ("HEADER_POLICY", "header_policy")):
        if variables.get(name) != settings[setting]:
            raise AssemblyError(
                f"the uploader's {name}={variables.get(name)!r} contradicts the assembly's "
                f"{setting}={settings[setting]!r}"
            )
    bucket_name = variables["BUCKET_NAME"]
    probe_prefix = (variables.get("PROBE_PREFIX") or "").strip("/")
    if not probe_prefix:
        raise AssemblyError(f"the uploader {where} has no PROBE_PREFIX: where may it write?")

    # The data bucket and its policy.
    bucket_stack, bucket_id, bucket = _one(
        [
            b
            for b in _resources(templates, "AWS::S3::Bucket")
            if resolver.ref(b[0], b[1]) == bucket_name
        ],
        f"bucket named {bucket_name}",
    )
    rules = resolver.resolve(
        bucket["Properties"].get("BucketEncryption", {}),
        bucket_stack,
        f"{bucket_stack}/{bucket_id}/BucketEncryption",
    ).get("ServerSideEncryptionConfiguration") or [S3_DEFAULT_ENCRYPTION]
    policies = [
        Policy(f"{s}/{lid}", resolver.resolve(r["Properties"]["PolicyDocument"], s, f"{s}/{lid}"))
        for s, lid, r in _resources(templates, "AWS::S3::BucketPolicy")
        if resolver.resolve(r["Properties"]["Bucket"], s, f"{s}/{lid}/Bucket") == bucket_name
    ]
    if len(policies) > 1:
        raise AssemblyError(f"bucket {bucket_name} has {len(policies)} bucket policies")

    # The key: the one the uploader is told to name (absent in SSE-S3 mode).
    key_arn = variables.get("KEY_ARN") or None
    key_policy = None
    if key_arn:
        s, lid, key = _one(
            [
                k
                for k in _resources(templates, "AWS::KMS::Key")
                if resolver.get_att(k[0], k[1], "Arn") == key_arn
            ],
            f"KMS key {key_arn}",
        )
        key_policy = Policy(f"{s}/{lid}", resolver.resolve(key["Properties"]["KeyPolicy"], s))

    role_arn = resolver.resolve(function["Properties"]["Role"], stack, f"{where}/Role")
    identity, notes = _identity_policies(templates, resolver, role_arn)
    return Deployment(
        settings=settings,
        env=env,
        bucket_name=bucket_name,
        bucket_policy=policies[0] if policies else None,
        encryption_rule=rules[0],
        key_arn=key_arn,
        alias_name=variables.get("KEY_ALIAS") or None,
        key_policy=key_policy,
        role_arn=role_arn,
        identity_policies=identity,
        probe_prefix=probe_prefix,
        notes=notes,
    )


def _identity_policies(
    templates: Templates, resolver: Resolver, role_arn: str
) -> tuple[tuple[Policy, ...], tuple[str, ...]]:
    """Inline policies, AWS::IAM::Policy / ManagedPolicy resources and managed policy ARNs."""
    stack, role_id, role = _one(
        [
            r
            for r in _resources(templates, "AWS::IAM::Role")
            if resolver.get_att(r[0], r[1], "Arn") == role_arn
        ],
        f"role {role_arn}",
    )
    role_name = resolver.ref(stack, role_id)
    found = [
        Policy(
            f"{stack}/{role_id}/{p['PolicyName']}",
            resolver.resolve(p["PolicyDocument"], stack, f"{stack}/{role_id}/Policies"),
        )
        for p in role["Properties"].get("Policies", [])
    ]
    managed_arns = {}
    for kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        for s, lid, resource in _resources(templates, kind):
            props = resource["Properties"]
            document = resolver.resolve(props["PolicyDocument"], s, f"{s}/{lid}")
            if kind == "AWS::IAM::ManagedPolicy":  # Ref of a managed policy is its ARN
                managed_arns[resolver.ref(s, lid)] = Policy(f"{s}/{lid}", document)
            if role_name in resolver.resolve(props.get("Roles", []), s, f"{s}/{lid}/Roles"):
                found.append(Policy(f"{s}/{lid}", document))
    notes = []
    for arn in resolver.resolve(role["Properties"].get("ManagedPolicyArns", []), stack):
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


__all__ = [
    "AssemblyError",
    "Deployment",
    "Policy",
    "ResolveError",
    "find_deployment",
    "load_assembly",
    "settings_of",
]
