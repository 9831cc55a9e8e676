"""Who can send a request, as finitely many classes: one z3 integer instead of strings.

A policy tells IAM principals apart only through the texts it compares them with: the
ARNs and accounts in Principal, and the values of aws:PrincipalArn, aws:PrincipalAccount
and kms:CallerAccount in conditions (equal to a text, or matching a wildcard pattern).
Two principals every such comparison answers alike are decided alike by every policy and
every property, so one class stands for both. The classes of a deployment:

- each IAM ARN of the partition that a policy or the deployment names;
- for each account named (and for "an account no one names"), the principals of it that
  no one names, split further by which wildcard patterns they match; a split is a class
  only if some ARN realizes it (z3 finds one, or shows there is none).

Every IAM principal of the model falls in exactly one class, and every comparison is
true or false of a whole class: a proof over the classes is a proof over every ARN, and a
counterexample's class comes with a real ARN of it. AWS service principals are classes
the same way: each service named, and one for every other. Strings made the solver search
for an ARN; an integer leaves it a choice among a dozen (most of a check's cost before).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import z3

from encrypted_s3.universal.encode import NOT_COLON, SymbolicRequest, arn_glob, glob
from encrypted_s3.universal.policy import Statement
from encrypted_s3.universal.solve import TIMEOUT_MS, SolverGaveUp

ARN_KEY = "aws:principalarn"
ACCOUNT_KEYS = ("aws:principalaccount", "kms:calleraccount")
PRINCIPAL_KEYS = (ARN_KEY, *ACCOUNT_KEYS)
# The example ARN and account shown for a principal or account no one names.
EXAMPLE_ROLES = ("role/Example", "role/AccountAdmin")
SPARE_ACCOUNTS = ("210987654321", "111122223333", "444455556666", "777788889999")
_ACCOUNT = re.compile(r"^\d{12}$")
_BUDGET = 2_000_000  # z3's resource limit for finding the splits (each is a small query)


@dataclass(frozen=True)
class Pattern:
    """A wildcard pattern compared with the principal's ARN or account."""

    key: str  # ARN_KEY or "account"
    text: str
    arn: bool  # ArnLike (wildcards within one ':'-separated part) or StringLike

    @staticmethod
    def of(key: str, base: str, text: str) -> Pattern:
        """The pattern a condition on a principal key compares with (_is_pattern)."""
        return Pattern(ARN_KEY if key == ARN_KEY else "account", text, base.startswith("Arn"))

    def regex(self) -> z3.ReRef | None:
        return arn_glob(self.text) if self.arn else glob(self.text)


@dataclass(frozen=True)
class Cell:
    """One class of IAM principals."""

    arn: str  # its ARN, or for principals no one names an example of them
    account: str  # likewise
    named: bool  # the ARN is named
    known_account: bool  # the account is named
    matches: tuple[bool, ...]  # which patterns (Principals.patterns) its ARNs match


def _wild(text: str) -> bool:
    return "*" in text or "?" in text


def _is_pattern(base: str, text: str) -> bool:
    """IAM reads wildcards in the Arn operators (ArnEquals too) and in StringLike."""
    return (base.startswith("Arn") or base.endswith("Like")) and _wild(text)


def _holds(regex: z3.ReRef, text: str) -> bool:
    return bool(z3.is_true(z3.simplify(z3.InRe(z3.StringVal(text), regex))))


