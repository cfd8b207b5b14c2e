"""Reading the association map: a subject's neighbourhood to two hops, the subjects linked to a node,
contexts of concern, and the map facts the scoring model weighs.

Every function runs a constant number of queries whatever the size of the graph: hubs are capped in SQL
with a window function (``MAP_FANOUT_CAP``), never by fetching everything and trimming in Python.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet, Window
from django.db.models.functions import RowNumber

from encryption.keys import prefetch_data_keys
from risk.map_models import (
    MAY_POSE_RISK,
    NODE_FIELDS,
    Associate,
    AssociateRole,
    Group,
    Link,
    LinkStatus,
    Place,
)
from risk.map_services import active_links_q

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


def _capped(links: QuerySet[Link], column: str, ids: Iterable[Any], cap: int) -> list[Link]:
    """At most ``cap`` links per node in ``ids`` (most recently seen first), each annotated with the
    node's total, in one query."""
    order = [F("last_seen").desc(), F("reference").asc()]
    return list(
        links.filter(**{f"{column}__in": list(ids)})
        .select_related("subject__home_borough", "associate", "place", "group", "source_agency")
        .annotate(rank=Window(RowNumber(), partition_by=[F(column)], order_by=order),
                  total=Window(Count("id"), partition_by=[F(column)]))
        .filter(rank__lte=cap)
        .order_by(column, "rank")
    )


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
    Young people the viewer may not see appear without a reference. At most 6 queries.
    """
    from referrals.models import Subject

    cap = cap or settings.MAP_FANOUT_CAP
    base = shown_links(user)
    result = Neighbourhood()
    first = _capped(base, "subject_id", [subject.pk], cap)
    frontier: dict[str, set[Any]] = defaultdict(set)
    for link in first:
        for kind in NODE_FIELDS:
            if kind != "subject" and getattr(link, f"{kind}_id") is not None:
                frontier[kind].add(getattr(link, f"{kind}_id"))
    fetched: list[tuple[str, Link]] = [("subject", link) for link in first]
    first_ids = {link.pk for link in first}
    for kind, ids in frontier.items():
        fetched += [(kind, link) for link in _capped(base.exclude(pk__in=first_ids), f"{kind}_id", ids, cap)]
    all_links = list({link.pk: link for _, link in fetched}.values())
    subject_ids = {link.subject_id for link in all_links if link.subject_id} | {subject.pk}
    visible = set(Subject.objects.restrict(user, "view").filter(pk__in=subject_ids).values_list("pk", flat=True))
    prefetch_data_keys([link.associate.data_key_id for link in all_links if link.associate_id])

    result.nodes[_key("subject", subject.pk)] = _node_for("subject", subject, visible | {subject.pk}, 0)
    drawn: set[Any] = set()
    # Hop 1 comes first in ``fetched``, so a node reached both ways keeps its shorter distance.
    for kind, link in fetched:
        hop = 1 if kind == "subject" else 2
        ends = link.endpoints()
        for end_kind, obj in ends:
            key = _key(end_kind, obj.pk)
            if key not in result.nodes:
                result.nodes[key] = _node_for(end_kind, obj, visible, hop)
        anchor = result.nodes[_key(kind, getattr(link, f"{kind}_id"))]
        anchor.more = max(anchor.more, link.total - cap)  # type: ignore[attr-defined]
        if link.pk not in drawn:
            drawn.add(link.pk)
            result.edges.append(MapEdge(link, _key(*_pk(ends[0])), _key(*_pk(ends[1]))))
    return result


def _pk(end: tuple[str, Any]) -> tuple[str, Any]:
    return end[0], end[1].pk


def linked_subjects(node: Any, user: Any) -> list[dict[str, Any]]:
    """The links of one associate, place or group that ``user`` may see, with the other end described
    (young people the viewer may not see are shown without a reference)."""
    from referrals.models import Subject

    column = type(node).__name__.lower()
    links = list(
        Link.objects.restrict(user, "view").filter(**{f"{column}_id": node.pk})
        .exclude(status=LinkStatus.REMOVED)
        .select_related("subject__home_borough", "associate", "place", "group", "source_agency")
        .order_by("-last_seen", "reference")
    )
    subject_ids = {link.subject_id for link in links if link.subject_id}
    visible = set(Subject.objects.restrict(user, "view").filter(pk__in=subject_ids).values_list("pk", flat=True))
    prefetch_data_keys([link.associate.data_key_id for link in links if link.associate_id])
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


def _current_levels(subject_ids: list[Any]) -> dict[Any, str]:
    # The register's levels come from the scoring work (another issue); until it exists, say so.
    try:
        from risk.queries import current_levels  # type: ignore[import-not-found,attr-defined,unused-ignore]
    except ImportError:
        return {}
    return {pk: str(level) for pk, level in current_levels(subject_ids).items()}


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
    prefetch_data_keys([a.data_key_id for a in nodes.get("associate", {}).values()])
    levels = _current_levels(sorted({link.subject_id for link in links}, key=str))
    result = []
    for kind, by_pk in nodes.items():
        for pk, node in by_pk.items():
            own = [link for link in links if getattr(link, f"{kind}_id") == pk]
            subjects = list({link.subject_id: link.subject for link in own}.values())
            agencies = sorted({link.source_agency.name for link in own})
            result.append(Context(kind, node, subjects, agencies,
                                  {s.pk: levels.get(s.pk, "Not assessed") for s in subjects}))
    result.sort(key=lambda c: (-len(c.subjects), c.kind, c.node.reference))
    return result


def context_factors(subject_ids: Iterable[Any], *, today: dt.date | None = None,
                    threshold: int | None = None) -> dict[Any, list[dict[str, Any]]]:
    """The map facts the scoring model weighs, per subject (3 queries whatever the number of subjects).

    For each subject, one fact per counting link to:
    * a context of concern (an associate, place or group linked to ``threshold`` or more young people):
      ``{"kind": "context_of_concern", "node": "P-...", "node_type": "place", "subjects": 3,
      "since": first_seen, "link": "L-..."}``;
    * an associate who may pose a risk (older associate of concern, gang-associated adult):
      ``{"kind": "associate_of_concern", "node": "A-...", "node_type": "associate", "role": ...,
      "subjects": n, "since": first_seen, "link": "L-..."}``.
    An associate who is both gives two facts. Not restricted by viewer: this is for the scoring job.
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
    for row in counting.filter(either).values("associate_id", "place_id", "group_id").annotate(
            n=Count("subject_id", distinct=True)):
        kind = next(k for k in NODE_MODELS if row[f"{k}_id"] is not None)
        counts[(kind, row[f"{kind}_id"])] = row["n"]
    for link in links:
        kind = next(k for k in NODE_MODELS if getattr(link, f"{k}_id") is not None)
        node = getattr(link, kind)
        n = counts.get((kind, node.pk), 1)
        base = {"node": node.reference, "node_type": kind, "subjects": n, "since": link.first_seen,
                "link": link.reference}
        if n >= threshold:
            facts[link.subject_id].append({"kind": "context_of_concern", **base})
        if kind == "associate" and node.role in MAY_POSE_RISK and node.erased_at is None:
            facts[link.subject_id].append({"kind": "associate_of_concern", "role": AssociateRole(node.role).label,
                                           **base})
    return facts
