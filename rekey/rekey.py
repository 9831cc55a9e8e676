"""`make rekey`: S3 Batch Operations jobs that re-key what `make audit` found.

    python -m rekey.rekey [--report audit/report.json] [--other-key ARN ...] [--confirm]
        [--role-arn ARN] [--log-bucket NAME] [--region REGION]

A dry run by default: prints each job it would create (S3UpdateObjectEncryption to the
project key, with the Bucket Key as the settings say, over a manifest S3 generates with
one encryption filter), the versions the audit counted for it, the versions no job can
change (with the reason, each listed in the audit's blocked.csv) and the costs. With
--confirm it creates the jobs, each waiting for confirmation, then confirms them all,
and prints their ids and how to follow them. It never deletes or overwrites object data:
UpdateObjectEncryption re-wraps each version's data key in place.

Exit codes: 0 dry run printed or jobs submitted, 2 nothing submitted (no credentials, no
report, a job AWS rejects, ...): one line on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from encrypted_s3 import names
from rekey import costs
from rekey.errors import AuditError, aws_problem
from rekey.job import KEY_ARN, JobPlan, account_of, create_job_request, plan_jobs
from rekey.kinds import Expected
from rekey.target import stack_outputs

DEFAULT_REPORT = Path("audit") / "report.json"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m rekey.rekey", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument("--report", type=Path, default=DEFAULT_REPORT, help="audit report")
    parser.add_argument(
        "--other-key", action="append", default=[], metavar="ARN",
        help="also re-key SSE-KMS versions under this key (e.g. found outside the audit)",
    )  # fmt: skip
    parser.add_argument("--confirm", action="store_true", help="submit the jobs")
    parser.add_argument("--role-arn", help="job role (default: report, then stack output)")
    parser.add_argument("--log-bucket", help="manifests and reports (default: as --role-arn)")
    parser.add_argument("--region", default=None, help="AWS region (default: AWS config)")
    parser.add_argument("--endpoint-url", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def read_report(path: Path) -> dict[str, Any]:
    try:
        report: dict[str, Any] = json.loads(path.read_text())
    except FileNotFoundError:
        raise AuditError(f"no audit report {path}: run `make audit` first") from None
    except (OSError, ValueError) as exc:
        raise AuditError(f"audit report {path} cannot be read ({exc}): run `make audit`") from None
    if report.get("report") != "encrypted-s3 audit" or report.get("format") != 1:
        raise AuditError(f"{path} is no audit report of `make audit` (format 1)")
    return report


def locations(args: argparse.Namespace, report: dict[str, Any], cfn: Any) -> tuple[str, str]:
    """(role ARN, log bucket): the command line, the report, then the Bucket stack."""
    role, logs = (
        args.role_arn or report.get("role_arn"),
        args.log_bucket or report.get("log_bucket"),
    )
    if not role or not logs:
        outputs = stack_outputs(cfn(), names.stack_name(report["env"], "Bucket"))
        role = role or outputs.get(names.REKEY_ROLE_ARN_OUTPUT)
        logs = logs or outputs.get(names.LOG_BUCKET_NAME_OUTPUT)
    if not role or not logs:
        raise AuditError("the Bucket stack has no re-key role: deploy it again, or --role-arn")
    try:
        account_of(role)
    except ValueError as exc:
        raise AuditError(str(exc)) from None
    return role, logs


def check_keys(expected: Expected, other_keys: list[str]) -> None:
    for arn in [expected.key_arn or "", *other_keys]:
        if not KEY_ARN.match(arn):
            raise AuditError(
                f"key {arn!r}: allowed a full key ARN arn:aws:kms:REGION:ACCOUNT:key/ID "
                "(UpdateObjectEncryption takes no alias or bare key id)"
            )


def print_plan(
    out: TextIO, report: dict[str, Any], jobs: list[JobPlan], requests: list[dict[str, Any]]
) -> None:
    expected = report["expected"]
    out.write(
        f"re-key s3://{report['bucket']} to {expected['key_arn']} (Bucket Key "
        f"{'on' if expected['bucket_key'] else 'off'}): {len(jobs)} job(s); audit of "
        f"{report['when']} by {report['source']}\n"
    )
    for number, (job, request) in enumerate(zip(jobs, requests, strict=True), 1):
        counted = "not counted by the audit" if job.versions is None else str(job.versions)
        out.write(f"job {number}: {job.name}: {counted} version(s)\n")
        out.write(json.dumps(request, indent=2) + "\n")
    for reason, n in report["cannot_update"].items():
        out.write(f"no job can change {n} version(s): {reason}\n")
    if report["cannot_update"]:
        out.write(f"  each is listed in {report['blocked_list']}\n")
    objects = sum(job.versions or 0 for job in jobs)
    lines = costs.rekey_costs(len(jobs), objects)
    out.write(f"costs at most (list prices of {costs.PRICES_DATE}, {costs.PRICES_WHERE}):\n")
    for what, dollars in lines:
        out.write(f"  {what}: ${dollars:.4f}\n")
    out.write(f"  total: ${sum(d for _, d in lines):.4f}\n")


def submit(s3control: Any, requests: list[dict[str, Any]], out: TextIO) -> list[str]:
    """Create every job (each waits for confirmation), then confirm them all. If AWS rejects
    one, the ones created are cancelled: none runs."""
    created: list[str] = []
    account = requests[0]["AccountId"] if requests else ""
    try:
        for request in requests:
            created.append(s3control.create_job(**request)["JobId"])
    except Exception as exc:
        for job_id in created:
            s3control.update_job_status(
                AccountId=account, JobId=job_id, RequestedJobStatus="Cancelled",
                StatusUpdateReason="another job of this re-key was rejected",
            )  # fmt: skip
        problem = aws_problem(exc, f"creating job {len(created) + 1} of {len(requests)}")
        cancelled = f" (cancelled the {len(created)} created)" if created else ""
        raise AuditError(f"{problem}: nothing runs{cancelled}") from exc
    for job_id in created:
        try:
            s3control.update_job_status(AccountId=account, JobId=job_id, RequestedJobStatus="Ready")
        except Exception as exc:
            raise aws_problem(exc, f"confirming job {job_id}") from exc
    return created


def run(args: argparse.Namespace, out: TextIO, s3control: Any = None, cfn: Any = None) -> int:
    import boto3

    report = read_report(args.report)
    expected = Expected(report["expected"]["encryption"], report["expected"]["key_arn"])
    jobs = plan_jobs(report, args.other_key)
    if jobs:
        check_keys(expected, args.other_key)
    client_args = {"region_name": args.region, "endpoint_url": args.endpoint_url}
    cfn = cfn or (lambda: boto3.client("cloudformation", **client_args))
    role, logs = locations(args, report, cfn) if jobs else ("", "")
    run_id = f"{report['bucket']}/{report['when']}"
    requests = [
        create_job_request(
            job,
            bucket=report["bucket"],
            log_bucket=logs,
            role_arn=role,
            expected=expected,
            run=run_id,
        )  # fmt: skip
        for job in jobs
    ]
    print_plan(out, report, jobs, requests)
    if not jobs:
        out.write("nothing to re-key with UpdateObjectEncryption\n")
        return 0
    if not args.confirm:
        out.write("dry run: nothing submitted; add --confirm to submit these jobs\n")
        return 0
    s3control = s3control or boto3.client("s3control", **client_args)
    account = requests[0]["AccountId"]
    for job_id in submit(s3control, requests, out):
        out.write(
            f"submitted job {job_id}; follow it with: aws s3control describe-job "
            f"--account-id {account} --job-id {job_id}; its completion report goes to "
            f"s3://{logs}/{names.BATCH_REPORT_PREFIX}/job-{job_id}/\n"
        )
    return 0


def main(
    argv: list[str] | None = None, out: TextIO = sys.stdout, s3control: Any = None, cfn: Any = None
) -> int:
    args = parse_args(argv)
    try:
        return run(args, out, s3control, cfn)
    except AuditError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
