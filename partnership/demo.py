"""A year of plausible, plainly fictional history for the statistics demo.

Three boroughs the other demo journeys do not use (Lewisham, Greenwich, Croydon) get records "migrated
from the borough's previous system": about 240 girls each over the last twelve months, their concerns
from agencies of every kind, referrals and the MASH's decisions with their pathways, strategy
discussions, outcomes, register entries, exits (with coded reasons) and reviews, and a few places linked to
several girls. So the London analyst (MOPAC) and the Lewisham analyst see charts with something in them,
while Lambeth, Southwark and Hackney stay as small as the other journeys expect.

Loaded set-based, as the benchmark's dataset is (``bulk_create``; encryption still per value), because a
year of history cannot be recorded through the services *in the past*: they stamp every row with now.
This is the documented exception to "build through the services" for the demo; nothing else writes so.
Every name is invented; idempotent (a second run adds nothing), then ``aggregate_statistics`` runs.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from agencies import services as agency_services
from agencies.choices import AgencyKind, RoleCode
from agencies.models import Agency, Borough
from casework.choices import OutcomeKind, StrategyDecision
from casework.models import Outcome, StrategyDiscussion
from encryption import keys
from encryption.models import DataKey
from referrals.choices import (
    ConsentPosition,
    LegalBasis,
    Pathway,
    PathwayStatus,
    ReferralDecision,
    ReferralState,
)
from referrals.intake import SubjectDetails, retention_date_for
from referrals.models import Concern, Referral, ReferralPathway, Subject
from referrals.workdays import working_deadline
from risk.choices import RemovalReason
from risk.map.models import Link, LinkStatus, LinkType, Place, PlaceKind
from risk.models import Indicator, RegisterEntry, RegisterReview, RegisterStatus, ScoringModel, SubjectRisk
from risk.scoring import LEVEL_RANK

User = get_user_model()
HISTORY_BOROUGHS = ["Lewisham", "Greenwich", "Croydon"]
GIRLS_PER_BOROUGH = 240
SEED = 20261129
GIVEN = ["Historia", "Archiva", "Recorda", "Ledgera", "Annala", "Chronia", "Registra", "Memoria"]
FAMILY = ["Migrated", "Formerly", "Carriedover", "Imported", "Pastrecord"]
# Kinds of agency whose first concern it was, with a weight that moves over the year (month 0 is a year
# ago): universal services find more girls as the year goes on, police and youth offending fewer.
KIND_WEIGHTS: list[tuple[str, float, float]] = [
    (AgencyKind.SCHOOL, 18, 1.5), (AgencyKind.GP_PRACTICE, 6, 0.3), (AgencyKind.SCHOOL_NURSING, 7, 0.4),
    (AgencyKind.HEALTH, 5, 0), (AgencyKind.POLICE, 26, -1.0), (AgencyKind.YOUTH_OFFENDING_TEAM, 16, -0.7),
    (AgencyKind.CHILDRENS_SOCIAL_CARE, 8, 0), (AgencyKind.VOLUNTARY_SECTOR, 5, 0),
]
AGENCY_NAMES = {
    AgencyKind.SCHOOL: "schools", AgencyKind.GP_PRACTICE: "GP practices", AgencyKind.SCHOOL_NURSING: "school nursing",
    AgencyKind.HEALTH: "health services", AgencyKind.POLICE: "police", AgencyKind.YOUTH_OFFENDING_TEAM: "youth justice",
    AgencyKind.CHILDRENS_SOCIAL_CARE: "children's social care", AgencyKind.VOLUNTARY_SECTOR: "voluntary sector",
    AgencyKind.MASH: "MASH",
}
PATHWAYS = [("csc_assessment", 30), ("early_help", 20), ("specialist_cse", 14), ("csc_strategy", 10),
            ("police_cce", 8), ("sexual_health", 8), ("youth_offending", 5), ("camhs", 5)]
# What changed for girls, with weights.
OUTCOMES = [(OutcomeKind.ENGAGED_SPECIALIST, 35), (OutcomeKind.MISSING_STOPPED, 20),
            (OutcomeKind.BACK_IN_EDUCATION, 18), (OutcomeKind.LEFT_RELATIONSHIP, 10), (OutcomeKind.MOVED_PLACEMENT, 8),
            (OutcomeKind.PROSECUTION, 4), (OutcomeKind.OTHER, 5)]
# Why girls came off the register, with weights: mostly because her risk came down.
EXIT_REASONS = [(RemovalReason.RISK_REDUCED, 55), (RemovalReason.MOVED_AWAY, 15), (RemovalReason.ADULT_SERVICES, 12),
                (RemovalReason.ANOTHER_PLAN, 10), (RemovalReason.IN_ERROR, 3), (RemovalReason.OTHER, 5)]
MISSING_CODES = ("missing-from-home-or-care", "missing-overnight-or-found-with-adults")


def _key(rng: random.Random) -> DataKey:
    key_id = uuid.UUID(int=rng.getrandbits(128), version=4)
    raw = keys.new_raw_key()
    kek_id, wrapped = keys.wrap_key(key_id, raw)
    keys.remember_raw_key(key_id, raw)
    return DataKey(id=key_id, kek_id=kek_id, wrapped_key=wrapped)


def _ref(rng: random.Random, prefix: str) -> str:
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    code = "".join(rng.choice(alphabet) for _ in range(8))
    return f"{prefix}-{code[:4]}-{code[4:]}"


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def _agencies(borough: Borough) -> tuple[dict[str, Agency], Any]:
    agencies: dict[str, Agency] = {}
    for kind, label in AGENCY_NAMES.items():
        name = f"{borough.name} {label} (migrated records)"
        agency = Agency.objects.filter(borough=borough, name=name).first() or agency_services.do_create_agency(
            name=name, kind=kind, borough=borough, actor=None)
        agencies[kind] = agency
    username = f"records.{borough.slug}"
    user = User.objects.filter(username=username).first()
    if user is None:
        # The account the previous system's records were migrated under: it cannot sign in.
        user = agency_services.do_create_user(username=username, agency=agencies[AgencyKind.MASH],
                                              roles=[RoleCode.PRACTITIONER], first_name="Migrated",
                                              last_name="Records", actor=None)
        user.is_active = False
        user.save(update_fields=["is_active"])
    return agencies, user


def seed_statistics_history(today: dt.date | None = None) -> int:
    """Load the year of history unless it is there; return how many girls were added."""
    boroughs = list(Borough.objects.filter(name__in=HISTORY_BOROUGHS).order_by("name"))
    if not boroughs or Subject.objects.filter(home_borough__in=boroughs).exists():
        return 0
    today = today or timezone.localdate()
    rng = random.Random(SEED)  # noqa: S311 - reproducible fictional data, not a secret
    indicators = list(Indicator.objects.current())
    missing = [i for i in indicators if i.code in MISSING_CODES]
    added = 0
    for borough in boroughs:
        with transaction.atomic():
            added += _borough(rng, borough, today, indicators, missing)
    return added


def _borough(rng: random.Random, borough: Borough, today: dt.date, indicators: list[Indicator],
             missing: list[Indicator]) -> int:
    agencies, user = _agencies(borough)
    history_model = RegisterEntry.history.model
    data_keys, subjects, concerns, referrals, pathways = [], [], [], [], []
    discussions: list[StrategyDiscussion] = []
    # Her current risk: the register's level while she is on it, low otherwise (never on it, or taken off).
    levels: dict[Any, tuple[str, dt.datetime]] = {}
    outcomes: list[Outcome] = []
    signs: list[Any] = []
    entries, entry_history, reviews, places, links = [], [], [], [], []
    removals: list[tuple[RegisterEntry, dt.datetime]] = []
    through = Concern.indicators.through
    for _n in range(GIRLS_PER_BOROUGH):
        key = _key(rng)
        data_keys.append(key)
        month = rng.randrange(12)
        first_day = min(today, today - dt.timedelta(days=365 - month * 30 - rng.randrange(30)))
        weights = [max(1.0, base + slope * month) for _k, base, slope in KIND_WEIGHTS]
        kind = rng.choices([k for k, _b, _s in KIND_WEIGHTS], weights)[0]
        age = rng.choices([12, 13, 14, 15, 16, 17, 18], [4, 10, 18, 22, 20, 16, 6])[0]
        dob = first_day - dt.timedelta(days=age * 365 + rng.randrange(300))
        given, family = rng.choice(GIVEN), f"{rng.choice(FAMILY)}{rng.randrange(10_000)}"
        subject = Subject(id=_uuid(rng), reference=_ref(rng, "S"), data_key_id=key.id, given_name=given,
                          family_name=family, date_of_birth=dob, home_borough=borough,
                          retention_date=retention_date_for(SubjectDetails(given, family, dob)),
                          created_at=_at(first_day, 10))
        subjects.append(subject)
        levels[subject.id] = ("low", _at(first_day, 12))
        later = [min(today, first_day + dt.timedelta(days=rng.randrange(1, 120)))
                 for _ in range(rng.choice([0, 1, 1, 2, 3]))]
        concern_days = sorted([first_day, *later])
        goes_missing = rng.random() < 0.25
        for number, day in enumerate(concern_days):
            agency = agencies[kind] if number == 0 else agencies[rng.choice([k for k, _b, _s in KIND_WEIGHTS])]
            concern = Concern(id=_uuid(rng), reference=_ref(rng, "C"), subject=subject, agency=agency,
                              recorded_by=user, observed_on=day - dt.timedelta(days=rng.randrange(0, 15)),
                              narrative="Migrated record.", idempotency_key=_uuid(rng),
                              recorded_at=_at(day, 12 + number), age_at_observation=age)
            concerns.append(concern)
            chosen = rng.sample(indicators, rng.randrange(1, 3))
            if goes_missing and missing:
                chosen = [*chosen, missing[0]]
            signs.extend(through(concern_id=concern.id, indicator_id=i.pk) for i in {c.pk: c for c in chosen}.values())
        if rng.random() < 0.65:
            received = _at(min(today, first_day + dt.timedelta(days=rng.choice([0, 1, 3, 7, 14, 30, 60]))), 9)
            decided = received + dt.timedelta(hours=rng.choice([2, 5, 20, 22]) if rng.random() < 0.8
                                              else rng.choice([30, 50, 75]))
            if decided <= timezone.now():
                referral = Referral(
                    id=_uuid(rng), reference=_ref(rng, "R"), subject=subject, borough=borough,
                    from_agency=agencies[kind], to_agency=agencies[AgencyKind.MASH], referred_by=None,
                    summary="Migrated referral.", legal_basis=LegalBasis.SAFEGUARDING,
                    consent=ConsentPosition.NOT_SOUGHT_RISK, state=ReferralState.DECIDED,
                    decision=ReferralDecision.ROUTED, pathway=Pathway.CSC_ASSESSMENT,
                    receiving_agency=agencies[AgencyKind.CHILDRENS_SOCIAL_CARE], received_at=received,
                    decision_due_at=working_deadline(received, 1), decided_at=decided)
                referrals.append(referral)
                codes = rng.sample([c for c, _w in PATHWAYS], rng.choice([1, 1, 2]))
                for code in codes:
                    due = decided + dt.timedelta(days=1 if code == "csc_strategy" else 10)
                    answered = decided + dt.timedelta(hours=rng.choice([4, 20, 40, 100]))
                    status = PathwayStatus.ACCEPTED if answered <= timezone.now() else PathwayStatus.AWAITING
                    pathway = ReferralPathway(
                        id=_uuid(rng), referral=referral, pathway=code, catalogue_version=2,
                        receiving_agency=agencies[AgencyKind.CHILDRENS_SOCIAL_CARE], status=status,
                        due_at=due, decided_at=decided,
                        responded_at=answered if status == PathwayStatus.ACCEPTED else None)
                    pathways.append(pathway)
                    held = decided + dt.timedelta(hours=rng.choice([6, 18, 22, 30, 60]))
                    if code == "csc_strategy" and status == PathwayStatus.ACCEPTED and held <= timezone.now():
                        discussions.append(StrategyDiscussion(
                            id=_uuid(rng), reference=_ref(rng, "D"), subject=subject, pathway=pathway,
                            borough=borough, data_key_id=key.id, held_at=held, due_at=due,
                            decision=rng.choice(StrategyDecision.values), record="Migrated record.",
                            recorded_by=user, recorded_at=held))
        # What changed for her, for about a third of the girls, some weeks after she was first seen.
        if rng.random() < 0.35:
            happened = first_day + dt.timedelta(days=rng.randrange(20, 200))
            if happened <= today:
                outcomes.append(Outcome(
                    id=_uuid(rng), subject=subject, data_key_id=key.id, occurred_on=happened,
                    kind=rng.choices([k for k, _w in OUTCOMES], [w for _k, w in OUTCOMES])[0],
                    agency=agencies[AgencyKind.CHILDRENS_SOCIAL_CARE], recorded_by=user,
                    recorded_at=_at(happened, 16)))
        if rng.random() < 0.45:
            added_at = _at(min(today, first_day + dt.timedelta(days=rng.randrange(0, 20))), 15)
            level = rng.choices(["medium", "high", "very_high"], [55, 35, 10])[0]
            rank = {"medium": 2, "high": 3, "very_high": 4}[level]
            cadence = {"medium": 90, "high": 30, "very_high": 14}[level]
            removed_at = added_at + dt.timedelta(days=rng.randrange(30, 240))
            removed = rng.random() < 0.4 and removed_at <= timezone.now()
            # Inserted on the register; the removal is saved afterwards (its reason is encrypted under
            # her key, bound to the row's id), which writes its history row as the service would.
            entry = RegisterEntry(subject=subject, borough=borough, level=level, level_rank=rank,
                                  review_cadence_days=cadence, next_review_on=added_at.date(),
                                  status=RegisterStatus.ON, added_at=added_at)
            entries.append(entry)
            entry_history.append((entry, added_at, "+", RegisterStatus.ON, None))
            if removed:
                removals.append((entry, removed_at))
            else:
                levels[subject.id] = (level, added_at)
            review_due = added_at.date() + dt.timedelta(days=cadence)
            until: dt.date = removed_at.date() if removed else today
            while review_due <= until:
                late = rng.random() < 0.25
                on = review_due + dt.timedelta(days=rng.randrange(1, 20) if late else -rng.randrange(0, 5))
                if on > until:
                    break
                reviews.append((entry, key.id, on, on + dt.timedelta(days=cadence)))
                review_due = on + dt.timedelta(days=cadence)
            entry.next_review_on = review_due
    for n in range(6):
        key = _key(rng)
        data_keys.append(key)
        places.append(Place(id=_uuid(rng), reference=_ref(rng, "P"), data_key_id=key.id,
                            name=f"Migrated place {n + 1}", kind=rng.choice([PlaceKind.ESTATE, PlaceKind.PARK,
                                                                             PlaceKind.SHOP]), borough=borough))
    for place in places:
        for subject in rng.sample(subjects, rng.randrange(2, 5)):
            links.append(Link(id=_uuid(rng), reference=_ref(rng, "L"), subject=subject, place=place,
                              link_type=LinkType.FREQUENTS, borough=borough,
                              source_agency=agencies[AgencyKind.MASH], first_seen=today - dt.timedelta(days=60),
                              last_seen=today - dt.timedelta(days=10), expires_on=today + dt.timedelta(days=170),
                              status=LinkStatus.CONFIRMED, suggested_by=user, confirmed_by=user,
                              confirmed_at=timezone.now(), data_key_id=subject.data_key_id))
    DataKey.objects.bulk_create(data_keys)
    Subject._base_manager.bulk_create(subjects)
    Concern._base_manager.bulk_create(concerns)
    through.objects.bulk_create(signs)
    Referral._base_manager.bulk_create(referrals)
    ReferralPathway._base_manager.bulk_create(pathways)
    StrategyDiscussion._base_manager.bulk_create(discussions)
    StrategyDiscussion.agencies.through.objects.bulk_create([
        StrategyDiscussion.agencies.through(strategydiscussion_id=d.id,
                                            agency_id=agencies[AgencyKind.CHILDRENS_SOCIAL_CARE].pk)
        for d in discussions])
    Outcome._base_manager.bulk_create(outcomes)
    SubjectRisk._base_manager.bulk_create(_risks(subjects, levels, today))
    RegisterEntry._base_manager.bulk_create(entries)
    history_model.objects.bulk_create([
        history_model(id=entry.pk, subject_id=entry.subject_id, borough_id=entry.borough_id, level=entry.level,
                      level_rank=entry.level_rank, review_cadence_days=entry.review_cadence_days,
                      next_review_on=entry.next_review_on, status=status, added_at=entry.added_at,
                      removed_at=removed_at, history_date=when, history_type=kind, history_user=user)
        for entry, when, kind, status, removed_at in entry_history])
    RegisterReview._base_manager.bulk_create([
        RegisterReview(id=_uuid(rng), entry=entry, data_key_id=key_id, reviewed_by=user, outcome="continue",
                       reviewed_at=_at(on, 11), next_review_on=next_on)
        for entry, key_id, on, next_on in reviews])
    for entry, removed_at in removals:
        entry.status, entry.removed_at = RegisterStatus.REMOVED, removed_at
        entry.removal_reason_code = rng.choices([code for code, _w in EXIT_REASONS], [w for _c, w in EXIT_REASONS])[0]
        entry.removal_reason = "Migrated record: no longer at risk."
        entry._history_user = user  # type: ignore[attr-defined]  # simple-history's author of the row
        entry.save(update_fields=["status", "removed_at", "removal_reason", "removal_reason_code"])
    Place._base_manager.bulk_create(places)
    Link._base_manager.bulk_create(links)
    return len(subjects)


def _risks(subjects: list[Subject], levels: dict[Any, tuple[str, dt.datetime]], today: dt.date) -> list[SubjectRisk]:
    """Every girl's current risk, as the register shows it (a register entry with no risk behind it breaks the
    register's pages and its invariants): at her entry's level while she is on it, low otherwise. Scores sit
    at the active model's threshold for the level; the nightly rescore re-assesses them from their concerns
    once due (in a quarter, so the demo's picture holds meanwhile)."""
    model = ScoringModel.objects.active()
    thresholds = model.config["thresholds"]
    return [SubjectRisk(subject=subject, score=float(thresholds[levels[subject.id][0]]), level=levels[subject.id][0],
                        level_rank=LEVEL_RANK[levels[subject.id][0]], previous_level="none",
                        level_changed_at=levels[subject.id][1], model_version=model.version,
                        assessed_at=levels[subject.id][1], rescore_due_on=today + dt.timedelta(days=91))
            for subject in subjects]
