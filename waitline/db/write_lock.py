"""SQLite's one writer at a time, as a lock that every process on the file shares."""

import fcntl
import os
import threading
import time
from pathlib import Path

POLL_SECONDS = 0.0005


class WriteLock:
    """Writers queue here instead of in SQLite's busy handler, which sleeps in steps of up
    to 100 ms (and, on an event loop, would stall it). Threads of one process queue on a
    thread lock; processes on an advisory lock (flock) of a file beside the database, which
    the system drops if its holder dies. `path` None (an in-memory database): one process."""

    def __init__(self, path: Path | None) -> None:
        self._threads = threading.Lock()
        self._path = path
        self._fd: int | None = None

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        deadline = None if timeout < 0 else time.monotonic() + timeout
        if not self._threads.acquire(blocking, timeout):
            return False
        try:
            taken = self._path is None or self._take_file(blocking, deadline)
        except BaseException:
            self._threads.release()
            raise
        if not taken:
            self._threads.release()
        return taken

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._threads.release()

    def _take_file(self, blocking: bool, deadline: float | None) -> bool:
        if self._fd is None:
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        if blocking and deadline is None:
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            return True
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if not blocking or time.monotonic() >= deadline:
                    return False
                time.sleep(POLL_SECONDS)
