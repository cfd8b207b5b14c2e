"""Test-only owner and child models, shaped like a subject and its concerns, with history."""

from __future__ import annotations

import uuid

from django.db import models
from simple_history.models import HistoricalRecords

from encryption.fields import EncryptedDateField, EncryptedJSONField, EncryptedTextField


class Person(models.Model):
    """An owner of personal data: has its own data key."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    data_key = models.OneToOneField("encryption.DataKey", on_delete=models.DO_NOTHING, db_constraint=False,
                                    related_name="+")
    name = EncryptedTextField(data_key="data_key_id")
    date_of_birth = EncryptedDateField(data_key="data_key_id", null=True, blank=True)
    details = EncryptedJSONField(data_key="data_key_id", null=True, blank=True)
    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"Person {self.pk}"


class Note(models.Model):
    """A child record encrypted under its person's data key."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="notes")
    narrative = EncryptedTextField(data_key="person.data_key_id", blank=True)
    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"Note {self.pk}"
