"""The README's "Who can do what" table is the one the proof generates for prod."""

from __future__ import annotations

import re

from encrypted_s3.universal.check import check
from encrypted_s3.universal.report import render_universal_text, to_json
from proof.deployment import find_deployment
from proof.paths import ROOT

BLOCK = re.compile(r"<!-- who-can-do-what:start -->\n(.*?)\n<!-- who-can-do-what:end -->", re.S)


def test_the_readme_table_is_generated_from_prod_and_proved(prod_templates):
    u = check(find_deployment(prod_templates), necessity=False)
    assert u.refuted == []
    (in_readme,) = BLOCK.findall((ROOT / "README.md").read_text())
    assert in_readme == u.who
    assert "declared-use proved" in u.who and "REFUTED" not in u.who
    # The reports carry it: the text (and markdown) properties section, and the JSON.
    assert u.who.splitlines()[2] in render_universal_text(u)
    assert to_json(u)["who_can_do_what"] == u.who


def test_the_table_names_every_declared_principal_and_says_refuted(access_deployments):
    from proof import mutate

    d = access_deployments["sse-kms/strict+declared"]
    u = check(d, necessity=False)
    assert "`arn:aws:iam::210987654321:role/DeclaredReader` | yes | no | no | yes | no" in u.who
    assert "CloudFront `arn:aws:cloudfront::123456789012:distribution/E2EXAMPLE`" in u.who
    broken = check(mutate.apply(d, ["drop:DenyObjectReadsByUndeclared"]), necessity=False)
    assert "confidentiality REFUTED" in broken.who


def test_dev_adds_the_auto_delete_roles_row(dev_templates):
    u = check(find_deployment(dev_templates), necessity=False)
    row = "| CDK's auto-delete role (retain_data false) | no | no | yes | no | no |"
    assert row in u.who.splitlines()
