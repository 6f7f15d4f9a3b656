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
"""
