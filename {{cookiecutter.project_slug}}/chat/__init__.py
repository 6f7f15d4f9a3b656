"""The chat example: rooms, nicknames, history, presence, on any transport.

Read in this order: ``models`` (what is stored), ``services`` (posting a
message, history, nicknames: the rules), ``receivers`` (the socket events
that call the services), ``views`` (the pages), ``static/chat/chat.js``
(the browser side).
"""
