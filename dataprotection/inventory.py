"""The data inventory (UK GDPR Article 30 record of processing), generated from the models themselves.

Two tables are declared here, by hand, because only a person can decide them; everything else is read
from the code when the inventory is built (``python manage.py data_inventory``):

- ``FIELDS``: every concrete field of every model of the project's apps that is not encrypted (and not
  the primary key) says why it is kept in clear. Encrypted fields need no entry: the inventory reads
  their data key from the field itself (``EncryptedField(data_key=...)``). It is also the allow-list of
  ``tests/test_personal_data_fields.py`` (DESIGN.md §5.6): one table, so the two cannot disagree.
- ``MODELS``: for every project model that holds personal data, whom it is about, the lawful basis and
  the condition for special category (or criminal offence) data, who may see it, how long it is kept
  and what ends it, and where copies go that the code cannot see (exports, email). Models that hold no
  personal data are in ``NOT_PERSONAL`` with the reason; third-party tables in ``THIRD_PARTY``.

What is read from the code: each field's type and protection, the access rule's docstring, whether
django-simple-history keeps a history table (and its name), whether values are encrypted (so the key
store holds the key), whether the model lives in the key store, and the settings that bound retention.
``tests/dataprotection/test_inventory.py`` fails when a model or a field has no entry, when an entry
names a field that is gone, and when ``docs/data-inventory.md`` differs from the command's output.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import models

from audit.choices import ObjectType
from encryption.fields import EncryptedField

PROJECT_APPS = ["agencies", "encryption", "audit", "referrals", "risk", "dataprotection", "drafts", "operations",
                "casework", "api", "partnership"]

# Data subjects.
GIRL = "the young person at risk (the subject)"
ASSOCIATE = "an associate (a person linked to her on the map)"
THIRD = "people at or around a place or group (indirectly: an address is where someone lives)"
STAFF = "practitioners and other users (staff)"

# Lawful bases and conditions (DPIA §4 gives the reasoning; the controller's DPO confirms them).
CASE_BASIS = (
    "UK GDPR Art. 6(1)(e) public task: the agencies' statutory safeguarding functions (Children Act 1989 "
    "ss17 and 47; Children Act 2004 ss10 and 11); Art. 6(1)(c) where a statutory duty to share applies")
CASE_CONDITION = (
    "Special category (health, sex life) and criminal offence data: Art. 9(2)(g) with DPA 2018 Sch. 1 "
    "para 18 (safeguarding of children and of individuals at risk); Art. 10 through Sch. 1 para 36; "
    "police as competent authorities under DPA 2018 Part 3: s35 with Sch. 8 (safeguarding of children "
    "and of individuals at risk)")
ASSOCIATE_CONDITION = (
    "May reveal alleged offending (criminal offence data) or that a child is at risk: Art. 10 and Art. "
    "9(2)(g) through DPA 2018 Sch. 1 paras 18 and 36; police: Part 3, Sch. 8")
NO_SPECIAL = "None: holds no special category or criminal offence data"
STAFF_BASIS = (
    "UK GDPR Art. 6(1)(e) public task (running the service securely) and Art. 6(1)(c) legal obligation "
    "(Art. 32 security of processing; accountability, Art. 5(2))")

# Retention phrases that recur.
ERASED_WITH_HER = (
    "Kept while her record is kept: until her retention date (date of birth + {SUBJECT_RETENTION_YEARS} "
    "years, rounded to the month's end), unless on legal hold; then `apply_retention` (daily) or "
    "`erase_subject` crypto-shreds her data key (`encryption.services.do_shred_data_key`), so every "
    "encrypted value, live, in history and in every backup, becomes unreadable")
CLEAR_AFTER_ERASURE = (
    "The row stays after erasure with its clear fields (codes, dates, references): tied only to her "
    "reference number, whose identity is then unreadable")


@dataclass(frozen=True)
class ModelEntry:
    """What a person decided about one model that holds personal data."""

    about: str
    subjects: tuple[str, ...]
    lawful_basis: str
    condition: str
    who_sees: str
    retention: str
    trail: tuple[ObjectType, ...] = ()
    exports: tuple[str, ...] = ()
    recipients: tuple[str, ...] = ()
    # Whose data key ``data_key_id`` (on this row) is, for models with encrypted fields that use it.
    key_owner: str = ""


SAR = "the data protection officer's subject access export (page and JSON), decrypted"
# Her erasure ends what her key alone would leave acting (casework.services.end_casework_of_erased), and
# reapply_erasures does it again after a restore (referrals.services.do_complete_restored_erasures).
ENDED_AT_ERASURE = ("At her erasure (and again by `reapply_erasures` after a restore) {what} "
                    "(`casework.services.end_casework_of_erased`). ")
EMAIL_REF = "email: reference number and link only (never a name or a narrative)"

MODELS: dict[str, ModelEntry] = {
    # --- The case core ------------------------------------------------------------------------------
    "referrals.Subject": ModelEntry(
        about="Her identity (names, date of birth or age, address, identifiers), home borough, status, "
              "retention date, legal hold and whether processing is restricted.",
        subjects=(GIRL,), lawful_basis=CASE_BASIS, condition=CASE_CONDITION,
        who_sees="Practitioners: the subjects they raised concerns about, with her details as they entered "
                 "them; DSLs: their agency's; MASH leads: her home borough's; receiving workers: while "
                 "shared with their agency; the DPO: export only. Auditors see references only.",
        retention=ERASED_WITH_HER + ". Merged-away records go with the survivor. " + CLEAR_AFTER_ERASURE,
        trail=(ObjectType.SUBJECT,), exports=(SAR,), key_owner="her own",
    ),
    "referrals.Concern": ModelEntry(
        about="One observation by one practitioner: the signs seen, when, the narrative, the recorder's "
              "judgement, her age then, and her details as that recorder entered them.",
        subjects=(GIRL, STAFF), lawful_basis=CASE_BASIS, condition=CASE_CONDITION,
        who_sees="The recorder; their agency's DSLs; her home borough's MASH leads; receiving workers "
                 "while she is shared with their agency.",
        retention=ERASED_WITH_HER + ". " + CLEAR_AFTER_ERASURE,
        trail=(ObjectType.CONCERN,), exports=(SAR,),
        recipients=(EMAIL_REF + " to the borough's MASH leads when her level reaches the register",),
    ),
    "referrals.SubjectShare": ModelEntry(
        about="That her record was shared with an agency, why (the referral reference) and until when: "
              "the disclosure log.",
        subjects=(GIRL,), lawful_basis=CASE_BASIS, condition=NO_SPECIAL,
        who_sees="Her home borough's MASH leads; the receiving agency's workers while the share lasts.",
        retention="Ends at `expires_at` ({REFERRAL_SHARE_DAYS} days from routing; closing the referral cuts "
                  "it to {REFERRAL_SHARE_GRACE_DAYS} days; declining revokes it at once); the row is deleted "
                  "when the share is revoked or she is erased, its history stays (no encrypted values).",
        trail=(ObjectType.SUBJECT, ObjectType.DISCLOSURE_LOG), exports=(SAR + " (disclosure log)",),
    ),
    "referrals.SchoolTransfer": ModelEntry(
        about="Her child-protection file moving from her old school to her new one (Keeping Children Safe in "
              "Education): which schools, why (a fixed code), who started it and when, who at the new school "
              "accepted it and when (the receipt), and its due day.",
        subjects=(GIRL, STAFF), lawful_basis=CASE_BASIS, condition=NO_SPECIAL,
        who_sees="Both schools' DSLs; her home borough's MASH leads while it waits past its due day.",
        retention=ERASED_WITH_HER + ". It holds no encrypted values: after erasure it says only that a "
                  "reference moved between two schools. Accepting shares her with the new school until her "
                  "retention date (see the subject share).",
        trail=(ObjectType.SCHOOL_TRANSFER, ObjectType.SUBJECT), exports=(SAR,),
        recipients=(EMAIL_REF + " to the new school's DSLs when it starts and when it is chased",),
    ),
    "referrals.BoroughTransfer": ModelEntry(
        about="Her home borough moving to another borough's MASH: from and to which borough, why (a code and "
              "a note under her key), who asked and when, who accepted or declined and when, and why it was "
              "declined (under her key).",
        subjects=(GIRL, STAFF), lawful_basis=CASE_BASIS, condition=CASE_CONDITION,
        who_sees="The MASH leads of both boroughs; while it waits, the borough asked sees her name and date of "
                 "birth on it, to check whether it already knows her.",
        retention=ERASED_WITH_HER + " (the notes are under her key). " + CLEAR_AFTER_ERASURE,
        trail=(ObjectType.BOROUGH_TRANSFER, ObjectType.SUBJECT), exports=(SAR,),
        recipients=(EMAIL_REF + " to the other borough's MASH leads when it is asked and answered",),
    ),
    "referrals.Referral": ModelEntry(
        about="A referral to the MASH or from the MASH to a pathway: summary, legal basis, consent "
              "position (and the reason it was overridden), decision and its reason, deadlines.",
        subjects=(GIRL, STAFF), lawful_basis=CASE_BASIS, condition=CASE_CONDITION,
        who_sees="The referrer and their agency's DSLs (status and decision only); her borough's MASH "
                 "leads; the receiving agency's workers while it is theirs.",
        retention=ERASED_WITH_HER + ". " + CLEAR_AFTER_ERASURE,
        trail=(ObjectType.REFERRAL,), exports=(SAR,),
        recipients=(EMAIL_REF + " at each move, and the overdue alert to MASH leads",),
    ),
    "referrals.ReferralPathway": ModelEntry(
        about="Each pathway of a MASH decision: the catalogue pathway and version, the receiving agency and "
              "its share, whether the system recommended it, its status, clock and deadline, her consent "
              "position where the pathway needs it, and the reason it was added or left out.",
        subjects=(GIRL, STAFF), lawful_basis=CASE_BASIS, condition=CASE_CONDITION,
        who_sees="Her borough's MASH leads (every pathway, left out ones too); each receiving agency's workers "
                 "the pathways routed to them while they are live; the referrer's side the pathways' names.",
        retention=ERASED_WITH_HER + " (the reason is under her key). " + CLEAR_AFTER_ERASURE,
        trail=(ObjectType.REFERRAL,), exports=(SAR + " (the referral's pathways)",),
        recipients=(EMAIL_REF + " to the receiving service's workers, at once and marked urgent for a same-day "
                                "or hours clock, and the overdue alert to MASH leads",),
    ),
    "referrals.ReferralTransition": ModelEntry(
        about="Each move of a referral: from and to which state, who, when and why.",
        subjects=(GIRL, STAFF), lawful_basis=CASE_BASIS, condition=CASE_CONDITION,
        who_sees="The MASH that decides the referral and the receiving service while it is theirs.",
        retention=ERASED_WITH_HER + " (the reason is under her key). " + CLEAR_AFTER_ERASURE,
        trail=(ObjectType.REFERRAL,), exports=(SAR + " (the referral's routing)",),
    ),
    # --- Risk ----------------------------------------------------------------------------------------
    "risk.Assessment": ModelEntry(
        about="Her risk timeline: score, level, model version and the explanation (indicator codes, "
              "weights, agency ids). Append-only.",
        subjects=(GIRL,), lawful_basis=CASE_BASIS, condition=CASE_CONDITION,
        who_sees="Cross-agency risk: her borough's MASH leads and receiving workers she is shared with; "
                 "never practitioners or DSLs.",
        retention="Kept with her record; holds no encrypted value, so after erasure it stays as scores "
                  "and codes tied to a reference whose identity is unreadable. No separate retention.",
        trail=(ObjectType.RISK,), exports=(SAR,),
    ),
    "risk.SubjectRisk": ModelEntry(
        about="Her current score and level, and when time alone would change it.",
        subjects=(GIRL,), lawful_basis=CASE_BASIS, condition=CASE_CONDITION,
        who_sees="MASH leads and receiving workers. The access rule's `level` action would admit everyone "
                 "who may see her, but no page uses it: practitioners and DSLs are never shown a level "
                 "(risk/views.py; tests/referrals/test_recorder_oracle.py).",
        retention="As `risk.Assessment`: stays with her reference after erasure.",
        trail=(ObjectType.RISK,),
    ),
    "risk.RegisterEntry": ModelEntry(
        about="Her place on her borough's risk register: level, lead professional, review cadence, "
              "removal and reinstatement with reasons.",
        subjects=(GIRL, STAFF), lawful_basis=CASE_BASIS, condition=CASE_CONDITION,
        who_sees="Her register borough's MASH leads (and change it); receiving workers she is shared "
                 "with (read).",
        retention=ERASED_WITH_HER + " (reasons under her key). " + CLEAR_AFTER_ERASURE,
        trail=(ObjectType.REGISTER_ENTRY, ObjectType.REGISTER), exports=(SAR, "the register CSV (references "
              "and levels, never names), MASH leads"),
        recipients=(EMAIL_REF + " to the borough's MASH leads when she joins the register",),
    ),
    "risk.RegisterReview": ModelEntry(
        about="Each review of her register entry: outcome, notes, next review date.",
        subjects=(GIRL, STAFF), lawful_basis=CASE_BASIS, condition=CASE_CONDITION,
        who_sees="Her register borough's MASH leads.",
        retention=ERASED_WITH_HER + ". " + CLEAR_AFTER_ERASURE,
        trail=(ObjectType.REGISTER_ENTRY,), exports=(SAR,), key_owner="her (the subject's key, held on the row)",
    ),
    "risk.RiskDecision": ModelEntry(
        about="The MASH's decisions on her risk: a sign explained and verified, or a level review, with "
              "the reason.",
        subjects=(GIRL, STAFF), lawful_basis=CASE_BASIS, condition=CASE_CONDITION,
        who_sees="Her borough's MASH and the services she is shared with.",
        retention=ERASED_WITH_HER + ". " + CLEAR_AFTER_ERASURE,
        trail=(ObjectType.RISK_DECISION,), exports=(SAR,),
        key_owner="her (the subject's key, held on the row)",
    ),
    "risk.ProtectiveFactor": ModelEntry(
        about="A protective factor seen in her life (a kind and a note), by whom and when.",
        subjects=(GIRL, STAFF), lawful_basis=CASE_BASIS, condition=CASE_CONDITION,
        who_sees="The recorder; their agency's DSLs; the MASH and the services she is shared with.",
        retention=ERASED_WITH_HER + ". " + CLEAR_AFTER_ERASURE,
        trail=(ObjectType.PROTECTIVE_FACTOR,),
        exports=(SAR,),
        key_owner="her (the subject's key, held on the row)",
    ),
    # --- Case work after the decision --------------------------------------------------
    "casework.Plan": ModelEntry(
        about="That she (or a place or a group) has a plan of actions: its kind and borough, who started it.",
        subjects=(GIRL, THIRD, STAFF), lawful_basis=CASE_BASIS, condition=NO_SPECIAL,
        who_sees="Her borough's MASH leads; a service that accepted one of her pathways, while shared.",
        retention=ERASED_WITH_HER + ". " + CLEAR_AFTER_ERASURE,
        trail=(ObjectType.PLAN_ACTION,), exports=(SAR + " (her plan and its actions; a context's plan never)",),
    ),
    "casework.StrategyDiscussion": ModelEntry(
        about="A strategy discussion (Children Act 1989 s47): when, against which deadline, the agencies that "
              "took part, the decision (a code) and the record (under her key).",
        subjects=(GIRL, STAFF), lawful_basis=CASE_BASIS, condition=CASE_CONDITION,
        who_sees="Her borough's MASH leads; a service that accepted one of her pathways, while shared.",
        retention=ERASED_WITH_HER + ". " + CLEAR_AFTER_ERASURE,
        trail=(ObjectType.STRATEGY_DISCUSSION, ObjectType.REFERRAL), exports=(SAR,),
        recipients=(EMAIL_REF + " to the services holding her live pathways",),
        key_owner="her (the subject's key, held on the row)",
    ),
    "casework.MaceMeeting": ModelEntry(
        about="A MACE panel meeting: borough, date, status, chair and the agencies present.",
        subjects=(STAFF,), lawful_basis=STAFF_BASIS, condition=NO_SPECIAL,
        who_sees="Its borough's MASH leads; members of an agency invited to it (date, status, attendance).",
        retention="Kept while the borough's MACE series is kept: no purge job yet (the discussions and actions "
                  "in it go with each girl's record).",
        trail=(ObjectType.MACE_MEETING,),
        exports=(SAR + " (date, borough, status, chair withheld, agencies present: meetings she was on the "
                       "agenda of only)",),
        recipients=(EMAIL_REF + " to the MASH and the invited agencies when the agenda is sent",),
    ),
    "casework.AgendaItem": ModelEntry(
        about="That she (or a place or a group) is on a MACE agenda, and why (a code).",
        subjects=(GIRL, THIRD), lawful_basis=CASE_BASIS, condition=NO_SPECIAL,
        who_sees="The meeting's borough's MASH leads only.",
        retention=ERASED_WITH_HER + ". " + ENDED_AT_ERASURE.format(
            what="her place on an agenda not yet held and not yet discussed is deleted") + CLEAR_AFTER_ERASURE,
        trail=(ObjectType.MACE_MEETING,), exports=(SAR + " (why she was on each agenda; never another item)",),
    ),
    "casework.MaceDiscussion": ModelEntry(
        about="What a MACE meeting discussed about her (or a place or a group): the record and the decisions.",
        subjects=(GIRL, ASSOCIATE, THIRD, STAFF), lawful_basis=CASE_BASIS, condition=CASE_CONDITION,
        who_sees="The meeting's borough's MASH leads; a service that accepted one of her pathways; the DSLs of "
                 "an agency present that recorded concerns about her (the minutes). Contexts: the MASH only.",
        retention=ERASED_WITH_HER + " (a context's with the place's or group's key). " + CLEAR_AFTER_ERASURE,
        trail=(ObjectType.MACE_MEETING,),
        exports=(SAR + " (her own discussions only: never another girl's, a place's or a group's at the same "
                       "meeting)",),
        key_owner="hers, or the place's or group's (held on the row)",
    ),
    "casework.Action": ModelEntry(
        about="An action of her plan (or a context's): what it needs, the owning agency and person, due date, "
              "status, where it was agreed, the outcome note and any cancellation detail.",
        subjects=(GIRL, ASSOCIATE, THIRD, STAFF), lawful_basis=CASE_BASIS, condition=CASE_CONDITION,
        who_sees="Its owner; the owning agency's DSLs and practitioners; her borough's MASH leads; a service that "
                 "accepted one of her pathways.",
        retention=ERASED_WITH_HER + ". " + ENDED_AT_ERASURE.format(
            what="her open and overdue actions are cancelled (no owner's list, overdue alert or agenda keeps "
                 "them)") + CLEAR_AFTER_ERASURE,
        trail=(ObjectType.PLAN_ACTION,), exports=(SAR + " (her plan's actions; a context's never)",),
        recipients=(EMAIL_REF + " to its owner when assigned and when overdue, and to the MASH when overdue",),
        key_owner="hers, or the place's or group's (held on the row)",
    ),
    "casework.Outcome": ModelEntry(
        about="What changed for her (a code), when, by which agency, with a note.",
        subjects=(GIRL, STAFF), lawful_basis=CASE_BASIS, condition=CASE_CONDITION,
        who_sees="Her borough's MASH leads; a service that accepted one of her pathways; the recording agency's "
                 "DSLs; the practitioner who recorded it.",
        retention=ERASED_WITH_HER + ". " + CLEAR_AFTER_ERASURE,
        trail=(ObjectType.OUTCOME,), exports=(SAR,),
        key_owner="her (the subject's key, held on the row)",
    ),
    # --- The association map -------------------------------------------------------------------------
    "risk.Associate": ModelEntry(
        about="A person linked to her: name and description, age band, role (at risk, or may pose a "
              "risk), borough.",
        subjects=(ASSOCIATE,), lawful_basis=CASE_BASIS, condition=ASSOCIATE_CONDITION,
        who_sees="Where one of their links is visible (MASH leads of the borough; receiving workers of a "
                 "shared subject, read-only; the practitioner who suggested the link); MASH leads also "
                 "see those their borough recorded.",
        retention="`erase_unlinked_associates` (daily) crypto-shreds the associate's own key once no link "
                  "counts and the last ended more than {MAP_ASSOCIATE_RETENTION_DAYS} days ago.",
        trail=(ObjectType.ASSOCIATE,), exports=(SAR + ": by reference, role and age band only",),
        key_owner="the associate's own",
    ),
    "risk.Place": ModelEntry(
        about="A place of concern (estate, park, address, ...): name, kind, borough, optional coordinates.",
        subjects=(THIRD,), lawful_basis=CASE_BASIS, condition=NO_SPECIAL,
        who_sees="Where one of its links is visible; MASH leads also see their borough's places.",
        retention="Erasing a girl shreds the key of an address place left with no other link (her home). "
                  "Other places have no retention period in the code yet.",
        trail=(ObjectType.PLACE,), exports=(SAR + ": reference, name and kind",),
        key_owner="the place's own",
    ),
    "risk.Group": ModelEntry(
        about="A peer group or named gang: name, kind, borough.",
        subjects=(THIRD,), lawful_basis=CASE_BASIS, condition=ASSOCIATE_CONDITION,
        who_sees="Where one of its links is visible; MASH leads also see their borough's groups.",
        retention="No retention period in the code yet: a group stays until someone erases it.",
        trail=(ObjectType.GROUP,), exports=(SAR + ": reference and name",),
        key_owner="the group's own",
    ),
    "risk.Link": ModelEntry(
        about="A dated, sourced link between two of subject / associate / place / group: type, source "
              "agency, first and last seen, confidence, expiry, status, and the reason it was removed.",
        subjects=(GIRL, ASSOCIATE, STAFF), lawful_basis=CASE_BASIS, condition=ASSOCIATE_CONDITION,
        who_sees="MASH leads: their borough's links; receiving workers (read-only): the links of subjects "
                 "shared with their agency, two hops; practitioners and DSLs: the links they suggested.",
        retention="Stops counting at `expires_on` (default {MAP_LINK_EXPIRY_DAYS} days after last seen); "
                  "removal keeps the row with who, when and why; erasing her deletes her links and their "
                  "history rows (`risk.map.services.detach_erased_subject`).",
        trail=(ObjectType.MAP_LINK,), exports=(SAR,),
        key_owner="the person the link is about (hers when she is an end)",
    ),
    # --- Data protection -----------------------------------------------------------------------------
    "dataprotection.BreakGlassGrant": ModelEntry(
        about="One emergency opening of her record by a MASH lead outside their access: the reason, "
              "when, until when, and the auditor's review.",
        subjects=(GIRL, STAFF), lawful_basis=CASE_BASIS, condition=CASE_CONDITION,
        who_sees="The lead who opened it (their own grants) and auditors (who read the reason).",
        retention="Ends by itself after {BREAK_GLASS_HOURS} hours (checked at every read); the reason is "
                  "under her key and goes with her erasure; the row stays as a reference and dates.",
        trail=(ObjectType.BREAK_GLASS,), exports=(SAR + " (emergency openings)",),
    ),
    "drafts.Draft": ModelEntry(
        about="A form (a concern, a referral) its author was sending when her session had ended: what she "
              "had typed, kept so that nothing is lost, bound to her account and to that form page, and to "
              "the young person when the form was about one on record.",
        subjects=(GIRL, STAFF), lawful_basis=CASE_BASIS, condition=CASE_CONDITION,
        who_sees="Its author only (the offer on her home page and on the form); nobody else, whatever their "
                 "role. The values are encrypted under the draft's own data key, so administrators and "
                 "anyone with a copy of the database read nothing.",
        retention="{DRAFT_HOURS} hours at most: it ends when she sends the form, discards it, when it expires "
                  "(`expire_drafts` hourly, and `apply_retention`), or when the young person it is about is "
                  "erased. Each ending deletes the row and crypto-shreds its key (ledger reason `draft_ended`), "
                  "so no backup of the main database holds a readable draft that has ended.",
        trail=(ObjectType.DRAFT,), key_owner="the draft's own (one data key per draft)",
    ),
    # --- Staff and the organisation's own records -----------------------------------------------------
    "agencies.Membership": ModelEntry(
        about="Which agency a user belongs to and their roles.",
        subjects=(STAFF,), lawful_basis=STAFF_BASIS, condition=NO_SPECIAL,
        who_sees="Administrators (not case roles); the member themselves through what the system lets them do.",
        retention="Kept while the account is; ending a membership ends its sessions; no purge job in the code.",
        trail=(ObjectType.MEMBERSHIP,),
    ),
    "agencies.UserSession": ModelEntry(
        about="A user's signed-in session key and when they signed in.",
        subjects=(STAFF,), lawful_basis=STAFF_BASIS, condition=NO_SPECIAL,
        who_sees="Nobody through a page: the system ends sessions with it.",
        retention="Deleted when the session ends, reaches `SESSION_ABSOLUTE_HOURS`, or the user or membership "
                  "is deactivated.",
    ),
    "agencies.RoleGrantRequest": ModelEntry(
        about="An administrator's request to give a user a case role, and the second administrator's decision.",
        subjects=(STAFF,), lawful_basis=STAFF_BASIS, condition=NO_SPECIAL,
        who_sees="Administrators; the auditors' anomalies page lists role-grant events.",
        retention="Expires undecided after {APPROVAL_REQUEST_DAYS} days; the row is kept (no purge job).",
        trail=(ObjectType.ROLE_GRANT,),
    ),
    "api.ApiClient": ModelEntry(
        about="An agency's system registered to use the API: its name, agency, scopes, expiry, "
              "its OAuth client and its account, and which administrators registered and revoked it.",
        subjects=(STAFF,), lawful_basis=STAFF_BASIS, condition=NO_SPECIAL,
        who_sees="Administrators (the agency systems page); the auditors see its calls on the trail under its "
                 "account's username.",
        retention="Kept while registered; revoking or expiry ends its use, the row stays (no purge job).",
        trail=(ObjectType.API_CLIENT,),
    ),
    "agencies.TwoFactorResetRequest": ModelEntry(
        about="An administrator's request to reset a user's second factor, and the second administrator's "
              "decision.",
        subjects=(STAFF,), lawful_basis=STAFF_BASIS, condition=NO_SPECIAL,
        who_sees="Administrators; auditors (anomalies page).",
        retention="Expires undecided after {APPROVAL_REQUEST_DAYS} days; the row is kept (no purge job).",
        trail=(ObjectType.TWO_FACTOR_RESET,),
    ),
    "agencies.PasswordInvitation": ModelEntry(
        about="A single-use set-password link: only a digest of its token, who made it, when it expires "
              "and when it was used.",
        subjects=(STAFF,), lawful_basis=STAFF_BASIS, condition=NO_SPECIAL,
        who_sees="Nobody: the link is shown once or emailed; the row only checks it.",
        retention="Valid {INVITATION_HOURS} hours, single use; the row is kept (no purge job).",
        trail=(ObjectType.INVITATION,), recipients=("email: the set-password link only, to the user's own address",),
    ),
    "audit.AccessEvent": ModelEntry(
        about="The access trail: who (user, username, agency, roles, client address), when, what (object "
              "type and reference number, never a name), why (a reason code) and the outcome; hash-chained.",
        subjects=(STAFF, GIRL + ", by reference number only"), lawful_basis=STAFF_BASIS, condition=NO_SPECIAL,
        who_sees="Auditors (references only, never names); the DPO's subject access export reads her "
                 "disclosure log from it.",
        retention="Append-only (database triggers refuse UPDATE and DELETE); kept indefinitely, and erasure "
                  "does not touch it: it holds no personal data about her. No retention period is set "
                  "for staff entries yet (monthly partitions are planned, not built).",
        trail=(ObjectType.ACCESS_EVENT,),
        exports=("the auditors' access-trail CSV", "signed chain heads (`anchor_audit`) hold hashes only",
                 SAR + ": her disclosure log, from the events about her reference"),
    ),
}

NOT_PERSONAL: dict[str, str] = {
    "agencies.Borough": "reference data: the London boroughs",
    "agencies.Agency": "organisations (schools, GP practices, services), not people",
    "agencies.Role": "reference data: role codes and labels",
    "encryption.DataKey": "key material (wrapped data keys) in the key store; no plaintext. Shredding empties it",
    "encryption.BlindIndex": "keyed hashes for matching, in the key store; deleted with the key",
    "encryption.ErasureRecord": "the erasure ledger: data key ids, dates and reason codes",
    "audit.VerificationRun": "runs of the chain verifier: counts, hashes, and who ran it (a staff username)",
    "audit.ChainCheckpoint": "each chain's verified head (sequence, hash, event id) after a verification run",
    "audit.ArchivedPartition": "months of the trail exported as signed files and detached: names, counts, hashes",
    "risk.CatalogueVersion": "reference data: the indicator catalogue's versions",
    "risk.Indicator": "reference data: the indicators",
    "risk.ScoringModel": "reference data: weights and thresholds",
    "risk.PathwayCatalogue": "reference data: the referral pathways and their recommendation rules",
    "operations.JobRun": "runs of the scheduled jobs: times, outcomes, counts (numbers only), an exception's class",
    # Partnership statistics: only figures already through disclosure control are stored.
    "partnership.StatisticsRun": "one nightly computation of the statistics: dates, rules and counts",
    "partnership.PublishedCell": ("aggregates after disclosure control (counts at or above the threshold, "
                                  "10 by default, rounded, or withheld; medians of groups at least that "
                                  "large): about no one"),
}

# Third-party tables (outside the project's apps): whom they are about and what ends them.
THIRD_PARTY: dict[str, str] = {
    "auth.User": "staff accounts (name, username, email, password hash); kept while the account is",
    "auth.Group": "not personal: one group per agency, for object permissions",
    "auth.Permission": "not personal: permission codes",
    "contenttypes.ContentType": "not personal: model names",
    "admin.LogEntry": "staff: administrators' changes made through Administration (object names are "
                      "agencies and usernames; case data has no admin pages); no purge job",
    "sessions.Session": "staff: session data (user id, second-factor state); ends with the session, and "
                        "expired rows stay until `clearsessions` runs (not scheduled by the code)",
    "guardian.UserObjectPermission": "empty: the code assigns no generic object permissions; shares are "
                                     "direct-foreign-key grants (referrals.SubjectShare)",
    "guardian.GroupObjectPermission": "empty: as above",
    "axes.AccessAttempt": "staff: failed sign-ins (username, client address, user agent; passwords "
                          "masked); reset on success, paused accounts released after the cool-off",
    "axes.AccessAttemptExpiration": "staff: when a failed-sign-in record expires",
    "axes.AccessLog": "staff: sign-ins (username, client address, user agent); no purge job in the code",
    "axes.AccessFailureLog": "staff: failed sign-ins; no purge job in the code",
    "otp_totp.TOTPDevice": "staff: a user's authenticator secret; removed by a four-eyes reset",
    "otp_static.StaticDevice": "staff: a user's recovery-code device",
    "otp_static.StaticToken": "staff: keyed hashes of recovery codes",
    "django_tasks_database.DBTaskResult": "staff: queued notification emails (a reference, a link, staff email "
                                          "addresses); sent ones deleted after TASK_RESULTS_KEEP_DAYS "
                                          "(prune_task_results, daily); failed ones kept until sent again",
    "oauth2_provider.Application": "agency systems' OAuth clients (client id, hashed secret, name); kept "
                                   "with the system's registration (api.ApiClient)",
    "oauth2_provider.AccessToken": "agency systems' bearer tokens; expire after API_TOKEN_SECONDS, deleted on "
                                   "revocation; expired rows deleted daily (clear_api_tokens)",
    "oauth2_provider.RefreshToken": "unused: client credentials issue no refresh tokens",
    "oauth2_provider.Grant": "unused: no authorization-code grant is allowed",
    "oauth2_provider.IDToken": "unused: OpenID Connect is off",
    "oauth2_provider.DeviceGrant": "unused: no device-authorization grant is allowed",
}

# Why each field of the project's models is kept in clear. Encrypted fields and primary keys need none.
_WHO = "a member of staff (user id): who did it"
FIELDS: dict[str, dict[str, str]] = {
    "api.ApiClient": {
        "reference": "reference number", "name": "the name of an agency's software system (not a person)",
        "agency": "the agency whose system it is", "application": "its OAuth client (client id, hashed secret)",
        "account": "its own account (a system, not a person)", "scopes": "scope codes",
        "registered_by": _WHO, "registered_at": "date", "expires_at": "date", "revoked_at": "date",
        "revoked_by": _WHO},
    "agencies.Borough": {
        "ons_code": "ONS code of a London borough", "name": "borough name", "slug": "borough slug"},
    "agencies.Agency": {
        "name": "an organisation's name (a school, a GP practice)", "kind": "code", "borough": "link",
        "official_code": "an organisation's official code", "group": "its permission group",
        "is_active": "flag", "created_at": "date"},
    "agencies.Role": {"code": "role code", "label": "label of a role code"},
    "agencies.Membership": {
        "user": "the member (staff)", "agency": "the member's agency", "is_active": "flag",
        "is_system_account": "flag: an API client's account",
        "created_at": "date", "roles": "role codes"},
    "agencies.UserSession": {
        "user": "the member (staff)", "session_key": "a random session key", "created_at": "sign-in time"},
    "agencies.RoleGrantRequest": {
        "reference": "random id", "user": "the member it is about (staff)", "requested_by": _WHO,
        "requested_at": "date", "expires_at": "date", "status": "code", "decided_by": _WHO,
        "decided_at": "date", "membership": "link", "agency": "link", "role": "role code"},
    "agencies.TwoFactorResetRequest": {
        "reference": "random id", "user": "the member it is about (staff)", "requested_by": _WHO,
        "requested_at": "date", "expires_at": "date", "status": "code", "decided_by": _WHO,
        "decided_at": "date"},
    "agencies.PasswordInvitation": {
        "user": "the member it is for (staff)", "token_digest": "keyed hash of a random single-use token",
        "created_by": _WHO, "created_at": "date", "expires_at": "date", "used_at": "date",
        "revoked_at": "date"},
    "encryption.DataKey": {
        "kek_id": "the id of the key-encryption key", "wrapped_key": "the data key, wrapped by a KEK",
        "created_at": "date", "shredded_at": "date"},
    "encryption.BlindIndex": {
        "data_key": "link (key store)", "kind": "what a blind index hashes (a code)",
        "digest": "an HMAC digest (README, Encryption: what it leaks)"},
    "encryption.ErasureRecord": {
        "data_key_id": "the id of a destroyed key", "erased_at": "date", "reason": "code"},
    "audit.AccessEvent": {
        "occurred_at": "when", "actor": _WHO, "actor_username": "staff user name",
        "actor_agency": "the actor's agency", "actor_roles": "role codes", "action": "code",
        "object_type": "object type code", "reference": "a reference number (S-..., never a name)",
        "borough_code": "ONS code", "outcome": "code",
        "purpose": "a reason code or fixed text; never typed text (test_trail_free_text)",
        "detail": "ids, references and codes written by services", "request_id": "a random request id",
        "client_address": "staff client address (security logging)", "chain": "chain name (a borough code)",
        "sequence": "position in the chain", "prev_hash": "hash", "hash": "hash"},
    "audit.VerificationRun": {
        "started_at": "date", "finished_at": "date", "run_by": "staff user name or job name",
        "intact": "flag", "events_checked": "count", "chains_checked": "count",
        "problem": "the verifier's own message: sequence numbers and hashes", "anchor_used": "flag",
        "full": "flag"},
    "audit.ChainCheckpoint": {
        "run": "the verification run", "chain": "chain name (a borough code)", "sequence": "position in the chain",
        "hash": "hash", "event_id": "the access event's id"},
    "audit.ArchivedPartition": {
        "name": "partition name (a month)", "range_start": "date", "range_end": "date", "events": "count",
        "file_name": "archive file name (the month)", "file_sha256": "hash",
        "heads": "each chain's last archived sequence and hash", "archived_at": "date"},
    "operations.JobRun": {
        "job": "code: which scheduled job", "started_at": "date", "finished_at": "date",
        "outcome": "code (running, succeeded, failed)", "counts": "numbers only (text is dropped when recorded)",
        "error": "the exception's class name, never its message", "host": "the server's host name"},
    "referrals.Subject": {
        "reference": "reference number", "data_key": "her data key's id (the key is in the key store)",
        "home_borough": "routing: which MASH", "status": "code (active, merged, erased)",
        "merged_into": "the surviving record",
        "retention_date": "when retention erases her. Derived from her date of birth, so it reveals her birth "
                          "month and year (not the day): accepted so that retention can run as one query",
        "legal_hold": "flag: retention and erasure stop",
        "restricted": "flag: processing restricted (UK GDPR Art. 18): stored, not scored, referred or shared",
        "restricted_since": "date the restriction began",
        "restriction_reason": "code: why processing is restricted (an objection is one of the codes)",
        "created_at": "date", "updated_at": "date"},
    "referrals.Concern": {
        "reference": "reference number", "subject": "whom it is about", "agency": "the recorder's agency",
        "recorded_by": "the recorder (staff)", "observed_on": "when it was seen: weighs the concern",
        "seriously_worried": "the recorder's judgement (a flag): weighs the concern",
        "judgement": "code: the recorder's judgement", "age_at_observation":
            "her age in years on that day: scoring floors (an age, not a date of birth)",
        "idempotency_key": "random: a retry records once", "recorded_at": "date",
        "indicators": "the signs seen, as catalogue codes. Special category in context (a code can say "
                      "repeat infections or pregnancy): kept clear because scoring counts them; they identify "
                      "her only through her encrypted identity, and are stripped of it by erasure"},
    "referrals.SubjectShare": {
        "permission": "permission code", "group": "the receiving agency's group",
        "content_object": "the subject shared",
        "purpose": "written by routing: the referral reference and the pathway label",
        "granted_by": _WHO, "granted_at": "date", "expires_at": "when the share ends"},
    "referrals.SchoolTransfer": {
        "reference": "reference number", "subject": "whom it is about", "from_agency": "her old school",
        "to_agency": "her new school", "purpose": "code: why her file moves", "status": "code",
        "started_by": _WHO, "started_at": "date", "due_on": "deadline (5 working days)",
        "accepted_by": "the new school's DSL who gave the receipt (staff)", "accepted_at": "date",
        "cancelled_at": "date", "idempotency_key": "random: a resubmitted form starts one transfer"},
    "referrals.BoroughTransfer": {
        "reference": "reference number", "subject": "whom it is about", "from_borough": "her home borough",
        "to_borough": "the borough asked to take her on", "reason": "code: why her home borough changes",
        "status": "code", "started_by": _WHO, "started_at": "date", "decided_by": _WHO, "decided_at": "date",
        "idempotency_key": "random: a resubmitted form starts one transfer"},
    "referrals.Referral": {
        "reference": "reference number", "subject": "whom it is about", "borough": "the MASH's borough",
        "from_agency": "referring agency", "referred_by": "the referrer (staff)", "to_agency": "link",
        "automatic": "flag: raised by the system for the MASH", "legal_basis": "code",
        "consent": "code", "state": "code", "decision": "code", "pathway": "code",
        "receiving_agency": "link", "received_at": "date", "decision_due_at": "deadline",
        "decided_at": "date", "responded_at": "date", "assessment_due_on": "deadline",
        "closed_at": "date", "version": "optimistic lock counter"},
    "referrals.ReferralPathway": {
        "referral": "link", "pathway": "code", "catalogue_version": "version", "receiving_agency": "link",
        "share": "link", "recommended": "flag", "status": "code", "consent": "code", "clock_unit": "code",
        "clock_amount": "number", "clock_starts": "code", "urgent": "flag", "due_at": "deadline",
        "decided_at": "date", "responded_at": "date", "responded_by": _WHO, "completed_at": "date",
        "version": "optimistic lock counter"},
    "referrals.ReferralTransition": {
        "referral": "link", "from_state": "code", "to_state": "code", "actor": _WHO, "at": "date"},
    "risk.CatalogueVersion": {
        "number": "version", "title": "catalogue title", "source": "citation of the catalogue's source",
        "published_on": "date"},
    "risk.Indicator": {
        "code": "indicator code", "label": "indicator label", "hint": "indicator hint", "kind": "code",
        "category": "code", "indicator_class": "code", "display_order": "order",
        "introduced_in": "link", "retired_in": "link"},
    "risk.ScoringModel": {
        "version": "version", "title": "model title", "config": "weights and thresholds",
        "is_active": "flag", "created_at": "date"},
    "risk.PathwayCatalogue": {
        "version": "version", "title": "catalogue title", "config": "pathways, recommendation rules and sources",
        "is_active": "flag", "created_at": "date"},
    "risk.Assessment": {
        "subject": "whom it is about", "assessed_at": "date", "score": "computed score",
        "level": "code", "model_version": "version",
        "reason": "code of what triggered the assessment (concern, rescore, ...)",
        "explanation": "indicator codes, weights and agency ids"},
    "risk.SubjectRisk": {
        "subject": "whom it is about", "score": "computed score", "level": "code",
        "level_rank": "order of the level", "previous_level": "code", "level_changed_at": "date",
        "model_version": "version", "assessed_at": "date", "rescore_due_on": "date"},
    "risk.RegisterEntry": {
        "subject": "whom it is about", "borough": "the register's borough", "level": "code",
        "level_rank": "order of the level", "lead_professional": "a member of staff (user id)",
        "review_cadence_days": "days", "next_review_on": "date", "status": "code", "added_at": "date",
        "removed_at": "date", "removal_reason_code": "code (why she came off; counted by the statistics)"},
    "risk.RegisterReview": {
        "entry": "link", "data_key": "her data key's id", "reviewed_by": _WHO, "reviewed_at": "date",
        "outcome": "code", "next_review_on": "date"},
    "risk.RiskDecision": {
        "subject": "whom it is about", "data_key": "her data key's id", "kind": "code",
        "indicator": "which sign (catalogue)", "level": "code", "decided_on": "date", "decided_by": _WHO,
        "decided_at": "date", "idempotency_key": "random: a retry records once"},
    "risk.ProtectiveFactor": {
        "subject": "whom it is about", "data_key": "her data key's id", "kind": "code",
        "observed_on": "date", "agency": "the recorder's agency", "recorded_by": "the recorder (staff)",
        "recorded_at": "date", "idempotency_key": "random: a retry records once"},
    "risk.Associate": {
        "reference": "reference number", "data_key": "the associate's own data key's id",
        "age_band": "code (a band, never a date of birth)", "role": "code: at risk, or may pose a risk",
        "borough": "link", "created_at": "date", "erased_at": "date"},
    "risk.Place": {
        "reference": "reference number", "data_key": "the place's own data key's id", "kind": "code",
        "borough": "link", "latitude": "optional coordinates of a place of concern (not of a person)",
        "longitude": "optional coordinates of a place of concern (not of a person)", "created_at": "date"},
    "risk.Group": {
        "reference": "reference number", "data_key": "the group's own data key's id", "kind": "code",
        "borough": "link", "created_at": "date"},
    "risk.Link": {
        "reference": "reference number", "subject": "an end (her)", "associate": "an end",
        "place": "an end", "group": "an end", "link_type": "code", "borough": "link",
        "source_agency": "which agency saw it", "first_seen": "date", "last_seen": "date",
        "confidence": "code", "expires_on": "when it stops counting", "status": "code",
        "suggested_by": _WHO, "suggested_from": "the concern it came from", "confirmed_by": _WHO,
        "confirmed_at": "date", "removed_by": _WHO, "removed_at": "date",
        "data_key": "the key of whom the removal reason is about", "created_at": "date"},
    "casework.Plan": {
        "subject": "whom it is about", "place": "the place it is about", "group": "the group it is about",
        "kind": "code", "borough": "link", "created_by": _WHO, "created_at": "date"},
    "casework.StrategyDiscussion": {
        "reference": "reference number", "subject": "whom it is about", "pathway": "the referral pathway that "
        "called it", "borough": "link", "data_key": "her data key's id", "held_at": "date",
        "due_at": "deadline", "agencies": "the agencies that took part", "decision": "code",
        "recorded_by": _WHO, "recorded_at": "date"},
    "casework.MaceMeeting": {
        "reference": "reference number", "borough": "link", "meets_on": "date", "status": "code",
        "chair": "the chair (staff)", "attendees": "the agencies present", "created_at": "date",
        "agenda_sent_at": "date", "held_at": "date", "version": "optimistic lock counter"},
    "casework.AgendaItem": {
        "meeting": "link", "subject": "whom it is about", "place": "the place it is about",
        "group": "the group it is about", "reason": "code", "position": "order", "added_at": "date"},
    "casework.MaceDiscussion": {
        "meeting": "link", "subject": "whom it is about", "place": "the place it is about",
        "group": "the group it is about", "data_key": "the key of whom it is about", "recorded_by": _WHO,
        "recorded_at": "date"},
    "casework.Action": {
        "reference": "reference number", "plan": "link", "subject": "whom it is about",
        "place": "the place it is about", "group": "the group it is about", "borough": "link",
        "data_key": "the key of whom it is about", "owner_agency": "the owning agency",
        "owner": "the owner (staff)", "due_on": "date", "status": "code", "source": "code",
        "meeting": "link", "strategy_discussion": "link", "review": "link", "cancel_reason": "code",
        "created_by": _WHO, "created_at": "date", "completed_at": "date", "cancelled_at": "date",
        "overdue_notified_at": "date", "version": "optimistic lock counter"},
    "casework.Outcome": {
        "subject": "whom it is about", "data_key": "her data key's id", "kind": "code", "occurred_on": "date",
        "agency": "the recording agency", "recorded_by": _WHO, "recorded_at": "date"},
    "dataprotection.BreakGlassGrant": {
        "reference": "reference number", "subject": "whose record was opened",
        "user": "the MASH lead who opened it (staff)", "agency": "their agency", "opened_at": "date",
        "expires_at": "date", "reviewed_at": "date", "reviewed_by": _WHO, "review_outcome": "code"},
    "drafts.Draft": {
        "user": "its author (staff), the only person who may open it", "form": "which form (its URL name)",
        "path": "the page it was posted to (a reference number at most, as in every URL)",
        "subject": "whom it is about, when she is on record (so her erasure ends it)",
        "data_key": "the draft's own data key (in the key store)", "saved_at": "date", "expires_at": "date",
        "resumed_at": "date: she chose Continue"},
    # Partnership statistics: aggregates after disclosure control, about no one.
    "partnership.StatisticsRun": {
        "started_at": "date", "finished_at": "date", "first_period": "date", "last_day": "date",
        "threshold": "the suppression threshold", "rounding_base": "the rounding base",
        "cells": "how many figures", "suppressed": "how many withheld"},
    "partnership.PublishedCell": {
        "run": "which computation", "measure": "code", "borough": "the area (empty: London)",
        "period": "a month or quarter code (2026-03, 2026-Q1)",
        "category": "a category code of the measure (an agency kind, a level, an age band)",
        "value": "an aggregate after suppression and rounding (empty where withheld)"},
}


# --- The in-app inbox: a block of its own ----------------------------------------------------
PROJECT_APPS.append("notifications")
MODELS["notifications.Notification"] = ModelEntry(
    about="That a member of staff was told something happened to a case: a kind (code), the case's reference "
          "number, a link (a path built from the reference), whether urgent, when, and when read.",
    subjects=(STAFF, GIRL + ", by reference number only"), lawful_basis=CASE_BASIS, condition=NO_SPECIAL,
    who_sees="The recipient only (their own inbox); the link's page applies its own access check.",
    retention="Deleted `NOTIFICATION_RETENTION_DAYS` (default 180) days after it was made, read or not, by "
              "`purge_notifications` (daily), and with the recipient's account. Those naming her case's "
              "references (hers, her concerns', referrals', transfers', actions', strategy discussions') are "
              "deleted at her erasure (`notifications.services.forget_references`), and again by "
              "`reapply_erasures` after a restore. It holds no name, narrative or level.",
    trail=(ObjectType.NOTIFICATION,),
    exports=(SAR + " (those naming her case's references: pseudonymised, still hers, UK GDPR Art. 4(5) and "
                   "Recital 26; the recipient withheld; a MACE meeting's never)",),
    recipients=(EMAIL_REF + " to the recipient, after commit",),
)
FIELDS["notifications.Notification"] = {
    "recipient": "who was told (staff)", "kind": "code", "reference": "a case reference number, never a name",
    "url": "a path of the service built from reference numbers", "urgent": "flag", "created_at": "date",
    "read_at": "date"}


def project_models() -> list[type[models.Model]]:
    """The live (not historical) models of the project's apps, in app then definition order."""
    return [model for app in PROJECT_APPS for model in apps.get_app_config(app).get_models()
            if not hasattr(model, "instance_type")]


