"""Offline proof: the synthesized policies, run through a real IAM policy simulator.

The scenario table is the package `scenarios`, standard library only, which lives with
the Lambda (lambda/uploader/scenarios) because the Lambda bundles it. The project's
editable install (`uv pip install -e . --no-deps`, done by the setup; pyproject.toml
[tool.setuptools]) maps the top-level name `scenarios` to that directory, so
`python -m proof`, the benchmark, the stacks and the tests import it the same way, and
nothing edits sys.path. Nothing is imported here, so `proof.report` loads on its own.
"""
