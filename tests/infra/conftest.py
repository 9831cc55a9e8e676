"""Fixtures of the infrastructure tests (stacks, settings, snapshots, checks, hardening).

The synthesis of the six variants is shared with the proof tests (tests/conftest.py);
dev and prod as cdk.json configures them are synthesized there too, once per session.
"""

from __future__ import annotations
