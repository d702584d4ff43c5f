"""One error hierarchy. Each class carries the exit code DESIGN.md documents; the CLI
turns any of them into one message on stderr and that code, in one place."""

from __future__ import annotations

from typing import NamedTuple


class OncallError(Exception):
    """Base of every error the user is meant to read. ``exit_code`` is the process exit."""

    exit_code = 1

    def lines(self) -> list[str]:
        """The message's lines; a message of several lines was written so by the code."""
        return str(self).split("\n")


class Problem(NamedTuple):
    """One thing wrong with an input file: ``file:line: key: message``."""

    file: str
    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class InvalidFiles(OncallError):
    """The rotation or people files are invalid. Carries every problem found at once."""

    exit_code = 3

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))

    def lines(self) -> list[str]:
        return [str(p) for p in self.problems]


class NotFound(OncallError):
    """A rotation or person named on the command line does not exist."""

    exit_code = 4


class UsageError(OncallError):
    """Wrong command-line usage that Typer itself could not catch (bad --at, --from > --to)."""

    exit_code = 2


class PagingFailed(OncallError):
    """Paging could not start: missing credentials, Twilio refused the account."""

    exit_code = 5


class StoreError(OncallError):
    """The page store cannot be used: not creatable or writable, not a store, or written
    by another schema version. Nothing is sent without it (no dedup, no rate limit)."""

    exit_code = 5


class StoreBusy(StoreError):
    """Another process held the page store locked for longer than we wait."""


class StoreSchemaMismatch(StoreError):
    """The page store was written by another version of oncall (or is not ours)."""


class StoreUnavailable(StoreError):
    """The store's database server cannot be reached (down, restarting, network): a
    transient fault, so the service answers 503 and retries its steps."""


class Refused(OncallError):
    """An edit was refused and nothing was written: it would open a gap or make someone
    unreachable, or the file changed on disk since it was read."""

    exit_code = 1
