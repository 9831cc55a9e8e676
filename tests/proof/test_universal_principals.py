"""The principals as finitely many classes (encrypted_s3/universal/principals.py): every
IAM ARN of the model falls in exactly one class, every comparison a policy makes is true
or false of a whole class, and every class has a real ARN. Expectations come from IAM's
matching rules, evaluated here by an independent matcher (fnmatch), not by the module."""

from __future__ import annotations

import re

import pytest
import z3

from encrypted_s3.universal.encode import SymbolicRequest
from encrypted_s3.universal.policy import parse_policy
from encrypted_s3.universal.principals import ARN_KEY, Pattern, Principals
from tests.proof.support import iam_like

HOME, PARTNER = "123456789012", "210987654321"
ME = f"arn:aws:iam::{HOME}:role/Me"
READER = f"arn:aws:iam::{PARTNER}:role/reader-1"
CDK = "arn:aws:iam::*:role/cdk-*"  # ArnLike: * within the account part, then any rest


def principals(*patterns: str, arns: tuple[str, ...] = (ME, READER)) -> Principals:
    return Principals(
        "aws",
        arns,
        [HOME],
        ["cloudfront.amazonaws.com"],
        [Pattern(ARN_KEY, p, True) for p in patterns],
    )


def truth(who: Principals, formula: z3.BoolRef, r: SymbolicRequest, cell: int) -> bool:
    fixed = z3.substitute(formula, (r.p_kind, z3.IntVal(0)), (r.p_cls, z3.IntVal(cell)))
    return bool(z3.is_true(z3.simplify(fixed)))


def test_without_patterns_each_named_arn_and_each_account_is_one_class():
    who = principals()
    r = SymbolicRequest.make([])
    # Me, reader-1; then the unnamed principals of each named account and of any other.
    assert [c.arn for c in who.cells] == [
        ME,
        READER,
        f"arn:aws:iam::{HOME}:role/Example",
        f"arn:aws:iam::{PARTNER}:role/Example",
        "arn:aws:iam::111122223333:role/Example",  # an account no one names
    ]
    assert [c.named for c in who.cells] == [True, True, False, False, False]
    for i, cell in enumerate(who.cells):
        assert truth(who, who.arn_is(r, ME), r, i) is (cell.arn == ME)
        assert truth(who, who.in_account(r, HOME), r, i) is (cell.account == HOME)
        assert who.cell_of(cell.arn) == i  # its example ARN is in it


def test_an_arn_no_one_names_is_in_its_accounts_class():
    who = principals()
    assert who.cells[who.cell_of(f"arn:aws:iam::{HOME}:user/someone")].account == HOME
    other = who.cells[who.cell_of("arn:aws:iam::999999999999:root")]
    assert not other.named and not other.known_account


def test_a_pattern_splits_the_classes_that_it_cuts_each_with_an_arn_of_it():
    who = principals(CDK)
    for cell in who.cells:
        assert cell.matches == (iam_like(CDK, cell.arn),)  # the class's ARN is real
    # A split's ARN reads as the pattern with "Example" for its wildcard, not z3's "cdk-".
    assert {c.arn.split(":")[5] for c in who.cells if c.matches[0]} == {"role/cdk-Example"}
    unnamed = [
        (c.account if c.known_account else None, c.matches) for c in who.cells if not c.named
    ]
    # Every account's unnamed principals: some match role/cdk-*, some do not.
    assert sorted(unnamed, key=str) == sorted(
        [(a, m) for a in (HOME, PARTNER, None) for m in ((True,), (False,))], key=str
    )


def test_a_split_no_arn_realizes_is_not_a_class():
    mine = f"arn:aws:iam::{HOME}:role/*"
    who = principals(mine)
    for cell in who.cells:
        assert cell.matches == (iam_like(mine, cell.arn),)
    # No principal of another account matches a pattern of this account's roles.
    assert not any(c.matches[0] for c in who.cells if c.account != HOME)
    assert any(c.matches[0] for c in who.cells if c.account == HOME and not c.named)


@pytest.mark.parametrize(
    "arn",
    [
        f"arn:aws:iam::{HOME}:role/cdk-deploy",
        f"arn:aws:iam::{HOME}:role/app",
        "arn:aws:iam::555555555555:role/cdk-x:y",
        "arn:aws:iam::555555555555:user/cdk-x",
        READER,
    ],
)
def test_a_concrete_arn_lands_in_the_class_of_its_matches(arn):
    who = principals(CDK)
    cell = who.cells[who.cell_of(arn)]
    assert cell.matches == (iam_like(CDK, arn),)
    assert cell.named is (arn == READER)
    assert (cell.account if cell.known_account else None) == (
        arn.split(":")[4] if arn.split(":")[4] in (HOME, PARTNER) else None
    )


def test_the_classes_come_from_the_policies():
    statements = parse_policy(
        {
            "Statement": [
                {
                    "Effect": "Deny",
                    "Principal": {"AWS": f"arn:aws:iam::{PARTNER}:root"},
                    "Action": "s3:*",
                    "Resource": "*",
                    "Condition": {
                        "ArnNotLike": {"aws:PrincipalArn": CDK},
                        "ArnNotEquals": {"aws:PrincipalArn": ME},
                        "StringNotEquals": {"kms:CallerAccount": "444455556666"},
                    },
                }
            ]
        },
        "bucket policy",
        True,
    )
    who = Principals.of("aws", statements, [], [HOME])
    assert who.accounts == [HOME, PARTNER, "444455556666"]  # sorted
    assert who.by_arn == {ME: 0}
    assert who.patterns == (Pattern(ARN_KEY, CDK, True),)
    # ArnEquals reads wildcards as ArnLike does; StringEquals takes them literally.
    r = SymbolicRequest.make([])
    assert re.fullmatch(r"arn:aws:iam::\d{12}:.+", who.cells[-1].arn)
    assert z3.is_false(z3.simplify(who.compare(r, ARN_KEY, "StringEquals", CDK)))


def test_a_name_the_classes_do_not_know_is_an_error_not_a_silent_false():
    who = principals()
    r = SymbolicRequest.make([])
    with pytest.raises(KeyError, match="role/Unknown: not among the principals"):
        who.arn_is(r, f"arn:aws:iam::{HOME}:role/Unknown")
    # Not an IAM principal's ARN at all (another partition, STS): no caller has it.
    assert z3.is_false(who.arn_is(r, f"arn:aws-cn:iam::{HOME}:role/Me"))
    assert z3.is_false(who.arn_is(r, f"arn:aws:sts::{HOME}:assumed-role/Me/s"))


def test_an_account_no_one_names_is_shown_by_one_no_one_names():
    from encrypted_s3.universal.principals import SPARE_ACCOUNTS

    who = Principals("aws", [ME], [HOME, *SPARE_ACCOUNTS], [], [])
    other = [c for c in who.cells if not c.known_account]
    assert len(other) == 1 and other[0].account not in who.accounts


def test_a_split_the_solver_cannot_settle_stops_with_one_line(monkeypatch):
    from encrypted_s3.universal import principals as module
    from encrypted_s3.universal.solve import SolverGaveUp

    monkeypatch.setattr(module, "_BUDGET", 1)
    with pytest.raises(SolverGaveUp) as raised:
        principals(CDK)
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith("the solver could not split the principals of ")
    assert CDK in message
