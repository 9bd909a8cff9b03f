"""SIGINT and SIGTERM during a batch: stop taking work, save what finished, then say so.

While a batch runs, both signals only record themselves and wake the executor through a socket
it waits on, so no write is cut in half; the executor stops its workers and hands back what
they had finished, the batch commits it and raises :class:`~sim.batch.errors.Interrupted`.
Handlers can only be installed in the main thread; elsewhere the signals keep their handlers.
"""

from __future__ import annotations

import signal
import socket
from types import FrameType, TracebackType
from typing import Any, Self

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Shutdown:
    """A context in which SIGINT/SIGTERM set :attr:`requested` (the first signal's number) instead of raising."""

    def __init__(self) -> None:
        self.requested: int | None = None
        self._wake, self._ring = socket.socketpair()
        self._ring.setblocking(False)
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> Self:
        try:
            for signum in SIGNALS:
                self._previous[signum] = signal.signal(signum, self._handle)
        except ValueError:  # not the main thread: signals keep their handlers
            pass
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._wake.close()
        self._ring.close()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.requested is None:
            self.requested = signum
        try:
            self._ring.send(b"\0")
        except OSError:  # already ringing
            pass

    def fileno(self) -> int:
        """Readable once a signal arrived: executors wait on it together with their workers."""
        return self._wake.fileno()
