"""Every form the service accepts by POST, with a persona allowed to use it and a valid submission.

``test_coverage.py`` finds every URL that accepts POST (by asking each one) and fails if it is missing
here, so a new form cannot escape the hostile suite. Each target builds what it needs through the
services; a target whose success uses its object up (a merge, a referral moving on) makes a fresh one
for the next request.
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.urls import reverse
from django.utils import timezone

from agencies.forms import EnrolmentForm, SecondFactorForm, SetPasswordForm, SignInForm
from agencies.models import Borough
from audit.choices import Action
from casework.forms import (
    ActionForm,
    ActionUpdateForm,
    DiscussionForm,
    MeetingChangeForm,
    MeetingForm,
    OutcomeForm,
    StrategyDiscussionForm,
)
from dataprotection import services as dataprotection_services
from dataprotection.forms import BreakGlassForm, BreakGlassReviewForm
from dataprotection.models import BreakGlassReview
from referrals import routing
from referrals.borough_forms import BoroughTransferForm, DeclineBoroughTransferForm, HarmBoroughAccessForm
from referrals.choices import ConsentPosition, LegalBasis, Pathway, ReferralDecision, TransferPurpose
from referrals.forms import ConcernForm, MergeForm
from referrals.referral_forms import DecisionForm, PathwayResponseForm, ReferralActionForm, ReferralForm
from referrals.rights_forms import RectifyForm, RestrictionForm
from referrals.search_forms import SubjectSearchForm
from referrals.transfer_forms import SchoolTransferForm
from risk.forms import (
    ExplainSignForm,
    LeadForm,
    ProtectiveFactorForm,
    ReasonForm,
    RemovalForm,
    ReviewForm,
    ReviewLevelForm,
)
from risk.map.forms import LinkForm, RemoveLinkForm
from risk.map.models import AgeBand, AssociateRole, Confidence, GroupKind, LinkType, Place, PlaceKind
from risk.models import RegisterEntry, ReviewOutcome
from risk.services import register as risk_services
from tests.factories import new_concern
from tests.hostile.corpus import CONTROL_VALUES, LINE_BREAK_VALUES
from tests.personas import PASSWORD, World
from tests.referrals.borough_cases import ask_southwark
from tests.referrals.transfer_cases import add_schools, start
from tests.risk.map_cases import link, new_associate

_numbers = itertools.count(1)
# Read-only actions that the page itself records on every request, whatever was submitted.
READ_ACTIONS = {Action.VIEW, Action.LIST, Action.SEARCH}


def fresh_subject(world: World, recorder: str = "teacher_lambeth", *, on_register: bool = False) -> Any:
    """A new Lambeth subject, never matching another (a unique name)."""
    n = next(_numbers)
    signs = ("missing-from-home-or-care",)
    return new_concern(world, recorder, given=f"Hostile{n:05d}", family="Inputcase", dob=dt.date(2010, 1 + n % 12, 1),
                  borough="Lambeth", indicators=signs, seriously_worried=on_register).subject


def _today_parts(prefix: str, days_ago: int = 3) -> dict[str, str]:
    day = timezone.localdate() - dt.timedelta(days=days_ago)
    return {f"{prefix}_day": str(day.day), f"{prefix}_month": str(day.month), f"{prefix}_year": str(day.year)}


@dataclass
class Context:
    """What one test built for its target, and the object the next request should use."""

    world: World
    built: dict[str, Any] = field(default_factory=dict)
    consumed: bool = True
    clients: dict[str, Any] = field(default_factory=dict)

    def fresh(self, key: str, make: Callable[[], Any], *, reuse: bool) -> Any:
        """The object under ``key``: made again after a successful request used it up."""
        if key not in self.built or (self.consumed and not reuse):
            self.built[key] = make()
            self.consumed = False
        return self.built[key]


@dataclass
class Target:
    """One form (or one action of a page with several forms)."""

    name: str
    url_name: str
    persona: str
    url: Callable[[Context], str]
    data: Callable[[Context], dict[str, Any]]
    form_class: type[forms.Form] | None = None
    prefix: str | None = None
    # The free-text field that receives every value of the corpus.
    probe: str | None = None
    # Fields only the page posts (not on the form class): which button, which step.
    extra_fields: tuple[str, ...] = ()
    # Successful requests use up the target's object, so the next request needs a fresh one.
    consumes: bool = False
    # Tables that a refused request may legitimately change (throttling of failed sign-ins).
    side_tables: frozenset[str] = frozenset()
    # Actions a refused request may record besides the page's own read.
    refusal_actions: frozenset[str] = frozenset()
    # Statuses besides 200 (form again, with errors), 302 (done) and 400 (unreadable request).
    also_allowed: frozenset[int] = frozenset()
    # Each request starts from a new client (sign-in and sign-out change who the client is).
    new_client_each_time: bool = False
    # Pages of a step that writes nothing yet (check your answers): a 200 without errors is fine there.
    step_markers: tuple[str, ...] = ()
    # A 200 page that means done (a page shown once, such as new recovery codes), not a refusal.
    success_markers: tuple[str, ...] = ()
    # Fields to fuzz when several targets share one form class (the first covers every field).
    only_fields: tuple[str, ...] = ()

    def text_fields(self) -> dict[str, bool]:
        """Free-text fields (name: multi-line?): what they accept is stored, so control characters, and
        line breaks in a one-line field, must be refused."""
        if self.form_class is None:
            return {}
        form = self.form_class.__new__(self.form_class)
        form.prefix = self.prefix
        return {form.add_prefix(name): isinstance(f.widget, forms.Textarea)
                for name, f in self.form_class.base_fields.items() if isinstance(f, forms.CharField)}

    def must_refuse(self, field_name: str, value_name: str) -> bool:
        text = self.text_fields()
        if field_name not in text:
            return False
        return value_name in CONTROL_VALUES or (value_name in LINE_BREAK_VALUES and not text[field_name])

    def fields(self) -> list[str]:
        if self.only_fields:
            return sorted(self.only_fields)
        names: list[str] = []
        if self.form_class is not None:
            form = self.form_class.__new__(self.form_class)
            form.prefix = self.prefix
            names = [form.add_prefix(name) for name in self.form_class.base_fields]
        return sorted({*names, *self.extra_fields})


def _concern_data(ctx: Context) -> dict[str, Any]:
    return {
        "given_name": "Hostile", "family_name": f"Formcase{next(_numbers)}", "other_names": "Zee",
        **{"dob_day": "3", "dob_month": "4", "dob_year": "2011"}, "home_borough": "lambeth",
        "indicators": ["missing-from-home-or-care"], "narrative": "Seen late at night with older men.",
        "address": "1 Test Street", "nhs_number": "943 476 5919", "pupil_number": "A123456789012",
        **_today_parts("observed"), "idempotency_key": str(uuid.uuid4()), "stage": "confirm",
        "seriously_worried": "on",
    }


def _merge_url(ctx: Context) -> str:
    survivor = ctx.fresh("survivor", lambda: fresh_subject(ctx.world), reuse=True)
    return reverse("subject-merge", kwargs={"reference": survivor.reference})


def _merge_data(ctx: Context) -> dict[str, Any]:
    duplicate = ctx.fresh("duplicate", lambda: fresh_subject(ctx.world, "gp_lambeth"), reuse=False)
    return {"duplicate": duplicate.reference, "reason": "Same school, same birthday.", "confirm": "on"}


def _refer_url(ctx: Context) -> str:
    subject = ctx.fresh("subject", lambda: fresh_subject(ctx.world), reuse=False)
    return reverse("referral-create", kwargs={"reference": subject.reference})


def _refer_data(ctx: Context) -> dict[str, Any]:
    return {"summary": "Going missing overnight.", "legal_basis": LegalBasis.SAFEGUARDING,
            "consent": ConsentPosition.GIVEN, "consent_override_reason": ""}


def _referral(ctx: Context, state: str) -> Any:
    def make() -> Any:
        world = ctx.world
        referral = routing.do_make_referral(
            fresh_subject(world), summary="Going missing overnight.", legal_basis=LegalBasis.SAFEGUARDING,
            consent=ConsentPosition.GIVEN, actor=world.user("dsl_lambeth"))
        if state == "screening":
            referral = routing.do_start_screening(referral, version=referral.version,
                                                  actor=world.user("mash_lambeth"))
        return referral

    return ctx.fresh("referral", make, reuse=False)


def _routed_pathway(ctx: Context) -> Any:
    """A pathway routed to Lambeth children's social care, waiting for its answer (a fresh one once used)."""
    def make() -> Any:
        from tests.factories import route_to

        referral = _referral(ctx, "screening")
        referral = routing.do_decide_referral(referral, reason="Needs an assessment.", version=referral.version,
                                              actor=ctx.world.user("mash_lambeth"),
                                              **route_to(ctx.world, referral, Pathway.CSC_ASSESSMENT))
        return referral.pathways.get(pathway=Pathway.CSC_ASSESSMENT)

    return ctx.fresh("pathway", make, reuse=False)


