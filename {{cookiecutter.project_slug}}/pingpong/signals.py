"""The signals of the example. Two come from browsers, two go to them.

``ping``           from a browser: ``seq``, ``sent`` (its clock, ms).
``ping_everyone``  from a browser: ``name``.
``pong``           to the pinger alone: ``seq``, ``sent`` echoed back, so the
                   page measures the round trip on its own clock.
``pinged``         broadcast to every connected page: ``name``, ``at``.
"""

from django.dispatch import Signal

ping = Signal()
ping_everyone = Signal()
pong = Signal()
pinged = Signal()
