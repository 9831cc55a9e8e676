"""The benchmark's own logic that a run shows only after minutes: the quick differential
figure and the progress lines."""

from __future__ import annotations

from bench.run import step
from bench.universal import PER_VARIANT, differential_figure
from encrypted_s3.vocabulary import Config


def test_a_quick_differential_is_info_not_a_miss(variant_assemblies):
    """Fewer requests than the target's 10,000 per variant can refute the encoding, never
    meet the target: `info` (it read NOT MET on every quick run)."""
    directory = str(variant_assemblies[Config("sse-kms", "strict")][0])
    quick = differential_figure([directory], per_variant=20)
    assert quick["met"] is None and quick["disagreements"] == 0
    # Every drawn request is decided by both, or counted as outside the model or a limit.
    left_out = quick["outside_the_model"] + quick["simulator_limits"]
    assert quick["requests"] + left_out == quick["per_variant"] == 20 < PER_VARIANT


def test_each_step_says_what_it_measures_on_stderr(capsys):
    step("make test from a clean state")
    out, err = capsys.readouterr()
    assert (out, err) == ("", "bench: make test from a clean state\n")
