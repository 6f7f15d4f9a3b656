"""The embedded default: one process, no server to run.

Everything published is delivered to this process's sockets and nowhere
else, which is all a single ``rungevent``/``runsocket`` process needs.
Presence and stats are this process's own (the base parts).
"""

from realtime.bus.base import Bus


class MemoryBus(Bus):
    pass