def third_party_models() -> list[type[models.Model]]:
    """Installed models outside the project's apps (test-only apps excluded)."""
    return [model for model in apps.get_models()
            if model._meta.app_label not in PROJECT_APPS and not model.__module__.startswith("tests.")
            and not hasattr(model, "instance_type")]


def model_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    """Every field that stores something: the concrete columns and the many-to-many tables."""
    return [*model._meta.concrete_fields, *model._meta.many_to_many]


def clear_fields() -> dict[str, str]:
    """``FIELDS`` flattened to ``"app.Model.field": why`` (the allow-list of the field walk)."""
    return {f"{label}.{name}": why for label, entries in FIELDS.items() for name, why in entries.items()}


def _settings_values() -> dict[str, Any]:
    names = ("SUBJECT_RETENTION_YEARS", "REFERRAL_SHARE_DAYS", "REFERRAL_SHARE_GRACE_DAYS",
             "MAP_ASSOCIATE_RETENTION_DAYS", "MAP_LINK_EXPIRY_DAYS", "BREAK_GLASS_HOURS",
             "APPROVAL_REQUEST_DAYS", "INVITATION_HOURS", "DRAFT_HOURS")
    return {name: getattr(settings, name) for name in names}


def _protection(model: type[models.Model], model_field: models.Field[Any, Any], entry: ModelEntry | None) -> str:
    if isinstance(model_field, EncryptedField):
        path = model_field.data_key_path
        if path == "data_key_id":
            owner = entry.key_owner if entry is not None and entry.key_owner else "its own"
            return f"encrypted (AES-256-GCM) under {owner} data key (`{path}`)"
        owner_path = path.rsplit(".", 1)[0]
        whose = ": hers" if owner_path.split(".")[-1] == "subject" else ""
        return f"encrypted (AES-256-GCM) under the data key of `{owner_path}` (`{path}`){whose}"
    if model_field.primary_key:
        return "clear: primary key"
    return "clear: " + FIELDS[model._meta.label][model_field.name]


