"""Reading the association map: a subject's neighbourhood to two hops, the subjects linked to a node,
contexts of concern, and the map facts the scoring model weighs.

Every function runs a constant number of queries whatever the size of the graph: hubs are capped in SQL
with a window function (``MAP_FANOUT_CAP``), never by fetching everything and trimming in Python.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Case, CharField, Count, Exists, F, Min, OuterRef, Q, QuerySet, Value, When, Window
from django.db.models.functions import RowNumber

from agencies.capabilities import mash_borough_of
from encryption.keys import prefetch_data_keys
from referrals.models import Subject
from risk.choices import RiskLevel
from risk.map.models import (
    MAY_POSE_RISK,
    AgeBand,
    Associate,
    AssociateRole,
    Group,
    GroupKind,
    Link,
    LinkStatus,
    Place,
    active_links_q,
)
from risk.models import SubjectRisk
from risk.queries import current_levels

ADULT_AGE_BANDS = {AgeBand.AGE_18_24, AgeBand.AGE_25_PLUS}
NODE_MODELS = {"associate": Associate, "place": Place, "group": Group}
OTHER_YOUNG_PERSON = "Another young person"
URL_NAMES = {"subject": "map-subject", "associate": "map-associate", "place": "map-place", "group": "map-group"}


@dataclass
class MapNode:
    """One node as a viewer may see it. ``reference`` is empty for a young person they may not see."""

    key: str
    kind: str
    reference: str
    label: str
    detail: str = ""
    hop: int = 0
    concern: bool = False
    more: int = 0  # links not followed because of the fan-out cap

    def as_json(self) -> dict[str, Any]:
        return {"id": self.key, "kind": self.kind, "label": self.label, "hop": self.hop,
                "concern": self.concern}


@dataclass
class MapEdge:
    link: Link
    source: str
    target: str

    def as_json(self) -> dict[str, Any]:
        return {"id": self.link.reference, "source": self.source, "target": self.target,
                "label": self.link.get_link_type_display(), "pending": self.link.status == LinkStatus.PENDING}


@dataclass
class Neighbourhood:
    """Nodes and links within two hops of a subject, as one viewer may see them."""

    nodes: dict[str, MapNode] = field(default_factory=dict)
    edges: list[MapEdge] = field(default_factory=list)

    def rows(self) -> list[dict[str, Any]]:
        """The links as rows for the accessible list beside the graph: the same nodes and links."""
        return [{"link": edge.link, "from_node": self.nodes[edge.source], "to_node": self.nodes[edge.target]}
                for edge in self.edges]

    def graph_json(self) -> dict[str, Any]:
        return {"nodes": [node.as_json() for node in self.nodes.values()],
                "edges": [edge.as_json() for edge in self.edges]}


def _key(kind: str, pk: Any) -> str:
    return f"{kind}:{pk}"


def shown_links(user: Any, today: dt.date | None = None) -> QuerySet[Link]:
    """Links a viewer may see that are drawn on the map: counting ones, and suggestions still pending."""
    return Link.objects.restrict(user, "view").filter(
        active_links_q(today=today) | Q(status=LinkStatus.PENDING))


def _node_for(kind: str, obj: Any, visible_subjects: set[Any], hop: int) -> MapNode:
    key = _key(kind, obj.pk)
    if kind == "subject":
        if obj.pk in visible_subjects:
            return MapNode(key, kind, obj.reference, obj.reference, "Young person", hop)
        return MapNode(key, kind, "", OTHER_YOUNG_PERSON, "Not shared with you", hop)
    if kind == "associate":
        return MapNode(key, kind, obj.reference, f"{obj.name} ({obj.reference})",
                       f"{obj.get_role_display()}, {obj.get_age_band_display().lower()}", hop,
                       concern=obj.role in MAY_POSE_RISK)
    return MapNode(key, kind, obj.reference, f"{obj.name} ({obj.reference})", obj.get_kind_display(), hop)


def neighbourhood(subject: Any, user: Any, *, cap: int | None = None) -> Neighbourhood:
    """The subject's links and their links (two hops), as ``user`` may see them.

    Cycles (two girls who share an associate who frequents a place they also frequent) draw each node
    and link once. A hub with more than ``cap`` links shows ``cap`` of them and says how many more.
    Young people the viewer may not see appear without a reference.

    Two statements whatever the size of the graph: the people, places and groups at the other end of
    her first ``cap`` links (most recently seen first), then both hops at once: her links and theirs,
    each ranked within its anchor (the subject for hop 1, else the first of its ends that hop 1 reached:
    associate, place, group), capped by a window function, with whether the viewer may see the young
    person at the other end. The reached nodes go into the second statement as values, not as a
    subquery, so that it is an index lookup per node rather than a scan of every link. Plus, when not
    cached yet, one query for the associates' data keys.
    """
    cap = cap or settings.MAP_FANOUT_CAP
    base = shown_links(user)
    order = [F("last_seen").desc(), F("reference").asc()]
    reached: dict[str, set[Any]] = {"associate": set(), "place": set(), "group": set()}
    for row in (base.filter(subject_id=subject.pk).order_by(*order)[:cap]
                .values_list("associate_id", "place_id", "group_id")):
        for kind, pk in zip(reached, row, strict=True):
            if pk is not None:
                reached[kind].add(pk)
    near = Q(subject_id=subject.pk)
    whens = [When(subject_id=subject.pk, then=Value("subject"))]
    nodes = [When(subject_id=subject.pk, then=F("subject_id"))]
    for kind, ids in reached.items():
        if ids:
            near |= Q(**{f"{kind}_id__in": ids})
            whens.append(When(**{f"{kind}_id__in": ids}, then=Value(kind)))
            nodes.append(When(**{f"{kind}_id__in": ids}, then=F(f"{kind}_id")))
    by_anchor = [F("anchor_kind"), F("anchor_node")]
    links = list(
        base.filter(near)
        .select_related("subject__home_borough", "associate", "place", "group", "source_agency")
        .annotate(anchor_kind=Case(*whens, output_field=CharField()), anchor_node=Case(*nodes))
        .annotate(rank=Window(RowNumber(), partition_by=by_anchor, order_by=order),
                  total=Window(Count("id"), partition_by=by_anchor),
                  subject_visible=Exists(Subject.objects.restrict(user, "view").filter(pk=OuterRef("subject_id"))))
        .filter(rank__lte=cap)
        .order_by("anchor_kind", "anchor_node", "rank")
    )
    # Hop 1 first, so that a node reached both ways keeps its shorter distance.
    fetched = sorted(links, key=lambda link: link.anchor_kind != "subject")
    visible = {link.subject_id for link in links if link.subject_visible} | {subject.pk}
    prefetch_data_keys([link.associate.data_key_id for link in links if link.associate is not None])

    result = Neighbourhood()
    result.nodes[_key("subject", subject.pk)] = _node_for("subject", subject, visible, 0)
    drawn: set[Any] = set()
    for link in fetched:
        kind = link.anchor_kind
        hop = 1 if kind == "subject" else 2
        ends = link.endpoints()
        for end_kind, obj in ends:
            key = _key(end_kind, obj.pk)
            if key not in result.nodes:
                result.nodes[key] = _node_for(end_kind, obj, visible, hop)
        anchor = result.nodes[_key(kind, getattr(link, f"{kind}_id"))]
        anchor.more = max(anchor.more, link.total - cap)
        if link.pk not in drawn:
            drawn.add(link.pk)
            result.edges.append(MapEdge(link, _key(*_pk(ends[0])), _key(*_pk(ends[1]))))
    return result


def _pk(end: tuple[str, Any]) -> tuple[str, Any]:
    return end[0], end[1].pk


def linked_subjects(node: Any, user: Any) -> list[dict[str, Any]]:
    """The links of one associate, place or group that ``user`` may see, with the other end described
    (young people the viewer may not see are shown without a reference)."""
    column = type(node).__name__.lower()
    links = list(
        Link.objects.restrict(user, "view").filter(**{f"{column}_id": node.pk})
        .exclude(status=LinkStatus.REMOVED)
        .select_related("subject__home_borough", "associate", "place", "group", "source_agency")
        .order_by("-last_seen", "reference")
    )
    subject_ids = {link.subject_id for link in links if link.subject_id}
    visible = set(Subject.objects.restrict(user, "view").filter(pk__in=subject_ids).values_list("pk", flat=True))
    prefetch_data_keys([link.associate.data_key_id for link in links if link.associate is not None])
    rows = []
    for link in links:
        other_kind, other = next((k, o) for k, o in link.endpoints() if k != column)
        rows.append({"link": link, "other": _node_for(other_kind, other, visible, 1)})
    return rows


@dataclass
class Context:
    """A person, place or group linked to ``threshold`` or more young people."""

    kind: str
    node: Any
    subjects: list[Any]
    agencies: list[str]
    levels: dict[Any, str]

    @property
    def rows(self) -> list[tuple[Any, str]]:
        """Each young person with her level as the page says it ("Very high", never ``very_high``)."""
        return [(subject, self.levels.get(subject.pk, "Not assessed")) for subject in self.subjects]


def _current_levels(subject_ids: list[Any], user: Any) -> dict[Any, str]:
    # Levels are cross-agency risk: only those of young people whose risk the viewer may see.
    within = SubjectRisk.objects.restrict(user, "view")
    return {pk: RiskLevel(level).label for pk, level in current_levels(subject_ids, within=within).items()}


def contexts_of_concern(user: Any, *, threshold: int | None = None) -> list[Context]:
    """Associates, places and groups linked (by counting links the viewer may see) to at least
    ``threshold`` young people, with those young people, their levels and the agencies involved.
    A constant number of queries: one count per node kind, one for the links, one per node kind to load
    the nodes, one for levels."""
    threshold = threshold or settings.MAP_CONTEXT_THRESHOLD
    counting = Link.objects.restrict(user, "view").filter(active_links_q(), subject__isnull=False)
    hot: dict[str, list[Any]] = {}
    for kind in NODE_MODELS:
        column = f"{kind}_id"
        hot[kind] = list(
            counting.filter(**{f"{column}__isnull": False}).values(column)
            .annotate(n=Count("subject_id", distinct=True)).filter(n__gte=threshold)
            .values_list(column, flat=True)
        )
    if not any(hot.values()):
        return []
    either = Q(pk__in=[])
    for kind, ids in hot.items():
        if ids:
            either |= Q(**{f"{kind}_id__in": ids})
    links = list(counting.filter(either).select_related("subject", "source_agency").order_by("subject__reference"))
    nodes = {kind: {n.pk: n for n in NODE_MODELS[kind]._base_manager.filter(pk__in=ids)}
             for kind, ids in hot.items() if ids}
    # The page names each context (the MASH may see names): every node's key in one query.
    prefetch_data_keys([getattr(n, "data_key_id", None) for by_pk in nodes.values() for n in by_pk.values()])
    levels = _current_levels(sorted({link.subject_id for link in links}, key=str), user)
    result = []
    for kind, by_pk in nodes.items():
        for pk, node in by_pk.items():
            own = [link for link in links if getattr(link, f"{kind}_id") == pk]
            subjects = list({link.subject_id: link.subject for link in own if link.subject is not None}.values())
            agencies = sorted({link.source_agency.name for link in own})
            result.append(Context(kind, node, subjects, agencies,
                                  {s.pk: levels.get(s.pk, "Not assessed") for s in subjects}))
    result.sort(key=lambda c: (-len(c.subjects), c.kind, c.node.reference))
    return result


def context_factors(subject_ids: Iterable[Any], *, today: dt.date | None = None,
                    threshold: int | None = None,
                    until: dict[Any, dt.date] | None = None) -> dict[Any, list[dict[str, Any]]]:
    """The map facts the scoring model weighs, per subject (3 queries whatever the number of subjects).

    For each subject, one fact per counting link to:
    * a context of concern (an associate, place or group linked to ``threshold`` or more young people):
      ``{"kind": "context_of_concern", "node": "P-...", "node_type": "place", "subjects": 3,
      "since": first_seen, "link": "L-..."}``;
    * an associate who may pose a risk (older associate of concern, gang-associated adult):
      ``{"kind": "associate_of_concern", "node": "A-...", "node_type": "associate", "role": ...,
      "subjects": n, "since": first_seen, "link": "L-..."}``;
    * any other partner, or adult (by age band), she is linked to: ``{"kind": "associate_link", "role":
      "partner", "age_band": "18_24", "gang": True, ...}`` (``gang``: linked to a named gang), which
      model v3 weighs as a gang-involved partner or, for a girl under 16, an adult associate.
    An associate who is both gives two facts. Not restricted by viewer: this is for the scoring job.

    ``until``, when given, receives for each subject with facts the first day on which one of them may
    change by time alone: the day after the soonest expiry of a counting link to one of those nodes
    (anyone's link: a context of concern can fall below the threshold).
    """
    threshold = threshold or settings.MAP_CONTEXT_THRESHOLD
    ids = list(subject_ids)
    facts: dict[Any, list[dict[str, Any]]] = {pk: [] for pk in ids}
    if not ids:
        return facts
    counting = Link._base_manager.filter(active_links_q(today=today), subject__isnull=False)
    links = list(counting.filter(subject_id__in=ids).select_related("associate", "place", "group"))
    if not links:
        return facts
    either = Q(pk__in=[])
    for kind in NODE_MODELS:
        node_ids = {getattr(link, f"{kind}_id") for link in links} - {None}
        if node_ids:
            either |= Q(**{f"{kind}_id__in": node_ids})
    counts: dict[tuple[str, Any], int] = {}
    soonest: dict[tuple[str, Any], dt.date] = {}
    for row in counting.filter(either).values("associate_id", "place_id", "group_id").annotate(
            n=Count("subject_id", distinct=True), soonest=Min("expires_on")):
        kind = next(k for k in NODE_MODELS if row[f"{k}_id"] is not None)
        counts[(kind, row[f"{kind}_id"])] = row["n"]
        soonest[(kind, row[f"{kind}_id"])] = row["soonest"]
    # Partners linked to a named gang (scoring model v3 counts a gang-involved partner): one more query,
    # only when she has a partner on the map.
    partners = {link.associate_id for link in links
                if link.associate is not None and link.associate.role == AssociateRole.PARTNER}
    in_gang = set(Link._base_manager.filter(active_links_q(today=today), associate_id__in=partners,
                                            group__kind=GroupKind.NAMED_GANG)
                  .values_list("associate_id", flat=True)) if partners else set()
    for link in links:
        kind = next(k for k in NODE_MODELS if getattr(link, f"{k}_id") is not None)
        node = getattr(link, kind)
        n = counts.get((kind, node.pk), 1)
        base = {"node": node.reference, "node_type": kind, "subjects": n, "since": link.first_seen,
                "link": link.reference}
        before = len(facts[link.subject_id])
        if n >= threshold:
            facts[link.subject_id].append({"kind": "context_of_concern", **base})
        if kind == "associate" and node.role in MAY_POSE_RISK and node.erased_at is None:
            facts[link.subject_id].append({"kind": "associate_of_concern", "role": AssociateRole(node.role).label,
                                           **base})
        elif kind == "associate" and node.erased_at is None and (
                node.role == AssociateRole.PARTNER or node.age_band in ADULT_AGE_BANDS):
            # Weighed from model v3 only: a gang-involved partner, or an adult linked to a girl under 16.
            facts[link.subject_id].append({"kind": "associate_link", "role": node.role, "age_band": node.age_band,
                                           "gang": node.pk in in_gang, **base})
        # A link that never expires (date.max, as a form may send) changes nothing: no overflow past it.
        if (until is not None and len(facts[link.subject_id]) > before and (kind, node.pk) in soonest
                and soonest[(kind, node.pk)] < dt.date.max):
            changes = soonest[(kind, node.pk)] + dt.timedelta(days=1)
            until[link.subject_id] = min(until.get(link.subject_id, changes), changes)
    return facts


# ---------------------------------------------------------------------------------------------------
# Finding someone or somewhere already on the map, when adding a link
# ---------------------------------------------------------------------------------------------------
FIND_LIMIT = 20
NODE_PREFIXES = {"A": "associate", "P": "place", "G": "group"}


def suggested_nodes(subject: Any, user: Any) -> list[MapNode]:
    """People, places and groups linked to her links (two hops away) that she is not linked to herself:
    the likeliest next link. The neighbourhood query's own two statements, nothing more."""
    hood = neighbourhood(subject, user)
    return sorted((n for n in hood.nodes.values() if n.hop == 2 and n.kind in NODE_MODELS),
                  key=lambda n: (n.kind, n.label))[:FIND_LIMIT]


def find_nodes(user: Any, term: str) -> list[MapNode]:
    """People, places and groups the user may see, found by reference (everyone who uses the map) or, for
    a MASH lead, by part of a name in their own borough. Names are encrypted under each node's own key,
    so a name search reads the borough's nodes' names (their keys in one query per kind) and compares in
    memory: a deliberate, rare action, capped at ``FIND_LIMIT`` results."""
    term = " ".join((term or "").split())
    if not term:
        return []
    reference = term.upper()
    if reference[:1] in NODE_PREFIXES and len(reference) == 11:
        kind = NODE_PREFIXES[reference[0]]
        node = NODE_MODELS[kind]._default_manager.restrict(user, "view").filter(  # type: ignore[attr-defined]
            reference=reference).first()
        return [_node_for(kind, node, set(), 1)] if node is not None else []
    borough = mash_borough_of(user)
    if borough is None or len(term) < 2:
        return []
    wanted = term.casefold()
    found: list[MapNode] = []
    for kind, model in NODE_MODELS.items():
        nodes: list[Any] = list(model._default_manager.restrict(user, "view")  # type: ignore[attr-defined]
                                .filter(borough_id=borough).order_by("reference"))
        prefetch_data_keys([n.data_key_id for n in nodes])
        found.extend(_node_for(kind, n, set(), 1) for n in nodes if wanted in (n.name or "").casefold())
    return sorted(found, key=lambda n: (n.kind, n.label))[:FIND_LIMIT]
