"""What can stop a batch, as exceptions the command line turns into exit statuses."""

from __future__ import annotations

import errno
import signal
from pathlib import Path

# errors of the machine, not of the input: the same command succeeds once space or rights are there
ENVIRONMENT_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EROFS, errno.EIO})


class BatchConflict(ValueError):
    """The output folder cannot take this batch: another writer holds it, or it holds results that must not mix."""


def is_environment_fault(exc: BaseException) -> bool:
    """A disk that is full or read-only, or a path without rights: retry after fixing the machine, not the input."""
    return isinstance(exc, OSError) and exc.errno in ENVIRONMENT_ERRNOS


class Stopped:
    """Where a stopped batch stands: what it saved and where, so the caller can say how to continue."""

    folder: Path
    saved: int
    planned: int

    def progress(self) -> str:
        return f"{self.saved} of {self.planned} runs saved"


class EnvironmentFault(Stopped, Exception):
    """A write failed for a reason of the machine (disk full, permissions); what was saved before it is intact."""

    def __init__(self, error: OSError, folder: Path, saved: int, planned: int) -> None:
        self.error, self.folder, self.saved, self.planned = error, folder, saved, planned
        where = f" writing {error.filename}" if error.filename else ""
        super().__init__(f"{error.strerror or error}{where}; {self.progress()}")


class Interrupted(Stopped, BaseException):
    """SIGINT or SIGTERM stopped the batch after it saved what had finished (a BaseException, as KeyboardInterrupt)."""

    def __init__(self, signum: int, folder: Path, saved: int, planned: int) -> None:
        self.signum, self.folder, self.saved, self.planned = signum, folder, saved, planned
        super().__init__(f"{signal.Signals(signum).name}: {self.progress()}")
