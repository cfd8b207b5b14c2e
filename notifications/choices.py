"""What a notification can be about, and what each kind's email says.

A notification names its case by reference number and links to the case's own page (which applies its own
access check): never a name, a narrative, a reason, a level or a pathway. The wording of each email is
kept here, one entry per kind, so the inbox and the emails cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models


class Kind(models.TextChoices):
    """Why someone is told. The labels are what the inbox shows beside the reference."""

    # Referrals (referrals.routing): each move tells those it concerns, as the emails always did.
    REFERRAL_SUBMITTED = "referral_submitted", "Referral made to your MASH"
    REFERRAL_SCREENING = "referral_screening", "Referral being screened"
    REFERRAL_DECIDED = "referral_decided", "Referral decided by the MASH"
    REFERRAL_ACCEPTED = "referral_accepted", "Referral accepted by the receiving service"
    REFERRAL_DECLINED = "referral_declined", "Referral declined by the receiving service"
    REFERRAL_CLOSED = "referral_closed", "Referral closed"
    REFERRAL_WITHDRAWN = "referral_withdrawn", "Referral withdrawn"
    PATHWAY_URGENT = "pathway_urgent", "Urgent pathway routed to your service"
    REFERRAL_OVERDUE = "referral_overdue", "Referral past its decision deadline"
    PATHWAY_OVERDUE = "pathway_overdue", "Pathway past its clock"
    # The register (risk.services.register): for her borough's MASH leads only.
    REGISTER_ADDED = "register_added", "Added to the risk register"
    REGISTER_REINSTATED = "register_reinstated", "Back on the risk register"
    REGISTER_LEVEL_ROSE = "register_level_rose", "Risk level has risen"
    # A DSL is told what their own agency did (DESIGN.md §5.6a): never that she went on the register.
    AGENCY_CONCERN = "agency_concern", "Concern recorded by your agency"
    # Her file moving between schools (referrals.transfers).
    SCHOOL_TRANSFER_ASKED = "school_transfer_asked", "Child-protection file sent to your school"
    SCHOOL_TRANSFER_ACCEPTED = "school_transfer_accepted", "Child-protection file received by the new school"
    SCHOOL_TRANSFER_OVERDUE = "school_transfer_overdue", "Child-protection file waiting to be accepted"
    # Her home borough moving (referrals.boroughs).
    BOROUGH_TRANSFER_ASKED = "borough_transfer_asked", "Borough transfer asked of your MASH"
    BOROUGH_TRANSFER_ACCEPTED = "borough_transfer_accepted", "Borough transfer accepted"
    BOROUGH_TRANSFER_DECLINED = "borough_transfer_declined", "Borough transfer declined"
    # Case work after the decision (the casework app).
    ACTION_ASSIGNED = "action_assigned", "Action assigned to you"
    ACTION_OVERDUE = "action_overdue", "Action overdue"
    MEETING_AGENDA_OUT = "meeting_agenda_out", "MACE meeting agenda out"
    STRATEGY_DISCUSSION_RECORDED = "strategy_discussion_recorded", "Strategy discussion recorded"


# Kinds raised by a scheduled job every run while the case stays late: one inbox row per recipient and
# reference, however many runs (the email still goes each run, as before).
ONCE_PER_REFERENCE = frozenset({Kind.REFERRAL_OVERDUE, Kind.PATHWAY_OVERDUE, Kind.SCHOOL_TRANSFER_OVERDUE,
                                Kind.ACTION_OVERDUE})

NO_PERSONAL_DETAILS = "This email deliberately contains no personal details."
_REFERRAL_BODY = "There is an update on referral {reference}.\n\nSign in to see it: {link}\n\n" + NO_PERSONAL_DETAILS
_SIGN_IN = "\n\nSign in to see it: {link}\n\n" + NO_PERSONAL_DETAILS


@dataclass(frozen=True)
class EmailWording:
    """The subject line and body of one kind's email; ``{reference}`` and ``{link}`` are filled in."""

    subject: str
    body: str

    def render(self, reference: str, link: str) -> tuple[str, str]:
        return self.subject.format(reference=reference, link=link), self.body.format(reference=reference, link=link)