def _field_type(model_field: models.Field[Any, Any]) -> str:
    name = type(model_field).__name__
    related = model_field.related_model
    if related is not None and not isinstance(related, str):
        return f"{name} → {related._meta.label}"
    if model_field.choices and not isinstance(model_field, EncryptedField):
        return f"{name} (choices)"
    return name


def _access_rule(model: type[models.Model]) -> str:
    rule = getattr(model, "access_rule", None)
    if rule is None:
        return ""
    return " ".join((inspect.getdoc(rule) or "").split())


def _copies(model: type[models.Model], entry: ModelEntry) -> list[str]:
    copies = []
    if hasattr(model, "history"):
        table = model.history.model._meta.db_table
        encrypted = any(isinstance(f, EncryptedField) for f in model._meta.concrete_fields)
        same = ", holding the very same ciphertext" if encrypted else ""
        copies.append(f"row history: `{table}` (django-simple-history){same}")
    if any(isinstance(f, EncryptedField) for f in model._meta.concrete_fields):
        copies.append("its data keys: the key store (`KEYS_DATABASE_URL`, backups kept 7 days at most), "
                      "never the main database or its backups")
    if model._meta.app_label == "encryption":
        copies.append("the key store database and its backups (kept 7 days at most)")
    else:
        copies.append("backups of the main database (ciphertext only for encrypted fields)")
    if entry.trail:
        labels = ", ".join(f"`{code.value}`" for code in entry.trail)
        copies.append(f"the access trail, by reference number only (object types {labels})")
    copies.extend(f"export: {each}" for each in entry.exports)
    return copies


