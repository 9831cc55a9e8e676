"""Trust the encoding only as far as it is checked: random requests per variant, decided
by the encoding's own formulas and by iam-simulate (one Node process for all variants).
The benchmark (bench/universal.py) runs the same check with at least 10,000 per variant."""

from __future__ import annotations

from proof import mutate
from proof.deployment import find_deployment
from proof.differential import compare

PER_VARIANT = 150  # keeps `make test` fast; the benchmark runs >= 10,000 per variant


def test_encoding_agrees_with_iam_simulate_on_random_requests(variant_templates):
    deployments = {c.label: find_deployment(t) for c, t in variant_templates.items()}
    found = compare(deployments, PER_VARIANT, seed=12)
    left_out = len(found.outside) + len(found.simulator_limits)
    assert found.decided + left_out == PER_VARIANT * len(deployments)
    assert found.decided > 0.8 * PER_VARIANT * len(deployments)
    assert not found.disagreements, "\n".join(d.describe() for d in found.disagreements[:10])


def test_a_wrong_encoding_would_be_caught(variant_templates):
    """The check can fail: the simulator gets the bucket policy without its Deny statements
    while the encoding keeps them (a model of an encoding that invents denies)."""
    (templates,) = [t for c, t in variant_templates.items() if c.label == "sse-kms/strict"]
    d = find_deployment(templates)
    denies = [s["Sid"] for s in d.bucket_policy.document["Statement"] if s["Effect"] == "Deny"]
    loose = mutate.apply(d, [f"drop:{sid}" for sid in denies])
    assert not [s for s in loose.bucket_policy.document["Statement"] if s["Effect"] == "Deny"]
    disagreements = compare(
        {"sse-kms/strict": d}, PER_VARIANT, seed=12, simulated_as={"sse-kms/strict": loose}
    ).disagreements
    assert disagreements
    assert all("encoding denies, iam-simulate says Allowed" in x.describe() for x in disagreements)
