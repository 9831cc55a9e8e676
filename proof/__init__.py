"""Offline proof: the synthesized policies, run through a real IAM policy simulator.

The scenario table lives with the Lambda (lambda/uploader/scenarios.py, stdlib only);
put it on the import path so `python -m proof`, the benchmark and the tests import it the
same way. Nothing else is imported here, so `proof.report` loads on its own.
"""

import sys
from pathlib import Path

_SCENARIOS_DIR = str(Path(__file__).resolve().parent.parent / "lambda" / "uploader")
if _SCENARIOS_DIR not in sys.path:
    sys.path.append(_SCENARIOS_DIR)
