"""A chat consumer as the Channels tutorial writes one, with acknowledgements.

JSON messages with an ``op``: ``join`` adds the connection to a group
(acknowledged), ``say`` sends ``{"op": "msg", "data": ...}`` to the group
through the channel layer, ``echo`` answers ``{"op": "ack", ...}`` directly.
"""

from channels.generic.websocket import AsyncJsonWebsocketConsumer


class ChatConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        self.groups_joined = set()
        await self.accept()

    async def receive_json(self, content):
        op = content.get("op")
        if op == "join":
            await self.channel_layer.group_add(content["room"], self.channel_name)
            self.groups_joined.add(content["room"])
            await self.send_json({"op": "ack", "id": content["id"]})
        elif op == "say":
            await self.channel_layer.group_send(content["room"], {"type": "room.message", "data": content["data"]})
        elif op == "echo":
            await self.send_json({"op": "ack", "id": content["id"], "data": content["data"]})

    async def room_message(self, event):
        await self.send_json({"op": "msg", "data": event["data"]})

    async def disconnect(self, code):
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)