class Principals:
    """The classes of one deployment, and the formulas that compare a request's principal."""

    def __init__(
        self,
        partition: str,
        arns: Iterable[str],
        accounts: Iterable[str],
        services: Iterable[str],
        patterns: Iterable[Pattern],
    ) -> None:
        self.prefix = f"arn:{partition}:iam::"
        self._shape = re.compile(rf"^{re.escape(self.prefix)}\d{{12}}:.+$")
        named = sorted({a for a in arns if self._shape.match(a)})
        self.accounts = sorted(
            {*(a for a in accounts if _ACCOUNT.match(a)), *(a.split(":")[4] for a in named)}
        )
        self.patterns = tuple(dict.fromkeys(patterns))
        self.cells = [Cell(a, a.split(":")[4], True, True, self._matches(a)) for a in named]
        for account in [*self.accounts, None]:
            self.cells += self._unnamed(account, named)
        self.by_arn = {c.arn: i for i, c in enumerate(self.cells) if c.named}
        self.services = sorted(set(services))
        self.other_service = next(
            name
            for n in range(len(self.services) + 1)
            if (name := f"other{n or ''}.amazonaws.com") not in self.services
        )

    @staticmethod
    def of(
        partition: str,
        statements: Sequence[Statement],
        arns: Iterable[str],
        accounts: Iterable[str],
    ) -> Principals:
        """The classes the statements (and the ARNs and accounts the deployment names) need."""
        found_arns, found_accounts, services = set(arns), set(accounts), set()
        patterns: list[Pattern] = []
        for s in statements:
            if s.principal is not None:
                found_arns |= set(s.principal.arns)
                found_accounts |= set(s.principal.accounts)
                services |= set(s.principal.services)
            for c in s.conditions:
                if c.key not in PRINCIPAL_KEYS or c.base == "Null":
                    continue
                for text in c.values:
                    if _is_pattern(c.base, text):
                        patterns.append(Pattern.of(c.key, c.base, text))
                    elif c.key == ARN_KEY:
                        found_arns.add(text)
                    else:
                        found_accounts.add(text)
        return Principals(partition, found_arns, found_accounts, services, patterns)

    # -- the classes ----------------------------------------------------------------------

    def _matches(self, arn: str) -> tuple[bool, ...]:
        account = arn.split(":")[4]
        out = []
        for p in self.patterns:
            regex = p.regex()
            out.append(regex is not None and _holds(regex, arn if p.key == ARN_KEY else account))
        return tuple(out)

    def _unnamed(self, account: str | None, named: Sequence[str]) -> list[Cell]:
        """The classes of the principals of `account` (None: of an account no one names)
        that no one names: one per set of patterns some ARN of them matches."""
        spare = (*SPARE_ACCOUNTS, *(f"{n:012d}" for n in range(len(self.accounts) + 1)))
        example_account = account or next(a for a in spare if a not in self.accounts)
        example, n = f"{self.prefix}{example_account}:{EXAMPLE_ROLES[0]}", 0
        while example in named:
            n += 1
            example = f"{self.prefix}{example_account}:{EXAMPLE_ROLES[0]}{n}"
        first = Cell(example, example_account, False, account is not None, self._matches(example))
        if not self.patterns:
            return [first]
        return [first, *self._splits(account, named, first.matches)]

    def _splits(
        self, account: str | None, named: Sequence[str], found: tuple[bool, ...]
    ) -> list[Cell]:
        """The other sets of patterns an unnamed ARN of `account` can match, each with an
        ARN that does. The ARN is its account and the rest apart, so an ArnLike pattern is
        a test of each part (IAM matches its wildcards within a part): z3 decides those
        quickly, where the parts joined into one string make it search."""
        ctx = z3.Context()
        acct, rest = z3.String("account", ctx), z3.String("rest", ctx)
        solver = z3.Solver(ctx=ctx)
        solver.set("rlimit", _BUDGET)
        solver.set("timeout", TIMEOUT_MS)
        solver.add(z3.InRe(acct, z3.Loop(z3.Range("0", "9", ctx), 12, 12)), z3.Length(rest) > 0)
        if account is None:
            solver.add(*[acct != z3.StringVal(a, ctx) for a in self.accounts])
        else:
            solver.add(acct == z3.StringVal(account, ctx))
        for a in named:
            _, _, _, _, in_account, name = a.split(":", 5)
            same = z3.And(acct == z3.StringVal(in_account, ctx), rest == z3.StringVal(name, ctx))
            solver.add(z3.Not(same))
        bits = [self._bit(p, acct, rest, ctx) for p in self.patterns]
        cells: list[Cell] = []
        latest = found
        while True:
            differs = [b != z3.BoolVal(v, ctx) for b, v in zip(bits, latest, strict=True)]
            solver.add(z3.Or(*differs))
            result = solver.check()
            if result == z3.unsat:
                return cells
            if result != z3.sat:
                raise SolverGaveUp(
                    f"the solver could not split the principals of {account or 'other accounts'}"
                    f" by the patterns {[p.text for p in self.patterns]}: {solver.reason_unknown()}"
                )
            model = solver.model()
            latest = tuple(z3.is_true(model.eval(b, True)) for b in bits)
            found_account = model.eval(acct, True).as_string()
            text = f"{self.prefix}{found_account}:{model.eval(rest, True).as_string()}"
            text = self._readable(found_account, latest, named) or text
            cells.append(Cell(text, found_account, False, account is not None, latest))

    def _readable(
        self, account: str, matches: tuple[bool, ...], named: Sequence[str]
    ) -> str | None:
        """An ARN of the split easier to read than z3's: a pattern it matches, with
        "Example" for each * (z3 finds "role/cdk-" for role/cdk-*)."""
        for pattern, hit in zip(self.patterns, matches, strict=True):
            parts = pattern.text.split(":", 5)
            if not (hit and pattern.key == ARN_KEY and len(parts) == 6):
                continue
            rest = parts[5].replace("*", "Example").replace("?", "X")
            arn = f"{self.prefix}{account}:{rest}"
            if arn not in named and self._shape.match(arn) and self._matches(arn) == matches:
                return arn
        return None

    def _bit(self, p: Pattern, acct: z3.SeqRef, rest: z3.SeqRef, ctx: z3.Context) -> z3.BoolRef:
        """Does an ARN of `acct` and `rest` (or its account) match the pattern?"""
        if p.key != ARN_KEY:
            return z3.InRe(acct, glob(p.text).translate(ctx))
        if not p.arn:  # StringLike: a * may span the colons, so the ARN whole
            arn = z3.Concat(z3.StringVal(self.prefix, ctx), acct, z3.StringVal(":", ctx), rest)
            return z3.InRe(arn, glob(p.text).translate(ctx))
        parts = p.text.split(":", 5)
        fixed = self.prefix.split(":")[:4]  # "arn", the partition, "iam", ""
        if len(parts) < 6 or not all(
            _holds(glob(q, NOT_COLON), v) for q, v in zip(parts[:4], fixed, strict=True)
        ):
            return z3.BoolVal(False, ctx)
        return z3.And(
            z3.InRe(acct, glob(parts[4], NOT_COLON).translate(ctx)),
            z3.InRe(rest, glob(parts[5]).translate(ctx)),
        )

    # -- formulas ------------------------------------------------------------------------

    def facts(self, r: SymbolicRequest) -> list[z3.BoolRef]:
        return [
            r.p_cls >= 0,
            r.p_cls < len(self.cells),
            r.p_svc_cls >= 0,
            r.p_svc_cls <= len(self.services),  # the last: a service no one names
        ]

    def _any(self, r: SymbolicRequest, indices: Iterable[int]) -> z3.BoolRef:
        terms = [r.p_cls == i for i in indices]
        return z3.And(r.p_iam, z3.Or(*terms)) if terms else z3.BoolVal(False)

    def arn_is(self, r: SymbolicRequest, arn: str) -> z3.BoolRef:
        """The caller is the IAM principal `arn` (False for an ARN no IAM principal has)."""
        if arn not in self.by_arn:
            if self._shape.match(arn):
                raise KeyError(f"{arn}: not among the principals of this deployment")
            return z3.BoolVal(False)
        return self._any(r, [self.by_arn[arn]])

    def in_account(self, r: SymbolicRequest, account: str) -> z3.BoolRef:
        """The caller is an IAM principal of `account`."""
        if _ACCOUNT.match(account) and account not in self.accounts:
            raise KeyError(f"{account}: not among the accounts of this deployment")
        cells = [i for i, c in enumerate(self.cells) if c.known_account and c.account == account]
        return self._any(r, cells)

    def service_is(self, r: SymbolicRequest, service: str) -> z3.BoolRef:
        if service not in self.services:
            return z3.BoolVal(False)  # a service no policy names: "another service"
        return z3.And(r.p_svc, r.p_svc_cls == self.services.index(service))

    def compare(self, r: SymbolicRequest, key: str, base: str, text: str) -> z3.BoolRef:
        """A condition's value test (before negation) on a principal key of an IAM caller."""
        if _is_pattern(base, text):
            index = self.patterns.index(Pattern.of(key, base, text))
            return self._any(r, [i for i, c in enumerate(self.cells) if c.matches[index]])
        if key == ARN_KEY:
            return self.arn_is(r, text)
        return self.in_account(r, text) if _ACCOUNT.match(text) else z3.BoolVal(False)

    # -- back to text ----------------------------------------------------------------------

    def arn_of(self, index: int, example_role: str = EXAMPLE_ROLES[0]) -> str:
        """A class's ARN; for one no one names, `example_role` of its account where no
        pattern tells that one apart."""
        cell = self.cells[index]
        if cell.named or self.patterns or example_role == EXAMPLE_ROLES[0]:
            return cell.arn
        other = f"{self.prefix}{cell.account}:{example_role}"
        return other if other not in self.by_arn else cell.arn

    def service_of(self, index: int) -> str:
        return self.services[index] if index < len(self.services) else self.other_service

    def cell_of(self, arn: str) -> int:
        """The class of a concrete IAM principal."""
        if arn in self.by_arn:
            return self.by_arn[arn]
        if not self._shape.match(arn):
            raise ValueError(f"{arn}: not an IAM principal ARN of the partition")
        account = arn.split(":")[4]
        known = account in self.accounts
        matches = self._matches(arn)
        for i, c in enumerate(self.cells):
            same_account = c.known_account == known and (not known or c.account == account)
            if not c.named and same_account and matches == c.matches:
                return i
        raise ValueError(f"{arn}: in no class of this deployment's principals")

    def service_cell(self, service: str) -> int:
        return self.services.index(service) if service in self.services else len(self.services)
