"""A deterministic, synthetic, plainly fictional London at a chosen scale, loaded set-based.

Every borough gets a MASH, schools, a GP practice, police and children's social care with one user
each; subjects (about 3 concerns each, from several agencies) are spread across all 33 local
authorities; the access trail gets ``events`` events on per-borough chains with valid hashes. Rows go
in with ``bulk_create`` in batches (encryption still happens per value, in ``pre_save``); no request or
service call per row. Names are drawn from an obviously invented list.
"""

from __future__ import annotations

import datetime as dt
import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from agencies import services as agency_services
from agencies.choices import AgencyKind, RoleCode
from agencies.models import Agency, Borough
from audit import chain as audit_chain
from audit.choices import Action, Outcome
from audit.models import AccessEvent
from encryption import keys
from encryption.blind_index import blind_index
from encryption.models import BlindIndex, DataKey
from referrals.intake import EXACT, SubjectDetails, retention_date_for
from referrals.models import Concern, Subject
from risk.models import Indicator

User = get_user_model()
BATCH = 1000
GIVEN = ["Testa", "Demoya", "Samplia", "Fictiona", "Exempla", "Mockeya", "Placea", "Imagina", "Inventa", "Proxia"]
FAMILY = ["Benchmark", "Syntheson", "Dataworth", "Loadington", "Fakeham", "Mockley", "Stubbs", "Dummet"]
KINDS_PER_BOROUGH = [AgencyKind.MASH, AgencyKind.SCHOOL, AgencyKind.SCHOOL, AgencyKind.GP_PRACTICE,
                     AgencyKind.POLICE, AgencyKind.CHILDRENS_SOCIAL_CARE, AgencyKind.SCHOOL_NURSING]


@dataclass
class Dataset:
    """What was loaded, for the harness to pick its probes from."""

    subjects: int = 0
    concerns: int = 0
    events: int = 0
    seconds: float = 0.0
    practitioners: list[Any] = field(default_factory=list)  # (user, agency) pairs
    mash_leads: dict[int, Any] = field(default_factory=dict)  # borough id -> user
    auditor: Any = None
    sample_subjects: list[str] = field(default_factory=list)
    links: int = 0
    hub_subject: Any = None
    referrals: dict[str, int] = field(default_factory=dict)  # state -> how many


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


_ISSUED: set[str] = set()


def _reference(rng: random.Random, prefix: str) -> str:
    """A reference not issued before in this load: at full scale (300,000 concerns, 150,000 links) 40
    random bits meet a duplicate every few dozen runs (the birthday bound), which a unique constraint
    refuses after minutes of loading."""
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    while True:
        body = "".join(rng.choice(alphabet) for _ in range(8))
        reference = f"{prefix}-{body[:4]}-{body[4:]}"
        if reference not in _ISSUED:
            _ISSUED.add(reference)
            return reference


def _people(rng: random.Random, ds: Dataset) -> dict[int, list[tuple[Any, Agency]]]:
    by_borough: dict[int, list[tuple[Any, Agency]]] = {}
    governance = agency_services.do_create_agency(
        name="Bench Information Governance", kind=AgencyKind.GOVERNANCE,
        borough=Borough.objects.get(ons_code="E09000001"), actor=None)
    ds.auditor = agency_services.do_create_user(username="bench.auditor", password=None, agency=governance,
                                                roles=[RoleCode.AUDITOR], actor=None)
    for borough in Borough.objects.order_by("ons_code"):
        for n, kind in enumerate(KINDS_PER_BOROUGH):
            agency = agency_services.do_create_agency(name=f"Bench {borough.name} {kind} {n}", kind=kind,
                                                      borough=borough, actor=None)
            role = RoleCode.MASH_LEAD if kind == AgencyKind.MASH else RoleCode.PRACTITIONER
            user = agency_services.do_create_user(username=f"bench.{borough.slug}.{n}", password=None,
                                                  agency=agency, roles=[role], actor=None)
            if kind == AgencyKind.MASH:
                ds.mash_leads[borough.pk] = user
            else:
                by_borough.setdefault(borough.pk, []).append((user, agency))
                ds.practitioners.append((user, agency))
    return by_borough


