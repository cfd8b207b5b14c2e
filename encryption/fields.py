"""Encrypted model fields: text, date and JSON, stored as AES-256-GCM ciphertext in a text column.

Values are stored in a binary column in the format of ``encryption.envelope``. Declare the path from
a model instance to the id of the data key that protects the value::

    class Subject(models.Model):
        id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
        data_key = models.OneToOneField("encryption.DataKey", on_delete=models.PROTECT)
        family_name = EncryptedTextField(data_key="data_key_id")

    class Concern(models.Model):
        id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
        subject = models.ForeignKey(Subject, on_delete=models.PROTECT)
        narrative = EncryptedTextField(data_key="subject.data_key_id", blank=True)

The primary key must exist before the first save (a UUID with a default), because it is part of the
associated data. ``from_db_value`` has no instance, so values are decrypted lazily by the attribute
descriptor on first access and the plaintext is cached on the instance; ``pre_save`` encrypts, and
keeps the stored ciphertext when the value has not changed. Decryption finds the key from the id
carried in the value itself, so reading a concern does not load its subject. Only ``isnull`` lookups
are possible: match by blind index instead. ``QuerySet.update()`` with plaintext is refused.

django-simple-history copies these fields into historical models; the copy keeps the original model
as ``origin_model``, so the associated data (and so the ciphertext) of a history row is exactly that of
the live row it records, and a ``pre_create_historical_record`` receiver (``encryption.apps``) copies
the live row's ciphertext into the history row rather than encrypting again.
"""

from __future__ import annotations

import datetime
import json
import operator
import uuid
from collections.abc import Sequence
from typing import Any

from django import forms
from django.core import checks, exceptions
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models.lookups import Exact
from django.db.models.query_utils import DeferredAttribute
from django.utils.dateparse import parse_date

from encryption import ERASED
from encryption.envelope import Ciphertext, decrypt_value, encrypt_value
from encryption.exceptions import EncryptionError

_UNSET: Any = object()


class _State:
    """What an instance holds for one encrypted field: the stored ciphertext and/or the plaintext."""

    __slots__ = ("aad", "ciphertext", "plain_bytes", "plaintext")

    def __init__(self, ciphertext: Ciphertext | None, plaintext: Any) -> None:
        self.ciphertext = ciphertext
        self.plaintext = plaintext
        # The serialised plaintext and associated data the ciphertext is known to hold, so an
        # unchanged value is not re-encrypted on every save (history rows keep identical ciphertext).
        self.plain_bytes: bytes | None = None
        self.aad: bytes | None = None

    def copy(self) -> _State:
        twin = _State(self.ciphertext, self.plaintext)
        twin.plain_bytes, twin.aad = self.plain_bytes, self.aad
        return twin


class EncryptedAttribute(DeferredAttribute):
    """Descriptor: stores a _State in the instance dict and decrypts on first read."""

    field: EncryptedField

    def __get__(self, instance: models.Model | None, cls: type | None = None) -> Any:
        if instance is None:
            return self
        state = instance.__dict__.get(self.field.attname)
        if state is None:
            state = super().__get__(instance, cls)  # loads a deferred field, like any other field
        if not isinstance(state, _State):  # set behind the descriptor's back (e.g. __dict__ update)
            state = self._wrap(state)
            instance.__dict__[self.field.attname] = state
        if state.plaintext is _UNSET:
            self.field.decrypt_into(instance, state)
        return state.plaintext

    def __set__(self, instance: models.Model, value: Any) -> None:
        instance.__dict__[self.field.attname] = self._wrap(value)

    @staticmethod
    def _wrap(value: Any) -> _State:
        if isinstance(value, _State):
            return value
        if isinstance(value, Ciphertext):
            return _State(value, _UNSET)
        return _State(None, value)


class _ExactNoneOnly(Exact):
    """``filter(field=None)`` only; Django turns it into ``isnull``."""

    def __init__(self, lhs: Any, rhs: Any) -> None:
        if rhs is not None:
            raise exceptions.FieldError(
                "Encrypted fields can only be compared with None; match people with blind indexes."
            )
        super().__init__(lhs, rhs)


