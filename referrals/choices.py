"""Fixed vocabularies of the referrals app."""

from django.db import models


class SubjectStatus(models.TextChoices):
    """Where a subject's record stands."""

    ACTIVE = "active", "Active"
    MERGED = "merged", "Merged into another record"
    ERASED = "erased", "Erased"


class ReferralState(models.TextChoices):
    """Where a referral stands in its workflow (the allowed moves are ``referrals.routing.TRANSITIONS``)."""

    SUBMITTED = "submitted", "Submitted to the MASH"
    SCREENING = "screening", "Being screened by the MASH"
    DECIDED = "decided", "Decided by the MASH"
    ACCEPTED = "accepted", "Accepted by the receiving service"
    DECLINED = "declined", "Declined by the receiving service"
    CLOSED = "closed", "Closed"
    WITHDRAWN = "withdrawn", "Withdrawn"


class ReferralDecision(models.TextChoices):
    """What the MASH decided."""

    ROUTED = "routed", "Referred on to a service"
    NO_FURTHER_ACTION = "nfa", "No further action"
    SIGNPOSTED = "signposted", "Signposted to universal or community support"


class Pathway(models.TextChoices):
    """The services a MASH can route a referral to."""

    CSC_ASSESSMENT = "csc_assessment", "Children's social care: child in need assessment"
    CSC_STRATEGY = "csc_strategy", "Children's social care: strategy discussion (significant harm)"
    EARLY_HELP = "early_help", "Early help"
    SPECIALIST_CSE = "specialist_cse", "Specialist sexual exploitation or gang-exit service"
    POLICE_SOT = "police_sot", "Police: specialist sexual offences team"
    SEXUAL_HEALTH = "sexual_health", "Sexual health"
    YOUTH_OFFENDING = "youth_offending", "Youth offending"


class PathwayStatus(models.TextChoices):
    """Where one pathway of a MASH decision stands (``referrals.ReferralPathway``): each has its own."""

    AWAITING = "awaiting", "Awaiting the receiving service"
    ACCEPTED = "accepted", "Accepted by the receiving service"
    DECLINED = "declined", "Declined by the receiving service"
    COMPLETED = "completed", "Completed by the receiving service"
    CLOSED = "closed", "Closed with the referral"
    LEFT_OUT = "left_out", "Recommended, left out by the MASH"


# A pathway that is still the receiving service's: its workers see the referral, its clock runs.
LIVE_PATHWAY_STATUSES = (PathwayStatus.AWAITING, PathwayStatus.ACCEPTED)


class LegalBasis(models.TextChoices):
    """The lawful basis on which the referral shares personal data."""

    SAFEGUARDING = "safeguarding", (
        "Public task (UK GDPR art. 6(1)(e)) and safeguarding of children (DPA 2018 sch. 1 para. 18)"
    )
    LEGAL_OBLIGATION = "legal_obligation", "Legal obligation (UK GDPR art. 6(1)(c); Children Act 1989 s. 47)"
    VITAL_INTERESTS = "vital_interests", "Vital interests (UK GDPR art. 6(1)(d))"
    CONSENT = "consent", "Consent (UK GDPR art. 6(1)(a))"


class ConsentPosition(models.TextChoices):
    """Whether the young person (or a parent) consented to the referral."""

    GIVEN = "given", "Consent given"
    NOT_SOUGHT_RISK = "not_sought_risk", "Not sought: asking would increase the risk of harm"
    OVERRIDDEN = "overridden", "Consent refused or withdrawn and overridden"


class IdentityIndex(models.TextChoices):
    """The kinds of blind index kept for each subject: exact identity, and two looser keys that only ever
    produce *candidate* duplicates for a MASH lead to judge (the label says why two records were paired)."""

    EXACT = "name_dob", "Same name and date of birth"
    SOUNDS_LIKE = "name_phonetic", "Names sound alike"
    SAME_FAMILY_AND_BIRTHDAY = "family_dob", "Same last name and date of birth"


# Reasons recorded in the access trail are codes, never typed text: the trail is append-only, so a name
# typed there could never be erased (DESIGN.md §5.6). Typed notes, where kept, are encrypted on the record.


class ErasureRequestReason(models.TextChoices):
    """Why a subject is erased."""

    SUBJECT_REQUEST = "subject_request", "Erasure requested by or for the young person"
    RETENTION = "retention", "Retention period reached"
    RECORDED_IN_ERROR = "recorded_in_error", "Recorded in error"
    COURT_ORDER = "court_order", "Court order"


class LegalHoldReason(models.TextChoices):
    """Why a subject's record is put on, or released from, legal hold."""

    COURT_ORDER = "court_order", "Court order or proceedings"
    INQUIRY = "inquiry", "Statutory inquiry or review"
    COMPLAINT = "complaint", "Complaint or subject access dispute"
    HOLD_ENDED = "hold_ended", "The reason for the hold has ended"


class ShareEndReason(models.TextChoices):
    """Why a share with another agency ended early."""

    REFERRAL_DECLINED = "referral_declined", "The referral was declined"
    REFERRAL_CLOSED = "referral_closed", "The referral was closed"
    NO_LONGER_NEEDED = "no_longer_needed", "No longer needed"


