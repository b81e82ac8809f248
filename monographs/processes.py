"""Worker processes that end with the process that started them, however it ends."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
import time

# prctl(2) option: the signal a process gets when its parent dies (linux/prctl.h).
_PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int) -> None:
    """Make this worker process end when its parent ends, however it ends.

    A parent killed with SIGKILL runs no clean-up, and its workers (a load's
    pool, a rebuild's index writers) would otherwise live on. On Linux the
    kernel sends the worker SIGKILL when its parent dies (PR_SET_PDEATHSIG);
    elsewhere, or if that call fails, a thread checks every second whether the
    parent is still there.
    """
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0:
                # The parent may have died before the call: then nobody would signal.
                if os.getppid() != parent_pid:
                    os._exit(1)
                return
    threading.Thread(target=_exit_when_orphaned, args=(parent_pid,), daemon=True).start()


def _exit_when_orphaned(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(1)
    os._exit(1)
