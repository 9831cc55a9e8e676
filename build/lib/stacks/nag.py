"""cdk-nag AwsSolutions checks and the acknowledgments this app needs, each with its reason.

cdk-nag 3 matches granular findings (IAM5 names the wildcard resource) by their exact
text, and a cross-stack ARN only becomes text (an Fn::ImportValue) once CDK has resolved
the references, after every aspect ran. So the acknowledgments are made by a validation
plugin that runs just before AwsSolutions, when the references are resolved.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import cast

import jsii
from aws_cdk import (
    Acknowledgment,
    App,
    IPolicyValidationContext,
    IPolicyValidationPlugin,
    PolicyValidationPluginReport,
    Stack,
    Validations,
)
from aws_cdk import aws_iam as iam
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct

PACK = "AwsSolutions"


@dataclass(frozen=True)
class WildcardGrant:
    """A role whose policies name wildcard resources on purpose: each of its IAM5 findings
    (one per wildcard resource) is acknowledged with the reason."""

    role: iam.Role  # its CfnRole holds the inline policies
    reason: str


def _flatten(node: object) -> str:
    """cdk-nag's text for a resolved CloudFormation value (flatten-cfn-reference.js)."""
    if isinstance(node, str):
        return node.replace("${", "<").replace("}", ">")
    if isinstance(node, dict) and "Fn::Join" in node:
        delimiter, items = node["Fn::Join"]
        return str(delimiter).join(_flatten(item) for item in items)
    if isinstance(node, dict) and "Fn::ImportValue" in node:
        return _flatten(node["Fn::ImportValue"])
    if isinstance(node, dict) and "Fn::GetAtt" in node:
        resource, attribute = node["Fn::GetAtt"]
        return f"<{_flatten(resource)}.{_flatten(attribute)}>"
    if isinstance(node, dict) and "Ref" in node:
        return f"<{_flatten(node['Ref'])}>"
    return json.dumps(node, separators=(",", ":"))


def _acknowledge(construct: IConstruct, rule_id: str, reason: str) -> None:
    Validations.of(construct).acknowledge(Acknowledgment(id=f"{PACK}::{rule_id}", reason=reason))


@jsii.implements(IPolicyValidationPlugin)
class _Acknowledger:
    """Records the acknowledgments, then reports nothing of its own."""

    def __init__(self, grants: list[WildcardGrant]) -> None:
        self._grants = grants

    @property
    def name(self) -> str:
        return "EncryptedS3Acknowledgments"

    @property
    def version(self) -> str:
        return "1.0.0"

    @property
    def rule_ids(self) -> list[str]:
        return []

    def validate(self, context: IPolicyValidationContext) -> PolicyValidationPluginReport:
        for grant in self._grants:
            cfn = cast(iam.CfnRole, grant.role.node.default_child)
            policies = Stack.of(cfn).resolve(cfn.policies) or []
            # resolve() keeps the L1 struct's own key (policyDocument), not CloudFormation's.
            statements = [s for policy in policies for s in policy["policyDocument"]["Statement"]]
            for statement in statements:
                resources = statement.get("Resource", [])
                for resource in resources if isinstance(resources, list) else [resources]:
                    text = _flatten(resource)
                    if "*" in text:
                        _acknowledge(
                            grant.role, f"AwsSolutions-IAM5[Resource::{text}]", grant.reason
                        )
        return PolicyValidationPluginReport(success=True, violations=[])


def add_checks(app: App, grants: list[WildcardGrant]) -> None:
    Validations.of(app).add_plugins(_Acknowledger(grants), AwsSolutionsChecks(app))