def build() -> dict[str, Any]:
    """The inventory as plain data (the JSON format); ``render_markdown`` formats the same data."""
    values = _settings_values()
    personal = []
    for model in project_models():
        label = model._meta.label
        entry = MODELS.get(label)
        if entry is None:
            continue
        fields = [{
            "name": f.name, "type": _field_type(f),
            "encrypted": isinstance(f, EncryptedField),
            "data_key": f.data_key_path if isinstance(f, EncryptedField) else None,
            "protection": _protection(model, f, entry),
        } for f in model_fields(model)]
        personal.append({
            "model": label, "table": model._meta.db_table, "about": entry.about,
            "data_subjects": list(entry.subjects), "lawful_basis": entry.lawful_basis,
            "special_category_condition": entry.condition, "who_may_see": entry.who_sees,
            "access_rule": _access_rule(model), "retention": entry.retention.format(**values),
            "copies": _copies(model, entry), "recipients": list(entry.recipients), "fields": fields,
        })
    return {
        "settings": values,
        "personal_data_models": personal,
        "not_personal_models": [{"model": m._meta.label, "why": NOT_PERSONAL[m._meta.label],
                                 "fields": [f.name for f in m._meta.concrete_fields]}
                                for m in project_models() if m._meta.label in NOT_PERSONAL],
        "third_party_models": [{"model": m._meta.label, "what": THIRD_PARTY[m._meta.label],
                                "fields": [f.name for f in m._meta.concrete_fields]}
                               for m in sorted(third_party_models(), key=lambda m: m._meta.label)],
    }


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(data: dict[str, Any] | None = None) -> str:
    """The inventory as Markdown: what ``docs/data-inventory.md`` holds."""
    data = data if data is not None else build()
    out = [
        "# Data inventory (record of processing)",
        "",
        "Generated from the code by `python manage.py data_inventory` (`dataprotection/inventory.py`). "
        "Do not edit: run `python manage.py data_inventory > docs/data-inventory.md`; "
        "`tests/dataprotection/test_inventory.py` fails when this file differs from the command's output.",
        "",
        "Settings that bound retention, as generated: "
        + ", ".join(f"`{k}` = {v}" for k, v in data["settings"].items()) + ".",
        "",
        "Lawful bases are the controllers' to confirm (see `docs/dpia.md`, step 4). Processors: none "
        "outside the controllers' own hosting; email is sent through the deployment's mail relay "
        "(`EMAIL_*` settings) and carries reference numbers and links only.",
        "",
        "## Models that hold personal data",
        "",
        "| model | about | data subjects |",
        "|---|---|---|",
    ]
    for m in data["personal_data_models"]:
        out.append(f"| [`{m['model']}`](#{m['model'].lower().replace('.', '')}) | {_cell(m['about'])} | "
                   f"{_cell('; '.join(m['data_subjects']))} |")
    for m in data["personal_data_models"]:
        out += [
            "", f"### {m['model']}", "",
            f"Table `{m['table']}`. {m['about']}", "",
            f"- **Data subjects**: {'; '.join(m['data_subjects'])}.",
            f"- **Lawful basis**: {m['lawful_basis']}.",
            f"- **Special category / criminal offence data**: {m['special_category_condition']}.",
            f"- **Who may see it**: {m['who_may_see']}",
        ]
        if m["access_rule"]:
            out.append(f"- **Access rule** (`{m['model'].split('.')[1]}.access_rule`, enforced by "
                       f"`restrict()`): {m['access_rule']}")
        out.append(f"- **Retention and what ends it**: {m['retention'].rstrip('.')}.")
        out.append("- **Copies**: " + "; ".join(m["copies"]) + ".")
        if m["recipients"]:
            out.append("- **Sent outside the system**: " + "; ".join(m["recipients"]) + ".")
        out += ["", "| field | type | protection |", "|---|---|---|"]
        out += [f"| `{f['name']}` | {_cell(f['type'])} | {_cell(f['protection'])} |" for f in m["fields"]]
    out += ["", "## Models that hold no personal data", "", "| model | why | fields |", "|---|---|---|"]
    out += [f"| `{m['model']}` | {_cell(m['why'])} | {', '.join(m['fields'])} |"
            for m in data["not_personal_models"]]
    out += ["", "## Third-party tables", "", "| model | what it holds | fields |", "|---|---|---|"]
    out += [f"| `{m['model']}` | {_cell(m['what'])} | {', '.join(m['fields'])} |"
            for m in data["third_party_models"]]
    return "\n".join(out) + "\n"