class EncryptedField(models.Field):
    """Base of the encrypted fields: a binary column holding ciphertext, or NULL for None."""

    descriptor_class = EncryptedAttribute
    _allowed_lookups = frozenset({"isnull"})

    def __init__(self, *args: Any, data_key: str, written_after_insert: bool = False, **kwargs: Any) -> None:
        if kwargs.get("primary_key") or kwargs.get("unique") or kwargs.get("db_index"):
            raise ValueError("Encrypted fields cannot be keys, unique or indexed: every value is unique.")
        self.data_key_path = data_key
        # A value only ever written on a row that already exists (a removal reason) may live on a model
        # with an auto primary key: the key is known by then. Encrypting before it is known still raises.
        self.written_after_insert = written_after_insert
        self._data_key_getter = operator.attrgetter(data_key)
        self.origin_model: type[models.Model] | None = None
        self._aad_prefix: tuple[str, str] | None = None  # computed once the model is complete
        super().__init__(*args, **kwargs)

    # -- Django plumbing -------------------------------------------------------------------------

    def contribute_to_class(self, cls: type[models.Model], name: str, private_only: bool = False) -> None:
        # The first concrete model is the one whose label binds the ciphertext. simple-history's
        # historical model receives a copy of this field that keeps origin_model, so history rows use
        # the live model's label and decrypt with the same associated data.
        if self.origin_model is None and not cls._meta.abstract:
            self.origin_model = cls
        super().contribute_to_class(cls, name, private_only=private_only)

    def deconstruct(self) -> tuple[str, str, Sequence[Any], dict[str, Any]]:
        name, path, args, kwargs = super().deconstruct()
        kwargs["data_key"] = self.data_key_path
        if self.written_after_insert:
            kwargs["written_after_insert"] = True
        return name, path, args, kwargs

    def get_internal_type(self) -> str:
        return "BinaryField"

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        errors = super().check(**kwargs)
        model = self.origin_model
        if (model is not None and model is self.model and not self.written_after_insert
                and not isinstance(model._meta.pk, models.UUIDField)):
            errors.append(checks.Error(
                "A model with encrypted fields needs a UUID primary key with a default, so that the key "
                "exists before the first save (it is part of the associated data).",
                obj=self, id="encryption.E001",
            ))
        return errors

    def get_lookup(self, lookup_name: str) -> Any:
        # Comparing ciphertexts never matches (fresh nonces), so refuse rather than silently return
        # nothing. Match on blind indexes instead. ``field=None`` still works (Django makes it isnull).
        if lookup_name == "exact":
            return _ExactNoneOnly
        if lookup_name not in self._allowed_lookups:
            return None
        return super().get_lookup(lookup_name)

    def get_transform(self, lookup_name: str) -> Any:
        return None

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Ciphertext | None:
        return None if value is None else Ciphertext(value)  # PostgreSQL gives a memoryview

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        value = super().get_db_prep_value(value, connection, prepared)
        return None if value is None else connection.Database.Binary(value)

    def get_prep_value(self, value: Any) -> Any:
        if value is None or isinstance(value, Ciphertext):
            return value
        raise EncryptionError(
            f"{self.label_for_errors()} can only be written by saving a model instance (plaintext must "
            "never reach the database, so QuerySet.update() with a value is refused)."
        )

    def pre_save(self, model_instance: models.Model, add: bool) -> Ciphertext | None:
        state = model_instance.__dict__.get(self.attname)
        if not isinstance(state, _State):
            state = EncryptedAttribute._wrap(state)
            model_instance.__dict__[self.attname] = state
        if state.plaintext is _UNSET or state.plaintext is ERASED:
            return state.ciphertext  # never read, or unreadable: keep exactly what is stored
        if state.plaintext is None:
            state.ciphertext = None
            return None
        plain = self.to_bytes(state.plaintext)
        aad = self.aad_for(model_instance)
        if state.ciphertext is not None and state.plain_bytes == plain and state.aad == aad:
            return state.ciphertext
        state.ciphertext = encrypt_value(self.data_key_id_for(model_instance), aad, plain)
        state.plain_bytes, state.aad = plain, aad
        return state.ciphertext

    def value_from_object(self, obj: models.Model) -> Any:
        return getattr(obj, self.attname)

    def value_to_string(self, obj: models.Model) -> str:
        # Serialisers (dumpdata) get ciphertext (base64, as BinaryField does), never plaintext.
        import base64

        value = self.pre_save(obj, False)
        return "" if value is None else base64.b64encode(value).decode("ascii")

    def clean(self, value: Any, model_instance: models.Model | None) -> Any:
        if value is ERASED:
            return value
        return super().clean(value, model_instance)

    # -- Encryption --------------------------------------------------------------------------------

    def label_for_errors(self) -> str:
        model = self.origin_model or getattr(self, "model", None)
        return f"{model._meta.label_lower}.{self.name}" if model is not None else self.name

    def aad_for(self, instance: models.Model) -> bytes:
        """``app_label.model_name.field_name:<primary key>`` of the model that declared the field."""
        prefix = self._aad_prefix
        if prefix is None:
            origin = self.origin_model or type(instance)
            prefix = self._aad_prefix = (f"{origin._meta.label_lower}.{self.name}:",
                                         origin._meta.pk.attname)
        pk = getattr(instance, prefix[1])
        if pk is None:
            raise EncryptionError(
                f"{self.label_for_errors()} needs the row's primary key before encrypting; give the model "
                "a UUID primary key with a default."
            )
        # str(UUID) costs as much as the AES-GCM call on a short value: remember it per instance.
        cached = instance.__dict__.get("_encryption_pk_text")
        if cached is None or cached[0] is not pk:
            cached = instance.__dict__["_encryption_pk_text"] = (pk, str(pk))
        return (prefix[0] + cached[1]).encode()

    def data_key_id_for(self, instance: models.Model) -> uuid.UUID:
        """Follow ``data_key`` from the instance to the id of the data key to encrypt under."""
        try:
            value = self._data_key_getter(instance)
        except (AttributeError, exceptions.ObjectDoesNotExist):
            value = None
        if value is None:
            raise EncryptionError(f"{self.label_for_errors()} has no data key (path {self.data_key_path!r}).")
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))

    def decrypt_into(self, instance: models.Model, state: _State) -> None:
        assert state.ciphertext is not None
        aad = self.aad_for(instance)
        raw = decrypt_value(state.ciphertext, aad,
                            where=lambda: f"{self.label_for_errors()} of {instance.pk}")
        if raw is ERASED:
            state.plaintext = ERASED
            return
        assert isinstance(raw, bytes)
        state.plaintext = self.from_bytes(raw)
        state.plain_bytes, state.aad = raw, aad

    def to_bytes(self, value: Any) -> bytes:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def from_bytes(self, raw: bytes) -> Any:  # pragma: no cover - every subclass defines it
        raise NotImplementedError