class RectificationReason(models.TextChoices):
    """Why the MASH corrected her identity (UK GDPR Art. 16); the trail holds the code, never the values."""

    SUBJECT_REQUEST = "subject_request", "She (or someone for her) asked for a correction"
    VERIFIED_SOURCE = "verified_source", "Checked against a reliable source (birth certificate, school, GP)"
    RECORDING_ERROR = "recording_error", "It was entered wrongly"
    NAME_CHANGE = "name_change", "Her name or address has changed"


class RestrictionReason(models.TextChoices):
    """Why processing of her record is restricted (UK GDPR Art. 18(1)); ``objection`` is an objection
    under Art. 21 that the MASH records as a decision, restricting while it is weighed."""

    ACCURACY_CONTESTED = "accuracy_contested", "She contests the accuracy of her record"
    UNLAWFUL_PROCESSING = "unlawful_processing", "Processing is unlawful but she asks to keep the record"
    LEGAL_CLAIMS = "legal_claims", "She needs the record kept for a legal claim"
    OBJECTION = "objection", "She objects to the processing (Art. 21), pending the MASH's decision"


class RestrictionLiftReason(models.TextChoices):
    """Why a restriction ends (the trail holds the code)."""

    ACCURACY_SETTLED = "accuracy_settled", "Her record has been checked or corrected"
    OBJECTION_DECIDED = "objection_decided", "The MASH decided her objection: safeguarding grounds override it"
    CLAIM_ENDED = "claim_ended", "The legal claim has ended"
    SUBJECT_AGREED = "subject_agreed", "She (or someone for her) agreed to lift it"
    PROTECT_HER = "protect_her", "Lifted to protect her from harm (she is told, Art. 18(3))"


MERGE_PURPOSE = "merge_duplicate_records"  # the trail's code for a merge; the typed reason stays encrypted


class Judgement(models.TextChoices):
    """The recorder's professional judgement, in three steps (scoring model v3 lets it raise the level:
    worried to at least low, seriously worried to at least high, immediate danger to very high)."""

    NONE = "", "No particular judgement"
    WORRIED = "worried", "I am worried about her"
    SERIOUSLY_WORRIED = "seriously_worried", "I am seriously worried about her"
    IMMEDIATE_DANGER = "immediate_danger", "I believe she is in immediate danger"


class TransferStatus(models.TextChoices):
    """Where a child-protection file's move to her new school stands (Keeping Children Safe in Education)."""

    PENDING = "pending", "Waiting for the new school"
    ACCEPTED = "accepted", "Received by the new school"
    CANCELLED = "cancelled", "Cancelled by the old school"


class TransferPurpose(models.TextChoices):
    """Why her file moves: a fixed list, so the access trail and the transfer hold no typed text."""

    MOVED_SCHOOL = "moved_school", "She has moved to the new school"
    NEW_TERM = "new_term", "She starts at the new school at the start of term"
    MANAGED_MOVE = "managed_move", "A managed move to the new school"


# The purpose a school transfer's share carries (the disclosure log shows it). A constant, never typed.
SCHOOL_TRANSFER_PURPOSE = "School transfer"
# Keeping Children Safe in Education: the old school's DSL transfers the file within 5 school days.
SCHOOL_TRANSFER_WORKING_DAYS = 5


class BoroughTransferStatus(models.TextChoices):
    """Where a move of her home borough stands (``referrals.boroughs``)."""

    PENDING = "pending", "Waiting for the other borough's MASH"
    ACCEPTED = "accepted", "Accepted: she is now known to the new borough"
    DECLINED = "declined", "Declined by the other borough's MASH"
    CANCELLED = "cancelled", "Cancelled by her home borough's MASH"


class BoroughTransferReason(models.TextChoices):
    """Why her home borough changes: a code in clear for the trail; details go in the encrypted note."""

    MOVED_HOME = "moved_home", "She has moved to live in the other borough"
    PLACED = "placed", "She has been placed in the other borough (care or accommodation)"
    RECORDED_WRONGLY = "recorded_wrongly", "Her home borough was recorded wrongly"
    DUPLICATE = "duplicate", "The other borough already knows her: to merge the two records there"


class HarmBoroughGround(models.TextChoices):
    """Why another borough's MASH is given time-limited access to her record (contextual safeguarding:
    the borough where harm happens is not always the borough where she lives)."""

    PLACE_ON_MAP = "place_on_map", "A place of concern on her map is in that borough"
    FOUND_THERE = "found_there", "She was found there when missing"
    INCIDENT_THERE = "incident_there", "An incident of harm happened there"


HARM_BOROUGH_PURPOSE = "Harm in this borough"  # the share's purpose; the ground's code goes to the trail
HARM_BOROUGH_MAX_DAYS = 90


class ActionTaken(models.TextChoices):
    """What the recorder had already done when recording the concern (kept under her key, as codes)."""

    TOLD_DSL = "told_dsl", "Told my designated safeguarding lead"
    SPOKE_TO_HER = "spoke_to_her", "Spoke to her about it"
    CONTACTED_HOME = "contacted_home", "Contacted her parent or carer"
    CALLED_999 = "called_999", "Called 999"
    CALLED_CHILDRENS_SERVICES = "called_childrens_services", "Contacted children's social care directly"
    REPORTED_MISSING = "reported_missing", "Reported her missing to the police"
