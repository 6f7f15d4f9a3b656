"""``Transport``: what one transport is, in one class.

A transport is an adapter between a wire protocol and the core (see
:mod:`realtime.transports`). Its subclass of :class:`Transport` is the only
place that puts its parts together; the commands, ``rundev``, the template
tags and the test helpers ask it (through :func:`realtime.transports.get`)
and never assemble a transport themselves.

Facts that code which cannot import Django needs too (its command, runtime,
browser scripts, files) live in its entry in :mod:`.catalog` and are copied
onto the class as attributes, so there is one source for each of them.

To add a transport, see "Add a transport" in the project's README.
"""

import importlib

from realtime.transports import catalog


class Transport:
    """One transport. Subclass it, set ``name`` and implement what raises.

    From the catalog entry (read-only class attributes): ``command``,
    ``runtime``, ``listen_args``, ``site_args``, ``url_setting``,
    ``url_path``, ``library``, ``scripts``, ``files``. What only needs
    these (:func:`realtime.transports.argv`, :func:`~realtime.transports.url`)
    works without importing the transport, even in a project baked without it.

    Contract:

    * :attr:`socket_class` is a :class:`realtime.sockets.Socket` subclass
      whose ``transport`` is :attr:`name`; inbound, the transport calls the
      endpoint's handler (:func:`realtime.endpoints.get`) with it:
      ``connect`` (raises ``ConnectionRefused`` to refuse), ``event``,
      ``message``, ``disconnect`` (exactly once per accepted socket).
    * :attr:`adapter_class` is a :class:`realtime.delivery.Adapter` that
      writes an envelope to many sockets, encoding the frame once.
    * :attr:`client_class` is its wire client for tests (``LiveServer.client``).
    * :meth:`serve` runs the server in this process until SIGTERM/SIGINT,
      starts the bus on :attr:`runtime`, registers the adapter while it runs,
      and serves ``/healthz``. Options it does not know are errors.
    """

    #: the key of its catalog entry, and the value of ``Socket.transport``.
    name = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.name is None:
            return
        entry = catalog.TRANSPORTS.get(cls.name)
        if entry is None:
            raise TypeError(
                f"{cls.__name__}.name is {cls.name!r}, which realtime/transports/catalog.py does not list: "
                "add its entry there"
            )
        for key, value in entry.items():
            if key != "definition":
                setattr(cls, key, value)

    # -- its parts --------------------------------------------------------------
    @property
    def socket_class(self):
        raise NotImplementedError

    @property
    def adapter_class(self):
        raise NotImplementedError

    @property
    def client_class(self):
        """Its wire client for tests (``realtime.testing``): ``cls(url, **options)``, connected,
        with ``emit``, ``receive``, ``send``, ``close``, ``sid``, ``connected`` and ``connect_error``."""
        raise NotImplementedError

    def serve(self, address, port, **options):
        """Serve until stopped; ``OSError`` when it cannot listen on ``address:port``."""
        raise NotImplementedError

    # -- where clients connect, how its command is called --------------------------
    def url(self, server_url):
        """Where a client connects on a server at ``server_url`` (see :func:`realtime.transports.url`)."""
        from realtime.transports import url

        return url(self.name, server_url)

    def argv(self, address, port, site=False):
        """See :func:`realtime.transports.argv`."""
        from realtime.transports import argv

        return argv(self.name, address, port, site)

    def __repr__(self):
        return f"<Transport {self.name}>"


def load(name):
    """The :class:`Transport` registered as ``name`` (an instance)."""
    from realtime.transports import entry

    module_name, _, class_name = entry(name)["definition"].rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if not (exc.name and module_name.startswith(exc.name)):
            raise
        raise LookupError(
            f"transport {name!r} is not in this project (it was baked without it): "
            f"remove it from REALTIME_TRANSPORTS, or bake the project again with it"
        ) from None
    return getattr(module, class_name)()
