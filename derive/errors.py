"""The errors derive raises: each knows its exit status and formats its own message."""

from __future__ import annotations

import difflib


class DeriveError(Exception):
    """Base of every error derive reports to the user (exit status 1)."""

    exit_code = 1


class SpecError(DeriveError):
    """The problem-set spec is wrong: names the file, problem, field, value and what is accepted."""

    exit_code = 2

    def __init__(self, message, *, file=None, problem=None, field=None, given=None, expected=None):
        self.file, self.problem, self.field = file, problem, field
        self.given, self.expected = given, expected
        self.reason = message
        super().__init__(self._format())

    def _format(self) -> str:
        where = [str(self.file) if self.file else "<spec>"]
        if self.problem:
            where.append(self.problem)
        if self.field:
            where.append(f"field '{self.field}'")
        text = ", ".join(where) + ": " + self.reason
        if self.given is not None:
            text += f" (given: {self.given!r})"
        if self.expected:
            text += f"; expected {self.expected}"
        return text


class UsageError(DeriveError):
    """Bad command-line arguments (exit status 2)."""

    exit_code = 2


class CheckError(DeriveError):
    """A step of a derivation failed its CAS check: the key would be wrong, so nothing is written."""

    def __init__(self, question: str, step, detail: str):
        self.question, self.step, self.detail = question, step, detail
        where = step if isinstance(step, str) else f"step {step}"
        super().__init__(f"question {question}, {where}: check failed: {detail}")


class TexError(DeriveError):
    """The TeX engine is missing or failed; carries the relevant lines of the log."""


def did_you_mean(word: str, options) -> str:
    """' (did you mean 'x'?)' when a close option exists, else ''."""
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