def _entry(ctx: Context, *, removed: bool = False, reuse: bool) -> RegisterEntry:
    def make() -> RegisterEntry:
        subject = fresh_subject(ctx.world, on_register=True)
        entry = RegisterEntry.objects.get(subject=subject)
        if removed:
            risk_services.do_remove_from_register(entry=entry, reason_code="risk_reduced",
                                                  reason="Support in place",
                                                  actor=ctx.world.user("mash_lambeth"))
            entry.refresh_from_db()
        return entry

    return ctx.fresh("entry", make, reuse=reuse)


def _entry_url(entry: RegisterEntry) -> str:
    return reverse("register-entry", kwargs={"reference": entry.subject.reference})


def _map_subject_url(ctx: Context) -> str:
    subject = ctx.fresh("map_subject", lambda: fresh_subject(ctx.world), reuse=True)
    return reverse("map-link-add", kwargs={"reference": subject.reference})


def _link_data(target: str, **extra: Any) -> Callable[[Context], dict[str, Any]]:
    def data(ctx: Context) -> dict[str, Any]:
        base = {"target": target, "link_type": LinkType.ASSOCIATES_WITH, "confidence": Confidence.MEDIUM,
                **_today_parts("first_seen", days_ago=10), "source_agency": ""}
        if target == "associate":
            base.update(associate_name="Big T", associate_description="Drives a black car",
                        age_band=AgeBand.AGE_18_24, role=AssociateRole.OLDER_ASSOCIATE)
        elif target == "place":
            base.update(link_type=LinkType.FREQUENTS, place_name="Chicken shop", place_kind=PlaceKind.PARK,
                        place_borough="lambeth", latitude="51.46", longitude="-0.11")
        elif target == "group":
            base.update(link_type=LinkType.MEMBER_OF, group_name="Estate crew", group_kind=GroupKind.PEER_GROUP)
        else:
            def make() -> Any:
                other = fresh_subject(ctx.world)
                return link(ctx.world, "mash_lambeth", other, Place(name="Shared park", kind=PlaceKind.PARK),
                            LinkType.FREQUENTS).place

            base.update(link_type=LinkType.FREQUENTS, existing=ctx.fresh("existing", make, reuse=False).reference)
        base.update(extra)
        return base

    return data


