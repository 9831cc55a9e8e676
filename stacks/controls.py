"""AWS Control Tower proactive controls at synthesis (cfn-guard), and the app's exemptions.

`cdklabs-cdk-validator-cfnguard` ships the Control Tower rules and the cfn-guard binary;
it runs over the synthesized templates as a CDK policy-validation plugin, next to
cdk-nag. Every control it reports is either fixed in the constructs or exempted here,
on the one construct it concerns, with the reason (a CDK acknowledgment, so the reason
appears in cdk.out/validation-report.json).

The plugin's violations carry no severity, and aws-cdk-lib 2.275 then counts a report
with any acknowledged violation as successful even when other violations remain. The
wrapper below marks every violation an error, so one exemption never hides another
finding.
"""

from __future__ import annotations

from dataclasses import dataclass

import jsii
from aws_cdk import (
    Acknowledgment,
    App,
    IPolicyValidationContext,
    IPolicyValidationPlugin,
    PolicyValidationPluginReport,
    PolicyViolatingResource,
    PolicyViolation,
    Validations,
)
from constructs import IConstruct

from encrypted_s3.encrypted_bucket import EncryptedBucket, auto_delete_provider
from encrypted_s3.settings import Settings, SettingsError
from stacks.uploader import Uploader

# CDK names acknowledgments "<plugin name>::<rule>"; cfn-guard reports its rule names.
PLUGIN = "cdk-validator-cfnguard"
# cfn-guard with every Control Tower rule adds about 1.2 s of CPU to a 5 s synthesis,
# which would put `cdk synth` over 1.5x a one-bucket app: the tests (make test) run the
# controls on every synthesis, the CLI only with `-c encrypted-s3:controls=true`.
CONTROLS_CONTEXT_KEY = "encrypted-s3:controls"


@dataclass(frozen=True)
class Exemption:
    """A Control Tower control this app does not meet on one construct, and why."""

    construct: IConstruct
    rule: str  # the cfn-guard rule name, e.g. s3_bucket_versioning_enabled_check
    control: str  # the Control Tower control id, e.g. CT.S3.PR.11
    reason: str


@jsii.implements(IPolicyValidationPlugin)
class ControlTowerControls:
    """The cfn-guard plugin with the Control Tower rules; every violation an error."""

    def __init__(self) -> None:
        # Imported here: a synthesis without the controls need not load its jsii module.
        try:
            from cdklabs.cdk_validator_cfnguard import CfnGuardValidator
        except ImportError:
            raise SettingsError(
                f"context {CONTROLS_CONTEXT_KEY}=true needs cdklabs-cdk-validator-cfnguard, "
                "a development tool: run make setup (make demo installs only the app)"
            ) from None

        self._guard = CfnGuardValidator(control_tower_rules_enabled=True)

    @property
    def name(self) -> str:
        return self._guard.name

    @property
    def version(self) -> str | None:
        return self._guard.version

    @property
    def rule_ids(self) -> list[str] | None:
        return self._guard.rule_ids

    def validate(self, context: IPolicyValidationContext) -> PolicyValidationPluginReport:
        report = self._guard.validate(context)
        violations = [
            PolicyViolation(
                rule_name=v.rule_name,
                description=v.description,
                fix=v.fix,
                rule_metadata=v.rule_metadata,
                severity="error",
                violating_resources=[
                    PolicyViolatingResource(
                        locations=r.locations,
                        resource_logical_id=r.resource_logical_id,
                        template_path=r.template_path,
                    )
                    for r in v.violating_resources
                ],
            )
            for v in report.violations
        ]
        return PolicyValidationPluginReport(success=not violations, violations=violations)


def acknowledge(exemption: Exemption) -> None:
    Validations.of(exemption.construct).acknowledge(
        Acknowledgment(id=f"{PLUGIN}::{exemption.rule}", reason=exemption.reason)
    )


