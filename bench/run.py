#!/usr/bin/env python3
"""Benchmarks: what users wait for, measured side by side in one run and read as ratios.

These machines are noisy, so every figure compares two things measured in the same run,
interleaved, several times, and reports medians. Prints one line per figure with its
target and writes bench/results.json. Run with `make bench`; `make bench ARGS=--quick`
takes one repetition of the slow figures (about 3 minutes instead of 8, noisier).

"Time to first demo" needs the package registries (PyPI, npm): it clones this
repository and runs `make demo` with an empty home and empty pip, uv and npm caches,
against a bare `pip install aws-cdk-lib constructs` into a new venv.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from xml.etree import ElementTree

ROOT = Path(__file__).resolve().parent.parent
CDK = ROOT / "node_modules" / ".bin" / "cdk"
LAMBDA_DIR = ROOT / "lambda" / "uploader"
sys.path[:0] = [str(ROOT), str(LAMBDA_DIR)]

from proof.demo import offline_environ  # noqa: E402  (needs the paths above)

MINIMAL_APP = """\
import aws_cdk as cdk
from aws_cdk import aws_s3 as s3

app = cdk.App()
stack = cdk.Stack(app, "Minimal")
s3.Bucket(stack, "Bucket")
app.synth()
"""


def timed(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode:
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-20:])
        raise SystemExit(f"bench: {' '.join(command)} failed ({done.returncode}):\n{tail}")
    return time.perf_counter() - started


def interleaved(reps: int, **runs: Callable[[], float]) -> dict[str, list[float]]:
    """Run each measurement once per round, alternating, so drift hits all alike."""
    samples: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(reps):
        for name, run in runs.items():
            samples[name].append(run())
    return samples


def figure(name: str, value: float, unit: str, target: str, met: bool | None, **detail) -> dict:
    return {
        "figure": name,
        "value": round(value, 3),
        "unit": unit,
        "target": target,
        "met": met,
        **detail,
    }


def ratio_figure(
    name: str,
    times: dict[str, float],
    limit: float | None,
    *,
    target: str | None = None,
    also: bool = True,
) -> dict:
    """The first of two median times over the second, against `<= limit` (None: context
    only); `also` adds a further condition of the target."""
    (a, first), (b, second) = times.items()
    ratio = first / second
    met = None if limit is None else ratio <= limit and also
    target = target or (f"<= {limit}" if limit is not None else "(context)")
    return figure(name, ratio, "x", target, met, **{a: round(first, 3), b: round(second, 3)})


def newcomer_environ(home: Path, shell: Mapping[str, str]) -> dict[str, str]:
    """A shell as a newcomer has it: no venv on PATH, no make state, empty home and caches."""
    venv_bin = str(ROOT / ".venv" / "bin")
    env = {
        k: v
        for k, v in shell.items()
        if k not in {"VIRTUAL_ENV", "MAKEFLAGS", "MAKELEVEL", "MFLAGS", "ARGS"}
    }
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if p != venv_bin)
    for name, sub in (
        ("HOME", ""),
        ("UV_CACHE_DIR", "uv"),
        ("PIP_CACHE_DIR", "pip"),
        ("npm_config_cache", "npm"),
    ):
        (home / sub).mkdir(parents=True, exist_ok=True)
        env[name] = str(home / sub)
    return env


def first_demo_figure(reps: int, workdir: Path, shell: Mapping[str, str]) -> dict:
    """A fresh clone's `make demo`, setup included, against a bare pip install of the CDK.

    Both start from nothing: an empty home, empty caches, the same python3. The clone
    is of HEAD (commit first to measure a change); each run's files are removed after it.
    """
    rounds = iter(range(1000))
    parts: dict[str, list[float]] = {"setup_s": []}

    def demo() -> float:
        n = next(rounds)
        clone, home = workdir / f"clone-{n}", workdir / f"home-demo-{n}"
        env = newcomer_environ(home, shell)
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True, env=env)
        try:
            # Timed in two parts to show where the time goes; `make demo` runs both.
            setup = timed(["make", "--no-print-directory", "setup"], clone, env=env)
            parts["setup_s"].append(setup)
            return setup + timed(["make", "--no-print-directory", "demo"], clone, env=env)
        finally:
            shutil.rmtree(clone, ignore_errors=True)
            shutil.rmtree(home, ignore_errors=True)

    def pip() -> float:
        n = next(rounds)
        venv, home = workdir / f"pip-venv-{n}", workdir / f"home-pip-{n}"
        env = newcomer_environ(home, shell)
        started = time.perf_counter()
        try:
            timed(["python3", "-m", "venv", str(venv)], workdir, env=env)
            timed([str(venv / "bin" / "pip"), "install", "aws-cdk-lib", "constructs"], workdir, env)
            return time.perf_counter() - started
        finally:
            shutil.rmtree(venv, ignore_errors=True)
            shutil.rmtree(home, ignore_errors=True)

    samples = interleaved(reps, demo=demo, pip=pip)
    demo_s, pip_s = statistics.median(samples["demo"]), statistics.median(samples["pip"])
    result = ratio_figure(
        "time to first demo: fresh clone's make demo / pip install aws-cdk-lib constructs",
        {"demo_s": demo_s, "pip_s": pip_s},
        1.0,
        target="< 1.0",
        also=demo_s < pip_s,
    )
    runs = {k: [round(v, 1) for v in vs] for k, vs in (samples | parts).items()}
    return result | {"setup_s": round(statistics.median(parts["setup_s"]), 3), "runs": runs}


def synth_figures(reps: int, workdir: Path) -> tuple[list[dict], float, Path]:
    minimal = workdir / "minimal"
    minimal.mkdir()
    (minimal / "app.py").write_text(MINIMAL_APP)
    (minimal / "cdk.json").write_text(json.dumps({"app": f"{sys.executable} app.py"}))
    app_out = workdir / "app.out"

    def synth(cwd: Path, out: Path) -> Callable[[], float]:
        return lambda: timed([str(CDK), "synth", "--quiet", "--no-notices", "-o", str(out)], cwd)

    samples = interleaved(
        reps, app=synth(ROOT, app_out), minimal=synth(minimal, workdir / "minimal.out")
    )
    app, base = statistics.median(samples["app"]), statistics.median(samples["minimal"])
    times = {"app_s": app, "minimal_s": base}
    return [ratio_figure("cdk synth: this app / a one-bucket app", times, 1.3)], app, app_out


def _test_file(classname: str) -> str:
    """ "tests.proof.test_cli[.Class]" -> "proof/test_cli": the test file under tests/."""
    parts = classname.split(".")[1:]
    last = next((i for i, part in enumerate(parts) if part.startswith("test_")), len(parts) - 1)
    return "/".join(parts[: last + 1])


def test_suite_figure(reps: int, synth_s: float, workdir: Path) -> dict:
    """`make test` as a newcomer runs it; pytest's JUnit report says where the time goes
    (a session fixture counts toward the first test that uses it)."""
    junit = workdir / "junit.xml"
    env = os.environ | {"PYTEST_ADDOPTS": f"--junitxml={junit}"}
    samples = [timed(["make", "--no-print-directory", "test"], ROOT, env=env) for _ in range(reps)]
    times = {"test_s": statistics.median(samples), "synth_s": synth_s}
    result = ratio_figure("make test / one cdk synth of the app", times, 3.0)
    by_file: dict[str, float] = {}
    for case in ElementTree.parse(junit).iter("testcase"):
        name = _test_file(case.get("classname", ""))
        by_file[name] = by_file.get(name, 0.0) + float(case.get("time", 0))
    top = sorted(by_file.items(), key=lambda item: -item[1])[:5]
    result["slowest_files_s"] = {name: round(seconds, 1) for name, seconds in top}
    return result


def asset_zip_size(app_out: Path) -> int:
    """The uploader's asset as CDK staged it, zipped as CDK uploads it."""
    from stacks.names import stack_name

    uploader = stack_name("dev", "Uploader")
    template = json.loads((app_out / f"{uploader}.template.json").read_text())
    (function,) = [
        r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"
    ]
    asset_hash = function["Properties"]["Code"]["S3Key"].removesuffix(".zip")
    folder = app_out / f"asset.{asset_hash}"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder))
    return len(buffer.getvalue())


