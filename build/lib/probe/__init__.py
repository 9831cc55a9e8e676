"""The probe: performs the scenario table (the scenarios package) against a bucket with boto3.

`run_live_proof` runs every live scenario, reads back each allowed write and removes every
object version it wrote; `seed_upload` reproduces the seed article's
`upload_file(..., ExtraArgs=...)`. Both take a `Target` (what the bucket promises) and a
`Clients` (how to reach AWS, or a local endpoint such as a moto server), so they run the
same in the Lambda, in tests and in benchmarks.

One module per concern:
  clients     lazy boto3 clients (TLS, plain HTTP, the cleanup's), typed by their calls
  target      the bucket under test and how objects are named
  errors      the one error policy: which exceptions are AWS's answer
  results     the JSON shapes the Lambda returns, and one scenario's ProbeOutcome
  state       one run's prefix, deadline and shared source object
  operations  one function per scenario operation (put, multipart, copy, get, ...)
  cleanup     removing every version, delete marker and upload a run wrote
  run         the run: bounded concurrency, time budget, cleanup
  upload      the seed's upload_file for one encryption choice

Only the standard library is imported at first; boto3/botocore are imported when the
first client is made, so importing the probe (and the handler) stays fast.
"""

from probe.clients import DEFAULT_CONCURRENCY, MAX_CONCURRENCY, Clients
from probe.run import run_live_proof
from probe.target import Target
from probe.upload import seed_upload

__all__ = [
    "DEFAULT_CONCURRENCY",
    "MAX_CONCURRENCY",
    "Clients",
    "Target",
    "run_live_proof",
    "seed_upload",
]
