"""The bus setups that cross-transport tests (``test_both_*``) run on.

``"dev"`` is ``make run``'s: without a networked bus, rundev joins its
Socket.IO and SockJS processes with the local bus (Unix sockets, and one
SQLite file for presence). A project made with a networked bus also has a
``realtime/testing/<name>_setup.py`` module for it (deleted with that
option), and every cross-transport test runs on that setup too: the
development setup must behave as production does, only smaller.

Such a module defines ``NAME``, ``NOT_IN_DEV`` (environment that keeps the
development setup from using it) and ``bus_env()``, a context manager giving
the environment both servers share.
"""

import contextlib
import importlib
import pkgutil
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType


def _networked() -> list[ModuleType]:
    import realtime.testing as package

    return [
        importlib.import_module(f"realtime.testing.{module.name}")
        for module in pkgutil.iter_modules(package.__path__)
        if module.name.endswith("_setup")
    ]


def names() -> list[str]:
    """``["dev", ...]``: the setups of this project, for ``pytest.fixture(params=...)``."""
    return ["dev"] + [module.NAME for module in _networked()]


@contextlib.contextmanager
def bus_env(name: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    """The environment a test's servers share on setup ``name`` (``tmp_path``: a private directory)."""
    if name == "dev":
        # What rundev gives its two children when no networked bus is configured.
        env = {"REALTIME_BUS_BACKEND": "realtime.bus.local.LocalBus", "REALTIME_LOCAL_BUS_DIR": str(tmp_path / "bus")}
        for module in _networked():
            env.update(module.NOT_IN_DEV)
        yield env
        return
    setup = next((m for m in _networked() if m.NAME == name), None)
    if setup is None:
        raise ValueError(f"no bus setup {name!r}: this project has {names()}")
    with setup.bus_env() as env:
        yield env
