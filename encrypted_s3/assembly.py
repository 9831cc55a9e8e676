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
from typing import Any, NamedTuple, TypeVar

from encrypted_s3.names import INSTANCE_METADATA
from encrypted_s3.resolve import PLACEHOLDER_ENV, Env, ResolveError, Resolver, Templates
from encrypted_s3.vocabulary import Config

T = TypeVar("T")

# AWS managed policies the proof may leave out because they grant nothing on S3 or KMS.
# Any other managed policy makes the proof refuse: its document is not in the assembly.
HARMLESS_MANAGED_POLICIES = ("service-role/AWSLambdaBasicExecutionRole",)

# Since January 2023 S3 encrypts with SSE-S3 when a bucket names no default.
S3_DEFAULT_ENCRYPTION = {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}


class AssemblyError(ValueError):
    """The assembly lacks something the proof needs, or contradicts itself."""


def _read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise AssemblyError(f"{what} {path} is missing: synthesize again (make synth)") from None
    except (OSError, UnicodeDecodeError) as error:
        raise AssemblyError(f"{what} {path} cannot be read: {error}") from None
    except json.JSONDecodeError as error:
        raise AssemblyError(
            f"{what} {path} is not valid JSON ({error}): synthesize again (make synth)"
        ) from None


def load_assembly(path: str | Path) -> dict[str, dict[str, Any]]:
    """{stack name: template} of every CloudFormation stack in a cloud assembly (cdk.out)."""
    root = Path(path)
    manifest_file = root / "manifest.json"
    if not manifest_file.is_file():
        raise AssemblyError(f"{manifest_file} not found: synthesize first (make synth)")
    manifest = _read_json(manifest_file, "the manifest")
    artifacts = manifest.get("artifacts") if isinstance(manifest, dict) else None
    if not isinstance(artifacts, dict):
        raise AssemblyError(f"{manifest_file} has no artifacts: synthesize again (make synth)")
    templates = {}
    for artifact_id, artifact in artifacts.items():
        if not isinstance(artifact, dict) or artifact.get("type") != "aws:cloudformation:stack":
            continue
        properties = artifact.get("properties", {})
        if "templateFile" not in properties:
            raise AssemblyError(f"{manifest_file}: stack {artifact_id} names no templateFile")
        name = properties.get("stackName", artifact_id)
        template = _read_json(root / properties["templateFile"], f"the template of {name}")
        if not isinstance(template, dict):
            raise AssemblyError(f"the template of {name} is not a JSON object")
        templates[name] = template
    if not templates:
        raise AssemblyError(f"{root} holds no CloudFormation stacks")
    return templates


def settings_of(templates: Templates) -> dict[str, Any]:
    """The settings the app's data bucket was built from (its instance mark)."""
    found = [mark["settings"] for _, mark in instance_marks(templates)]
    if not found:
        raise AssemblyError(f"no data bucket carries Metadata {INSTANCE_METADATA}")
    if any(f != found[0] for f in found):
        raise AssemblyError(f"the data buckets disagree on their settings: {found}")
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
    # The re-key jobs' role (stacks/rekey_role.py; sse-kms only) and its policies.
    rekey_role_arn: str | None = None
    rekey_policies: tuple[Policy, ...] = field(default=())

    @property
    def config(self) -> Config:
        return Config(
            self.settings["encryption"],
            self.settings["header_policy"],
            bool(self.settings.get("guard_policies", False)),
            tuple(self.settings.get("readers", Config.readers)),
            tuple(self.settings.get("writers", Config.writers)),
        )

    @property
    def bucket_arn(self) -> str:
        return f"arn:{self.env.partition}:s3:::{self.bucket_name}"

    @property
    def blocks_sse_c(self) -> bool:
        """BlockedEncryptionTypes lists SSE-C: S3 refuses SSE-C headers after IAM."""
        blocked = self.encryption_rule.get("BlockedEncryptionTypes", {})
        return "SSE-C" in blocked.get("EncryptionType", [])


class _Resource(NamedTuple):
    """A resource of one of the templates, and where it is."""

    stack: str
    logical_id: str
    body: Mapping[str, Any]

    @property
    def where(self) -> str:
        return f"{self.stack}/{self.logical_id}"

    @property
    def properties(self) -> Mapping[str, Any]:
        props: Mapping[str, Any] = self.body.get("Properties", {})
        return props


def resources_of(templates: Templates, kind: str) -> Iterator[_Resource]:
    for stack, template in templates.items():
        for logical_id, resource in template.get("Resources", {}).items():
            if resource.get("Type") == kind:
                yield _Resource(stack, logical_id, resource)


