"""One function per scenario operation (Scenario.operation): each performs the scenario's
requests with boto3 and returns its ProbeOutcome.

Error policy (probe.errors): a call that AWS answers with an error becomes the outcome;
any other exception propagates to the run, which logs it and reports the row as "error".
Every allowed write is read back: it must be stored as the bucket promises, else the
outcome is "stored wrong"; a read-back S3 does not answer is an "error" row (no verdict).
"""

from __future__ import annotations

from collections.abc import Callable

import scenarios as sc
from probe.errors import aws_errors, classify, classify_plain_http, no_answer
from probe.results import ProbeOutcome, stored_from
from probe.state import PUT_BODY, ProofRun
from probe.target import head_written, object_location

MIN_PART_SIZE = 5 * 1024 * 1024  # S3's minimum size of every part but the last
LAST_PART_SIZE = 1024
READ_BACK_FAILED = "could not read back"
NO_HTTP_ANSWER = "S3 could not be reached over plain HTTP: no policy was asked"

Operation = Callable[[ProofRun, sc.Scenario, sc.Sse], ProbeOutcome]


def read_back(run: ProofRun, key: str, version_id: str | None, sse: sc.Sse) -> ProbeOutcome:
    """head_object an allowed write: it must be stored as the bucket promises."""
    where = object_location(run.target.bucket, key, version_id)
    try:
        response = head_written(run.clients.s3(), where, sse, run.args(sse))
    except aws_errors() as exc:  # no verdict on how it is stored: an error, not "stored wrong"
        return ProbeOutcome(sc.ERROR, f"{READ_BACK_FAILED}: {classify(exc)[1]}")
    return judge(run, stored_from(response))


def judge(run: ProofRun, stored: sc.Stored) -> ProbeOutcome:
    """Allowed if stored as promised; else "stored wrong", with what was promised."""
    promised = run.target.promised()
    if stored == promised:
        return ProbeOutcome(sc.ALLOWED, "", stored)
    # The stored column shows what S3 did; the detail what the bucket promises.
    return ProbeOutcome(sc.STORED_WRONG, f"promised {promised.describe(run.target.keys)}", stored)


def put_object_op(run: ProofRun, scenario: sc.Scenario, sse: sc.Sse) -> ProbeOutcome:
    """Over plain HTTP only S3's own refusal is the refusal the row expects (probe.errors);
    a request that never reached S3 asked no policy, and the row says so."""
    plain = not scenario.secure_transport
    client = run.clients.s3_http() if plain else run.clients.s3()
    key = run.object_key(scenario.name)
    try:
        response = client.put_object(
            Bucket=run.target.bucket, Key=key, Body=PUT_BODY, **run.args(sse)
        )
    except aws_errors() as exc:
        return ProbeOutcome(*(classify_plain_http(exc) if plain else classify(exc)))
    except no_answer() as exc:
        if not plain:
            raise
        return ProbeOutcome(sc.ERROR, f"{NO_HTTP_ANSWER} ({type(exc).__name__})")
    return read_back(run, key, response.get("VersionId"), sse)


def multipart_upload_op(run: ProofRun, scenario: sc.Scenario, sse: sc.Sse) -> ProbeOutcome:
    """Two parts: the first at S3's minimum part size, the last small (one 5 MiB buffer).
    An upload left open (refused or raised midway, or opened by a retry whose first reply
    was lost) is found and aborted by the cleanup, which lists the run's uploads."""
    s3 = run.clients.s3()
    bucket, key = run.target.bucket, run.object_key(scenario.name)
    step = "CreateMultipartUpload"
    try:
        upload_id = s3.create_multipart_upload(
            Bucket=bucket, Key=key, ChecksumAlgorithm="CRC32", **run.args(sse)
        )["UploadId"]
        parts: list[dict[str, object]] = []
        for number, size in ((1, MIN_PART_SIZE), (2, LAST_PART_SIZE)):
            step = "UploadPart"
            response = s3.upload_part(
                Bucket=bucket,
                Key=key,
                UploadId=upload_id,
                PartNumber=number,
                Body=bytes(size),
                ChecksumAlgorithm="CRC32",
            )
            part = {"PartNumber": number, "ETag": response["ETag"]}
            if response.get("ChecksumCRC32"):
                part["ChecksumCRC32"] = response["ChecksumCRC32"]
            parts.append(part)
        step = "CompleteMultipartUpload"
        response = s3.complete_multipart_upload(
            Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
        )
    except aws_errors() as exc:
        actual, code = classify(exc)
        return ProbeOutcome(actual, f"{step}: {code}")
    return read_back(run, key, response.get("VersionId"), sse)


