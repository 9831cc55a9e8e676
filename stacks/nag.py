"""cdk-nag AwsSolutions checks and the acknowledgments this app needs, each with its reason.

cdk-nag 3 matches granular findings (IAM5 names the wildcard resource) by their exact
text, and a cross-stack ARN only becomes text (an Fn::ImportValue) once CDK has resolved
the references, after every aspect ran. So the acknowledgments are made by a validation
plugin that runs just before AwsSolutions, when the references are resolved.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

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
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct

PACK = "AwsSolutions"


@dataclass(frozen=True)
class Finding:
    construct: IConstruct  # acknowledged here and below
    rule: str  # e.g. "AwsSolutions-S1"
    reason: str
    wildcard_resources_of: object | None = None  # a CfnRole: acknowledge its IAM5 findings


def _flatten(node: object) -> str:
    """cdk-nag's text for a resolved CloudFormation value (flatten-cfn-reference.js)."""
    if isinstance(node, str):
        return node.replace("${", "<").replace("}", ">")
    if isinstance(node, dict) and "Fn::Join" in node:
        delimiter, items = node["Fn::Join"]
        return delimiter.join(_flatten(item) for item in items)
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

    def __init__(self, findings: list[Finding]) -> None:
        self._findings = findings

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
        for finding in self._findings:
            if finding.wildcard_resources_of is None:
                _acknowledge(finding.construct, finding.rule, finding.reason)
                continue
            cfn = finding.wildcard_resources_of
            policies = Stack.of(cfn).resolve(cfn.policies) or []
            # resolve() keeps the L1 struct's own key (policyDocument), not CloudFormation's.
            statements = [s for policy in policies for s in policy["policyDocument"]["Statement"]]
            for statement in statements:
                resources = statement.get("Resource", [])
                for resource in resources if isinstance(resources, list) else [resources]:
                    text = _flatten(resource)
                    if "*" in text:
                        _acknowledge(
                            finding.construct, f"{finding.rule}[Resource::{text}]", finding.reason
                        )
        return PolicyValidationPluginReport(success=True, violations=[])


def add_checks(app: App, findings: list[Finding]) -> None:
    Validations.of(app).add_plugins(_Acknowledger(findings), AwsSolutionsChecks(app))
