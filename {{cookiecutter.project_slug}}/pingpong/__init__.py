"""The ping/pong example: Django signals that cross the wire (client signals).

``connections.py`` wires signals to the ``/pingpong`` connection (Django Client Signals'
``SignalConnection.listen`` / ``.broadcast``), ``receivers.py`` answers
them, and ``static/pingpong/pingpong.js`` measures the round trip.
"""
