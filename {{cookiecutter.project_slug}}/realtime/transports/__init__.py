"""Transports: adapters between a wire protocol and the core.

A transport does two things and nothing else:

* inbound, it turns what its protocol delivers (a connect, an event with an
  ack id, a disconnect) into calls to the handler that
  :mod:`realtime.endpoints` names for the endpoint, usually
  :mod:`realtime.dispatch`, passing a :class:`realtime.sockets.Socket`
  subclass of its own;
* outbound, it registers a :class:`realtime.delivery.Adapter` that writes an
  envelope to its sockets, encoding the frame once for all of them.

Rooms, signals, acks, refusals and the bus live in the core, so both
transports behave the same and a receiver never knows which one a client used.
Each transport imports its own libraries, so a project keeps only the one it
serves (``socketio``: python-socketio on gevent; ``sockjs``: sockjs-tornado).

Each transport is one :class:`~realtime.transports.base.Transport` subclass,
registered in :mod:`.catalog`; :func:`get` returns it. This package imports
no transport library, so any process (``rundev``'s parent, the hooks' data)
may import it.
"""

import functools
import importlib.util

from realtime.transports import catalog


def names():
    """Every registered transport, in order of preference."""
    return list(catalog.TRANSPORTS)


def available():
    """The registered transports whose code this project holds (a bake prunes the others)."""
    return [name for name, found in catalog.TRANSPORTS.items() if _present(found["definition"].rpartition(".")[0])]


def _present(module):
    """True if ``module`` can be imported (without importing it; its package may be imported)."""
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def entry(name):
    """The catalog entry of ``name`` (``LookupError``, naming the transports, if none)."""
    try:
        return catalog.TRANSPORTS[name]
    except (KeyError, TypeError):
        raise LookupError(f"unknown transport {name!r}: the transports are {', '.join(catalog.TRANSPORTS)}") from None


def argv(name, address, port, site=False):
    """``manage.py`` arguments that serve ``name`` on ``address:port`` (and the Django site with ``site``)."""
    found = entry(name)
    args = [arg.format(address=address, port=port) for arg in found["listen_args"]]
    return [found["command"], *args, *(found["site_args"] if site else [])]


def url(name, server_url):
    """Where a client of ``name`` connects on a server at ``server_url`` (what its ``url_setting`` holds)."""
    path = entry(name)["url_path"]
    if path is None:
        return server_url
    from realtime import conf

    return server_url + getattr(conf, path)()


@functools.cache
def get(name):
    """The :class:`~realtime.transports.base.Transport` ``name`` (``LookupError``, naming the fix, if none)."""
    from realtime.transports.base import load

    return load(name)

