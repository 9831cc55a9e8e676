"""What a re-key and an audit cost, from list prices written down with their date.

The figures are docs/design.md's ("Existing objects", costs table; a test keeps the two
equal): S3 Standard and KMS list prices in us-east-1 as gathered on PRICES_DATE. Other
regions and later prices differ: the printout names the date and the pricing pages.
"""

from __future__ import annotations

PRICES_DATE = "2026-12-03"
PRICES_WHERE = "us-east-1; check aws.amazon.com/s3/pricing and /kms/pricing"
# US dollars.
BATCH_PER_JOB = 0.25
BATCH_PER_MILLION_OBJECTS = 1.00  # the commonly quoted figure, not confirmed on the page
PUT_PER_THOUSAND = 0.005  # UpdateObjectEncryption is priced as a PUT
GET_PER_THOUSAND = 0.0004  # a HEAD is priced as a GET
LIST_PER_THOUSAND = 0.005  # ListObjectVersions: up to 1,000 versions a request
INVENTORY_PER_MILLION = 0.0025  # objects listed in an S3 Inventory report
KMS_PER_TEN_THOUSAND = 0.03
# S3 calls KMS at most twice to re-key a version without a Bucket Key (decrypt the old
# data key, encrypt it under the new key); with a Bucket Key far fewer calls are made.
KMS_CALLS_PER_OBJECT = 2


def rekey_costs(jobs: int, objects: int) -> list[tuple[str, float]]:
    """(what, US dollars) of `jobs` re-key jobs over `objects` versions, at most."""
    return [
        (f"Batch Operations: {jobs} job(s) x ${BATCH_PER_JOB:.2f}", jobs * BATCH_PER_JOB),
        (
            f"Batch Operations: {objects} objects x ${BATCH_PER_MILLION_OBJECTS:.2f}/million",
            objects * BATCH_PER_MILLION_OBJECTS / 1e6,
        ),
        (
            f"UpdateObjectEncryption: {objects} requests x ${PUT_PER_THOUSAND}/1,000 (as PUT)",
            objects * PUT_PER_THOUSAND / 1e3,
        ),
        (
            f"KMS: at most {KMS_CALLS_PER_OBJECT * objects} requests x "
            f"${KMS_PER_TEN_THOUSAND}/10,000",
            KMS_CALLS_PER_OBJECT * objects * KMS_PER_TEN_THOUSAND / 1e4,
        ),
    ]


def per_million() -> dict[str, float]:
    """US dollars per million versions of each way (README's table)."""
    million = 1_000_000
    return {
        "head audit": million * GET_PER_THOUSAND / 1e3 + 1000 * LIST_PER_THOUSAND / 1e3,
        "inventory audit": INVENTORY_PER_MILLION,
        "batch re-key": sum(cost for _, cost in rekey_costs(0, million)),
    }
