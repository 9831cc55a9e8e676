"""`make audit`'s HEAD audit against moto's server: bounded concurrency against a plain
sequential boto3 loop, and its peak memory as the bucket grows.

Speed: 10,000 objects, 20 ms added to every request (a sleep in the clients' before-send
hook, as the prove-concurrency figure does: on loopback alone both ends are CPU-bound on
the same cores, while AWS answers after a network round trip).
Memory: the audit runs in a process of its own (moto's server holds the objects in
another), over 10,000 and then 50,000 objects; its peak RSS must stay flat.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench.common import figure
from bench.live_figures import REGION, start_moto_server

BUCKET = "rekey-bench"
DELAY_S = 0.02
SPEED_OBJECTS, SMALL, LARGE = 10_000, 10_000, 50_000


def _session() -> Any:
    import boto3

    # Dummy credentials for moto, in a session of their own: the environment stays offline.
    return boto3.session.Session(
        aws_access_key_id="bench", aws_secret_access_key="bench", region_name=REGION
    )


def fill(url: str, bucket: str, count: int) -> None:
    """A versioned bucket of `count` SSE-S3 objects (16 writers at once)."""
    from botocore.config import Config

    s3 = _session().client("s3", endpoint_url=url, config=Config(max_pool_connections=16))
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})

    def put(n: int) -> None:
        s3.put_object(Bucket=bucket, Key=f"data/{n:06d}", Body=b"x", ServerSideEncryption="AES256")

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(put, range(count)))


def audit_argv(url: str, bucket: str, out: Path, concurrency: int) -> list[str]:
    return [
        "--bucket", bucket, "--endpoint-url", url, "-c", "encryption=sse-s3", "--source",
        "head", "--quiet", "--concurrency", str(concurrency), "--out", str(out),
    ]  # fmt: skip


def sequential_audit(s3: Any, bucket: str) -> dict[str, int]:
    """The obvious script: list every version, HEAD each, count by its encryption."""
    counts: dict[str, int] = {}
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        for version in page.get("Versions", []):
            found = s3.head_object(
                Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"]
            )
            algorithm = found.get("ServerSideEncryption", "none")
            counts[algorithm] = counts.get(algorithm, 0) + 1
    return counts


def speed_figure(url: str, workdir: Path) -> dict:
    import boto3

    from rekey import audit

    # The audit's clients come from boto3's default session; the loop's from its own.
    boto3.setup_default_session(
        aws_access_key_id="bench", aws_secret_access_key="bench", region_name=REGION
    )
    loop_session = _session()
    for session in (boto3.DEFAULT_SESSION, loop_session):
        session.events.register("before-send", lambda **_: time.sleep(DELAY_S))
    fill(url, BUCKET, SPEED_OBJECTS)
    try:
        started = time.perf_counter()
        code = audit.main(audit_argv(url, BUCKET, workdir / "speed", 16), out=io.StringIO())
        concurrent_s = time.perf_counter() - started
        report = json.loads((workdir / "speed" / "report.json").read_text())
        started = time.perf_counter()
        counts = sequential_audit(loop_session.client("s3", endpoint_url=url), BUCKET)
        sequential_s = time.perf_counter() - started
    finally:
        boto3.DEFAULT_SESSION = None
    assert code == 0 and report["counts"]["ok"] == SPEED_OBJECTS == counts.get("AES256"), (
        "both audits must count every object to be worth timing"
    )
    # Sequential over concurrent, as a speed-up: at least 4x.
    speedup = sequential_s / concurrent_s
    return figure(
        f"audit {SPEED_OBJECTS} objects, moto +20 ms/request: sequential / concurrent (16)",
        speedup,
        "x",
        ">= 4.0",
        speedup >= 4.0,
        concurrent_s=round(concurrent_s, 3),
        sequential_s=round(sequential_s, 3),
    )


def peak_rss_kib(url: str, bucket: str, out: Path) -> int:
    """The audit in a process of its own; its peak resident set size in KiB (Linux)."""
    code = (
        "import resource, sys, io\n"
        "from rekey import audit\n"
        f"rc = audit.main({audit_argv(url, bucket, out, 16)!r}, out=io.StringIO())\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
        "sys.exit(rc)\n"
    )
    env = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_REGION": REGION}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, **env}
    )
    if done.returncode != 0:
        raise SystemExit(f"bench: the audit of {bucket} failed: {done.stderr.strip()}")
    return int(done.stdout.strip().splitlines()[-1])


def memory_figure(url: str, workdir: Path) -> dict:
    fill(url, "rekey-small", SMALL)
    fill(url, "rekey-large", LARGE)
    small = peak_rss_kib(url, "rekey-small", workdir / "small")
    large = peak_rss_kib(url, "rekey-large", workdir / "large")
    ratio = large / small
    return figure(
        f"audit peak RSS: {LARGE} / {SMALL} objects",
        ratio,
        "x",
        "< 1.3",
        ratio < 1.3,
        small_mib=round(small / 1024, 1),
        large_mib=round(large / 1024, 1),
    )


def rekey_audit_figures() -> list[dict]:
    """Each figure is printed to stderr as soon as it is measured (the run is long)."""
    figures = []
    with tempfile.TemporaryDirectory(prefix="bench-audit-") as tmp:
        for measure in (speed_figure, memory_figure):
            # A server per figure: moto's memory grows with every object it holds.
            server, url = start_moto_server()
            try:
                figures.append(measure(url, Path(tmp)))
                print(f"bench: {json.dumps(figures[-1])}", file=sys.stderr, flush=True)
            finally:
                server.terminate()
                try:
                    server.wait(timeout=30)
                except subprocess.TimeoutExpired:  # a server holding 60,000 objects
                    server.kill()
                    server.wait()
    return figures
