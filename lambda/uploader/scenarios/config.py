"""What the deployed bucket promises: the settings the rules depend on."""

from __future__ import annotations

from dataclasses import dataclass

from encrypted_s3 import vocabulary as v


@dataclass(frozen=True)
class Config:
    """What the deployed bucket promises: the two settings the rules depend on."""

    encryption: str
    header_policy: str
    # Setting guard_policies: only the deploy role may change the bucket policy, the
    # bucket's encryption and replication configuration, and the key policy.
    guard_policies: bool = False
    # Settings readers and writers (who can read it): the app's uploader by default.
    readers: tuple[str, ...] = ("uploader",)
    writers: tuple[str, ...] = ("uploader", "rekey")

    def __post_init__(self) -> None:
        if self.encryption not in v.ENCRYPTIONS:
            raise ValueError(
                f"encryption {self.encryption!r} is not one of {', '.join(v.ENCRYPTIONS)}"
            )
        if self.header_policy not in v.HEADER_POLICIES:
            raise ValueError(
                f"header_policy {self.header_policy!r} is not one of {', '.join(v.HEADER_POLICIES)}"
            )

    @property
    def algorithm(self) -> str:
        return v.ALGORITHM[self.encryption]

    @property
    def uses_kms(self) -> bool:
        return v.uses_kms(self.encryption)

    @property
    def bucket_key(self) -> bool:
        return v.bucket_key(self.encryption)

    @property
    def label(self) -> str:
        return f"{self.encryption}/{self.header_policy}"


def all_configs() -> list[Config]:
    return [Config(e, h) for e in v.ENCRYPTIONS for h in v.HEADER_POLICIES]