def copy_object_op(run: ProofRun, scenario: sc.Scenario, sse: sc.Sse) -> ProbeOutcome:
    source = run.source()  # outside the try: the run reports a missing source
    key = run.object_key(scenario.name)
    try:
        response = run.clients.s3().copy_object(
            Bucket=run.target.bucket, Key=key, CopySource=source, **run.args(sse)
        )
    except aws_errors() as exc:
        return ProbeOutcome(*classify(exc))
    return read_back(run, key, response.get("VersionId"), sse)


def get_object_op(run: ProofRun, scenario: sc.Scenario, sse: sc.Sse) -> ProbeOutcome:
    source = run.source()  # outside the try, as in copy_object_op
    try:
        response = run.clients.s3().get_object(**source)
        with response["Body"] as body:
            body.read()
    except aws_errors() as exc:
        return ProbeOutcome(*classify(exc))
    return judge(run, stored_from(response))


def update_encryption_op(run: ProofRun, scenario: sc.Scenario, sse: sc.Sse) -> ProbeOutcome:
    """UpdateObjectEncryption of an object of its own (written with the required headers)
    to the scenario's key, with the Bucket Key setting the bucket promises; then read back.

    S3 changes the encryption of that version in place (no new version), so the version it
    wrote is the one read back. The request always names SSE-KMS and a key ARN.
    """
    if sse.key is None:
        raise ValueError(f"{scenario.name}: an update-encryption scenario must name a key")
    where = run.put_required(
        scenario.name, "probe object"
    )  # SourceUnavailable: reported by the run
    encryption = {
        "SSEKMS": {
            "KMSKeyArn": run.target.keys.arn(sse.key),
            "BucketKeyEnabled": run.target.config.bucket_key,
        }
    }
    try:
        run.clients.s3().update_object_encryption(**where, ObjectEncryption=encryption)
    except aws_errors() as exc:
        return ProbeOutcome(*classify(exc))
    return read_back(run, where["Key"], where.get("VersionId"), sse)


def kms_direct_op(run: ProofRun, scenario: sc.Scenario, sse: sc.Sse) -> ProbeOutcome:
    """Use the project key directly (not via S3): GenerateDataKey, then Decrypt.

    GenerateDataKey decides: KMS authorizes it on the key id alone. Decrypt needs a
    ciphertext of the key, which only exists if GenerateDataKey was allowed; with a dummy
    one KMS may answer InvalidCiphertextException instead of judging the caller, which is
    reported as inconclusive and does not change the verdict.
    """
    kms = run.clients.kms()
    key_arn = run.target.keys.project_arn
    results: list[tuple[str, str, str]] = []  # (call, actual, code)
    blob = b"\x01" * 64  # dummy ciphertext, used only if GenerateDataKey is refused
    try:
        blob = kms.generate_data_key(KeyId=key_arn, KeySpec="AES_256")["CiphertextBlob"]
        results.append(("GenerateDataKey", sc.ALLOWED, "allowed"))
    except aws_errors() as exc:
        results.append(("GenerateDataKey", *classify(exc)))
    try:
        kms.decrypt(KeyId=key_arn, CiphertextBlob=blob)
        results.append(("Decrypt", sc.ALLOWED, "allowed"))
    except aws_errors() as exc:
        actual, code = classify(exc)
        if code == "InvalidCiphertextException" and results[0][1] == sc.DENIED:
            actual, code = sc.DENIED, f"{code} (inconclusive: no ciphertext of the key)"
        results.append(("Decrypt", actual, code))
    return _verdict(results)


def _verdict(results: list[tuple[str, str, str]]) -> ProbeOutcome:
    """Allowed if any call was; denied if every call was; else error."""
    detail = "; ".join(f"{call}: {code}" for call, _, code in results)
    actuals = {actual for _, actual, _ in results}
    if sc.ALLOWED in actuals:
        return ProbeOutcome(sc.ALLOWED, detail)
    if actuals == {sc.DENIED}:
        return ProbeOutcome(sc.DENIED, detail)
    return ProbeOutcome(sc.ERROR, detail)


OPERATIONS: dict[str, Operation] = {
    "put": put_object_op,
    "multipart": multipart_upload_op,
    "copy": copy_object_op,
    "get": get_object_op,
    "kms-direct": kms_direct_op,
    "update-encryption": update_encryption_op,
}

# Relative length of each operation's chain of requests: the run starts long ones first.
COST: dict[str, int] = {"multipart": 3, "copy": 2, "get": 2, "update-encryption": 3}
