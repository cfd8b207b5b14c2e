"""The association map: services, two-hop and context queries on hand-built graphs, scoring facts,
erasure, the canary, and the graph page under the CSP."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from audit.models import AccessEvent
from encryption import ERASED
from risk.map import queries as map_queries
from risk.map.models import Associate, AssociateRole, Group, GroupKind, Link, LinkStatus, LinkType, Place, PlaceKind
from risk.map.services import do_add_link, do_confirm_link, do_erase_unlinked_associates, do_remove_link
from tests.audit_helpers import assert_audit, audit_checkpoint
from tests.cases import build_cases
from tests.database_scan import all_sqlite_bytes, postgresql_columns_containing, postgresql_stored_columns
from tests.factories import new_concern
from tests.risk.map_cases import CANARY_ASSOCIATE, link, new_associate

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases(world):
    return build_cases(world)


def _lambeth_girls(world, cases, n=2):
    girls = [cases.subjects["lambeth_school"], cases.subjects["lambeth_gp"]]
    for i in range(n - 2):
        girls.append(new_concern(world, "teacher_lambeth", given=f"Extra{i}", family="Graphcase",
                            dob=dt.date(2011, 1, 1 + i), borough="Lambeth").subject)
    return girls


# --- services -------------------------------------------------------------------------------------

def test_mash_lead_adds_a_confirmed_link_and_a_new_associate_under_its_own_key(world, cases):
    subject = cases.subjects["lambeth_school"]
    created = link(world, "mash_lambeth", subject, new_associate("Secret Name"))
    assert created.status == LinkStatus.CONFIRMED
    associate = created.associate
    assert associate.reference.startswith("A-") and associate.data_key_id != subject.data_key_id
    assert Associate.objects.get(pk=associate.pk).name == "Secret Name"
    assert_audit("create", actor=world.user("mash_lambeth"), object_type="map_link", reference=created.reference)


def test_practitioner_suggests_mash_lead_confirms(world, cases):
    subject = cases.subjects["lambeth_school"]
    suggestion = link(world, "teacher_lambeth", subject, Place(name="Test Chicken Shop", kind=PlaceKind.SHOP))
    assert suggestion.status == LinkStatus.PENDING
    assert_audit("create", actor=world.user("teacher_lambeth"), object_type="map_link",
                 reference=suggestion.reference)
    # The practitioner sees only what they suggested; the GP sees nothing of it.
    assert list(Link.objects.restrict(world.user("teacher_lambeth"))) == [suggestion]
    assert not Link.objects.restrict(world.user("gp_lambeth")).exists()
    with pytest.raises(PermissionDenied):
        do_confirm_link(suggestion, actor=world.user("teacher_lambeth"))
    with pytest.raises(PermissionDenied):
        do_confirm_link(suggestion, actor=world.user("mash_southwark"))
    confirmed = do_confirm_link(suggestion, actor=world.user("mash_lambeth"))
    assert confirmed.status == LinkStatus.CONFIRMED
    assert_audit("decide", actor=world.user("mash_lambeth"), object_type="map_link", reference=suggestion.reference)


def test_receiving_worker_is_read_only_and_strangers_cannot_link(world, cases):
    shared = cases.subjects["shared"]
    with pytest.raises(PermissionDenied):
        link(world, "csc_lambeth", shared, new_associate())
    with pytest.raises(PermissionDenied):
        link(world, "teacher_lambeth", cases.subjects["southwark_school"], new_associate())
    assert not Associate.objects.exists()


def test_bad_link_input_writes_nothing(world, cases):
    subject = cases.subjects["lambeth_school"]
    future = timezone.localdate() + dt.timedelta(days=2)
    with pytest.raises(ValidationError):
        do_add_link(ends=(subject, new_associate()), link_type=LinkType.ASSOCIATES_WITH, first_seen=future,
                    actor=world.user("mash_lambeth"))
    with pytest.raises(ValidationError):
        do_add_link(ends=(subject, subject), link_type=LinkType.ASSOCIATES_WITH,
                    first_seen=timezone.localdate(), actor=world.user("mash_lambeth"))
    assert not Link.objects.exists() and not Associate.objects.exists()


def test_removal_is_recorded_not_deleted(world, cases):
    created = link(world, "mash_lambeth", cases.subjects["lambeth_school"], new_associate())
    with pytest.raises(ValidationError):
        do_remove_link(created, reason=" ", actor=world.user("mash_lambeth"))
    with pytest.raises(PermissionDenied):
        do_remove_link(created, reason="Not her", actor=world.user("teacher_lambeth"))
    removed = do_remove_link(created, reason="Mistaken identity", actor=world.user("mash_lambeth"))
    assert removed.status == LinkStatus.REMOVED and removed.removed_by == world.user("mash_lambeth")
    assert Link.objects.filter(pk=created.pk).exists()
    assert removed.history.first().removal_reason == "Mistaken identity"
    assert_audit("revoke", actor=world.user("mash_lambeth"), object_type="map_link", reference=created.reference)


def test_practitioner_withdraws_own_suggestion(world, cases):
    suggestion = link(world, "teacher_lambeth", cases.subjects["lambeth_school"], new_associate())
    do_remove_link(suggestion, reason="Entered by mistake", actor=world.user("teacher_lambeth"))
    assert Link.objects.get(pk=suggestion.pk).status == LinkStatus.REMOVED


# --- queries on hand-built graphs --------------------------------------------------------------------

def _triangle(world, cases):
    """S1—A, S1—P, A—P (a cycle), S2—A, P—G."""
    s1, s2 = _lambeth_girls(world, cases)
    a = link(world, "mash_lambeth", s1, new_associate("Older One")).associate
    p = link(world, "mash_lambeth", s1, Place(name="Test Estate", kind=PlaceKind.ESTATE), LinkType.FREQUENTS).place
    link(world, "mash_lambeth", a, p, LinkType.FREQUENTS)
    link(world, "mash_lambeth", s2, a)
    g = link(world, "mash_lambeth", p, Group(name="Test Crew", kind=GroupKind.NAMED_GANG)).group
    return s1, s2, a, p, g


def test_two_hop_neighbourhood_handles_cycles(world, cases, django_assert_max_num_queries):
    s1, s2, a, p, g = _triangle(world, cases)
    # One statement for both hops, and one for the associates' data keys when not cached yet.
    with django_assert_max_num_queries(2):
        hood = map_queries.neighbourhood(s1, world.user("mash_lambeth"))
    keys = {(n.kind, n.reference): n.hop for n in hood.nodes.values()}
    assert keys == {("subject", s1.reference): 0, ("associate", a.reference): 1, ("place", p.reference): 1,
                    ("subject", s2.reference): 2, ("group", g.reference): 2}
    assert len(hood.edges) == 5  # S1-A, S1-P, A-P once, S2-A, P-G
    assert len({edge.link.pk for edge in hood.edges}) == 5


def test_two_hop_hides_young_people_the_viewer_may_not_see(world, cases):
    s1, s2, a, p, g = _triangle(world, cases)
    # The Lambeth DSL may not link to A (not visible to them), and sees only their own suggestion.
    with pytest.raises(PermissionDenied):
        link(world, "dsl_lambeth", s1, a)
    own = link(world, "dsl_lambeth", s1, new_associate("Seen By School"))
    hood = map_queries.neighbourhood(s1, world.user("dsl_lambeth"))
    assert {n.reference for n in hood.nodes.values()} == {s1.reference, own.associate.reference}
    # Another borough's MASH lead cannot link to a person they cannot see.
    with pytest.raises(PermissionDenied):
        link(world, "mash_southwark", cases.subjects["southwark_school"], a)
    # The MASH lead of another borough sees no links at all.
    assert map_queries.neighbourhood(s1, world.user("mash_southwark")).edges == []


def test_hubs_over_the_fan_out_cap_are_capped(world, cases, django_assert_max_num_queries):
    girls = _lambeth_girls(world, cases, n=6)
    hub = link(world, "mash_lambeth", girls[0], new_associate("Hub")).associate
    for girl in girls[1:]:
        link(world, "mash_lambeth", girl, hub)
    with django_assert_max_num_queries(3):
        hood = map_queries.neighbourhood(girls[0], world.user("mash_lambeth"), cap=2)
    hub_node = hood.nodes[f"associate:{hub.pk}"]
    assert hub_node.more == 3  # five further links from the hub, two drawn
    assert len(hood.edges) == 3  # girl0-hub, then two of the other four
    assert len(hood.nodes) == 4


def test_contexts_of_concern(world, cases, django_assert_max_num_queries):
    s1, s2, a, p, g = _triangle(world, cases)
    mash = world.user("mash_lambeth")
    with django_assert_max_num_queries(10):
        found = map_queries.contexts_of_concern(mash)
    assert [(c.kind, c.node.reference, {s.reference for s in c.subjects}) for c in found] == [
        ("associate", a.reference, {s1.reference, s2.reference})]
    assert set(found[0].levels.values()) <= {"Not assessed"} or found[0].levels
    assert found[0].agencies == ["Lambeth Test MASH"]
    assert map_queries.contexts_of_concern(mash, threshold=3) == []
    assert map_queries.contexts_of_concern(world.user("mash_southwark")) == []
    # Removing one of the two links ends the context.
    do_remove_link(Link.objects.get(subject=s2, associate=a), reason="Not the same person", actor=mash)
    assert map_queries.contexts_of_concern(mash) == []


def test_expired_and_pending_links_do_not_count(world, cases):
    s1, s2 = _lambeth_girls(world, cases)
    suggestion = link(world, "gp_lambeth", s2, Place(name="Test Hotel", kind=PlaceKind.HOTEL))
    p = suggestion.place
    old = link(world, "mash_lambeth", s1, p, days_ago=400)
    assert old.expires_on < timezone.localdate()
    mash = world.user("mash_lambeth")
    assert map_queries.contexts_of_concern(mash) == []  # one pending, one expired: nothing counts
    link(world, "mash_lambeth", s1, p)
    assert map_queries.contexts_of_concern(mash) == []  # still only one girl with a counting link
    do_confirm_link(suggestion, actor=mash)
    assert [c.node.reference for c in map_queries.contexts_of_concern(mash)] == [p.reference]


def test_context_factors_for_scoring(world, cases, django_assert_max_num_queries):
    s1, s2, a, p, g = _triangle(world, cases)
    lonely = cases.subjects["southwark_school"]
    with django_assert_max_num_queries(3):
        facts = map_queries.context_factors([s1.pk, s2.pk, lonely.pk])
    kinds = sorted((f["kind"], f["node"]) for f in facts[s1.pk])
    assert kinds == [("associate_of_concern", a.reference), ("context_of_concern", a.reference)]
    assert facts[s1.pk][0]["subjects"] == 2 and facts[s1.pk][0]["since"] <= timezone.localdate()
    assert facts[lonely.pk] == []
    # A friend is not "of concern"; a place linked to one girl is not a context.
    assert all(f["node"] != p.reference for f in facts[s1.pk])
    do_remove_link(Link.objects.get(subject=s2, associate=a), reason="Closed", actor=world.user("mash_lambeth"))
    facts = map_queries.context_factors([s1.pk, s2.pk])
    assert [f["kind"] for f in facts[s1.pk]] == ["associate_of_concern"]
    assert facts[s2.pk] == []


# --- erasure ----------------------------------------------------------------------------------------

@override_settings(MAP_ASSOCIATE_RETENTION_DAYS=30)
def test_associates_no_longer_linked_past_retention_are_crypto_shredded(world, cases):
    mash = world.user("mash_lambeth")
    gone = link(world, "mash_lambeth", cases.subjects["lambeth_school"], new_associate("Gone Person"))
    kept = link(world, "mash_lambeth", cases.subjects["lambeth_gp"], new_associate("Kept Person"))
    do_remove_link(gone, reason="Closed", actor=mash)
    assert do_erase_unlinked_associates(today=timezone.localdate()) == 0  # removed today: within retention
    audit_checkpoint()
    later = timezone.localdate() + dt.timedelta(days=31)
    assert do_erase_unlinked_associates(today=later) == 1
    assert_audit("erase", object_type="associate")
    assert Associate.objects.get(pk=gone.associate_id).name == ERASED
    assert Associate.objects.get(pk=gone.associate_id).erased_at is not None
    assert Associate.objects.get(pk=kept.associate_id).name == "Kept Person"
    call_command("erase_unlinked_associates")  # the command runs the same service


# --- canary and audit -------------------------------------------------------------------------------

def _write_canary(world, cases):
    created = link(world, "mash_lambeth", cases.subjects["lambeth_school"], new_associate(CANARY_ASSOCIATE))
    associate = Associate.objects.get(pk=created.associate_id)
    associate.description = f"alias {CANARY_ASSOCIATE}"
    associate._history_user = world.user("mash_lambeth")
    associate.save()
    return created


def test_no_associate_name_in_any_access_event(world, cases, client_for):
    created = _write_canary(world, cases)
    client = client_for("mash_lambeth")
    for url in (reverse("map-subject", kwargs={"reference": created.subject.reference}),
                reverse("map-associate", kwargs={"reference": created.associate.reference}),
                reverse("contexts")):
        response = client.get(url)
        assert response.status_code == 200
    page = client.get(reverse("map-associate", kwargs={"reference": created.associate.reference}))
    assert CANARY_ASSOCIATE in page.content.decode()  # positive control: the page does show it
    for event in AccessEvent.objects.all():
        text = f"{event.reference} {event.purpose} {event.detail} {event.object_type}"
        assert CANARY_ASSOCIATE not in text


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite file scan")
def test_canary_associate_is_nowhere_in_the_sqlite_file(world, tmp_path):
    created = _write_canary(world, build_cases(world))
    data = all_sqlite_bytes(tmp_path)
    assert created.reference.encode() in data  # positive control
    for needle in (CANARY_ASSOCIATE.encode(), CANARY_ASSOCIATE.lower().encode(), CANARY_ASSOCIATE.encode("utf-16-le")):
        assert needle not in data


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL column scan")
def test_canary_associate_is_nowhere_in_any_postgresql_column(world):
    created = _write_canary(world, build_cases(world))
    assert {"risk_associate", "risk_historicalassociate"} <= {t for t, _, _ in postgresql_stored_columns()}
    assert postgresql_columns_containing(CANARY_ASSOCIATE) == []
    assert postgresql_columns_containing(created.reference)  # positive control


# --- pages ------------------------------------------------------------------------------------------

def test_graph_page_has_no_inline_script_or_style_and_the_list_carries_the_same_links(world, cases, client_for):
    s1, s2, a, p, g = _triangle(world, cases)
    response = client_for("mash_lambeth").get(reverse("map-subject", kwargs={"reference": s1.reference}))
    assert response.status_code == 200
    html = response.content.decode()
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp
    assert not re.search(r"<[^>]+\sstyle=", html) and "<style" not in html
    assert not re.search(r"\son[a-z]+=", html)
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag or "nonce=" in tag or 'type="application/json"' in tag, tag
    assert 'id="map-data" type="application/json"' in html
    assert "/static/vendor/cytoscape/cytoscape.min.js" in html and "/static/js/map.js" in html
    assert 'id="__________cytoscape_stylesheet"' in html  # keeps cytoscape from injecting a <style>
    assert finders.find("vendor/cytoscape/cytoscape.min.js") and finders.find("vendor/cytoscape/LICENSE")
    graph = response.context["graph"]
    table = html[html.index('data-testid="map-list"'):]
    for edge in graph["edges"]:
        assert edge["id"] in table
    for node in graph["nodes"]:
        assert node["label"] in table


def test_static_map_assets_are_served(client):
    from django.contrib.staticfiles.views import serve
    from django.test import RequestFactory
    for path in ("vendor/cytoscape/cytoscape.min.js", "js/map.js", "css/map.css"):
        response = serve(RequestFactory().get(f"/static/{path}"), path, insecure=True)
        assert response.status_code == 200


def test_link_form_adds_and_offers_record_as_subject_for_a_child_at_risk(world, cases, client_for):
    subject = cases.subjects["lambeth_school"]
    url = reverse("map-link-add", kwargs={"reference": subject.reference})
    client = client_for("mash_lambeth")
    today = timezone.localdate()
    child = {"target": "associate", "associate_name": "Young Friend", "age_band": "13_15",
             "role": AssociateRole.PEER_AT_RISK, "link_type": LinkType.ASSOCIATES_WITH, "confidence": "medium",
             "first_seen_day": today.day, "first_seen_month": today.month, "first_seen_year": today.year}
    response = client.post(url, child)
    assert response.status_code == 200 and "Record a concern about them as a young person" in response.content.decode()
    assert not Link.objects.exists()
    response = client.post(url, {**child, "record_as_associate": "on"})
    assert response.status_code == 302
    assert Link.objects.get().associate.role == AssociateRole.PEER_AT_RISK
    # An empty form: messages, nothing written.
    assert client.post(url, {}).status_code == 200
    assert Link.objects.count() == 1


def test_subject_page_links_to_the_map(world, cases, client_for):
    subject = cases.subjects["lambeth_school"]
    html = client_for("mash_lambeth").get(reverse("subject-detail", kwargs={"reference": subject.reference}))
    assert reverse("map-subject", kwargs={"reference": subject.reference}) in html.content.decode()


@override_settings(DEBUG=True)
def test_demo_map_is_idempotent(monkeypatch):
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    call_command("seed_demo")
    counts = (Associate.objects.count(), Place.objects.count(), Group.objects.count(), Link.objects.count())
    assert counts[0] >= 3 and counts[3] >= 21
    call_command("seed_demo")
    assert counts == (Associate.objects.count(), Place.objects.count(), Group.objects.count(), Link.objects.count())
    # In each demo borough, two girls share an older associate and a place, and a peer group.
    for borough in ("Lambeth", "Southwark", "Hackney"):
        shared = Link.objects.filter(borough__name=borough, subject__isnull=False).values("subject").distinct()
        assert shared.count() == 2, borough


def test_the_link_form_finds_by_name_for_the_mash_and_by_reference_for_others(world, cases, client_for):
    """Find never adds anything; a MASH lead finds a person by part of a name in her borough, a practitioner
    only by a reference they can see; nothing outside the searcher's view is offered."""
    from risk.map import queries as map_queries

    subject = cases.subjects["lambeth_school"]
    url = reverse("map-link-add", kwargs={"reference": subject.reference})
    mash = client_for("mash_lambeth")
    today = timezone.localdate()
    new = {"target": "associate", "associate_name": "Tall Findable", "age_band": "18_24",
           "role": AssociateRole.OLDER_ASSOCIATE, "link_type": LinkType.ASSOCIATES_WITH, "confidence": "medium",
           "first_seen_day": today.day, "first_seen_month": today.month, "first_seen_year": today.year}
    assert mash.post(url, new).status_code == 302
    associate = Link.objects.get().associate
    before = Link.objects.count()
    found = mash.post(url, {"action": "find", "find": "findab", "target": "existing"})
    assert found.status_code == 200 and associate.reference in found.content.decode()
    assert Link.objects.count() == before
    assert [n.reference for n in map_queries.find_nodes(world.user("mash_southwark"), "findab")] == []
    # A practitioner who did not suggest the link cannot find the person by name, nor by reference.
    assert map_queries.find_nodes(world.user("teacher_lambeth"), "Findable") == []
    assert map_queries.find_nodes(world.user("teacher_lambeth"), associate.reference) == []
    # The MASH lead finds them by reference too, and picking one links it.
    assert [n.reference for n in map_queries.find_nodes(world.user("mash_lambeth"), associate.reference.lower())] \
        == [associate.reference]
    other = cases.subjects["lambeth_gp"]
    picked = {**new, "target": "existing", "pick": associate.reference}
    assert mash.post(reverse("map-link-add", kwargs={"reference": other.reference}), picked).status_code == 302
    assert Link.objects.filter(subject=other, associate=associate).exists()


def test_the_link_form_suggests_who_her_links_are_linked_to(world, cases):
    """Two hops away, not hers yet: the place her associate frequents is suggested; her own associate is not."""
    from risk.map import queries as map_queries
    from risk.map.models import Place, PlaceKind
    from tests.risk.map_cases import link, new_associate

    her = cases.subjects["lambeth_school"]
    associate = link(world, "mash_lambeth", her, new_associate("Shared Contact")).associate
    place = link(world, "mash_lambeth", associate, Place(name="Stairwell", kind=PlaceKind.PARK),
                 LinkType.FREQUENTS).place
    suggested = {n.reference for n in map_queries.suggested_nodes(her, world.user("mash_lambeth"))}
    assert place.reference in suggested and associate.reference not in suggested
    # Southwark's MASH sees neither her nor the suggestions.
    assert map_queries.suggested_nodes(her, world.user("mash_southwark")) == []