def enabled(app: App) -> bool:
    return str(app.node.try_get_context(CONTROLS_CONTEXT_KEY)).lower() == "true"


def add_controls(app: App, exemptions: list[Exemption]) -> None:
    """Run the Control Tower controls at synthesis where the context switches them on."""
    if not enabled(app):
        return
    for exemption in exemptions:
        acknowledge(exemption)
    Validations.of(app).add_plugins(ControlTowerControls())


def app_exemptions(
    settings: Settings, *, encrypted_bucket: EncryptedBucket, uploader: Uploader
) -> list[Exemption]:
    """The controls this app does not meet, each on its construct, with the reason."""
    exemptions = _bucket_exemptions(encrypted_bucket) + _uploader_exemptions(uploader)
    if settings.encryption == "sse-s3":
        exemptions.append(
            Exemption(
                encrypted_bucket.bucket,
                "s3_bucket_default_encryption_kms_check",
                "CT.S3.PR.10",
                "encryption=sse-s3 is the operator's explicit choice of S3-managed keys; "
                "the bucket policy enforces it, and the KMS modes meet this control.",
            )
        )
    provider = auto_delete_provider(encrypted_bucket)
    if provider is not None:
        exemptions.append(
            Exemption(
                provider,
                "lambda_inside_vpc_check",
                "CT.LAMBDA.PR.3",
                "CDK's auto-delete-objects handler, created only where retain_data is false "
                "(dev): it empties the buckets on stack deletion through S3's API.",
            )
        )
    return exemptions


def _bucket_exemptions(encrypted_bucket: EncryptedBucket) -> list[Exemption]:
    buckets = (encrypted_bucket.bucket, encrypted_bucket.log_bucket)
    log_bucket = encrypted_bucket.log_bucket
    return [
        Exemption(
            log_bucket,
            "s3_bucket_default_encryption_kms_check",
            "CT.S3.PR.10",
            "S3 delivers server access logs only to a bucket whose default encryption is "
            "SSE-S3; the log bucket holds request logs, never object data.",
        ),
        Exemption(
            log_bucket,
            "s3_bucket_logging_enabled_check",
            "CT.S3.PR.2",
            "This is the access-log bucket itself: logging it into itself would loop and "
            "into a third bucket only moves the question; CloudTrail data events are the "
            "audit trail of the log bucket.",
        ),
        *(
            Exemption(
                bucket,
                "s3_event_notifications_enabled_check",
                "CT.S3.PR.4",
                "Nothing consumes bucket events in this app; a notification without a "
                "consumer protects nothing (EventBridge can be switched on when one exists).",
            )
            for bucket in buckets
        ),
        *(
            Exemption(
                bucket,
                "s3_bucket_object_lock_enabled_check",
                "CT.S3.PR.9",
                "Object Lock makes every version undeletable for a retention period: the "
                "live probe removes what it writes and dev destroys its buckets; retention is "
                "a records decision per deployment, and versioning already keeps overwrites.",
            )
            for bucket in buckets
        ),
    ]


def _uploader_exemptions(uploader: Uploader) -> list[Exemption]:
    return [
        Exemption(
            uploader.log_group,
            "cloudwatch_log_group_retention_period_check",
            "CT.CLOUDWATCH.PR.2",
            "The uploader's log holds probe runs whose results go back to the caller and "
            "into the proof report; three months is enough to debug a run.",
        ),
        Exemption(
            uploader.log_group,
            "cloudwatch_log_group_encrypted_check",
            "CT.CLOUDWATCH.PR.3",
            "CloudWatch Logs encrypts at rest with its own keys; the project key is usable "
            "only through S3 by design, and the log holds scenario outcomes, no object data.",
        ),
        Exemption(
            uploader.function,
            "lambda_inside_vpc_check",
            "CT.LAMBDA.PR.3",
            "The uploader talks only to S3 and KMS over TLS with IAM; the bucket policy "
            "enforces encryption whatever the network path, and a VPC would add endpoints.",
        ),
    ]
