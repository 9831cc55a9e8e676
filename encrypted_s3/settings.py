"""Settings: read once from cdk.json context, validated, frozen.

cdk.json holds one block of settings per environment under "encrypted-s3"; `-c env=NAME`
picks one (default dev) and a single setting can be overridden with `-c NAME=VALUE`
(command-line values arrive as strings, so they are parsed here). A bad value raises
SettingsError with one line naming the setting, the value and what is allowed; a name
that is no setting (a typo such as `encrpytion` or `header-policy`) raises it too, with
the closest valid name. docs/design.md, "Settings", says what each setting means.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from encrypted_s3 import declared, names, vocabulary
from encrypted_s3.vocabulary import ENCRYPTIONS, HEADER_POLICIES

CONTEXT_KEY = "encrypted-s3"
DEFAULT_ENV = "dev"
ENV_NAME = re.compile(r"^[a-z][a-z0-9-]{0,19}$")

ROTATION_DAYS = (90, 2560)  # the range KMS accepts for RotationPeriodInDays
# An IAM principal that can administer a key: account root, user or role.
PRINCIPAL_ARN = re.compile(
    r"^arn:aws[a-z-]*:iam::\d{12}:(root|user/[\w+=,.@/-]+|role/[\w+=,.@/-]+)$"
)


class SettingsError(ValueError):
    """A setting that cannot be used; the message is one readable line."""


@dataclass(frozen=True)
class Settings:
    env: str = DEFAULT_ENV
    encryption: str = vocabulary.SSE_KMS
    header_policy: str = vocabulary.STRICT_HEADERS
    key_rotation_days: int = 365
    key_admins: tuple[str, ...] = ()
    retain_data: bool = True
    # Bucket policy, encryption configuration and key policy changeable only by `cdk deploy`.
    guard_policies: bool = False
    # Who may read and who may write the objects (encrypted_s3/declared.py); no reader at all
    # only with write_only_archive.
    readers: tuple[str, ...] = (declared.UPLOADER,)
    writers: tuple[str, ...] = (declared.UPLOADER, declared.REKEY)
    write_only_archive: bool = False

    @property
    def uses_kms(self) -> bool:
        return vocabulary.uses_kms(self.encryption)

    def stack_name(self, stack: str) -> str:
        return names.stack_name(self.env, stack)

    @property
    def key_alias(self) -> str:
        return f"alias/encrypted-s3-{self.env}"

    def as_metadata(self) -> dict[str, Any]:
        return {
            "env": self.env,
            "encryption": self.encryption,
            "header_policy": self.header_policy,
            "key_rotation_days": self.key_rotation_days,
            "key_admins": list(self.key_admins),
            "retain_data": self.retain_data,
            "guard_policies": self.guard_policies,
            "readers": list(self.readers),
            "writers": list(self.writers),
            "write_only_archive": self.write_only_archive,
        }


SETTING_NAMES = tuple(name for name in Settings.__dataclass_fields__ if name != "env")


# Context names that are not settings: `-c env=NAME` and the block of environments.
CONTEXT_NAMES = ("env", CONTEXT_KEY)


def _unknown(name: str, valid: tuple[str, ...], env: str | None = None) -> SettingsError:
    close = difflib.get_close_matches(name, valid, n=1, cutoff=0.6)
    if not close:  # "Encryption", "HEADER_POLICY": the case alone is wrong
        close = [v for v in valid if v.lower() == name.lower().replace("-", "_")]
    hint = f"did you mean {close[0]!r}? " if close else ""
    where = f" (env {env!r})" if env else ""
    listed = ", ".join(v for v in valid if v != CONTEXT_KEY)
    return SettingsError(f"unknown setting {name!r}{where}: {hint}allowed settings are {listed}")


def check_context_names(names: Iterable[str]) -> None:
    """Every context name that is not CDK's own must be a setting (a typo fails synth).

    CDK's own: feature flags ("@aws-cdk/..."), keys the CLI adds ("aws:cdk:..."), and
    cached lookups ("availability-zones:account=..."): each has '@', ':' or '/'.
    """
    for name in sorted(names):
        if name.startswith("@") or ":" in name or "/" in name:
            continue
        if name not in CONTEXT_NAMES and name not in SETTING_NAMES:
            raise _unknown(name, (*CONTEXT_NAMES, *SETTING_NAMES))


def check_account(settings: Settings, account: str | None) -> None:
    """Key administrators belong to the deploying account (see docs/design.md, "Settings").

    The stacks are environment-agnostic, so at synth the ARNs can only be compared with
    each other; on deploy the CLI names the account and they are compared with it.
    """
    accounts = {arn.split(":")[4] for arn in settings.key_admins}
    if account:
        accounts.add(account)
    if len(accounts) > 1:
        named = ", ".join(sorted(accounts))
        deploying = f" (deploying to {account})" if account else ""
        raise SettingsError(
            f"setting key_admins (env {settings.env!r}) names accounts {named}{deploying}: "
            "allowed only principals of the one account that owns the key"
        )


def _fail(env: str, name: str, value: Any, allowed: str) -> SettingsError:
    return SettingsError(f"setting {name}={value!r} (env {env!r}) is invalid: allowed {allowed}")


def _choice(env: str, name: str, value: Any, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise _fail(env, name, value, "values are " + ", ".join(choices))
    return str(value)  # one of `choices`, all strings


def _rotation(env: str, value: Any) -> int:
    low, high = ROTATION_DAYS
    allowed = f"a whole number of days from {low} to {high}"
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _fail(env, "key_rotation_days", value, allowed)
    return value


def _admins(env: str, value: Any) -> tuple[str, ...]:
    allowed = "a list of IAM principal ARNs (arn:aws:iam::<12 digits>:root|user/NAME|role/NAME)"
    if isinstance(value, str):  # from -c: a JSON list or comma-separated ARNs
        text = value.strip()
        try:
            value = json.loads(text) if text.startswith("[") else [v for v in text.split(",") if v]
        except json.JSONDecodeError:
            raise _fail(env, "key_admins", value, allowed) from None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _fail(env, "key_admins", value, allowed)
    for arn in value:
        if not PRINCIPAL_ARN.match(arn.strip()):
            raise _fail(env, "key_admins", arn, allowed)
    return tuple(arn.strip() for arn in value)


def _flag(env: str, name: str, value: Any) -> bool:
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if not isinstance(value, bool):
        raise _fail(env, name, value, "values are true, false")
    return value


def _access(env: str, values: Mapping[str, Any], defaults: Settings) -> dict[str, Any]:
    """readers, writers and write_only_archive, checked together (encrypted_s3/declared.py)."""
    archive = _flag(
        env, "write_only_archive", values.get("write_only_archive", defaults.write_only_archive)
    )
    try:
        readers, writers = (
            declared.parse(
                env, name, values.get(name, list(getattr(defaults, name))), readers=reads
            )
            for name, reads in (("readers", True), ("writers", False))
        )
    except declared.DeclarationError as error:
        raise SettingsError(str(error)) from None
    if not readers and not archive:
        raise SettingsError(
            f"setting readers=[] (env {env!r}) is invalid: allowed at least one reader, or "
            "write_only_archive=true for an archive that no one reads"
        )
    if readers and archive:
        raise SettingsError(
            f"setting write_only_archive=true (env {env!r}) is invalid with readers "
            f"{', '.join(readers)}: allowed only with readers=[]"
        )
    return {"readers": readers, "writers": writers, "write_only_archive": archive}


def parse(env: str, values: Mapping[str, Any]) -> Settings:
    """Validate one environment's settings (defaults fill what is not given)."""
    if not isinstance(env, str) or not ENV_NAME.match(env):
        raise SettingsError(
            f"setting env={env!r} is invalid: allowed a lower-case name of letters, digits and -"
        )
    unknown = sorted(set(values) - set(SETTING_NAMES))
    if unknown:
        raise _unknown(unknown[0], SETTING_NAMES, env)
    defaults = Settings()
    settings = Settings(
        env=env,
        encryption=_choice(
            env, "encryption", values.get("encryption", defaults.encryption), ENCRYPTIONS
        ),
        header_policy=_choice(
            env,
            "header_policy",
            values.get("header_policy", defaults.header_policy),
            HEADER_POLICIES,
        ),
        key_rotation_days=_rotation(
            env, values.get("key_rotation_days", defaults.key_rotation_days)
        ),
        key_admins=_admins(env, values.get("key_admins", list(defaults.key_admins))),
        retain_data=_flag(env, "retain_data", values.get("retain_data", defaults.retain_data)),
        guard_policies=_flag(
            env, "guard_policies", values.get("guard_policies", defaults.guard_policies)
        ),
        **_access(env, values, defaults),
    )
    # DESTROY + auto-delete of encrypted data is a development convenience only.
    if not settings.retain_data and env != DEFAULT_ENV:
        raise SettingsError(
            f"setting retain_data=false (env {env!r}) is invalid: allowed only in env "
            f"{DEFAULT_ENV!r}; other environments must keep their key and data"
        )
    try:
        declared.check_partitions(
            env,
            {
                "readers": settings.readers,
                "writers": settings.writers,
                "key_admins": settings.key_admins,
            },
        )
    except declared.DeclarationError as error:
        raise SettingsError(str(error)) from None
    if settings.key_admins and not settings.uses_kms:
        raise SettingsError(
            f"setting key_admins (env {env!r}) is invalid with encryption=sse-s3: "
            "allowed only with sse-kms or dsse-kms, which create a key"
        )
    return settings