IMPORT_LINE = re.compile(r"^import time:\s+\d+ \|\s+(\d+) \| (\S.*)$")


def cold_import_ms(statement: str) -> float:
    """What `statement` (top-level imports only) costs in a fresh interpreter, in ms.

    Only the modules the statement names count: the interpreter's own start-up imports
    (encodings, site) are not the handler's.
    """
    names = [n.strip() for n in statement.removeprefix("import ").split(",")]
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", statement],
        cwd=LAMBDA_DIR,
        env=os.environ | {"PYTHONPATH": ""},
        capture_output=True,
        text=True,
        check=True,
    )
    top = {}
    for line in result.stderr.splitlines():
        match = IMPORT_LINE.match(line)
        if match and not match.group(2).startswith(" "):  # top-level imports only
            top[match.group(2)] = int(match.group(1)) / 1000
    return sum(top[name] for name in names)


def lambda_figures(app_out: Path, reps: int) -> list[dict]:
    size = asset_zip_size(app_out)
    # The handler imports boto3 when it makes its first client, so a cold start pays
    # both; boto3 alone is measured beside it, the share this project cannot change.
    samples = interleaved(
        3 * reps + 3,
        total=lambda: cold_import_ms("import handler, boto3"),
        handler=lambda: cold_import_ms("import handler"),
        boto3=lambda: cold_import_ms("import boto3"),
    )
    total_ms = statistics.median(samples["total"])
    handler_ms = statistics.median(samples["handler"])
    boto3_ms = statistics.median(samples["boto3"])
    return [
        figure("uploader asset, zipped", size / 1024, "KiB", "<= 50 KB", size <= 50_000),
        figure(
            "handler cold import incl. boto3",
            total_ms,
            "ms",
            "<= 150 ms",
            total_ms <= 150,
            handler_alone_ms=round(handler_ms, 1),
            boto3_alone_ms=round(boto3_ms, 1),
        ),
    ]