def _referral(state_phrase: str) -> EmailWording:
    return EmailWording(f"Referral {{reference}}: {state_phrase}", _REFERRAL_BODY)


def _register(phrase: str) -> EmailWording:
    return EmailWording(f"{{reference}}: {phrase}",
                        f"Young person {{reference}} is {phrase} in your borough.\n\n"
                        "Open the register entry to see the level and plan a review:\n{link}\n")


def _sentence(subject: str) -> EmailWording:
    return EmailWording(subject, f"{subject}." + _SIGN_IN)


def _plain(label: str) -> EmailWording:
    return EmailWording(f"{label}: {{reference}}", f"{label}: {{reference}}." + _SIGN_IN)


# The wording each email had before the inbox existed is kept word for word.
EMAILS: dict[str, EmailWording] = {
    Kind.REFERRAL_SUBMITTED: _referral("submitted to the mash"),
    Kind.REFERRAL_SCREENING: _referral("being screened by the mash"),
    Kind.REFERRAL_DECIDED: _referral("decided by the mash"),
    Kind.REFERRAL_ACCEPTED: _referral("accepted by the receiving service"),
    Kind.REFERRAL_DECLINED: _referral("declined by the receiving service"),
    Kind.REFERRAL_CLOSED: _referral("closed"),
    Kind.REFERRAL_WITHDRAWN: _referral("withdrawn"),
    Kind.PATHWAY_URGENT: EmailWording("URGENT: referral {reference} needs action today", _REFERRAL_BODY),
    Kind.REFERRAL_OVERDUE: _plain("Referral past its decision deadline"),
    Kind.PATHWAY_OVERDUE: _plain("Referral with a pathway past its clock"),
    Kind.REGISTER_ADDED: _register("added to the risk register"),
    Kind.REGISTER_REINSTATED: _register("back on the risk register"),
    Kind.REGISTER_LEVEL_ROSE: _register("risk level has risen"),
    Kind.AGENCY_CONCERN: EmailWording(
        "Concern {reference} recorded by your agency",
        "A practitioner at your agency has recorded a concern ({reference}). The multi-agency safeguarding "
        "hub (MASH) for the borough she lives in can see it and will consider it." + _SIGN_IN),
    Kind.SCHOOL_TRANSFER_ASKED: _plain("Child-protection file sent to your school"),
    Kind.SCHOOL_TRANSFER_ACCEPTED: EmailWording(
        "Child-protection file transfer {reference} received",
        "The new school has confirmed receipt of the child-protection file ({reference})." + _SIGN_IN),
    Kind.SCHOOL_TRANSFER_OVERDUE: _plain("Child-protection file waiting to be accepted"),
    Kind.BOROUGH_TRANSFER_ASKED: EmailWording(
        "Borough transfer {reference}",
        "Another borough's MASH asks your MASH to take on a young person ({reference}). Accept or decline it."
        + _SIGN_IN),
    Kind.BOROUGH_TRANSFER_ACCEPTED: EmailWording(
        "Borough transfer {reference}", "The other borough's MASH has accepted the transfer {reference}." + _SIGN_IN),
    Kind.BOROUGH_TRANSFER_DECLINED: EmailWording(
        "Borough transfer {reference}", "The other borough's MASH has declined the transfer {reference}." + _SIGN_IN),
    # Case work's own wording (casework/notices.py), as its emails said before they reached the inbox.
    Kind.ACTION_ASSIGNED: _sentence("Action {reference} has been assigned to you"),
    Kind.ACTION_OVERDUE: _sentence("Action {reference} is overdue"),
    Kind.MEETING_AGENDA_OUT: _sentence("MACE meeting {reference}: the agenda is out"),
    Kind.STRATEGY_DISCUSSION_RECORDED: _sentence("Strategy discussion {reference} has been recorded"),
}
