"""The accounts of clients registered before ``Membership.is_system_account`` existed are marked as
systems' accounts, so that they too stop being notified, listed or able to sign in to the web.

A documented set-based one-off (DESIGN.md §5.5): the flag is not case data, and the history of each
membership keeps its roles; the change is a property of the client, recorded by its registration."""

from django.db import migrations


def mark(apps, schema_editor):
    ApiClient = apps.get_model("api", "ApiClient")
    Membership = apps.get_model("agencies", "Membership")
    Membership.objects.filter(user_id__in=ApiClient.objects.values("account_id")).update(is_system_account=True)


class Migration(migrations.Migration):

    dependencies = [
        ("api", "0001_initial"),
        ("agencies", "0008_membership_is_system_account"),
    ]

    operations = [migrations.RunPython(mark, migrations.RunPython.noop)]
