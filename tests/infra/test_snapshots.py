"""One JSON snapshot per stack of the dev environment; `make snapshot-update` renews them."""

from __future__ import annotations

import copy
import re

import pytest
from syrupy.extensions.json import JSONSnapshotExtension

from tests.infra.support import BUCKET_STACK, KEY_STACK, UPLOADER_STACK

STACK_NAMES = [KEY_STACK, BUCKET_STACK, UPLOADER_STACK]
ASSET_KEY = re.compile(r"^[0-9a-f]{64}\.zip$")


def masked(template: dict) -> dict:
    """The template without asset hashes, which change with every edit of the Lambda code."""
    template = copy.deepcopy(template)

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "S3Key" and isinstance(value, str) and ASSET_KEY.match(value):
                    node[key] = "<asset hash>.zip"
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(template)
    return template


@pytest.fixture
def snapshot_json(snapshot):
    return snapshot.use_extension(JSONSnapshotExtension)


@pytest.mark.parametrize("stack", STACK_NAMES)
def test_stack_snapshot(dev_templates, snapshot_json, stack):
    assert masked(dev_templates[stack]) == snapshot_json


def test_mask_touches_only_asset_keys(dev_templates):
    uploader = dev_templates[UPLOADER_STACK]
    (function,) = [
        r for r in uploader["Resources"].values() if r["Type"] == "AWS::Lambda::Function"
    ]
    assert ASSET_KEY.match(function["Properties"]["Code"]["S3Key"])
    assert masked(uploader)["Resources"] != uploader["Resources"]
    assert masked(dev_templates[KEY_STACK]) == dev_templates[KEY_STACK]
