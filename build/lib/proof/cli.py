"""Argument parsing for the command-line tools, with errors like every other error here:
one line `error: ...` naming the problem and what is allowed, exit code 2 (argparse's own
usage text and its `prog: error:` prefix look unlike the rest and suggest nothing)."""

from __future__ import annotations

import argparse
import difflib
import re
from typing import NoReturn

UNRECOGNIZED = re.compile(r"unrecognized arguments: (\S+)")
NO_VALUE = re.compile(r"argument (\S+): expected one argument")


class UsageError(Exception):
    """A bad command line: the message is one line, without the `error: ` prefix."""


class Parser(argparse.ArgumentParser):
    """argparse.ArgumentParser whose errors raise UsageError with a one-line message.

    `positional_hint` says what to do with an argument nobody expected."""

    def __init__(self, *args: object, positional_hint: str = "", **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.positional_hint = positional_hint

    def _options(self) -> dict[str, argparse.Action]:
        """The longest spelling of every option but --help, and its action."""
        return {
            max(a.option_strings, key=len): a
            for a in self._actions
            if a.option_strings and not isinstance(a, argparse._HelpAction)
        }

    def _forms(self) -> str:
        forms = []
        for name, action in self._options().items():
            takes_value = action.nargs != 0
            metavar = action.metavar or action.dest.upper()
            short = min(action.option_strings, key=len)
            shown = short if short.startswith("-") and len(short) == 2 else name
            forms.append(f"{shown} {metavar}" if takes_value else shown)
        return ", ".join(forms)

    def one_line(self, message: str) -> str:
        unknown = UNRECOGNIZED.match(message)
        if unknown and unknown.group(1).startswith("-"):
            given = unknown.group(1).split("=")[0]
            close = difflib.get_close_matches(given, list(self._options()), n=1)
            hint = f" did you mean {close[0]!r}?" if close else ""
            return f"unknown option {given!r}:{hint} the options are {self._forms()}"
        if unknown:
            hint = self.positional_hint or f"the options are {self._forms()}"
            return f"unexpected argument {unknown.group(1)!r}: {hint}"
        no_value = NO_VALUE.match(message)
        if no_value:
            action = self._options().get(no_value.group(1).split("/")[-1])
            about = f": {action.help}" if action is not None and action.help else ""
            return f"{no_value.group(1)} needs a value{about}"
        return f"{message} (the options are {self._forms()})"

    def error(self, message: str) -> NoReturn:
        raise UsageError(self.one_line(message))
