"""The chat's socket events (core endpoint ``/``, any transport).

=================  =========================================  ==================
client emits       with                                        ack
=================  =========================================  ==================
``chat:watch``     ``{room, after, have}``                      ``{ok, room, members, messages, skipped}``
``chat:join``      ``{room, nickname, after, have, previous}`` ``{ok, room, nickname, members, messages, skipped}``
``chat:message``   ``{room, text}``                            ``{ok, id}``
``chat:leave``     ``{room}``                                  ``{ok}``
=================  =========================================  ==================

``chat:watch`` reads a room before choosing a nickname (history now, messages
live, not a member, cannot write); ``chat:join`` then makes the same socket a
member. Every refusal is ``{error: code, message}``: in the ack when the client
asked for one, else as a ``chat:error`` event, so a raw client that skips
the page still hears why. The server emits ``chat:message`` (a stored
message, to the whole room, sender included: its id orders the log) and
``chat:presence`` (``{event: joined|left, nickname, members}``).

When the database fails (down, restarting, out of connections), the sender
gets ``{error: "unavailable"}`` and the server logs one line: a message is
acknowledged ``{ok, id}`` only once it is stored, so nothing acknowledged
is lost, and the client may send it again later.
"""

import functools
import logging

from django.db import Error as DatabaseError
from django.dispatch import receiver

from chat import presence_updates, services
from chat.models import Room
from chat.services import ChatError
from realtime.signals import socket_client_event_by_type as on
from realtime.signals import socket_left_room

logger = logging.getLogger("realtime.chat")


def _payload(event):
    return event.data if isinstance(event.data, dict) else {}


def _refuse(sender, event, error):
    logger.info("chat: %s refused for %s: %s", event.name, sender.sid, error.code)
    if not event.acknowledgeable():
        sender.emit("chat:error", error.as_dict())
    return error.as_dict()


def _answered(handler):
    """Refusals (ChatError) and database failures become the sender's answer, never a traceback."""

    @functools.wraps(handler)
    def answer(sender, request, event, **kwargs):
        try:
            return handler(sender, request, event, **kwargs)
        except ChatError as error:
            return _refuse(sender, event, error)
        except DatabaseError as error:
            why = " ".join(str(error).split())[:200] or type(error).__name__
            logger.warning("chat: %s from %s failed, database unavailable: %s", event.name, sender.sid, why)
            retry = "your message was not saved, send it again" if event.name == "chat:message" else "try again"
            text = f"The chat cannot reach its database right now: {retry} in a moment."
            unavailable = ChatError("unavailable", text)
            if not event.acknowledgeable():
                sender.emit("chat:error", unavailable.as_dict())
            return unavailable.as_dict()

    return answer


@receiver(on["chat:join"])
@_answered
def join(sender, request, event, **kwargs):
    data = _payload(event)
    return services.enter(
        sender, data.get("room"), data.get("nickname"), data.get("after"), data.get("have"), data.get("previous")
    )


@receiver(on["chat:watch"])
@_answered
def watch(sender, request, event, **kwargs):
    data = _payload(event)
    return services.watch(sender, data.get("room"), data.get("after"), data.get("have"))


@receiver(on["chat:message"])
@_answered
def message(sender, request, event, **kwargs):
    data = _payload(event)
    stored = services.say(sender, data.get("room"), data.get("text"))
    return {"ok": True, "id": stored.id}


@receiver(on["chat:leave"])
def leave(sender, request, event, **kwargs):
    room = _payload(event).get("room")
    if isinstance(room, str):
        sender.leave(f"chat:{room}")
    return {"ok": True}


@receiver(socket_left_room)
def left(sender, request, room, **kwargs):
    """Leaving, or disconnecting while in a room: tell the others."""
    if not room.startswith("chat:") or getattr(sender, "nickname", None) is None:
        return  # not a chat room, or a reader leaving: the members did not change
    presence_updates.changed(Room(name=room[len("chat:") :]), "left", sender.nickname)
