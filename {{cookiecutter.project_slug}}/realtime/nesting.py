"""How deeply a client's JSON may nest: deeper is malformed input, on every transport.

Python's json decoder accepts about 1,000 levels, but what the server does
next recurses too: python-socketio's binary check on the way out takes two
stack frames per level, so echoing 500 levels back raised RecursionError (a
traceback, found by ``test_socketio_fuzz``). No realtime message needs a
hundred levels; refusing them on the way in, with one log line, keeps every
later step (receivers, acks, the bus) far from the recursion limit.
"""

#: Deepest nesting of lists and objects a client's data may have (the outer list counts).
MAX_DEPTH = 100


def too_deep(value, limit=MAX_DEPTH):
    """True if ``value`` nests lists/dicts more than ``limit`` levels (no recursion, stops early)."""
    if not isinstance(value, (list, dict)):
        return False
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children if isinstance(child, (list, dict)))
    return False
