"""The cyclic garbage collector in a serving process.

CPython collects its youngest generation each time 700 more container objects (dicts, lists,
coroutines, models) are alive than at the last collection. Thirty-two requests in flight keep
thousands alive, every one of which dies by its reference count when its request ends, so at
700 the collector ran about 120 times a second under a stream of submissions, walking objects
that were about to be freed anyway and promoting them to older generations, which it then
walked again: 5-7% of the process's CPU (`gc.callbacks` timing in the served process, `wrk`
on submissions). Ten thousand is above what the requests in flight hold, so the collector
runs only when garbage really accumulates (reference cycles: exceptions and their
tracebacks), still at most that many objects late.
"""

from __future__ import annotations

import gc

# Container objects allocated (net of those freed) before the youngest generation is
# collected; CPython's default is 700.
YOUNG_THRESHOLD = 10_000


def settle() -> None:
    """What the process built to start (routes, models, compiled statements) lives as long as
    it does: collected once, then frozen out of the collector's way, so that its collections
    walk only what requests allocate; and the youngest generation's threshold raised above
    what the requests in flight hold. (Serving processes only, not the tests' many apps.)"""
    gc.collect()
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, oldest)
