"""The shapes of the API's requests and answers (and so of its OpenAPI schema).

A submitted concern is checked here for its shape only (types, lengths); its meaning is checked by the
concern form itself (``referrals.forms.ConcernForm``: the same messages, the same hostile-input rules) in
``api.views``.
"""

from __future__ import annotations

from rest_framework import serializers

from referrals.choices import ActionTaken, Judgement, ReferralDecision, ReferralState

# The concern form's limits (referrals.forms, which sits above this layer; tests/api checks they agree).
NAME_MAX = 100
NARRATIVE_MAX = 10_000
# Codes (signs, boroughs) are slugs: anything else is refused here, before it reaches a query.
CODE = r"^[a-z0-9][a-z0-9_-]{0,59}$"


class YoungPersonIn(serializers.Serializer):
    """Who the concern is about, as the sending system holds her details. Used to match her record; never
    returned by any operation."""

    given_name = serializers.CharField(max_length=NAME_MAX)
    family_name = serializers.CharField(max_length=NAME_MAX, help_text="'Unknown' if not known.")
    other_names = serializers.CharField(max_length=200, required=False, allow_blank=True)
    date_of_birth = serializers.DateField(required=False, allow_null=True)
    age_estimate = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=25,
                                            help_text="Her age, when the date of birth is not known.")
    address = serializers.CharField(max_length=500, required=False, allow_blank=True)
    nhs_number = serializers.CharField(max_length=12, required=False, allow_blank=True)
    unique_pupil_number = serializers.CharField(max_length=13, required=False, allow_blank=True)
    home_borough = serializers.RegexField(CODE, max_length=60, error_messages={
        "invalid": "Choose a London borough: its slug, like 'lambeth' or 'city-of-london'."},
        help_text="The borough she lives in, as its slug (e.g. 'lambeth', 'city-of-london').")


class ConcernIn(serializers.Serializer):
    """A concern, as the concern form takes it."""

    young_person = YoungPersonIn()
    observed_on = serializers.DateField(help_text="When the signs were seen (within the last 5 years).")
    indicators = serializers.ListField(child=serializers.RegexField(CODE, max_length=60, error_messages={
        "invalid": "Choose signs from the indicator catalogue, by their codes."}), required=False, max_length=60,
                                       help_text="Codes from the indicator catalogue (GET /api/v1/indicators/).")
    narrative = serializers.CharField(max_length=NARRATIVE_MAX, required=False, allow_blank=True,
                                      help_text="What was seen or heard. Needed when no indicator is given.")
    # REST framework's own refusal of a choice repeats the value sent ("'...' is not a valid choice."),
    # which may be her name in the wrong field: these words name the field, never the value.
    judgement = serializers.ChoiceField(choices=Judgement.choices, required=False, allow_blank=True,
                                        error_messages={"invalid_choice": "Choose a judgement from the list."})
    actions_taken = serializers.ListField(child=serializers.ChoiceField(choices=ActionTaken.choices, error_messages={
        "invalid_choice": "Choose actions taken from the list."}), required=False, max_length=len(ActionTaken.choices))


class ConcernAccepted(serializers.Serializer):
    """The answer to a submitted concern: its reference, and nothing learned from matching her record."""

    reference = serializers.CharField()


class PathwayOut(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()


class ReferralOut(serializers.Serializer):
    """A referral the agency made, as its designated safeguarding lead sees it."""

    reference = serializers.CharField()
    young_person = serializers.CharField(help_text="Her reference number (never her name).")
    state = serializers.ChoiceField(choices=ReferralState.choices)
    state_label = serializers.CharField()
    decision = serializers.ChoiceField(choices=ReferralDecision.choices, allow_null=True)
    decision_label = serializers.CharField(allow_null=True)
    pathways = PathwayOut(many=True)
    received_at = serializers.DateTimeField()
    decision_due_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    changed_at = serializers.DateTimeField()


class ConcernOut(serializers.Serializer):
    """A concern the agency recorded and what became of its referrals about her."""

    reference = serializers.CharField()
    young_person = serializers.CharField(help_text="Her reference number (never her name).")
    observed_on = serializers.DateField()
    recorded_at = serializers.DateTimeField()
    indicators = serializers.ListField(child=serializers.CharField())
    judgement = serializers.ChoiceField(choices=Judgement.choices, allow_null=True)
    referrals = ReferralOut(many=True)


class ConcernPage(serializers.Serializer):
    items = ConcernOut(many=True)
    next_cursor = serializers.CharField(allow_null=True, help_text="Send as since= to get what changed after.")


class ReferralPage(serializers.Serializer):
    items = ReferralOut(many=True)
    next_cursor = serializers.CharField(allow_null=True, help_text="Send as since= to get what changed after.")


class IndicatorOut(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    hint = serializers.CharField(allow_blank=True)
    kind = serializers.CharField()
    category = serializers.CharField()
    category_label = serializers.CharField()
    introduced_in = serializers.IntegerField()
    retired_in = serializers.IntegerField(allow_null=True)


class IndicatorCatalogueOut(serializers.Serializer):
    version = serializers.IntegerField()
    title = serializers.CharField(allow_blank=True)
    indicators = IndicatorOut(many=True)


class PathwaySpecOut(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    hint = serializers.CharField(allow_blank=True)
    group = serializers.CharField(allow_blank=True)
    clock = serializers.CharField()


class PathwayCatalogueOut(serializers.Serializer):
    version = serializers.IntegerField()
    title = serializers.CharField(allow_blank=True)
    pathways = PathwaySpecOut(many=True)


class ProblemOut(serializers.Serializer):
    """RFC 9457 problem details."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False,
                                   help_text="Field path → messages, for a concern that could not be accepted.")


class TokenOut(serializers.Serializer):
    access_token = serializers.CharField()
    token_type = serializers.CharField()
    expires_in = serializers.IntegerField()
    scope = serializers.CharField()