def _link_subject(ctx: Context) -> Any:
    return ctx.fresh("link_subject", lambda: fresh_subject(ctx.world), reuse=True)


def _pending_link(ctx: Context) -> Any:
    def make() -> Any:
        return link(ctx.world, "teacher_lambeth", _link_subject(ctx), new_associate(f"Pending {next(_numbers)}"))

    return ctx.fresh("link", make, reuse=False)


def _confirmed_link(ctx: Context) -> Any:
    def make() -> Any:
        return link(ctx.world, "mash_lambeth", _link_subject(ctx), new_associate(f"Confirmed {next(_numbers)}"))

    return ctx.fresh("link", make, reuse=False)


TARGETS: list[Target] = [
    Target("login", "login", "anonymous", url=lambda ctx: reverse("login"),
           data=lambda ctx: {"username": "police_lambeth", "password": PASSWORD},
           form_class=SignInForm, probe="username",
           side_tables=frozenset({"axes_accessattempt", "axes_accessfailurelog", "axes_accesslog"}),
           refusal_actions=frozenset({Action.LOGIN_FAILED}), also_allowed=frozenset({429}),
           new_client_each_time=True),
    Target("logout", "logout", "teacher_lambeth", url=lambda ctx: reverse("logout"), data=lambda ctx: {},
           consumes=True, new_client_each_time=True),
    Target("audit-verify", "audit-verify", "auditor", url=lambda ctx: reverse("audit-verify"),
           data=lambda ctx: {}),
    Target("concern-create", "concern-create", "teacher_lambeth", url=lambda ctx: reverse("concern-create"),
           data=_concern_data, form_class=ConcernForm, probe="narrative", extra_fields=("stage",),
           step_markers=("Check your answers",)),
    Target("subject-merge", "subject-merge", "mash_lambeth", url=_merge_url, data=_merge_data,
           form_class=MergeForm, probe="reason", consumes=True, step_markers=("Check before merging",)),
    Target("referral-create", "referral-create", "dsl_lambeth", url=_refer_url, data=_refer_data,
           form_class=ReferralForm, probe="summary", consumes=True),
    Target("referral-detail", "referral-detail", "mash_lambeth",
           url=lambda ctx: reverse("referral-detail", kwargs={"reference": _referral(ctx, "submitted").reference}),
           data=lambda ctx: {"action": "screen", "version": str(_referral(ctx, "submitted").version),
                             "reason": "Screening today."},
           form_class=ReferralActionForm, probe="reason", consumes=True),
    # Her recommendation (early help, at low) accepted, and an assessment added with a reason: every field
    # of one recommended and one added pathway is fuzzed with the decision's own.
    Target("referral-decide", "referral-decide", "mash_lambeth",
           url=lambda ctx: reverse("referral-decide", kwargs={"reference": _referral(ctx, "screening").reference}),
           data=lambda ctx: {"version": str(_referral(ctx, "screening").version),
                             "decision": ReferralDecision.ROUTED, "reason": "Needs an assessment.",
                             "pathway-early_help": "on", "consent-early_help": "given",
                             "agency-early_help": str(ctx.world.agencies["lambeth_csc"].pk), "why-early_help": "",
                             "pathway-csc_assessment": "on",
                             "agency-csc_assessment": str(ctx.world.agencies["lambeth_csc"].pk),
                             "why-csc_assessment": "Her needs beyond early help."},
           form_class=DecisionForm, probe="reason", consumes=True,
           extra_fields=("pathway-early_help", "consent-early_help", "agency-early_help", "why-early_help",
                         "pathway-csc_assessment", "agency-csc_assessment", "why-csc_assessment")),
    Target("referral-pathway-respond", "referral-pathway-respond", "csc_lambeth",
           url=lambda ctx: reverse("referral-pathway-respond",
                                   kwargs={"reference": _routed_pathway(ctx).referral.reference}),
           data=lambda ctx: {"pathway": str(_routed_pathway(ctx).pk), "response": "decline",
                             "version": str(_routed_pathway(ctx).version), "reason": "Already open to the team."},
           form_class=PathwayResponseForm, probe="reason", consumes=True),
    Target("register-entry:review", "register-entry", "mash_lambeth",
           url=lambda ctx: _entry_url(_entry(ctx, reuse=True)),
           data=lambda ctx: {"action": "review", "outcome": ReviewOutcome.CONTINUE, "notes": "Reviewed at MASH."},
           form_class=ReviewForm, probe="notes", extra_fields=("action",)),
    Target("register-entry:remove", "register-entry", "mash_lambeth",
           url=lambda ctx: _entry_url(_entry(ctx, reuse=False)),
           data=lambda ctx: {"action": "remove", "remove-reason_code": "risk_reduced",
                             "remove-reason": "Support in place."},
           form_class=RemovalForm, prefix="remove", probe="remove-reason", extra_fields=("action",), consumes=True),
    Target("register-entry:reinstate", "register-entry", "mash_lambeth",
           url=lambda ctx: _entry_url(_entry(ctx, removed=True, reuse=False)),
           data=lambda ctx: {"action": "reinstate", "reinstate-reason": "New concerns."},
           form_class=ReasonForm, prefix="reinstate", probe="reinstate-reason", extra_fields=("action",),
           consumes=True),
    Target("register-entry:lead", "register-entry", "mash_lambeth",
           url=lambda ctx: _entry_url(_entry(ctx, reuse=True)),
           data=lambda ctx: {"action": "lead", "lead": str(ctx.world.user("mash_lambeth").pk)},
           form_class=LeadForm, probe="lead", extra_fields=("action",)),
    Target("map-link-add:associate", "map-link-add", "mash_lambeth", url=_map_subject_url,
           data=_link_data("associate"), form_class=LinkForm, probe="associate_description"),
    Target("map-link-add:place", "map-link-add", "mash_lambeth", url=_map_subject_url,
           data=_link_data("place"), form_class=LinkForm, probe="place_name",
           only_fields=("place_name", "place_kind", "place_borough", "latitude", "longitude", "link_type")),
    Target("map-link-add:group", "map-link-add", "mash_lambeth", url=_map_subject_url,
           data=_link_data("group"), form_class=LinkForm, probe="group_name",
           only_fields=("group_name", "group_kind", "place_borough")),
    Target("map-link-add:existing", "map-link-add", "mash_lambeth", url=_map_subject_url,
           data=_link_data("existing"), form_class=LinkForm, probe="existing", consumes=True,
           only_fields=("existing", "pick", "target")),
    # Finding someone or somewhere on the map adds nothing: the form comes back with what matched.
    Target("map-link-add:find", "map-link-add", "mash_lambeth", url=_map_subject_url,
           data=lambda ctx: {"action": "find", "find": "Big", "target": "existing"}, form_class=LinkForm,
           probe="find", only_fields=("find",), extra_fields=("action",),
           success_markers=("Found on the map", "Nobody and nowhere you can see matches")),
    Target("map-link-add:suggestion", "map-link-add", "teacher_lambeth", url=_map_subject_url,
           data=_link_data("associate"), form_class=LinkForm, probe="associate_name",
           only_fields=("associate_name", "associate_description", "role", "age_band", "record_as_associate")),
    Target("map-link-confirm", "map-link-confirm", "mash_lambeth",
           url=lambda ctx: reverse("map-link-confirm", kwargs={"reference": _pending_link(ctx).reference}),
           data=lambda ctx: {}, consumes=True),
    Target("map-link-remove", "map-link-remove", "mash_lambeth",
           url=lambda ctx: reverse("map-link-remove", kwargs={"reference": _confirmed_link(ctx).reference}),
           data=lambda ctx: {"reason": "Entered on the wrong record."}, form_class=RemoveLinkForm, probe="reason",
           consumes=True),
]