def proof_figure(reps: int, workdir: Path) -> dict:
    """The offline proof alone, all scenarios of all six variants, templates given."""
    from proof.prove import prove_variants
    from proof.simulate import node_executable
    from scenarios import all_configs
    from stacks.app_builder import synth_templates
    from stacks.settings import parse

    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    variants = {
        c: synth_templates(
            parse("dev", {"encryption": c.encryption, "header_policy": c.header_policy}),
            context,
            str(workdir / c.label.replace("/", "-")),
        )
        for c in all_configs()
    }
    node = node_executable()  # the Node the proof starts

    def proof() -> float:
        started = time.perf_counter()
        proofs = prove_variants(variants)
        elapsed = time.perf_counter() - started
        assert all(p.passed for p in proofs), "the proof must pass to be worth timing"
        return elapsed

    samples = interleaved(reps, proof=proof, node=lambda: timed([node, "-e", "0"], ROOT))
    proof_s, node_s = statistics.median(samples["proof"]), statistics.median(samples["node"])
    return ratio_figure(
        "offline proof (6 variants) / node -e 0",
        {"proof_s": proof_s, "node_s": node_s},
        10,
        target="< 10 x and < 1 s",
        also=proof_s < 1.0,
    )


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


def prove_concurrency_figures(reps: int) -> list[dict]:
    """The live prove run against moto on 127.0.0.1, concurrent vs one scenario at a time.

    The server runs in its own process: a ThreadedMotoServer inside the benchmark shares
    the probe's GIL, and then the figure measures lock contention (concurrent runs came
    out 1.5x slower than sequential ones that way). On loopback both ends still compete
    for the same two cores; AWS answers after a network round trip, so a second figure
    adds 20 ms to every request (a sleep in the client's before-send hook, which releases
    the GIL as a socket wait does) to show what the concurrency buys there.

    The CPU time of both ends per sequential run is recorded too: on loopback the run is
    CPU-bound in two processes, each serialized by its own GIL, and concurrency can only
    overlap them.
    """
    import boto3

    import probe
    import scenarios as sc

    # Dummy credentials for moto, in a session of their own: the environment stays offline.
    session = boto3.session.Session(aws_access_key_id="bench", aws_secret_access_key="bench")
    region, bucket = "eu-west-1", "encrypted-s3-bench"
    server, url = start_moto_server()
    try:
        admin = session.client("s3", region_name=region, endpoint_url=url)
        admin.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
        admin.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        config = sc.Config("sse-s3", "strict")  # moto checks no KMS key: the plainest run
        keys = sc.KeyRefs.build("aws", region, "123456789012")
        target = probe.Target(bucket, "probe", config, keys)

        cpu: dict[str, list[float]] = {"probe_cpu_s": [], "moto_cpu_s": []}

        def run(concurrency: int, delay_s: float) -> Callable[[], float]:
            def once() -> float:
                clients = probe.Clients(region, endpoint_url=url, session_factory=lambda: session)
                for client in (clients.s3(), clients.s3_http(), clients.kms()):
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


def other_figures(reps: int, quick: bool, workdir: Path) -> list[dict]:
    from bench.universal import universal_figures

    synth, synth_s, app_out = synth_figures(reps, workdir)
    return [
        *synth,
        *lambda_figures(app_out, reps),
        proof_figure(5, workdir),
        *universal_figures(synth_s, workdir, quick=quick),
        *prove_concurrency_figures(2 * reps + 3),  # short runs: more rounds
        test_suite_figure(1 if quick else 2, synth_s, workdir),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one repetition of slow figures")
    parser.add_argument(
        "--first-demo-only", action="store_true", help="measure only the time to first demo"
    )
    args = parser.parse_args(argv)
    reps = 1 if args.quick else 3
    newcomer = os.environ.copy()  # the first-demo runs start from the user's shell
    # No credentials, no metadata service, the venv's Node 24 first: no synth calls AWS.
    offline = offline_environ()
    os.environ.clear()
    os.environ.update(offline)
    figures: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        figures.append(first_demo_figure(reps, Path(tmp), newcomer))
        if not args.first_demo_only:
            figures += other_figures(reps, args.quick, Path(tmp))
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"benchmarks on {machine}")
    for f in figures:
        extra = ", ".join(
            f"{k}={v}"
            for k, v in f.items()
            if k not in {"figure", "value", "unit", "target", "met"}
        )
        status = {True: "met", False: "NOT MET", None: "info"}[f["met"]]
        value = f"{f['value']:>9.3f} {f['unit']:<4}"
        print(f"{f['figure']:<58} {value} target {f['target']:<16} {status}  ({extra})")
    results = {
        "machine": machine,
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "figures": figures,
    }
    (ROOT / "bench" / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
