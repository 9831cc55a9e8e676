"""`make live-proof`: run the scenario table against the deployed bucket, with the uploader's role.

    python -m proof.live [--env dev] [--json] [--region REGION] [--concurrency N]

Finds the uploader function in the outputs of the `EncryptedS3-<env>-Uploader` stack,
invokes its `prove` action and prints the table (proof.report.render_text; next to the
offline proof if cdk.out/proof-report.json exists). `--json` prints the Lambda's response.

Exit codes (the first that applies, in this order):
  1  a rule broken: a row S3 answered against the table (allowed where denied, denied
     where allowed, stored wrong)
  2  could not run: nothing proved (no credentials, no region, stack not deployed, the
     function failed); one line on stderr
  4  undecided: no rule broken, but a row could not be decided ("error": a fault, a
     read-back that failed, no answer over plain HTTP, out of time)
  3  leftovers: every row as expected, but the cleanup left versions or uploads behind
     (listed in the report) or could not confirm it left none
  0  passed: every row as expected and nothing left behind
`-c env=NAME` is accepted too, so `make deploy ARGS="-c env=NAME"` and `make live-proof` with
the same ARGS agree.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any, TextIO

from encrypted_s3 import names
from proof import aws
from proof.report import REPORT_JSON, render_text, side_by_side
from scenarios import ALLOWED, ERROR, NOT_RUN, STORED_WRONG

OFFLINE_REPORT = Path("cdk.out") / REPORT_JSON  # `make demo`'s assembly
INVOKE_TIMEOUT_S = names.UPLOADER_TIMEOUT_S + 30  # the function's timeout plus a margin

PASSED, MISMATCH, NOT_PROVED, LEFTOVERS, UNDECIDED = 0, 1, 2, 3, 4


class NotProved(Exception):
    """Nothing was proved; the message is one line for the user."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m proof.live",
        description="Invoke the deployed uploader's prove action and print the table.",
    )
    parser.add_argument("--env", default=None, help="environment name (default: dev)")
    parser.add_argument(
        "-c",
        "--context",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="CDK-style context; only env=NAME is used",
    )
    parser.add_argument("--region", default=None, help="AWS region (default: from AWS config)")
    parser.add_argument("--concurrency", type=int, default=None, help="1..32 (default 8)")
    parser.add_argument("--json", action="store_true", help="print the response as JSON")
    parser.add_argument(
        "--offline-report",
        type=Path,
        default=OFFLINE_REPORT,
        help=f"offline proof report to compare with (default {OFFLINE_REPORT})",
    )
    args = parser.parse_args(argv)
    context_env = [c.split("=", 1)[1] for c in args.context if c.startswith("env=")]
    if args.env is None:
        args.env = context_env[-1] if context_env else "dev"
    return args


def _aws_problem(exc: BaseException, what: str) -> NotProved:
    return NotProved(aws.problem(exc, what))


def find_function(cfn: Any, env: str, region: str) -> str:
    """The uploader's function name from its stack's outputs."""
    stack = names.stack_name(env, "Uploader")
    not_deployed = f"stack {stack} is not deployed in {region}: run `make deploy` first"
    status, outputs = aws.stack_outputs(cfn, stack, NotProved, not_deployed)
    if outputs.get(names.FUNCTION_NAME_OUTPUT):
        return outputs[names.FUNCTION_NAME_OUTPUT]
    raise NotProved(
        f"stack {stack} ({status}) has no output {names.FUNCTION_NAME_OUTPUT}: deploy it again"
    )


def invoke_prove_action(
    lambda_client: Any, function: str, payload: dict[str, Any]
) -> dict[str, Any]:
    try:
        response = lambda_client.invoke(
            FunctionName=function,
            InvocationType="RequestResponse",
            Payload=json.dumps(payload).encode(),
        )
    except Exception as exc:
        if aws.error_code(exc) == "ResourceNotFoundException":
            raise NotProved(f"function {function} does not exist: deploy again") from exc
        raise _aws_problem(exc, f"invoking {function}") from exc
    body = response["Payload"].read()
    try:
        result = json.loads(body or b"null")
    except ValueError as exc:
        raise NotProved(f"{function} returned something that is not JSON") from exc
    if response.get("FunctionError"):
        detail = result if not isinstance(result, dict) else result.get("errorMessage", result)
        raise NotProved(f"{function} failed ({response['FunctionError']}): {detail}")
    if not isinstance(result, dict):
        raise NotProved(f"{function} returned {type(result).__name__}, not a JSON object")
    if not result.get("ok"):
        error = result.get("error") or {}
        raise NotProved(
            f"{function} refused: {error.get('code', '?')}: {error.get('message', result)}"
        )
    return result


