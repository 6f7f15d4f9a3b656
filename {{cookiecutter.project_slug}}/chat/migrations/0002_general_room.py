"""A first room, so a fresh project has somewhere to chat."""

from django.db import migrations


def create_general(apps, schema_editor):
    apps.get_model("chat", "Room").objects.get_or_create(name="general")


class Migration(migrations.Migration):
    dependencies = [("chat", "0001_initial")]
    operations = [migrations.RunPython(create_general, migrations.RunPython.noop)]
