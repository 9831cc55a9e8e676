"""The universal proof: every property holds for every request, checked with z3.

The scenario table (proof/prove.py) runs chosen requests through the IAM simulator;
this package encodes the synthesized policies and a symbolic request as SMT formulas
and asks z3 for any request that breaks a promise (the approach of AWS's Zelkova). Its
encoding is trusted as far as it agrees with iam-simulate on random requests
(tests/proof/test_universal_differential.py, bench/universal.py).
"""