# Two-factor authentication. Test plumbing resets the authenticator before each request (its last used
# step and its failure throttle), so that the valid submission is valid every time.
def _fresh_device(ctx: Context, persona: str) -> Any:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user=ctx.world.user(persona), confirmed=True)
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1, throttling_failure_count=0,
                                                   throttling_failure_timestamp=None)
    device.refresh_from_db()
    return device



def _break_glass_data(ctx: Context) -> dict[str, Any]:
    """A Lambeth record the Southwark MASH lead cannot normally see; opening it uses it up."""
    subject = ctx.fresh("closed_subject", lambda: fresh_subject(ctx.world), reuse=False)
    return {"reference": subject.reference, "stage": "confirm",
            "reason": "Police found her in Southwark tonight after a missing-person report."}


# A search that ran (whatever it found) shows its results heading; it writes nothing but its read event.
SEARCH_DONE = '<h2 class="govuk-heading-m" id="results">'


def _search_data(ctx: Context) -> dict[str, Any]:
    """A search that finds one Lambeth girl (by name and date of birth, as typed on the form)."""
    subject = ctx.fresh("searched", lambda: fresh_subject(ctx.world), reuse=True)
    born = subject.date_of_birth
    return {"given_name": subject.given_name, "family_name": subject.family_name,
            "dob_day": str(born.day), "dob_month": str(born.month), "dob_year": str(born.year)}


def _grant_to_review(ctx: Context) -> Any:
    def make() -> Any:
        return dataprotection_services.do_break_glass(
            fresh_subject(ctx.world), "Police found her in Southwark tonight after a missing-person report.",
            actor=ctx.world.user("mash_southwark"))

    return ctx.fresh("grant", make, reuse=False)


