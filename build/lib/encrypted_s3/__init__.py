"""Encrypted S3 storage for any CDK app, and its proof at synth time.

- `EncryptedStorage`, `StorageKey`, `storage_settings`: the constructs (encrypted_s3.storage).
- `ProofPlugin`: a CDK policy-validation plugin (`App(policy_validation_beta1=[...])`) that
  proves every instance's properties at synth and fails synthesis naming the instance,
  the refuted property and a counterexample (encrypted_s3.plugin); `synth(app)` ends a
  failed synthesis with one line instead of a traceback.
"""

from __future__ import annotations

from encrypted_s3.plugin import ProofPlugin, synth
from encrypted_s3.storage import EncryptedStorage, StorageKey, storage_settings
from stacks.settings import Settings, SettingsError

__all__ = [
    "EncryptedStorage",
    "ProofPlugin",
    "Settings",
    "SettingsError",
    "StorageKey",
    "storage_settings",
    "synth",
]
