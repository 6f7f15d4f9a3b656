from django import forms
from django.core import validators

from chat import conf, services
from chat.models import Room


class RoomForm(forms.ModelForm):
    class Meta:
        model = Room
        fields = ["name", "private"]
        widgets = {"name": forms.TextInput(attrs={"placeholder": "e.g. general", "autocomplete": "off"})}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_name(self):
        return self.cleaned_data["name"].strip().lower()

    def clean_private(self):
        private = self.cleaned_data.get("private")
        if private and not (self.user and self.user.is_authenticated):
            raise forms.ValidationError("Log in to create a private room.")
        return private


class AnnounceForm(forms.Form):
    """An announcement: the limit is the chat's one (``CHAT_MAX_MESSAGE_LENGTH``), checked
    here with a form error, not first by ``services.post_message`` (which answered 500)."""

    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit = conf.max_message_length()
        self.fields["text"].max_length = limit
        self.fields["text"].validators.append(validators.MaxLengthValidator(limit))
        self.fields["text"].widget.attrs["maxlength"] = str(limit)

    def clean_text(self):
        try:
            return services.clean_text(self.cleaned_data["text"])
        except services.ChatError as error:
            raise forms.ValidationError(error.message, code=error.code) from None
