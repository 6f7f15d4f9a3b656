"""The backends the bus contract suite (``test_bus_contract.py``) runs against.

Each is a :class:`Backend`: how to configure process ``slot`` (0 is the test
process, 1.. its children) and what it promises beyond fan-out. A project's
networked buses add theirs from ``realtime/tests/live/<name>_harness.py`` modules
that define ``contract_backend()`` (deleted with that option), as
``realtime.testing.setups`` does for cross-transport tests. To run the suite
on your own backend, add a :class:`Backend` for it to :func:`backends`.
"""

import contextlib
import importlib
import pkgutil

from realtime.testing import free_port


class Backend:
    """The memory bus: one process, nothing shared."""

    name = "memory"
    #: Envelopes reach other processes.
    networked = False
    #: ``presence()`` and ``stats()`` list the other processes' members and figures.
    shares_presence = False
    shares_stats = False

    @contextlib.contextmanager
    def running(self, tmp_path):
        """Whatever the backend needs for a test module (a server, a directory)."""
        yield self

    def settings(self, slot=0):
        return {"REALTIME_BUS_BACKEND": ""}

    @contextlib.contextmanager
    def outage(self):
        """Break the link between processes and bring it back (no link: nothing to break)."""
        yield


class LocalBackend(Backend):
    """``make run``'s setup: Unix datagrams between processes, presence and stats in a shared file."""

    name = "local"
    networked = shares_presence = shares_stats = True

    @contextlib.contextmanager
    def running(self, tmp_path):
        self.directory = str(tmp_path / "bus")
        yield self

    def settings(self, slot=0):
        return {"REALTIME_BUS_BACKEND": "realtime.bus.local.LocalBus", "REALTIME_LOCAL_BUS_DIR": self.directory}


class ExampleBackend(Backend):
    """The README's example (:mod:`realtime.tests.live.example_bus`): fan-out only."""

    name = "example"
    networked = True
    SLOTS = 4

    @contextlib.contextmanager
    def running(self, tmp_path):
        self.peers = [f"127.0.0.1:{free_port()}" for _ in range(self.SLOTS)]
        yield self

    def settings(self, slot=0):
        return {
            "REALTIME_BUS_BACKEND": "realtime.tests.live.example_bus.UDPBus",
            "UDP_BUS_PEERS": self.peers,
            "UDP_BUS_ADDRESS": self.peers[slot],
        }


def backends():
    """Every backend of this project, by name."""
    found = [Backend(), LocalBackend(), ExampleBackend()]
    import realtime.tests.live as package

    for module in pkgutil.iter_modules(package.__path__):
        if module.name.endswith("_harness"):
            made = getattr(importlib.import_module(f"realtime.tests.live.{module.name}"), "contract_backend", None)
            if made is not None:
                found.append(made())
    return {backend.name: backend for backend in found}
