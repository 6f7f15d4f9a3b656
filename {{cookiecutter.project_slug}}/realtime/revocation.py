"""Close a user's sockets when the user's right to them ends.

A socket keeps the user it had at connect (``realtime.requests``). So that a
logged-out, deactivated or deleted user, or one whose password changed
(which ends their other sessions in Django too), cannot go on reading and
posting in private rooms, their sockets are closed in every process
(:func:`realtime.control.disconnect_user`, through the bus) on:

* ``user_logged_out``;
* a save of the user that changes the password or sets ``is_active=False``
  (one query before the save reads the old values; saves with
  ``update_fields`` that touch neither, like ``last_login``, cost nothing);
* the user's deletion.

The clients reconnect with what their session says now. Connected in
``RealtimeConfig.ready()``.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import post_delete, post_save, pre_save

from realtime.control import disconnect_user

WATCHED = {"password", "is_active"}


def on_logout(sender, request=None, user=None, **kwargs):
    if user is not None:
        disconnect_user(user.pk, "logged out")


def remember_old(sender, instance, update_fields=None, raw=False, **kwargs):
    instance._realtime_old = None
    if raw or instance.pk is None or (update_fields is not None and not WATCHED & set(update_fields)):
        return
    instance._realtime_old = (
        type(instance)._default_manager.filter(pk=instance.pk).values_list("password", "is_active").first()
    )


def on_save(sender, instance, created=False, **kwargs):
    old = getattr(instance, "_realtime_old", None)
    instance._realtime_old = None
    if created or old is None:
        return
    password, was_active = old
    if was_active and not getattr(instance, "is_active", True):
        disconnect_user(instance.pk, "deactivated")
    elif instance.password != password:
        disconnect_user(instance.pk, "password changed")


def on_delete(sender, instance, **kwargs):
    disconnect_user(instance.pk, "deleted")


def connect():
    """Connect the receivers (idempotent: dispatch_uid)."""
    user_model = get_user_model()
    user_logged_out.connect(on_logout, dispatch_uid="realtime.revocation.logout")
    pre_save.connect(remember_old, sender=user_model, dispatch_uid="realtime.revocation.pre_save")
    post_save.connect(on_save, sender=user_model, dispatch_uid="realtime.revocation.post_save")
    post_delete.connect(on_delete, sender=user_model, dispatch_uid="realtime.revocation.post_delete")
