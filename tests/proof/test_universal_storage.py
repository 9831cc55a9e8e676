"""The storage layer against an independent S3: for random accepted writes (PutObject,
CopyObject, multipart) with random encryption headers under each variant's bucket
default, the model's stored (algorithm, key, Bucket Key) against moto's S3. The benchmark
(bench/universal.py) runs >= 1,000 per variant."""

from __future__ import annotations

from proof import storage_differential as storage
from proof.deployment import find_deployment
from proof.storage_differential import KNOWN_MOTO_DIFFERENCES, compare_storage

PER_VARIANT = 200


def test_the_model_stores_what_moto_stores_or_a_documented_difference(variant_templates):
    deployments = {c.label: find_deployment(t) for c, t in variant_templates.items()}
    found = compare_storage(deployments, PER_VARIANT, seed=5)
    assert found.compared == PER_VARIANT * len(deployments)
    assert found.unexplained == []
    assert found.agreements > found.compared // 3
    known = {why for why, _, _ in KNOWN_MOTO_DIFFERENCES}
    assert {part for why in found.known for part in why.split(" + ")} <= known
    assert all(
        doc.startswith("https://docs.aws.amazon.com/") for _, _, doc in KNOWN_MOTO_DIFFERENCES
    )


def test_a_wrong_storage_model_would_be_caught(variant_templates, monkeypatch):
    """The check can fail: a model that ignores the bucket default's Bucket Key setting."""
    (templates,) = [t for c, t in variant_templates.items() if c.label == "sse-kms/strict"]

    def ignores_default(deployment, algorithm: str, header: bool | None) -> bool:
        return algorithm == "aws:kms" and bool(header)

    monkeypatch.setattr(storage, "stored_bucket_key", ignores_default)
    found = compare_storage({"sse-kms/strict": find_deployment(templates)}, 60, seed=5)
    assert found.unexplained
    assert all("moto ('aws:kms'" in line for line in found.unexplained)
