"""Rooms and messages in the Django admin, with an "announce" action that
reaches connected clients through ``realtime.emit``."""

from django.contrib import admin, messages
from django.template.response import TemplateResponse

from chat import services
from chat.forms import AnnounceForm
from chat.models import Message, Room
from realtime.exceptions import BusUnavailable


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ["name", "private", "created_by", "created_at"]
    list_filter = ["private"]
    search_fields = ["name"]
    actions = ["announce"]

    @admin.action(description="Send an announcement to the selected rooms", permissions=["change"])
    def announce(self, request, queryset):
        form = AnnounceForm(request.POST if "text" in request.POST else None)
        if form.is_valid():
            try:
                for room in queryset:
                    services.announce(room, form.cleaned_data["text"])
            except BusUnavailable as error:  # stored; clients see it when they reload the room
                self.message_user(request, str(error), messages.ERROR)
                return None
            self.message_user(request, f"Announced in {queryset.count()} room(s).", messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Send an announcement",
            "form": form,
            "rooms": queryset,
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/chat/announce.html", context)


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "room", "kind", "nickname", "text"]
    list_filter = ["kind", "room"]
    search_fields = ["text", "nickname"]
    readonly_fields = ["created_at"]
    list_select_related = ["room"]