def _code_data(persona: str) -> Callable[[Context], dict[str, Any]]:
    def data(ctx: Context) -> dict[str, Any]:
        from agencies.two_factor import current_code

        return {"otp_token": current_code(_fresh_device(ctx, persona))}

    return data


def _enrolment_data(ctx: Context) -> dict[str, Any]:
    """A pending key in the session and its current code; no authenticator yet."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from agencies.two_factor import current_code, new_totp_key
    from agencies.views_two_factor import PENDING_KEY

    user = ctx.world.user("teacher_lambeth")
    TOTPDevice.objects.filter(user=user).delete()
    session = ctx.clients["teacher_lambeth"].session
    session[PENDING_KEY] = key = new_totp_key()
    session.save()
    return {"otp_token": current_code(TOTPDevice(user=user, key=key))}


_TWO_FACTOR_REFUSALS = frozenset({Action.LOGIN_FAILED, Action.DENIED})

TARGETS += [
    Target("two-factor-verify", "two-factor-verify", "mash_lambeth:unverified",
           url=lambda ctx: reverse("two-factor-verify"), data=_code_data("mash_lambeth"),
           form_class=SecondFactorForm, probe="otp_token", new_client_each_time=True,
           refusal_actions=_TWO_FACTOR_REFUSALS),
    Target("step-up", "step-up", "mash_lambeth", url=lambda ctx: reverse("step-up"),
           data=_code_data("mash_lambeth"), form_class=SecondFactorForm, probe="otp_token",
           new_client_each_time=True, refusal_actions=_TWO_FACTOR_REFUSALS),
    Target("two-factor-setup", "two-factor-setup", "teacher_lambeth", url=lambda ctx: reverse("two-factor-setup"),
           data=_enrolment_data, form_class=EnrolmentForm, probe="otp_token",
           refusal_actions=_TWO_FACTOR_REFUSALS, success_markers=("<title>Your recovery codes",)),
    Target("account-recovery-codes", "account-recovery-codes", "mash_lambeth",
           url=lambda ctx: reverse("account-recovery-codes"), data=lambda ctx: {},
           success_markers=("<title>Your recovery codes",)),
    Target("account-two-factor-remove", "account-two-factor-remove", "teacher_lambeth",
           url=lambda ctx: reverse("account-two-factor-remove"), data=lambda ctx: {}),
    Target("break-glass", "break-glass", "mash_southwark", url=lambda ctx: reverse("break-glass"),
           data=_break_glass_data, form_class=BreakGlassForm, probe="reason", extra_fields=("stage",),
           consumes=True, step_markers=("Confirm emergency access",)),
    Target("break-glass-review", "break-glass-review", "auditor",
           url=lambda ctx: reverse("break-glass-review", kwargs={"reference": _grant_to_review(ctx).reference}),
           data=lambda ctx: {"outcome": BreakGlassReview.JUSTIFIED}, form_class=BreakGlassReviewForm,
           consumes=True),
    Target("subject-access", "subject-access", "dpo", url=lambda ctx: reverse("subject-access"),
           data=lambda ctx: _search_data(ctx), form_class=SubjectSearchForm, probe="family_name",
           success_markers=(SEARCH_DONE,)),
    Target("subject-search", "subject-search", "mash_lambeth", url=lambda ctx: reverse("subject-search"),
           data=lambda ctx: _search_data(ctx), form_class=SubjectSearchForm, probe="given_name",
           success_markers=(SEARCH_DONE,)),
]



# Administration: a second administrator decides a request another asked for; an invited person sets
# their password. Each success uses its request or link up, so the next request gets a fresh one.
def _grant_to_decide(ctx: Context) -> Any:
    def make() -> Any:
        from agencies import services as agency_services
        from agencies.choices import RoleCode
        from agencies.models import RoleGrantRequest

        user = agency_services.do_create_user(
            username=f"hostile.grant{next(_numbers)}", agency=ctx.world.agencies["lambeth_school"],
            roles=[RoleCode.PRACTITIONER], actor=ctx.world.user("administrator"))
        return RoleGrantRequest.objects.get(user=user)

    return ctx.fresh("grant", make, reuse=False)


def _set_password_url(ctx: Context) -> str:
    def make() -> str:
        from agencies import services as agency_services
        from tests.agencies.account_cases import token_of

        return token_of(agency_services.do_create_invitation(user=ctx.world.user("teacher_southwark"), actor=None))

    return reverse("set-password", kwargs={"token": ctx.fresh("invitation", make, reuse=False)})


_NEW_PASSWORD = "a quiet lantern over seven bridges"
TARGETS += [
    Target("approval-approve", "approval-approve", "administrator_2",
           url=lambda ctx: reverse("approval-approve", kwargs={"reference": _grant_to_decide(ctx).reference}),
           data=lambda ctx: {}, consumes=True),
    Target("approval-refuse", "approval-refuse", "administrator_2",
           url=lambda ctx: reverse("approval-refuse", kwargs={"reference": _grant_to_decide(ctx).reference}),
           data=lambda ctx: {}, consumes=True),
    Target("set-password", "set-password", "anonymous", url=_set_password_url,
           data=lambda ctx: {"new_password1": _NEW_PASSWORD, "new_password2": _NEW_PASSWORD},
           form_class=SetPasswordForm, probe="new_password1", consumes=True),
]



# The MASH's decisions about her risk and protective factors. Each valid submission carries a
# new one-time key, so every accepted request records once; one young person serves every request.
def _decision_url(name: str) -> Callable[[Context], str]:
    def url(ctx: Context) -> str:
        subject = ctx.fresh("decision_subject", lambda: fresh_subject(ctx.world), reuse=True)
        return reverse(name, kwargs={"reference": subject.reference})

    return url


TARGETS += [
    Target("risk-explain-sign", "risk-explain-sign", "mash_lambeth", url=_decision_url("risk-explain-sign"),
           data=lambda ctx: {"indicator": "missing-from-home-or-care", "reason": "Ran to her aunt's after a death.",
                             "idempotency_key": str(uuid.uuid4())},
           form_class=ExplainSignForm, probe="reason"),
    Target("risk-review-level", "risk-review-level", "mash_lambeth", url=_decision_url("risk-review-level"),
           data=lambda ctx: {"level": "low", "reason": "Reviewed at the MASH meeting.",
                             "idempotency_key": str(uuid.uuid4())},
           form_class=ReviewLevelForm, probe="reason"),
    Target("protective-factor-create", "protective-factor-create", "teacher_lambeth",
           url=_decision_url("protective-factor-create"),
           data=lambda ctx: {"kind": "trusted_adult", "note": "Talks to her form tutor.",
                             "observed_on": (timezone.localdate() - dt.timedelta(days=2)).isoformat(),
                             "idempotency_key": str(uuid.uuid4())},
           form_class=ProtectiveFactorForm, probe="note"),
]


# Her rights: each success changes her record (corrected, restricted), so the next request
# corrects or restricts a new young person; the form's version is read from her record as it is now.
def _rights_subject(ctx: Context, *, reuse: bool) -> Any:
    return ctx.fresh("rights_subject", lambda: fresh_subject(ctx.world), reuse=reuse)


def _rectify_data(ctx: Context) -> dict[str, Any]:
    from referrals import rights
    from referrals.models import Subject

    subject = Subject.objects.get(pk=_rights_subject(ctx, reuse=True).pk)
    born = subject.date_of_birth
    return {"version": rights.identity_version(subject), "given_name": subject.given_name,
            "family_name": "Corrected", "other_names": "Known as Jay", "address": "1 Test Road\nLondon",
            "dob_day": str(born.day), "dob_month": str(born.month), "dob_year": str(born.year),
            "nhs_number": "943 476 5919", "pupil_number": "A123456789012", "reason": "recording_error"}


TARGETS += [
    Target("subject-rectify", "subject-rectify", "mash_lambeth",
           url=lambda ctx: reverse("subject-rectify",
                                   kwargs={"reference": _rights_subject(ctx, reuse=False).reference}),
           data=_rectify_data, form_class=RectifyForm, probe="other_names", consumes=True),
    Target("subject-restriction", "subject-restriction", "mash_lambeth",
           url=lambda ctx: reverse("subject-restriction",
                                   kwargs={"reference": _rights_subject(ctx, reuse=False).reference}),
           data=lambda ctx: {"reason": "objection"}, form_class=RestrictionForm, consumes=True),
]



# School transfers. Starting one uses her up (a second to the same school is refused), and
# so does accepting or cancelling one: each request gets a fresh young person or transfer.
def _transfer_url(ctx: Context) -> str:
    subject = ctx.fresh("transfer_subject", lambda: fresh_subject(ctx.world), reuse=False)
    return reverse("school-transfer-create", kwargs={"reference": subject.reference})


def _waiting_transfer(ctx: Context, *, incoming: bool) -> Any:
    def make() -> Any:
        add_schools(ctx.world)
        if incoming:  # from the second school to dsl_lambeth's
            return start(ctx.world, fresh_subject(ctx.world, "dsl_school_2"), "dsl_school_2", "lambeth_school")
        return start(ctx.world, fresh_subject(ctx.world), "dsl_lambeth", "southwark_school")

    return ctx.fresh("transfer", make, reuse=False)


TARGETS += [
    Target("school-transfer-create", "school-transfer-create", "dsl_lambeth", url=_transfer_url,
           data=lambda ctx: {"to_agency": str(ctx.world.agencies["southwark_school"].pk),
                             "purpose": TransferPurpose.MOVED_SCHOOL, "idempotency_key": str(uuid.uuid4())},
           form_class=SchoolTransferForm, consumes=True),
    Target("school-transfer-accept", "school-transfer-accept", "dsl_lambeth",
           url=lambda ctx: reverse("school-transfer-accept",
                                   kwargs={"reference": _waiting_transfer(ctx, incoming=True).reference}),
           data=lambda ctx: {}, consumes=True),
    Target("school-transfer-cancel", "school-transfer-cancel", "dsl_lambeth",
           url=lambda ctx: reverse("school-transfer-cancel",
                                   kwargs={"reference": _waiting_transfer(ctx, incoming=False).reference}),
           data=lambda ctx: {}, consumes=True),
]



# Moves between boroughs: asking uses her up (one pending move at a time), and so does answering a transfer.
def _boroughs_url(ctx: Context) -> str:
    subject = ctx.fresh("borough_subject", lambda: fresh_subject(ctx.world), reuse=False)
    return reverse("subject-boroughs", kwargs={"reference": subject.reference})


def _waiting_borough_transfer(ctx: Context) -> Any:
    return ctx.fresh("borough_transfer", lambda: ask_southwark(ctx.world, fresh_subject(ctx.world)), reuse=False)


def _southwark_id() -> str:
    return str(Borough.objects.get(name="Southwark").pk)


TARGETS += [
    Target("subject-boroughs-transfer", "subject-boroughs", "mash_lambeth", url=_boroughs_url,
           data=lambda ctx: {"action": "transfer", "to_borough": _southwark_id(), "reason": "moved_home",
                             "note": "Moved to her aunt's.", "idempotency_key": str(uuid.uuid4())},
           form_class=BoroughTransferForm, probe="note", extra_fields=("action",), consumes=True),
    Target("subject-boroughs-grant", "subject-boroughs", "mash_lambeth", url=_boroughs_url,
           data=lambda ctx: {"action": "grant", "borough": _southwark_id(), "ground": "found_there", "days": "14"},
           form_class=HarmBoroughAccessForm, extra_fields=("action",), consumes=True),
    Target("borough-transfer-decline", "borough-transfer-detail", "mash_southwark",
           url=lambda ctx: reverse("borough-transfer-detail",
                                   kwargs={"reference": _waiting_borough_transfer(ctx).reference}),
           data=lambda ctx: {"action": "decline", "note": "She still lives in Lambeth."},
           form_class=DeclineBoroughTransferForm, probe="note", extra_fields=("action",), consumes=True),
]


# Drafts (a form kept when the session ended): the teacher's own draft, continued (which keeps it) or
# discarded (which ends it, so the next request needs a new one); ``return_to`` only picks where to go.
def _draft(ctx: Context, *, reuse: bool) -> Any:
    def make() -> Any:
        from drafts import services as draft_services

        teacher = ctx.world.user("teacher_lambeth")
        return draft_services.do_keep_draft(
            user=teacher, form="concern-create", path=reverse("concern-create"), actor=teacher,
            data={"narrative": ["Seen with older men."], "given_name": ["Hostile"]})

    return ctx.fresh("draft", make, reuse=reuse)


TARGETS += [
    Target("draft-continue", "draft-continue", "teacher_lambeth",
           url=lambda ctx: reverse("draft-continue", kwargs={"reference": _draft(ctx, reuse=True).pk}),
           data=lambda ctx: {}),
    Target("draft-discard", "draft-discard", "teacher_lambeth",
           url=lambda ctx: reverse("draft-discard", kwargs={"reference": _draft(ctx, reuse=False).pk}),
           data=lambda ctx: {"return_to": "form"}, extra_fields=("return_to",), consumes=True),
]

# Case work. Each valid strategy discussion, action and outcome records a new row about one young
# person; completing an action or recording a MACE discussion uses it up, so the next request makes another.
def _casework_subject(ctx: Context) -> Any:
    return ctx.fresh("casework_subject", lambda: fresh_subject(ctx.world), reuse=True)


def _police_action(ctx: Context) -> Any:
    def make() -> Any:
        from casework import services as casework_services

        return casework_services.do_add_action(
            target=casework_services.Target(subject=_casework_subject(ctx)), description="Trace the adult.",
            owner=ctx.world.user("police_lambeth"), due_on=timezone.localdate() + dt.timedelta(days=7),
            actor=ctx.world.user("mash_lambeth"))

    return ctx.fresh("casework_action", make, reuse=False)


def _meeting(ctx: Context, *, reuse: bool) -> Any:
    def make() -> Any:
        from casework import services as casework_services

        mash = ctx.world.user("mash_lambeth")
        meeting = casework_services.do_schedule_meeting(meets_on=timezone.localdate(), actor=mash)
        subject = fresh_subject(ctx.world)
        casework_services.do_add_agenda_item(meeting, target=casework_services.Target(subject=subject), actor=mash)
        meeting.refresh_from_db()
        ctx.built["meeting_subject"] = subject
        return meeting

    return ctx.fresh("meeting", make, reuse=reuse)


def _meeting_version(ctx: Context) -> str:
    from casework.models import MaceMeeting

    return str(MaceMeeting.objects.get(pk=_meeting(ctx, reuse=True).pk).version)


def _discuss_url(ctx: Context) -> str:
    meeting = _meeting(ctx, reuse=False)
    return reverse("mace-discuss", kwargs={"reference": meeting.reference,
                                           "item": ctx.built["meeting_subject"].reference})


def _in_days(days: int) -> str:
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


TARGETS += [
    Target("strategy-discussion-create", "strategy-discussion-create", "mash_lambeth",
           url=lambda ctx: reverse("strategy-discussion-create",
                                   kwargs={"reference": _casework_subject(ctx).reference}),
           data=lambda ctx: {"held_on": _in_days(-1), "held_time": "10:30",
                             "agencies": [str(ctx.world.agencies["lambeth_police"].pk)], "decision": "section_47",
                             "record_text": "Police and school shared what they know."},
           form_class=StrategyDiscussionForm, probe="record_text"),
    Target("action-create", "action-create", "mash_lambeth",
           url=lambda ctx: reverse("action-create", kwargs={"reference": _casework_subject(ctx).reference}),
           data=lambda ctx: {"description": "Trace the adult she was seen with.",
                             "owner": str(ctx.world.user("police_lambeth").pk), "due_on": _in_days(7)},
           form_class=ActionForm, probe="description"),
    Target("outcome-create", "outcome-create", "mash_lambeth",
           url=lambda ctx: reverse("outcome-create", kwargs={"reference": _casework_subject(ctx).reference}),
           data=lambda ctx: {"kind": "missing_stopped", "occurred_on": _in_days(-2),
                             "note": "No episodes for a month."},
           form_class=OutcomeForm, probe="note"),
    Target("action-detail", "action-detail", "police_lambeth",
           url=lambda ctx: reverse("action-detail", kwargs={"reference": _police_action(ctx).reference}),
           data=lambda ctx: {"change": "done", "outcome_note": "Traced and warned.",
                             "version": str(_police_action(ctx).version)},
           form_class=ActionUpdateForm, probe="outcome_note", consumes=True),
    Target("mace-list", "mace-list", "mash_lambeth", url=lambda ctx: reverse("mace-list"),
           data=lambda ctx: {"meets_on": _in_days(14)}, form_class=MeetingForm),
    Target("mace-detail", "mace-detail", "mash_lambeth",
           url=lambda ctx: reverse("mace-detail", kwargs={"reference": _meeting(ctx, reuse=True).reference}),
           data=lambda ctx: {"change": "attendance", "version": _meeting_version(ctx),
                             "agencies": [str(ctx.world.agencies["lambeth_police"].pk)], "item": ""},
           form_class=MeetingChangeForm),
    Target("mace-discuss", "mace-discuss", "mash_lambeth", url=_discuss_url,
           data=lambda ctx: {"record_text": "Seen at the station at night.", "decisions": "Police to disrupt.",
                             "action_1_description": "Visit the station.",
                             "action_1_owner": str(ctx.world.user("police_lambeth").pk),
                             "action_1_due_on": _in_days(10)},
           form_class=DiscussionForm, probe="record_text", consumes=True,
           extra_fields=("action_1_description", "action_1_owner", "action_1_due_on")),
]

BY_NAME = {target.name: target for target in TARGETS}


# Notifications: marking as read reads only the page to come back to; each request marks a new
# notification (one already read is read again, which changes nothing and is still done).
def _teacher_note(ctx: Context) -> str:
    def make() -> Any:
        from notifications.choices import Kind
        from notifications.models import Notification
        from notifications.services import notify

        subject = fresh_subject(ctx.world)
        teacher = ctx.world.user("teacher_lambeth")
        notify([teacher], kind=Kind.REFERRAL_DECIDED, reference=subject.reference,
               url=reverse("subject-detail", kwargs={"reference": subject.reference}))
        return Notification.objects.filter(recipient=teacher, reference=subject.reference).get()

    return reverse("notification-read", kwargs={"reference": ctx.fresh("note", make, reuse=False).pk})


from notifications.forms import MarkReadForm  # noqa: E402

TARGETS += [
    Target("notification-read", "notification-read", "teacher_lambeth", url=_teacher_note,
           data=lambda ctx: {"page": "1"}, form_class=MarkReadForm, consumes=True),
    Target("notification-read-all", "notification-read-all", "teacher_lambeth",
           url=lambda ctx: reverse("notification-read-all"), data=lambda ctx: {"page": "2"}, form_class=MarkReadForm),
]


# The API's administration: an administrator registers an agency system, and revokes one.
def _api_client(ctx: Context) -> Any:
    from tests.api.clients import register

    return ctx.fresh("api_client", lambda: register(ctx.world).client, reuse=False)


def _api_client_data(ctx: Context) -> dict[str, Any]:
    return {"agency": str(ctx.world.agencies["lambeth_school"].pk), "name": f"Hostile system {next(_numbers)}",
            "scopes": ["concerns:write"], "expires_on": (timezone.localdate() + dt.timedelta(days=30)).isoformat()}


def _api_forms() -> tuple[type[forms.Form], type[forms.Form]]:
    from api.forms import ApiClientForm, RevokeForm

    return ApiClientForm, RevokeForm


TARGETS += [
    Target("api-client-register", "api-client-register", "administrator",
           url=lambda ctx: reverse("api-client-register"), data=_api_client_data, form_class=_api_forms()[0],
           probe="name", success_markers=("govuk-panel--confirmation",)),
    Target("api-client-revoke", "api-client-revoke", "administrator",
           url=lambda ctx: reverse("api-client-revoke", kwargs={"reference": _api_client(ctx).reference}),
           data=lambda ctx: {"confirm": "on"}, form_class=_api_forms()[1], consumes=True),
]

BY_NAME = {target.name: target for target in TARGETS}