class EncryptedTextField(EncryptedField):
    """Encrypted text of any length (names, addresses, narratives)."""

    description = "Encrypted text"

    def to_python(self, value: Any) -> Any:
        if value is None or value is ERASED or isinstance(value, str):
            return value
        return str(value)

    def to_bytes(self, value: Any) -> bytes:
        return str(value).encode("utf-8")

    def from_bytes(self, raw: bytes) -> str:
        return raw.decode("utf-8")

    def formfield(
        self,
        form_class: type[forms.Field] | None = None,
        choices_form_class: type[forms.ChoiceField] | None = None,
        **kwargs: Any,
    ) -> forms.Field | None:
        return super().formfield(form_class=form_class or forms.CharField, choices_form_class=choices_form_class,
                                 **{"widget": forms.Textarea, **kwargs})


class EncryptedDateField(EncryptedField):
    """An encrypted calendar date (date of birth)."""

    description = "Encrypted date"

    def to_python(self, value: Any) -> Any:
        if value is None or value is ERASED:
            return value
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        parsed = parse_date(str(value)) if isinstance(value, str) else None
        if parsed is None:
            raise exceptions.ValidationError("Enter a valid date.", code="invalid")
        return parsed

    def to_bytes(self, value: Any) -> bytes:
        return self.to_python(value).isoformat().encode("ascii")

    def from_bytes(self, raw: bytes) -> datetime.date:
        return datetime.date.fromisoformat(raw.decode("ascii"))

    def formfield(
        self,
        form_class: type[forms.Field] | None = None,
        choices_form_class: type[forms.ChoiceField] | None = None,
        **kwargs: Any,
    ) -> forms.Field | None:
        return super().formfield(form_class=form_class or forms.DateField, choices_form_class=choices_form_class,
                                 **kwargs)


class EncryptedJSONField(EncryptedField):
    """Encrypted JSON (lists and objects of identifiers, contact details)."""

    description = "Encrypted JSON"

    def to_bytes(self, value: Any) -> bytes:
        return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":")).encode()

    def from_bytes(self, raw: bytes) -> Any:
        return json.loads(raw)

    def formfield(
        self,
        form_class: type[forms.Field] | None = None,
        choices_form_class: type[forms.ChoiceField] | None = None,
        **kwargs: Any,
    ) -> forms.Field | None:
        return super().formfield(form_class=form_class or forms.JSONField, choices_form_class=choices_form_class,
                                 **kwargs)


# Public name for code that must recognise an instance's encrypted-field state (the history receiver).
EncryptedState = _State


def encrypted_fields(model: type[models.Model]) -> list[EncryptedField]:
    """The encrypted fields of a model (live or historical)."""
    return [f for f in model._meta.concrete_fields if isinstance(f, EncryptedField)]
