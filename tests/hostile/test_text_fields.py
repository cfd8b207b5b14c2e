"""What the shared text field does with unusual text, end to end: refused with a clear message, or
stored in one consistent form and shown escaped."""

from __future__ import annotations

import pytest
from django import forms
from django.urls import reverse

from config.forms import CONTROL_MESSAGE, LINE_BREAK_MESSAGE, ServiceForm, TextField
from referrals.models import Concern
from tests.hostile.runner import encode
from tests.hostile.targets import BY_NAME, Context


class _Notes(ServiceForm):
    name = TextField(max_length=100)
    notes = TextField(required=False, widget=forms.Textarea)


@pytest.mark.parametrize(("sent", "kept"), [
    ("Za\u200bin\u2060ab\ufeff", "Zainab"),                     # invisible characters dropped
    ("Zai\u0301nab", "Za\u00ednab"),                              # stored composed (NFC)
    ("  Zainab  ", "Zainab"),
    ("\u0632\u064a\u0646\u0628", "\u0632\u064a\u0646\u0628"),     # right-to-left script is a name like any
    ("Zain\u200dab", "Zain\u200dab"),                             # zero-width joiner kept (emoji, scripts)
])
def test_unusual_but_harmless_text_is_kept_in_one_form(sent, kept):
    form = _Notes(data={"name": sent})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["name"] == kept


@pytest.mark.parametrize("sent", ["Zain\x00ab", "a\x1b[31mb", "a\x85b", "Zainab\u202egnp", "\u2066x\u2069",
                                  "Zain\ud800ab", "Zain\ufffdab", "a\x7fb"])
def test_control_characters_are_refused_with_a_clear_message(sent):
    form = _Notes(data={"name": "Zainab", "notes": sent})
    assert not form.is_valid()
    assert form.errors["notes"] == [CONTROL_MESSAGE]
    assert "\x00" not in str(form["notes"]) and "\u202e" not in str(form["notes"])


def test_line_breaks_are_kept_in_a_textarea_and_refused_on_one_line():
    form = _Notes(data={"name": "Zainab\r\nX-Injected: yes", "notes": "first\r\nsecond"})
    assert not form.is_valid()
    assert form.errors["name"] == [LINE_BREAK_MESSAGE]
    assert form.cleaned_data["notes"] == "first\nsecond"


def test_a_choice_error_never_repeats_the_value_sent():
    class _Choice(ServiceForm):
        colour = forms.ChoiceField(choices=[("red", "Red")])
        many = forms.MultipleChoiceField(choices=[("red", "Red")])

    form = _Choice(data={"colour": "<b>\x00evil", "many": ["\x01evil"]})
    assert not form.is_valid()
    assert "evil" not in str(form.errors)


@pytest.mark.django_db
def test_a_concern_with_unusual_names_is_stored_normalised_and_shown_escaped(client_for, world):
    target, ctx = BY_NAME["concern-create"], Context(world)
    data = {**target.data(ctx), "given_name": "Za\u200bi\u0301nab", "family_name": "<script>alert(1)</script>",
            "narrative": "He said {{ request.user.password }} and <b>left</b>.\r\nNext line."}
    client = client_for("teacher_lambeth")
    response = client.post(reverse("concern-create"), encode(data), content_type="application/x-www-form-urlencoded")
    assert response.status_code == 302
    concern = Concern.objects.order_by("-recorded_at").first()
    assert concern.subject_as_recorded["given_name"] == "Za\u00ednab"
    assert concern.subject.family_name == "<script>alert(1)</script>"
    assert concern.narrative == "He said {{ request.user.password }} and <b>left</b>.\nNext line."
    page = client.get(response["Location"]).content.decode()
    assert "<b>left</b>" not in page and "&lt;b&gt;left&lt;/b&gt;" in page
    assert "{{ request.user.password }}" in page  # shown as typed, never evaluated


@pytest.mark.django_db
def test_services_refuse_control_characters_whoever_calls_them(world):
    from django.core.exceptions import ValidationError

    from referrals import routing
    from referrals.choices import ConsentPosition, LegalBasis
    from risk.models import RegisterEntry
    from risk.services import register as risk_services
    from tests.hostile.snapshot import row_counts
    from tests.hostile.targets import fresh_subject

    subject = fresh_subject(world, on_register=True)
    entry = RegisterEntry.objects.get(subject=subject)
    before = row_counts()
    with pytest.raises(ValidationError):
        routing.do_make_referral(subject, summary="Seen\x00 late", legal_basis=LegalBasis.SAFEGUARDING,
                                 consent=ConsentPosition.GIVEN, actor=world.user("dsl_lambeth"))
    with pytest.raises(ValidationError):
        risk_services.do_record_review(entry=entry, outcome="continue", notes="\u202eevil",
                                       actor=world.user("mash_lambeth"))
    assert row_counts() == before
