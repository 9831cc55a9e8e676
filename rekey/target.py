"""What the audit and the re-key act on: the bucket, how its objects must be stored, where
the inventory, manifests and reports go, and the role the jobs run as.

The settings come from cdk.json (`--env`, `-c NAME=VALUE` as for `make deploy`); the
names from the deployed stacks' outputs, unless given on the command line.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from encrypted_s3 import names
from encrypted_s3.settings import SettingsError, load
from encrypted_s3.vocabulary import uses_kms
from proof import aws
from proof.paths import cdk_context
from rekey.errors import AuditError
from rekey.kinds import Expected


@dataclass(frozen=True)
class Target:
    env: str
    region: str | None
    endpoint_url: str | None
    bucket: str
    log_bucket: str | None
    expected: Expected
    role_arn: str | None

    def client(self, service: str, max_pool: int = 10) -> Any:
        import boto3
        from botocore.config import Config

        config = Config(max_pool_connections=max_pool, retries={"mode": "standard"})
        return boto3.client(
            service, region_name=self.region, endpoint_url=self.endpoint_url, config=config
        )

    @property
    def inventory_base(self) -> str:
        """Where S3 writes the daily inventory reports in the log bucket."""
        return f"{names.INVENTORY_PREFIX}/{self.bucket}/{names.INVENTORY_ID}/"


def add_target_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--env", default=None, help="environment of cdk.json (default dev)")
    parser.add_argument(
        "-c", "--context", action="append", default=[], metavar="NAME=VALUE",
        help="a setting as for `cdk deploy`, e.g. -c env=prod or -c encryption=sse-kms",
    )  # fmt: skip
    parser.add_argument("--region", default=None, help="AWS region (default: AWS config)")
    parser.add_argument("--bucket", help="data bucket (default: the Bucket stack's output)")
    parser.add_argument("--log-bucket", help="log bucket (default: the Bucket stack's output)")
    parser.add_argument("--key-arn", help="project key ARN (default: the Key stack's output)")
    parser.add_argument("--role-arn", help="re-key job role (default: the Bucket stack's output)")
    parser.add_argument("--endpoint-url", help=argparse.SUPPRESS)  # a local S3 (moto) only


def _settings(args: argparse.Namespace) -> tuple[str, str]:
    """(env, encryption) from cdk.json and the -c values, checked as the app checks them."""
    overrides = {}
    for pair in args.context:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise AuditError(f"-c {pair!r}: write -c NAME=VALUE, e.g. -c env=prod")
        overrides[name.strip()] = value
    if args.env is not None:
        overrides["env"] = args.env
    try:
        settings = load(cdk_context() | overrides)
    except SettingsError as error:
        raise AuditError(str(error)) from None
    return settings.env, settings.encryption


def stack_outputs(cfn: Any, stack: str) -> dict[str, str]:
    not_deployed = (
        f"stack {stack} is not deployed: run `make deploy`, or name the bucket "
        "with --bucket (and --key-arn, --log-bucket, --role-arn)"
    )
    return aws.stack_outputs(cfn, stack, AuditError, not_deployed)[1]


def resolve(
    args: argparse.Namespace, needs: Sequence[str] = ("bucket",), cfn_factory: Any = None
) -> Target:
    """The target; the stacks' outputs are read only if a name in `needs` (or the project
    key, where the settings use one) was not given on the command line."""
    env, encryption = _settings(args)
    wanted: dict[str, str | None] = {
        "bucket": args.bucket,
        "log_bucket": args.log_bucket,
        "key_arn": args.key_arn if uses_kms(encryption) else None,
        "role_arn": args.role_arn,
    }
    needed = [*needs, "key_arn"] if uses_kms(encryption) else list(needs)
    if any(wanted[name] is None for name in needed):
        for name, value in _outputs(args, env, encryption, cfn_factory).items():
            if wanted[name] is None:
                wanted[name] = value
    for name in needed:
        if not wanted[name]:
            option = "--" + name.replace("_", "-")
            raise AuditError(f"no {name.replace('_', ' ')}: pass {option} or deploy the stacks")
    return Target(
        env=env,
        region=args.region,
        endpoint_url=args.endpoint_url,
        bucket=str(wanted["bucket"]),
        log_bucket=wanted["log_bucket"],
        expected=Expected(encryption, wanted["key_arn"]),
        role_arn=wanted["role_arn"],
    )


def _outputs(
    args: argparse.Namespace, env: str, encryption: str, cfn_factory: Any
) -> dict[str, str | None]:
    import boto3

    cfn = (cfn_factory or (lambda: boto3.client("cloudformation", region_name=args.region)))()
    bucket_outputs = stack_outputs(cfn, names.stack_name(env, "Bucket"))
    found: dict[str, str | None] = {
        "bucket": bucket_outputs.get(names.BUCKET_NAME_OUTPUT),
        "log_bucket": bucket_outputs.get(names.LOG_BUCKET_NAME_OUTPUT),
        "role_arn": bucket_outputs.get(names.REKEY_ROLE_ARN_OUTPUT),
        "key_arn": None,
    }
    if uses_kms(encryption) and args.key_arn is None:
        found["key_arn"] = stack_outputs(cfn, names.stack_name(env, "Key")).get(
            names.KEY_ARN_OUTPUT
        )
    return found
