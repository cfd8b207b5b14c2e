"""Every text field of every project model is either encrypted or on this allow-list of non-personal
fields (DESIGN.md §5.6): a new plain CharField, TextField or JSONField fails here until someone decides.

Staff accounts (django.contrib.auth) are the organisation's own records of its staff, not case data,
and are outside this walk; third-party apps' tables likewise.
"""

from __future__ import annotations

from django.apps import apps
from django.db import models

from dataprotection.inventory import PROJECT_APPS, clear_fields
from encryption.fields import EncryptedField

# "app.Model.field": why it is kept in clear. One table with the data inventory (dataprotection/inventory.py
# FIELDS), so the walk and the inventory cannot disagree. Fields with choices are codes and need no entry here.
ALLOW_LIST = clear_fields()
# simple-history's own columns: the change type, and the reason (never set by this project's services).
HISTORY_FIELDS = {"history_type", "history_change_reason"}


def _text_fields():
    for app in PROJECT_APPS:
        for model in apps.get_app_config(app).get_models():
            live = getattr(model, "instance_type", model)  # a historical model checks as its live model
            for field in model._meta.concrete_fields:
                if isinstance(field, (models.CharField, models.TextField, models.JSONField)):
                    yield model, live, field


def test_every_text_field_is_encrypted_or_allowed():
    unexplained = []
    for model, live, field in _text_fields():
        if isinstance(field, EncryptedField) or field.choices or field.name in HISTORY_FIELDS:
            continue
        if f"{live._meta.label}.{field.name}" not in ALLOW_LIST:
            unexplained.append(f"{model._meta.label}.{field.name}")
    assert unexplained == [], (
        "Plain text fields that may hold personal data: encrypt them (encryption.fields) or add them to "
        f"ALLOW_LIST with the reason they are not personal: {unexplained}")


def test_the_allow_list_has_no_stale_entries():
    present = {f"{model._meta.label}.{field.name}" for app in PROJECT_APPS
               for model in apps.get_app_config(app).get_models()
               for field in [*model._meta.concrete_fields, *model._meta.many_to_many]}
    assert set(ALLOW_LIST) - present == set()


def test_free_text_typed_about_people_is_encrypted():
    from referrals.models import Subject
    from risk.map.models import Group, Link, Place
    from risk.models import RegisterEntry

    for model, name in ((Place, "name"), (Group, "name"), (Link, "removal_reason"),
                        (RegisterEntry, "removal_reason"), (RegisterEntry, "reinstatement_reason"),
                        (Subject, "merge_reason")):
        assert isinstance(model._meta.get_field(name), EncryptedField)
        assert isinstance(model.history.model._meta.get_field(name), EncryptedField)
