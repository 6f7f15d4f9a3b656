"""``{% load socketio %}{% socketio_client_script %}``: django-realtime's tag.

Loads the vendored socket.io-client 4.x (``window.io``, for code written
against Socket.IO directly) and ``Realtime.connect()`` over Socket.IO, with
the same configuration element as ``{% realtime_client_script %}``. Use one
of the two tags per page.
"""

from django import template

from realtime.templatetags.realtime import script_tags

register = template.Library()


@register.simple_tag
def socketio_client_script():
    return script_tags(["socketio"])
