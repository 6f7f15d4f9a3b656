"""Plain Django receivers for signals that came over the wire.

``ping`` arrives with ``sender`` = the connection it came from, so the
``pong`` can go back to that client alone; ``ping_everyone`` fires the
broadcast signal ``pinged``, which every connected page receives.
"""

from django.dispatch import receiver

from pingpong.signals import ping, ping_everyone, pinged


@receiver(ping)
def answer_ping(sender, seq=None, **kwargs):
    """Pong to the pinger alone (Django Client Signals sent it to everyone)."""
    if isinstance(seq, int) and not isinstance(seq, bool):
        sender.send("pong", seq=seq)


@receiver(ping_everyone)
def broadcast_ping(sender, name="", **kwargs):
    name = " ".join(name.split())[:24] if isinstance(name, str) else ""
    pinged.send(sender=None, name=name or "someone")