@dataclass
class Gaps:
    """What the declared tables miss or no longer match (empty when the inventory is complete)."""

    models_without_entry: list[str] = field(default_factory=list)
    stale_entries: list[str] = field(default_factory=list)
    fields_without_entry: list[str] = field(default_factory=list)
    stale_fields: list[str] = field(default_factory=list)
    missing_key_owner: list[str] = field(default_factory=list)


def gaps() -> Gaps:
    """Compare the declared tables with the models as they are."""
    found = Gaps()
    labels = {m._meta.label for m in project_models()}
    third = {m._meta.label for m in third_party_models()}
    for model in project_models():
        label = model._meta.label
        if (label in MODELS) == (label in NOT_PERSONAL):
            found.models_without_entry.append(label)
        declared = FIELDS.get(label, {})
        names = set()
        for f in model_fields(model):
            names.add(f.name)
            if isinstance(f, EncryptedField):
                if f.data_key_path == "data_key_id" and label in MODELS and not MODELS[label].key_owner:
                    found.missing_key_owner.append(label)
            elif not f.primary_key and f.name not in declared:
                found.fields_without_entry.append(f"{label}.{f.name}")
        found.stale_fields += [f"{label}.{name}" for name in declared if name not in names]
    found.models_without_entry += sorted(third - set(THIRD_PARTY))
    found.stale_entries = sorted((set(MODELS) | set(NOT_PERSONAL) | set(FIELDS)) - labels) + sorted(
        set(THIRD_PARTY) - third)
    found.missing_key_owner = sorted(set(found.missing_key_owner))
    return found