def from_context(get: Any) -> Settings:
    """Settings from CDK context; `get` is `node.try_get_context`."""
    env = get("env")
    if env is None:
        env = DEFAULT_ENV
    elif env == "":  # `-c env=` would otherwise quietly mean dev
        raise SettingsError(
            "setting env='' is empty: allowed values are the blocks under "
            f"{CONTEXT_KEY!r} in cdk.json, e.g. -c env=dev"
        )
    environments = get(CONTEXT_KEY) or {}
    if isinstance(environments, str):  # -c encrypted-s3=... arrives as a string
        raise SettingsError(f"context {CONTEXT_KEY!r} must be an object of environments")
    if env not in environments:
        known = ", ".join(sorted(environments)) or "none"
        raise SettingsError(
            f"setting env={env!r} is invalid: allowed values are {known} (the blocks under "
            f"{CONTEXT_KEY!r} in cdk.json)"
        )
    block = environments[env]
    if not isinstance(block, Mapping):
        raise SettingsError(f"settings of env {env!r} in cdk.json must be an object of settings")
    values = dict(block)
    # Single settings given with -c override the environment's block.
    for name in SETTING_NAMES:
        override = get(name)
        if override is not None:
            values[name] = override
    return parse(env, values)


def load(context: Mapping[str, Any], account: str | None = None) -> Settings:
    """The one way the app and the demo read settings: every context name checked, the
    environment's block with its -c overrides validated, the key administrators' account
    checked (against the deploying account, when the CLI knows it)."""
    check_context_names(context)
    settings = from_context(context.get)
    check_account(settings, account)
    return settings