def _one(found: list[T], what: str) -> T:
    if len(found) != 1:
        raise AssemblyError(f"expected exactly one {what}, found {len(found)}")
    return found[0]


@dataclass(frozen=True)
class _Uploader:
    """The uploader function, its resolved environment variables and its role."""

    function: _Resource
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


def _variables(function: _Resource) -> Mapping[str, Any]:
    variables: Mapping[str, Any] = function.properties.get("Environment", {}).get("Variables", {})
    return variables


# The uploader's variables that say which bucket it probes, how, and where it writes (a
# user's own function may well have a BUCKET_NAME; not all three).
UPLOADER_VARIABLES = frozenset({"BUCKET_NAME", "HEADER_POLICY", "PROBE_PREFIX"})


def _is_uploader(function: _Resource) -> bool:
    return set(_variables(function)) >= UPLOADER_VARIABLES


def instance_marks(templates: Templates) -> Iterator[tuple[_Resource, dict[str, Any]]]:
    """Each data bucket EncryptedStorage marked (INSTANCE_METADATA), with its mark: the
    settings its policies were built from, its path, and its account and region where
    the synthesis knew them."""
    for bucket in resources_of(templates, "AWS::S3::Bucket"):
        mark = bucket.body.get("Metadata", {}).get(INSTANCE_METADATA)
        if mark is None:
            continue
        if not isinstance(mark, dict) or not isinstance(mark.get("settings"), dict):
            raise AssemblyError(f"{bucket.where}: Metadata {INSTANCE_METADATA} is not an object")
        yield bucket, mark


def has_uploader(templates: Templates) -> bool:
    """Is this app's uploader in the assembly?"""
    return any(_is_uploader(f) for f in resources_of(templates, "AWS::Lambda::Function"))


def _find_uploader(
    templates: Templates, resolver: Resolver, settings: Mapping[str, Any]
) -> _Uploader:
    """The one function told which bucket to probe, checked against the settings."""
    function = _one(
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


def find_encryption_rule(templates: Templates, resolver: Resolver, bucket_name: str) -> Any:
    """The data bucket's default encryption rule (S3's own default if it names none)."""
    bucket = _one(
        [
            b
            for b in resources_of(templates, "AWS::S3::Bucket")
            if resolver.ref(b.stack, b.logical_id) == bucket_name
        ],
        f"bucket named {bucket_name}",
    )
    encryption = resolver.resolve(
        bucket.properties.get("BucketEncryption", {}),
        bucket.stack,
        f"{bucket.where}/BucketEncryption",
    )
    rules = encryption.get("ServerSideEncryptionConfiguration") or [S3_DEFAULT_ENCRYPTION]
    return rules[0]


def find_bucket_policy(templates: Templates, resolver: Resolver, bucket_name: str) -> Policy | None:
    policies = [
        Policy(p.where, resolver.resolve(p.properties["PolicyDocument"], p.stack, p.where))
        for p in resources_of(templates, "AWS::S3::BucketPolicy")
        if resolver.resolve(p.properties["Bucket"], p.stack, f"{p.where}/Bucket") == bucket_name
    ]
    if len(policies) > 1:
        raise AssemblyError(f"bucket {bucket_name} has {len(policies)} bucket policies")
    return policies[0] if policies else None


def find_key_policy(templates: Templates, resolver: Resolver, key_arn: str | None) -> Policy | None:
    """The policy of the key the uploader is told to name (none in SSE-S3 mode)."""
    if not key_arn:
        return None
    key = _one(
        [
            k
            for k in resources_of(templates, "AWS::KMS::Key")
            if resolver.get_att(k.stack, k.logical_id, "Arn") == key_arn
        ],
        f"KMS key {key_arn}",
    )
    return Policy(key.where, resolver.resolve(key.properties["KeyPolicy"], key.stack))


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
    role = _one(found, f"role trusted by {REKEY_SERVICE}")
    arn: str = resolver.get_att(role.stack, role.logical_id, "Arn")
    return arn


def _policies_of_role(
    templates: Templates, resolver: Resolver, role: _Resource
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
    role = _one(
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


__all__ = [
    "AssemblyError",
    "Deployment",
    "Policy",
    "ResolveError",
    "find_bucket_policy",
    "find_deployment",
    "find_encryption_rule",
    "find_key_policy",
    "has_uploader",
    "instance_marks",
    "load_assembly",
    "resources_of",
    "settings_of",
]
