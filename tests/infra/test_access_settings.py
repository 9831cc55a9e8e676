"""Settings readers, writers and write_only_archive: what is accepted, and one readable
line naming the value and what is allowed for every bad one."""

from __future__ import annotations

import json

import pytest

from encrypted_s3 import declared
from encrypted_s3 import settings as s
from tests.conftest import CDK_CONTEXT

ROLE = "arn:aws:iam::123456789012:role/Analyst"
OTHER_ROLE = "arn:aws:iam::210987654321:role/Partner"
DISTRIBUTION = "arn:aws:cloudfront::123456789012:distribution/E2EXAMPLE"


def test_cdk_json_declares_the_uploader_reader_and_writer_in_every_environment():
    """And the re-key jobs' role a writer: it re-keys objects and reads none."""
    for env in ("dev", "prod"):
        got = s.parse(env, CDK_CONTEXT[s.CONTEXT_KEY][env])
        assert (got.readers, got.writers, got.write_only_archive) == (
            ("uploader",),
            ("uploader", "rekey"),
            False,
        )


def test_roles_of_any_account_and_distributions_are_accepted():
    got = s.parse("dev", {"readers": [ROLE, OTHER_ROLE, DISTRIBUTION], "writers": [OTHER_ROLE]})
    assert got.readers == (ROLE, OTHER_ROLE, DISTRIBUTION)
    assert got.writers == (OTHER_ROLE,)
    # The settings travel with the template for the offline proof.
    assert got.as_metadata()["readers"] == [ROLE, OTHER_ROLE, DISTRIBUTION]


def test_command_line_values_are_parsed():
    got = s.from_context(
        {
            s.CONTEXT_KEY: CDK_CONTEXT[s.CONTEXT_KEY],
            "readers": json.dumps(["uploader", ROLE]),
            "writers": f"uploader,{OTHER_ROLE}",
        }.get
    )
    assert (got.readers, got.writers) == (("uploader", ROLE), ("uploader", OTHER_ROLE))


def test_a_write_only_archive_is_declared_explicitly():
    got = s.parse("dev", {"readers": [], "write_only_archive": True})
    assert got.readers == () and got.write_only_archive


ALLOWED_READERS = declared.allowed(readers=True)
ALLOWED_WRITERS = declared.allowed(readers=False)
BAD = [
    ("readers", "arn:aws:iam::123456789012:rol/x", "malformed", ALLOWED_READERS),
    ("readers", "not-an-arn", "not an ARN", ALLOWED_READERS),
    ("readers", "arn:aws:iam::123456789012:user/alice", "a user, where a role is required", None),
    ("writers", "arn:aws:iam::123456789012:root", "an account root, where a role", None),
    ("readers", "arn:azure:iam::123456789012:role/x", "partition 'azure' is not an AWS", None),
    ("readers", "arn:aws:iam::123456789012:role/*", "wildcards are not declarations", None),
    ("writers", "arn:aws:iam::*:role/Writer", "wildcards are not declarations", None),
    ("readers", "arn:aws:iam::12345678901:role/x", "account '12345678901' is not 12 digits", None),
    ("writers", DISTRIBUTION, "a CloudFront distribution can only read", ALLOWED_WRITERS),
]


@pytest.mark.parametrize(("name", "value", "problem", "allowed"), BAD)
def test_a_bad_declaration_is_one_line_naming_it(name, value, problem, allowed):
    with pytest.raises(s.SettingsError) as caught:
        s.parse("dev", {name: ["uploader", value] if name == "readers" else [value]})
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"setting {name}={value!r} (env 'dev') is invalid: {problem}")
    assert message.endswith(f"allowed {allowed or declared.allowed(name == 'readers')}")


def test_a_duplicate_is_refused():
    with pytest.raises(s.SettingsError, match=r"readers='uploader' .* declared twice"):
        s.parse("dev", {"readers": ["uploader", "uploader"]})


@pytest.mark.parametrize("value", ["[not json", 42, {"a": 1}, [1]])
def test_a_value_that_is_no_list_of_strings_is_refused(value):
    with pytest.raises(s.SettingsError, match=r"^setting writers=.* is invalid: not a list"):
        s.parse("dev", {"writers": value})


def test_no_reader_needs_write_only_archive():
    with pytest.raises(s.SettingsError) as caught:
        s.parse("prod", {"readers": []})
    assert str(caught.value) == (
        "setting readers=[] (env 'prod') is invalid: allowed at least one reader, or "
        "write_only_archive=true for an archive that no one reads"
    )


def test_write_only_archive_with_readers_is_refused():
    with pytest.raises(s.SettingsError, match=r"write_only_archive=true .* only with readers=\[\]"):
        s.parse("dev", {"write_only_archive": True})
    with pytest.raises(s.SettingsError, match=r"write_only_archive='maybe'.* true, false"):
        s.parse("dev", {"write_only_archive": "maybe"})


def test_declarations_of_two_partitions_are_refused():
    china = "arn:aws-cn:iam::123456789012:role/Reader"
    with pytest.raises(s.SettingsError) as caught:
        s.parse("dev", {"readers": [china], "writers": [ROLE]})
    assert str(caught.value) == (
        "settings readers, writers (env 'dev') name partitions aws, aws-cn: allowed only "
        "principals of the one partition the app deploys to"
    )
