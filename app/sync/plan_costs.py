"""What planning a sync run does about its own cost: no cyclic garbage collection while it
runs, and the seconds each phase took, for the log line IT staff read.

Apart from :mod:`app.sync.runs` because neither is about runs: they measure and tune a plan's
CPU time, and the runs only wrap their phases in them.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def few_collections() -> Iterator[None]:
    """No cyclic garbage collection while a plan is made and stored.

    A plan allocates a few million objects (roster, snapshot, records, items) that all live
    until it is stored; the collector would rescan them again and again (3 of 22 s of CPU at
    100,000 people when it was held off only while the roster was read) to find no cycles
    worth freeing. Reference counting still frees everything as usual.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class Phases:
    """Wall-clock seconds of each phase of a plan, for the log line IT staff read."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = round(time.perf_counter() - started, 3)
