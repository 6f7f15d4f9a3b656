"""``manage.py chat_announce <room> <text>``: a system message to a room.

It is stored, then sent through ``realtime.emit``. Clients of other
processes (the socket servers) receive it only over a networked bus
(``REALTIME_BUS_BACKEND``); with the in-memory bus it is stored and shown
to whoever joins next.
"""

from django.core.management.base import BaseCommand, CommandError

from realtime.exceptions import BusUnavailable

from chat import services
from chat.models import Room


class Command(BaseCommand):
    help = "Send a system announcement to a chat room."

    def add_arguments(self, parser):
        parser.add_argument("room", help="room name")
        parser.add_argument("text", help="announcement text")

    def handle(self, room, text, **options):
        found = Room.objects.filter(name=room).first()
        if found is None:
            raise CommandError(f"no room named {room!r}")
        try:
            message = services.announce(found, text)
        except services.ChatError as error:
            raise CommandError(error.message) from None
        except BusUnavailable as error:  # the message is stored: clients see it when they reload the room
            raise CommandError(str(error)) from None
        self.stdout.write(f"announced in {found.name} (message {message.id})")
