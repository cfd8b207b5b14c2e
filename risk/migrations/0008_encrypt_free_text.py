"""Names of places and groups, and typed removal reasons, move from plain columns to encrypted fields.

Places and groups get their own data key (in the key store: migrate the "keys" database first). Live
rows are encrypted in place; history rows lose their plain copies (the columns are dropped), which is
the point: no plaintext name or reason stays in any table.
"""

import django.db.models.deletion
from django.db import migrations, models

import encryption.fields


def encrypt_existing(apps, schema_editor):
    from encryption.services import do_create_data_key

    for name in ("Place", "Group"):
        model = apps.get_model("risk", name)
        for node in model._base_manager.all():
            node.data_key_id = do_create_data_key(actor=None).pk
            node.name = node.name_plain
            node.save(update_fields=["data_key", "name"])
            # History rows get the live row's ciphertext (same associated data): their plain names go.
            history = apps.get_model("risk", f"Historical{name}")
            history._base_manager.filter(id=node.pk).update(
                name=node.__dict__["name"].ciphertext, data_key_id=node.data_key_id)
    Link = apps.get_model("risk", "Link")
    for link in Link._base_manager.select_related("subject", "associate", "place", "group"):
        for end in ("subject", "associate", "place", "group"):
            owner = getattr(link, end)
            if owner is not None:
                link.data_key_id = owner.data_key_id
                break
        fields = ["data_key"]
        if link.removal_reason_plain:
            link.removal_reason = link.removal_reason_plain
            fields.append("removal_reason")
        link.save(update_fields=fields)
    RegisterEntry = apps.get_model("risk", "RegisterEntry")
    for entry in RegisterEntry._base_manager.exclude(removal_reason_plain="").select_related("subject"):
        entry.removal_reason = entry.removal_reason_plain
        entry.save(update_fields=["removal_reason"])


class Migration(migrations.Migration):

    dependencies = [
        ("encryption", "0002_erasure_ledger"),
        ("risk", "0007_data_key_in_key_store"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="registerentry", name="register_removal_has_reason"),
    ]
    for model in ("place", "group", "historicalplace", "historicalgroup"):
        operations += [
            migrations.RenameField(model_name=model, old_name="name", new_name="name_plain"),
            migrations.AddField(model_name=model, name="name",
                                field=encryption.fields.EncryptedTextField(data_key="data_key_id", null=True)),
        ]
    for model in ("place", "group"):
        operations.append(migrations.AddField(
            model_name=model, name="data_key",
            field=models.OneToOneField(db_constraint=False, null=True,
                                       on_delete=django.db.models.deletion.DO_NOTHING,
                                       related_name=model, to="encryption.datakey")))
    for model in ("historicalplace", "historicalgroup", "link", "historicallink"):
        operations.append(migrations.AddField(
            model_name=model, name="data_key",
            field=models.ForeignKey(blank=True, db_constraint=False, null=True,
                                    on_delete=django.db.models.deletion.DO_NOTHING, related_name="+",
                                    to="encryption.datakey")))
    for model in ("link", "historicallink"):
        operations += [
            migrations.RenameField(model_name=model, old_name="removal_reason", new_name="removal_reason_plain"),
            migrations.AddField(model_name=model, name="removal_reason",
                                field=encryption.fields.EncryptedTextField(blank=True, data_key="data_key_id",
                                                                           null=True)),
        ]
    for model in ("registerentry", "historicalregisterentry"):
        operations += [
            migrations.RenameField(model_name=model, old_name="removal_reason", new_name="removal_reason_plain"),
            migrations.AddField(model_name=model, name="removal_reason",
                                field=encryption.fields.EncryptedTextField(
                                    blank=True, data_key="subject.data_key_id", null=True,
                                    written_after_insert=True)),
        ]
    operations.append(migrations.RunPython(encrypt_existing, migrations.RunPython.noop))
    for model, field in (("place", "name_plain"), ("group", "name_plain"), ("historicalplace", "name_plain"),
                         ("historicalgroup", "name_plain"), ("link", "removal_reason_plain"),
                         ("historicallink", "removal_reason_plain"), ("registerentry", "removal_reason_plain"),
                         ("historicalregisterentry", "removal_reason_plain")):
        operations.append(migrations.RemoveField(model_name=model, name=field))