def offline_rows(path: Path, label: str) -> tuple[list[dict[str, Any]] | None, str]:
    """The offline proof's rows (`python -m proof` writes {"label", "rows", ...}) if they
    are for the deployed configuration; else None and why not."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        return None, f"cannot read {path}: {exc}"
    if not isinstance(data, dict) or not isinstance(data.get("rows"), list):
        return None, f"{path} has no rows"
    if data.get("label") != label:
        return None, f"{path} is for {data.get('label')}, the deployed bucket is {label}"
    return data["rows"], ""


def _cleanup_note(result: dict[str, Any]) -> str:
    cleanup = result.get("cleanup", {})
    leftovers, unfinished = cleanup.get("leftovers", []), cleanup.get("unfinished", [])
    if cleanup.get("clean"):
        return (
            f"cleanup: {cleanup.get('deleted', 0)} object versions removed, "
            f"{cleanup.get('aborted_uploads', 0)} uploads aborted, none left"
        )
    how = "listed after the cleanup" if cleanup.get("listed") else "not confirmed by a listing"
    text = f"CLEANUP INCOMPLETE under {result.get('prefix')}: {len(leftovers)} left ({how})"
    for problem in cleanup.get("problems", []):
        text += f"; {problem}"
    if unfinished:
        text += f"; still running at cleanup (may write after it): {', '.join(unfinished)}"
    return text


def _leftover_lines(result: dict[str, Any]) -> list[str]:
    """Every version and upload the cleanup left, one a line."""
    lines = []
    for item in result.get("cleanup", {}).get("leftovers", []):
        ident = item.get("version_id") or item.get("upload_id") or ""
        lines.append(
            f"  left: {item.get('kind', '')} {item.get('key')} {ident}: {item.get('error')}"
        )
    return lines


def exit_code(result: dict[str, Any]) -> int:
    """The exit code of a prove result (the module's docstring)."""
    failed = [
        r for r in result.get("rows", []) if not r.get("passed") and r.get("actual") != NOT_RUN
    ]
    if any(r.get("actual") != ERROR for r in failed):
        return MISMATCH
    if failed:
        return UNDECIDED
    if not result.get("cleanup", {}).get("clean"):
        return LEFTOVERS
    return PASSED if result.get("passed") else NOT_PROVED


VERDICTS = {
    PASSED: "passed: every row as expected, nothing left behind",
    MISMATCH: "a rule broken: S3 answered against the table",
    NOT_PROVED: "nothing proved",
    LEFTOVERS: "leftovers: every row as expected, but the cleanup left something behind",
    UNDECIDED: "undecided: no rule broken, but some rows could not be decided (error)",
}


def _multipart_note(rows: list[dict[str, Any]]) -> list[str]:
    """What the run says about the multipart assumption (docs/design.md, "Assumptions")."""
    for row in rows:
        if row.get("scenario") == "multipart-required":
            if row.get("actual") in (ALLOWED, STORED_WRONG):
                return ["multipart: UploadPart was authorized with CreateMultipartUpload's headers"]
            if str(row.get("detail", "")).startswith("UploadPart"):
                return ["multipart: UploadPart was refused: parts do not inherit the headers"]
    return []


def _undecided_note(rows: list[dict[str, Any]]) -> list[str]:
    """The failed rows that are faults, not answers: no verdict on their rule."""
    errors = [str(r["scenario"]) for r in rows if r.get("actual") == ERROR and not r.get("passed")]
    if not errors:
        return []
    return [f"undecided (error, no verdict on the rule; run again): {', '.join(errors)}"]


def render(result: dict[str, Any], env: str, function: str, offline: Path) -> str:

    rows = result["rows"]
    label = result.get("label", "")
    title = f"live probe: {function} ({env}, {label}), run {result.get('run_id', '')}"
    notes = [*_multipart_note(rows), *_undecided_note(rows), _cleanup_note(result)]
    text = render_text(rows, title, notes)
    text += "".join(line + "\n" for line in _leftover_lines(result))
    if offline.exists():
        reference, why_not = offline_rows(offline, label)
        text += "\n" + (side_by_side(reference, rows) if reference else f"({why_not})\n")
    code = exit_code(result)
    text += f"exit code {code}: {VERDICTS[code]}\n"
    return text


def _session(region: str | None) -> Any:
    import boto3.session

    try:
        return boto3.session.Session(region_name=region)
    except Exception as exc:  # e.g. ProfileNotFound for a mistyped AWS_PROFILE
        raise _aws_problem(exc, "reading the AWS configuration") from exc


def main(
    argv: list[str] | None = None,
    *,
    session: Any = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    args = parse_args(argv)
    payload: dict[str, Any] = {"action": "prove"}
    if args.concurrency is not None:
        payload["concurrency"] = args.concurrency
    try:
        if session is None:
            session = _session(args.region)
        try:
            credentials = session.get_credentials()
        except Exception as exc:
            raise _aws_problem(exc, "loading AWS credentials") from exc
        if credentials is None:
            raise NotProved("no AWS credentials: set AWS_PROFILE or log in; nothing was invoked")
        region = args.region or session.region_name or os.environ.get("AWS_REGION")
        if not region:
            raise NotProved("no AWS region: set AWS_REGION or pass --region")
        from botocore.config import Config

        cfn = session.client("cloudformation", region_name=region)
        function = find_function(cfn, args.env, region)
        lambda_client = session.client(
            "lambda",
            region_name=region,
            config=Config(read_timeout=INVOKE_TIMEOUT_S, retries={"total_max_attempts": 1}),
        )
        print(f"invoking {function} (prove) ...", file=err)
        result = invoke_prove_action(lambda_client, function, payload)
    except NotProved as exc:
        print(f"make live-proof: {exc}", file=err)
        return NOT_PROVED
    if args.json:
        json.dump(result, out, indent=2)
        out.write("\n")
    else:
        out.write(render(result, args.env, function, args.offline_report))
    return exit_code(result)


if __name__ == "__main__":
    sys.exit(main())
