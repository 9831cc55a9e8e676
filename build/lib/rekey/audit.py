"""`make audit`: which stored object versions are not stored as the settings say.

    python -m rekey.audit [--env dev] [-c NAME=VALUE] [--bucket NAME] [--key-arn ARN]
        [--source auto|head|inventory] [--head-limit N] [--concurrency N] [--out DIR]

Counts every version per kind (rekey.kinds), keeps a sample of keys per kind, and writes
DIR/report.json (what `make rekey` reads) and DIR/blocked.csv (every version
UpdateObjectEncryption cannot change, with the reason). The source is chosen by size:
up to --head-limit versions are each read with a HEAD (bounded concurrency, a progress
line, DIR/cursor.json to resume); a larger bucket is read from its daily S3 Inventory.

Exit codes: 0 every version as the settings say, 1 some are not, 2 nothing audited (no
credentials, no such bucket, no inventory, ...): one line on stderr.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from rekey import head, inventory
from rekey.errors import AuditError, aws_problem, error_code
from rekey.kinds import KINDS, OK
from rekey.tally import BLOCKED_COLUMNS, Tally
from rekey.target import Target, add_target_arguments, resolve

HEAD_LIMIT = 100_000  # versions; above it HEADs cost more time and requests than Inventory
SOURCES = ("auto", "head", "inventory")
REPORT, BLOCKED, CURSOR = "report.json", "blocked.csv", "cursor.json"
CANNOT_TELL = (
    "S3 Inventory has no key ARN field: SSE-KMS versions with the Bucket Key as required "
    "are counted as kms-key-unknown. The HEAD audit (on the bucket or a prefix) or S3 "
    "Metadata's kms_key_arn names their keys; `make rekey ARGS=--other-key=ARN` then "
    "re-keys those under each other key, its manifest filtered by that key ARN."
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m rekey.audit", description=__doc__.splitlines()[0] if __doc__ else None
    )
    add_target_arguments(parser)
    parser.add_argument("--source", default="auto", help="auto (default), head or inventory")
    parser.add_argument("--head-limit", type=int, default=HEAD_LIMIT, help="auto: HEAD up to N")
    parser.add_argument(
        "--concurrency", type=int, default=head.DEFAULT_CONCURRENCY, help="HEADs at once, 1..64"
    )
    parser.add_argument("--out", type=Path, default=Path("audit"), help="report folder")
    parser.add_argument("--quiet", action="store_true", help="no progress line")
    args = parser.parse_args(argv)
    if args.source not in SOURCES:
        parser.exit(2, f"error: --source {args.source!r}: allowed {', '.join(SOURCES)}\n")
    if not 1 <= args.concurrency <= head.MAX_CONCURRENCY:
        parser.exit(2, f"error: --concurrency {args.concurrency}: allowed 1..64\n")
    if args.head_limit < 0:
        parser.exit(2, f"error: --head-limit {args.head_limit}: allowed 0 or more\n")
    return args


def check_bucket(s3: Any, bucket: str) -> None:
    try:
        s3.head_bucket(Bucket=bucket)
    except Exception as exc:
        code = error_code(exc)
        if code in ("404", "NoSuchBucket"):
            raise AuditError(f"bucket {bucket} does not exist: check --bucket (or --env)") from exc
        if code in ("403", "AccessDenied"):
            raise AuditError(f"access denied to bucket {bucket}: check --bucket and role") from exc
        raise aws_problem(exc, f"reading bucket {bucket}") from exc


def choose_source(
    args: argparse.Namespace, s3: Any, target: Target, resuming: bool
) -> tuple[str, str]:
    """(source, why), stated in the report."""
    if args.source != "auto":
        return args.source, f"--source {args.source}"
    if resuming:
        return "head", "resuming the HEAD audit from its cursor"
    seen = head.count_versions(s3, target.bucket, args.head_limit)
    if seen <= args.head_limit:
        return "head", f"{seen} versions listed, at most --head-limit {args.head_limit}: HEAD each"
    return "inventory", f"more than --head-limit {args.head_limit} versions: S3 Inventory"


def run(args: argparse.Namespace, target: Target, out: TextIO) -> dict[str, Any]:
    s3 = target.client("s3", max_pool=args.concurrency + 2)
    check_bucket(s3, target.bucket)
    args.out.mkdir(parents=True, exist_ok=True)
    cursor = head.Cursor(args.out / CURSOR, target.bucket, target.expected)
    saved = cursor.load() if args.source != "inventory" else None
    source, why = choose_source(args, s3, target, saved is not None)
    if source == "head" and saved is not None:
        markers, tally, blocked_bytes = saved
        out.write(f"audit: resuming from {cursor.path} ({tally.versions} versions counted)\n")
    else:
        markers, tally, blocked_bytes = {}, Tally(target.expected), 0
    where: dict[str, str] = {}
    blocked_path = args.out / BLOCKED
    with blocked_path.open("r+" if blocked_bytes else "w", newline="") as blocked:
        blocked.truncate(blocked_bytes)  # lines after the cursor's page are counted again
        blocked.seek(blocked_bytes)
        if not blocked_bytes:
            csv.writer(blocked).writerow(BLOCKED_COLUMNS)
        if source == "head" and markers is not None:
            progress = None if args.quiet else sys.stderr
            head.audit_by_head(
                s3, target.bucket, tally, concurrency=args.concurrency, cursor=cursor,
                markers=markers, blocked_out=blocked, progress=progress,
            )  # fmt: skip
        elif source == "inventory":
            if not target.log_bucket:
                raise AuditError("no log bucket for the inventory: pass --log-bucket")
            where = inventory.audit_by_inventory(
                s3, target.bucket, target.log_bucket, target.inventory_base, tally, blocked
            )
    report = build_report(target, source, why, where, tally, blocked_path)
    path = args.out / REPORT
    partial = path.with_name(REPORT + ".partial")
    partial.write_text(json.dumps(report, indent=2) + "\n")
    os.replace(partial, path)
    if cursor.path is not None:
        cursor.path.unlink(missing_ok=True)  # the report holds it all now
    return report


def build_report(
    target: Target,
    source: str,
    why: str,
    where: dict[str, str],
    tally: Tally,
    blocked_path: Path,
) -> dict[str, Any]:
    return {
        "report": "encrypted-s3 audit",
        "format": 1,
        "when": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "env": target.env,
        "bucket": target.bucket,
        "log_bucket": target.log_bucket,
        "role_arn": target.role_arn,
        "expected": target.expected.as_json(),
        "source": source,
        "source_why": why,
        **({"inventory": where, "inventory_cannot_tell": CANNOT_TELL} if where else {}),
        **tally.as_json(),
        "blocked_list": str(blocked_path),
    }


def render(report: dict[str, Any], out: TextIO) -> None:
    out.write(
        f"audit of s3://{report['bucket']} ({report['expected']['encryption']}"
        f"{', key ' + report['expected']['key_arn'] if report['expected']['key_arn'] else ''})"
        f"\n  source: {report['source']} ({report['source_why']})\n"
    )
    counts = report["counts"]
    for kind in KINDS:
        if counts[kind] or kind == OK:
            samples = [s["key"] for s in report["samples"].get(kind, [])]
            shown = f"  e.g. {', '.join(samples)}" if samples else ""
            out.write(f"  {kind:<16} {counts[kind]:>10}{shown}\n")
    out.write(f"  delete markers   {report['delete_markers']:>10} (no data: nothing to re-key)\n")
    for arn, n in report["other_kms_keys"].items():
        out.write(f"  under other key {arn}: {n}\n")
    for reason, n in report["cannot_update"].items():
        out.write(f"  cannot re-key {n}: {reason}\n")
    if report["cannot_update"]:
        out.write(f"  every one of them is listed in {report['blocked_list']}\n")
    if "inventory_cannot_tell" in report:
        out.write(f"  note: {report['inventory_cannot_tell']}\n")
    out.write(
        f"  {report['not_as_settings']} of {report['versions']} versions not as the settings say\n"
    )


def main(argv: list[str] | None = None, out: TextIO = sys.stdout, cfn: Any = None) -> int:
    """`cfn`: a factory of the CloudFormation client that reads the stacks' outputs."""
    args = parse_args(argv)
    try:
        target = resolve(args, needs=("bucket",), cfn_factory=cfn)
        report = run(args, target, out)
    except AuditError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    render(report, out)
    out.write(f"report: {args.out / REPORT}\n")
    return 1 if report["not_as_settings"] else 0


if __name__ == "__main__":
    sys.exit(main())
