"""Read a cloud assembly of any app: its templates, the resources of a kind, the data
buckets EncryptedStorage marks, and each one's default encryption, bucket policy and key
policy, resolved; and the Deployment the universal proof evaluates.

This app's own reading (the uploader Lambda as the anchor) is proof/deployment.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from encrypted_s3.names import INSTANCE_METADATA
from encrypted_s3.resolve import Env, ResolveError, Resolver, Templates
from encrypted_s3.vocabulary import Config

T = TypeVar("T")

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


class Resource(NamedTuple):
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


def resources_of(templates: Templates, kind: str) -> Iterator[Resource]:
    for stack, template in templates.items():
        for logical_id, resource in template.get("Resources", {}).items():
            if resource.get("Type") == kind:
                yield Resource(stack, logical_id, resource)


def exactly_one(found: list[T], what: str) -> T:
    if len(found) != 1:
        raise AssemblyError(f"expected exactly one {what}, found {len(found)}")
    return found[0]


def instance_marks(templates: Templates) -> Iterator[tuple[Resource, dict[str, Any]]]:
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


def find_encryption_rule(templates: Templates, resolver: Resolver, bucket_name: str) -> Any:
    """The data bucket's default encryption rule (S3's own default if it names none)."""
    bucket = exactly_one(
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
    key = exactly_one(
        [
            k
            for k in resources_of(templates, "AWS::KMS::Key")
            if resolver.get_att(k.stack, k.logical_id, "Arn") == key_arn
        ],
        f"KMS key {key_arn}",
    )
    return Policy(key.where, resolver.resolve(key.properties["KeyPolicy"], key.stack))


__all__ = [
    "AssemblyError",
    "exactly_one",
    "Deployment",
    "Resource",
    "Policy",
    "ResolveError",
    "find_bucket_policy",
    "find_encryption_rule",
    "find_key_policy",
    "instance_marks",
    "load_assembly",
    "resources_of",
]
