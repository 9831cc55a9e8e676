"""The live prove run against moto on loopback: concurrent against sequential.

The CPU time of both ends per sequential run is recorded too: on loopback the run is
CPU-bound in two processes, each serialized by its own GIL, and concurrency can only
overlap them.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import interleaved, ratio_figure


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_moto_server() -> tuple[subprocess.Popen, str]:
    """moto's server in a process of its own on 127.0.0.1 (see prove_concurrency_figures)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/moto-api/", timeout=1):
                return server, url
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("the moto server did not start within 30 s")


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far (Linux /proc; None elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


REGION, BUCKET = "eu-west-1", "encrypted-s3-bench"


def _bench_bucket(session: Any, url: str) -> Any:
    """A versioned bucket in moto and the probe's target in it (SSE-S3: moto checks no
    KMS key, the plainest run)."""
    import probe
    import scenarios as sc
    from encrypted_s3 import vocabulary

    admin = session.client("s3", region_name=REGION, endpoint_url=url)
    admin.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    admin.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    config = vocabulary.Config("sse-s3", "strict")
    keys = sc.KeyRefs.build("aws", REGION, "123456789012")
    return probe.Target(BUCKET, "probe", config, keys)


def _every_client(clients: Any) -> list[Any]:
    """A probe.Clients' clients (a simulated delay goes on each: the cleanup's too)."""
    return [clients.s3(), clients.s3_http(), clients.s3_cleanup(), clients.kms()]


def prove_concurrency_figures(reps: int) -> list[dict]:
    """The live prove run against moto on 127.0.0.1, concurrent vs one scenario at a time.

    The server runs in its own process: a ThreadedMotoServer inside the benchmark shares
    the probe's GIL, and then the figure measures lock contention (concurrent runs came
    out 1.5x slower than sequential ones that way). On loopback both ends still compete
    for the same two cores; AWS answers after a network round trip, so a second figure
    adds 20 ms to every request (a sleep in the client's before-send hook, which releases
    the GIL as a socket wait does) to show what the concurrency buys there.
    """
    import boto3

    import probe

    # Dummy credentials for moto, in a session of their own: the environment stays offline.
    session = boto3.session.Session(aws_access_key_id="bench", aws_secret_access_key="bench")
    server, url = start_moto_server()
    try:
        target = _bench_bucket(session, url)
        cpu: dict[str, list[float]] = {"probe_cpu_s": [], "moto_cpu_s": []}

        def run(concurrency: int, delay_s: float) -> Callable[[], float]:
            def once() -> float:
                clients = probe.Clients(REGION, endpoint_url=url, session_factory=lambda: session)
                for client in _every_client(clients):
                    if delay_s:
                        client.meta.events.register("before-send", lambda **_: time.sleep(delay_s))
                moto_before, probe_before = cpu_seconds(server.pid), time.process_time()
                started = time.perf_counter()  # clients exist: only the run is timed
                result = probe.run_live_proof(target, clients, concurrency=concurrency)
                elapsed = time.perf_counter() - started
                moto_after, probe_after = cpu_seconds(server.pid), time.process_time()
                if concurrency == 1 and not delay_s and moto_before is not None:
                    cpu["probe_cpu_s"].append(probe_after - probe_before)
                    cpu["moto_cpu_s"].append(moto_after - moto_before)
                assert result["cleanup"]["clean"], "the run must clean up to be worth timing"
                return elapsed

            return once

        figures = []
        for delay_s, label, judged in ((0.0, "", True), (0.02, " (+20 ms per request)", False)):
            samples = interleaved(
                reps,
                concurrent_s=run(probe.DEFAULT_CONCURRENCY, delay_s),
                sequential_s=run(1, delay_s),
            )
            times = {k: statistics.median(v) for k, v in samples.items()}
            name = f"prove on local moto: concurrent / sequential{label}"
            result = ratio_figure(name, times, 0.6 if judged else None)
            if judged:
                result |= {k: round(statistics.median(v), 3) for k, v in cpu.items() if v}
            figures.append(result)
        return figures
    finally:
        server.terminate()
        server.wait(timeout=10)
