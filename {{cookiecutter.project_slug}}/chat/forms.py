from django import forms

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
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
