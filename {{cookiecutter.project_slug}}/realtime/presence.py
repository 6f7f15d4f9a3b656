"""Who is in a room: ``realtime.presence('lobby')``.

With the memory bus this is this process's sockets; with a networked bus
it is every process's, and a process that died drops out within
``REALTIME_PRESENCE_TTL`` seconds.
"""


def describe(socket, process_id):
    """The member dict presence reports for one socket (JSON-safe)."""
    user = getattr(socket.request, "user", None)
    authenticated = bool(user is not None and user.is_authenticated)
    return {
        "sid": socket.sid,
        "transport": socket.transport,
        "process": process_id,
        "user_id": user.pk if authenticated else None,
        "username": user.get_username() if authenticated else None,
        "nickname": getattr(socket, "nickname", None),
    }
