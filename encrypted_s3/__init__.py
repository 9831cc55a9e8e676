"""Encrypted S3 storage for any CDK app, and its proof at synth time.

- `EncryptedStorage`, `StorageKey`, `storage_settings`: the constructs (encrypted_s3.storage).
- `ProofPlugin`: a CDK policy-validation plugin (`App(policy_validation_beta1=[...])`) that
  proves every instance's properties at synth and fails synthesis naming the instance,
  the refuted property and a counterexample (encrypted_s3.plugin); `synth(app)` ends a
  failed synthesis with one line instead of a traceback.
- `encrypted_s3.vocabulary`: the modes, algorithms, condition keys and store actions
  (standard library only).

The names above are imported when first used: importing `encrypted_s3.vocabulary` (as the
uploader Lambda does, without aws-cdk-lib) does not import the constructs or the plugin.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what type checkers see; at run time __getattr__ imports them
    from encrypted_s3.plugin import ProofPlugin as ProofPlugin
    from encrypted_s3.plugin import synth as synth
    from encrypted_s3.settings import Settings as Settings
    from encrypted_s3.settings import SettingsError as SettingsError
    from encrypted_s3.storage import EncryptedStorage as EncryptedStorage
    from encrypted_s3.storage import StorageKey as StorageKey
    from encrypted_s3.storage import storage_settings as storage_settings

_HOMES = {
    "EncryptedStorage": "encrypted_s3.storage",
    "ProofPlugin": "encrypted_s3.plugin",
    "Settings": "encrypted_s3.settings",
    "SettingsError": "encrypted_s3.settings",
    "StorageKey": "encrypted_s3.storage",
    "storage_settings": "encrypted_s3.storage",
    "synth": "encrypted_s3.plugin",
}

__all__ = [
    "EncryptedStorage",
    "ProofPlugin",
    "Settings",
    "SettingsError",
    "StorageKey",
    "storage_settings",
    "synth",
]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'encrypted_s3' has no attribute {name!r}")
    value = getattr(import_module(_HOMES[name]), name)
    globals()[name] = value
    return value