def generate(subjects: int = 100_000, events: int = 2_000_000, seed: int = 20261127,
             on_tenth: Any = None) -> Dataset:
    """Load the dataset into the (empty, migrated) current database.

    ``on_tenth(ds)``, when given, is called once a tenth of the subjects (with their risk and register
    rows) are in, so the harness can measure the same page at a tenth of the scale.
    """
    rng = random.Random(seed)
    ds = Dataset()
    started = time.perf_counter()
    with transaction.atomic():
        by_borough = _people(rng, ds)
    tenth = max(1, subjects // 10)
    _subjects(rng, ds, by_borough, tenth)
    if on_tenth is not None:
        loaded = time.perf_counter()
        on_tenth(ds)
        started += time.perf_counter() - loaded  # measuring is not loading
    rest = _subjects(rng, ds, by_borough, subjects - tenth, with_risk=False)
    _map(rng, ds, subjects)
    _referrals(rng, ds, subjects)
    # The rest are scored after the map is in, so their stored risk already counts their links.
    for start in range(0, len(rest), BATCH):
        with transaction.atomic():
            _risk_rows(rest[start:start + BATCH], timezone.now(), timezone.localdate())
    ds.events = _load_trail(rng, events, list(Borough.objects.order_by("ons_code")), ds)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    ds.seconds = time.perf_counter() - started
    return ds


def _subjects(rng: random.Random, ds: Dataset, by_borough: dict[int, list[tuple[Any, Agency]]], count: int,
              with_risk: bool = True) -> list[Subject]:
    boroughs = list(Borough.objects.order_by("ons_code"))
    indicators = list(Indicator.objects.current())
    through = Concern.indicators.through
    today = timezone.localdate()
    now = timezone.now()
    made: list[Subject] = []
    for start in range(0, count, BATCH):
        size = min(BATCH, count - start)
        data_keys, people, blind, concerns, links = [], [], [], [], []
        for _ in range(size):
            key_id = _uuid(rng)
            raw = keys.new_raw_key()
            kek_id, wrapped = keys.wrap_key(key_id, raw)
            keys.remember_raw_key(key_id, raw)
            data_keys.append(DataKey(id=key_id, kek_id=kek_id, wrapped_key=wrapped))
            borough = boroughs[rng.randrange(len(boroughs))]
            given, family = rng.choice(GIVEN), f"{rng.choice(FAMILY)}{rng.randrange(10_000)}"
            dob = today - dt.timedelta(days=rng.randrange(10 * 365, 18 * 365))
            subject = Subject(
                id=_uuid(rng), reference=_reference(rng, "S"), data_key_id=key_id, given_name=given,
                family_name=family, date_of_birth=dob, home_borough=borough,
                retention_date=retention_date_for(SubjectDetails(given, family, dob)),
                created_at=now - dt.timedelta(days=rng.randrange(0, 7 * 365)),
            )
            people.append(subject)
            blind.append(BlindIndex(data_key_id=key_id, kind=EXACT,
                                    digest=blind_index(EXACT, given, family, dob.isoformat())))
            recorders = by_borough[borough.pk]
            for _c in range(rng.choice([1, 2, 3, 3, 4, 5])):
                user, agency = recorders[rng.randrange(len(recorders))]
                observed = today - dt.timedelta(days=rng.randrange(0, 2 * 365))
                concern = Concern(
                    id=_uuid(rng), reference=_reference(rng, "C"), subject=subject, agency=agency,
                    recorded_by=user, observed_on=observed, narrative="Synthetic benchmark narrative. " * 8,
                    seriously_worried=rng.random() < 0.05, idempotency_key=_uuid(rng),
                    recorded_at=timezone.make_aware(dt.datetime.combine(observed, dt.time(12))),
                )
                concerns.append(concern)
                for indicator in rng.sample(indicators, rng.randrange(1, 4)):
                    links.append(through(concern_id=concern.id, indicator_id=indicator.pk))
        with transaction.atomic():
            DataKey.objects.bulk_create(data_keys)
            Subject.objects.bulk_create(people)
            BlindIndex.objects.bulk_create(blind)
            Concern.objects.bulk_create(concerns)
            through.objects.bulk_create(links)
            if with_risk:
                _risk_rows(people, now, today)
            else:
                made.extend(people)
        ds.subjects += size
        ds.concerns += len(concerns)
        if len(ds.sample_subjects) < 200:
            ds.sample_subjects.extend(s.reference for s in people[:20])
    return made


def _risk_rows(people: list[Subject], now: dt.datetime, today: dt.date) -> None:
    """Assessments, current risk and register entries for a batch, scored by the real engine, set-based."""
    from risk import queries as risk_queries
    from risk.models import Assessment, RegisterEntry, ScoringModel, SubjectRisk
    from risk.scoring import assess
    from risk.services.assessment import map_facts_for, next_due_on
    from risk.services.register import cadence_for

    model = ScoringModel.objects.active()
    facts = risk_queries.load_facts([s.pk for s in people])
    until: dict[Any, dt.date] = {}
    map_facts = map_facts_for([s.pk for s in people], model.config, now, until)
    threshold = model.config.get("register_threshold", "medium")
    from risk.scoring import LEVEL_RANK

    assessments, risks, entries = [], [], []
    for subject in people:
        result = assess(facts[subject.pk], model.config, now, map_facts.get(subject.pk, ()))
        assessments.append(Assessment(subject=subject, assessed_at=now, score=result.score, level=result.level,
                                      model_version=model.version, reason="rescore",
                                      explanation=result.explanation))
        due = next_due_on(facts[subject.pk], model.config, now.date(), map_facts.get(subject.pk, ()),
                          until.get(subject.pk), result.score, result.level)
        risks.append(SubjectRisk(subject=subject, score=result.score, level=result.level, level_rank=result.rank,
                                 previous_level="none", level_changed_at=now, model_version=model.version,
                                 assessed_at=now, rescore_due_on=due))
        if LEVEL_RANK[result.level] >= LEVEL_RANK[threshold]:
            cadence = cadence_for(result.level, model.config)
            entries.append(RegisterEntry(subject=subject, borough_id=subject.home_borough_id, level=result.level,
                                         level_rank=result.rank, review_cadence_days=cadence,
                                         next_review_on=today + dt.timedelta(days=cadence), added_at=now))
    Assessment.objects.bulk_create(assessments)
    SubjectRisk.objects.bulk_create(risks)
    RegisterEntry.objects.bulk_create(entries)


def _map(rng: random.Random, ds: Dataset, subjects: int) -> None:
    """Associates (own data keys), places and groups with confirmed links: about one associate per ten
    subjects and one place per fifty, each subject linked to up to three of them in her borough, plus
    one hub associate linked to 200 girls (far over the fan-out cap)."""
    from risk.map.models import Associate, AssociateRole, Link, LinkStatus, LinkType, Place, PlaceKind

    today = timezone.localdate()
    by_borough: dict[int, list[Any]] = {}
    for pk, borough_id in Subject.objects.values_list("pk", "home_borough_id"):
        by_borough.setdefault(borough_id, []).append(pk)
    links: list[Link] = []
    sources = {agency.borough_id: agency for _user, agency in ds.practitioners}
    hub = None
    for borough_id, subject_ids in sorted(by_borough.items()):
        mash = ds.mash_leads[borough_id]
        data_keys, associates, places = [], [], []
        for _ in range(max(1, len(subject_ids) // 10)):
            key_id = _uuid(rng)
            raw = keys.new_raw_key()
            kek_id, wrapped = keys.wrap_key(key_id, raw)
            keys.remember_raw_key(key_id, raw)
            data_keys.append(DataKey(id=key_id, kek_id=kek_id, wrapped_key=wrapped))
            associates.append(Associate(id=_uuid(rng), reference=_reference(rng, "A"), data_key_id=key_id,
                                        name=f"Associate {rng.randrange(10**6)}", borough_id=borough_id,
                                        role=rng.choice([AssociateRole.FRIEND, AssociateRole.PEER_AT_RISK,
                                                         AssociateRole.OLDER_ASSOCIATE])))
        for _ in range(max(1, len(subject_ids) // 50)):
            key_id = _uuid(rng)  # a place's name is encrypted under its own data key
            raw = keys.new_raw_key()
            kek_id, wrapped = keys.wrap_key(key_id, raw)
            keys.remember_raw_key(key_id, raw)
            data_keys.append(DataKey(id=key_id, kek_id=kek_id, wrapped_key=wrapped))
            places.append(Place(id=_uuid(rng), reference=_reference(rng, "P"), data_key_id=key_id,
                                name="Bench estate", kind=PlaceKind.ESTATE, borough_id=borough_id))
        if hub is None:
            hub = associates[0]
        nodes = [("associate", a) for a in associates] + [("place", p) for p in places]

        def link(subject_id: Any, kind: str, node: Any, borough_id: int = borough_id, mash: Any = mash) -> Link:
            return Link(id=_uuid(rng), reference=_reference(rng, "L"), subject_id=subject_id, **{kind: node},
                        link_type=LinkType.ASSOCIATES_WITH if kind == "associate" else LinkType.FREQUENTS,
                        borough_id=borough_id, source_agency=sources[borough_id], first_seen=today,
                        last_seen=today, expires_on=today + dt.timedelta(days=365),
                        status=LinkStatus.CONFIRMED, suggested_by=mash, confirmed_by=mash)

        for subject_id in subject_ids:
            for kind, node in rng.sample(nodes, min(len(nodes), rng.randrange(0, 4))):
                links.append(link(subject_id, kind, node))
        if hub is associates[0]:
            links.extend(link(subject_id, "associate", hub) for subject_id in subject_ids[:200])
            ds.hub_subject = subject_ids[0]
        with transaction.atomic():
            DataKey.objects.bulk_create(data_keys)
            Associate.objects.bulk_create(associates)
            Place.objects.bulk_create(places)
    for start in range(0, len(links), BATCH * 5):
        Link.objects.bulk_create(links[start:start + BATCH * 5])
    ds.links = len(links)


# Final state -> (share of referrals, the states it passed through after "submitted", decision).
REFERRAL_PATHS: dict[str, tuple[float, tuple[str, ...], str]] = {
    "submitted": (0.10, (), ""),
    "screening": (0.10, ("screening",), ""),
    "decided": (0.15, ("screening", "decided"), "routed"),
    "accepted": (0.25, ("screening", "decided", "accepted"), "routed"),
    "declined": (0.05, ("screening", "decided", "declined"), "routed"),
    "closed": (0.30, ("screening", "decided", "closed"), "nfa"),
    "withdrawn": (0.05, ("withdrawn",), ""),
}


def _referrals(rng: random.Random, ds: Dataset, subjects: int) -> None:
    """Referrals of about one subject in seven, in every state of the workflow with its transitions,
    consistent with ``referrals.routing`` (deadlines, decisions, the receiving service), set-based."""
    from referrals.choices import ConsentPosition, LegalBasis, Pathway
    from referrals.models import Referral, ReferralTransition
    from referrals.workdays import add_working_days, working_deadline

    mash_agency = {a.borough_id: a for a in Agency.objects.filter(kind=AgencyKind.MASH)}
    by_borough: dict[int, list[tuple[Any, Agency]]] = {}
    for user, agency in ds.practitioners:
        by_borough.setdefault(agency.borough_id, []).append((user, agency))
    csc = {b: next(p for p in people if p[1].kind == AgencyKind.CHILDRENS_SOCIAL_CARE)
           for b, people in by_borough.items()}
    states = list(REFERRAL_PATHS)
    weights = [REFERRAL_PATHS[state][0] for state in states]
    chosen = Subject.objects.only("id", "data_key_id", "home_borough_id").order_by("reference")[
        : max(7, subjects // 7)]
    now = timezone.now()
    referrals, transitions = [], []
    for subject in chosen.iterator(chunk_size=2000):
        state = rng.choices(states, weights)[0]
        _share, path, decision = REFERRAL_PATHS[state]
        borough = subject.home_borough_id
        referrer, from_agency = rng.choice([p for p in by_borough[borough]
                                            if p[1].kind != AgencyKind.CHILDRENS_SOCIAL_CARE])
        worker, receiving = csc[borough]
        mash_user = ds.mash_leads[borough]
        received = now - dt.timedelta(days=rng.randrange(0, 365), minutes=rng.randrange(0, 600))
        automatic = rng.random() < 0.2
        referral = Referral(
            id=_uuid(rng), reference=_reference(rng, "R"), subject=subject, borough_id=borough,
            from_agency=mash_agency[borough] if automatic else from_agency,
            referred_by=None if automatic else referrer, to_agency=mash_agency[borough], automatic=automatic,
            summary=None if automatic else "Synthetic benchmark referral summary.",
            legal_basis=LegalBasis.SAFEGUARDING, consent=ConsentPosition.NOT_SOUGHT_RISK,
            state=state, decision=decision, received_at=received,
            decision_due_at=working_deadline(received, 1), version=len(path) + 1,
        )
        at = received
        moves = [("", "submitted", None if automatic else referrer, received)]
        previous = "submitted"
        for step in path:
            at += dt.timedelta(hours=rng.randrange(1, 30))
            actor = worker if step in ("accepted", "declined") else (
                referrer if step == "withdrawn" else mash_user)
            moves.append((previous, step, actor, at))
            previous = step
            if step == "decided":
                referral.decided_at = at
                if decision == "routed":
                    referral.pathway, referral.receiving_agency = Pathway.CSC_ASSESSMENT, receiving
            elif step in ("accepted", "declined"):
                referral.responded_at = at
                if step == "accepted":
                    referral.assessment_due_on = add_working_days(at.date(), 45)
            elif step in ("closed", "withdrawn"):
                referral.closed_at = at
        referrals.append(referral)
        for from_state, to_state, actor, moved_at in moves:
            transitions.append(ReferralTransition(id=_uuid(rng), referral=referral, from_state=from_state,
                                                  to_state=to_state, actor=actor, at=moved_at))
        ds.referrals[state] = ds.referrals.get(state, 0) + 1
    for start in range(0, len(referrals), BATCH * 5):
        with transaction.atomic():
            Referral.objects.bulk_create(referrals[start:start + BATCH * 5])
    for start in range(0, len(transitions), BATCH * 5):
        ReferralTransition.objects.bulk_create(transitions[start:start + BATCH * 5])


def _load_trail(rng: random.Random, events: int, boroughs: list[Borough], ds: Dataset) -> int:
    """Valid per-borough chains: hashes computed here exactly as ``audit.chain.append`` does."""
    # Chains already hold the events written while the agencies and users were set up.
    heads: dict[str, tuple[int, str]] = {}
    # chain_names(): the model's default ordering (-id) would turn a .distinct() into one row per event.
    for chain_key in audit_chain.chain_names():
        last = AccessEvent.objects.filter(chain=chain_key).order_by("-sequence").values_list("sequence", "hash")[0]
        heads[chain_key] = (last[0], last[1])
    users = [user for user, _agency in ds.practitioners]
    references = list(Subject.objects.values_list("reference", flat=True)[:50_000]) or ["S-0000-0000"]
    start_time = timezone.now() - dt.timedelta(days=365)
    step = dt.timedelta(days=365) / max(events, 1)
    if connection.vendor == "postgresql":  # the year's monthly partitions, as the scheduled job keeps them
        from audit import partitions

        with connection.cursor() as cursor:
            partitions.ensure_months(cursor, start_time.date(), timezone.now().date())
    actions = [Action.VIEW] * 8 + [Action.LIST, Action.CREATE, Action.SEARCH]
    written = 0
    while written < events:
        batch = []
        for n in range(min(5_000, events - written)):
            borough = boroughs[rng.randrange(len(boroughs))]
            user = users[rng.randrange(len(users))]
            event = AccessEvent(
                occurred_at=(start_time + step * (written + n)).astimezone(dt.UTC), actor_id=user.pk,
                actor_username=user.username, actor_agency_id=None, actor_roles="practitioner",
                action=rng.choice(actions), object_type="subject", reference=rng.choice(references),
                borough_code=borough.ons_code, outcome=Outcome.ALLOWED, purpose="", detail={},
                request_id=uuid.UUID(int=rng.getrandbits(128)).hex, client_address="10.0.0.1",
                chain=borough.ons_code,
            )
            sequence, previous = heads.get(event.chain, (0, audit_chain.GENESIS_HASH))
            event.sequence, event.prev_hash = sequence + 1, previous
            event.hash = audit_chain.compute_hash(event)
            heads[event.chain] = (event.sequence, event.hash)
            batch.append(event)
        AccessEvent.objects.bulk_create(batch)
        written += len(batch)
    return written
