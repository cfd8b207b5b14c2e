"""Reading the association map: a subject's neighbourhood to two hops, the subjects linked to a node,
contexts of concern, and the map facts the scoring model weighs.

Every function runs a constant number of queries whatever the size of the graph: hubs are capped in SQL
with a window function (``MAP_FANOUT_CAP``), never by fetching everything and trimming in Python.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, Min, Q, QuerySet

from agencies.capabilities import mash_borough_of
from agencies.models import Agency
from encryption.keys import prefetch_data_keys
from referrals.models import Subject
from risk.choices import RiskLevel
from risk.map.models import (
    MAY_POSE_RISK,
    NODE_FIELDS,
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


def _node_for(kind: str, obj: Any, visible_subjects: Collection[Any], hop: int) -> MapNode:
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

    One statement whatever the size of the graph (``_NEIGHBOURHOOD_SQL``), plus, when not cached yet, one
    query for the associates' data keys. Who may see which link and which young person is asked of the
    models' own access rules (``restrict``), compiled by Django and placed in the statement as subqueries.
    """
    cap = cap or settings.MAP_FANOUT_CAP
    shown = shown_links(user)
    people = Subject.objects.restrict(user, "view")
    result = Neighbourhood()
    if shown.query.is_empty():
        result.nodes[_key("subject", subject.pk)] = _node_for("subject", subject, {subject.pk}, 0)
        return result
    shown_sql, shown_params = shown.order_by().values("pk").query.sql_with_params()
    if people.query.is_empty():
        people_sql, people_params = "SELECT NULL WHERE 1 = 0", ()
    else:
        people_sql, people_params = people.order_by().values("pk").query.sql_with_params()
    sql = _neighbourhood_sql(connection.vendor).format(shown=shown_sql, people=people_sql)
    her = Link._meta.get_field("subject").get_db_prep_value(subject.pk, connection)
    params = [*shown_params, her, cap, her, her, her, *shown_params, *people_params, cap]
    # Through Django's cursor, so that the statement is counted and traced like every other. Preparing it
    # on the server (psycopg, server-side binding) measured no faster: its planning is not where time goes.
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()

    kept: list[tuple[Link, str, int]] = []  # each link with its anchor's kind and the anchor's number of links
    visible: dict[Any, str] = {subject.pk: subject.reference}
    for row in rows:
        values = iter(row)
        link = _instance(Link, values)
        for kind in ("associate", "place", "group", "source_agency"):
            related = _instance(Agency if kind == "source_agency" else NODE_MODELS[kind], values)
            if related is not None:
                setattr(link, kind, related)  # the descriptor caches it: no query when the page reads it
        anchor_kind, total, reference = next(values), next(values), next(values)
        if reference is not None:
            visible[link.subject_id] = reference
        kept.append((link, anchor_kind, total))
    # Hop 1 first, so that a node reached both ways keeps its shorter distance.
    kept.sort(key=lambda item: item[1] != "subject")
    prefetch_data_keys([link.associate.data_key_id for link, _, _ in kept if link.associate is not None])

    result.nodes[_key("subject", subject.pk)] = _node_for("subject", subject, visible, 0)
    drawn: set[Any] = set()
    for link, kind, total in kept:
        hop = 1 if kind == "subject" else 2
        ends = []
        for end_kind in NODE_FIELDS:
            pk = getattr(link, f"{end_kind}_id")
            if pk is None:
                continue
            key = _key(end_kind, pk)
            ends.append(key)
            if key not in result.nodes:
                # A young person's end is never loaded: her reference, if the viewer may see her, is enough.
                obj = _SubjectEnd(pk, visible.get(pk, "")) if end_kind == "subject" else getattr(link, end_kind)
                result.nodes[key] = _node_for(end_kind, obj, visible, hop)
        anchor = result.nodes[_key(kind, getattr(link, f"{kind}_id"))]
        anchor.more = max(anchor.more, total - cap)
        if link.pk not in drawn:
            drawn.add(link.pk)
            result.edges.append(MapEdge(link, ends[0], ends[1]))
    return result


def _columns(model: Any, alias: str) -> str:
    return ", ".join(f"{alias}.{connection.ops.quote_name(f.column)}" for f in model._meta.concrete_fields)


def _instance(model: Any, values: Any) -> Any:
    """The next ``model`` row from a raw row's iterator, converted as the ORM converts it (UUIDs, dates and
    booleans on SQLite, encrypted fields everywhere); ``None`` for a LEFT JOIN that found nothing."""
    attnames, converters = _conversions(model, connection.vendor)
    raw = [next(values) for _ in attnames]
    if raw[0] is None:
        return None
    for i, expression, functions in converters:
        for function in functions:
            raw[i] = function(raw[i], expression, connection)
    return model.from_db(connection.alias, attnames, raw)


@functools.cache
def _conversions(model: Any, vendor: str) -> tuple[list[str], list[tuple[int, Any, list[Any]]]]:
    fields = model._meta.concrete_fields
    converters = []
    for i, model_field in enumerate(fields):
        expression = model_field.get_col(model._meta.db_table)
        functions = [*connection.ops.get_db_converters(expression), *model_field.get_db_converters(connection)]
        if functions:
            converters.append((i, expression, functions))
    return [f.attname for f in fields], converters


@functools.cache
def _neighbourhood_sql(vendor: str) -> str:
    """Both hops in one statement (portable SQL: PostgreSQL and SQLite).

    ``hop_one``: the people, places and groups at the other end of her first ``cap`` links she is shown
    (most recently seen first). ``near``: her links and theirs, each with its anchor: herself for hop 1,
    else the first of its ends that hop 1 reached (associate, place, group). ``ranked``: each link's rank
    within its anchor and the anchor's number of links, so that a hub shows ``cap`` and says how many more.
    Then the kept links with their people, places, groups and source agency, and the reference of the
    young person at the other end only where the viewer may see her. ``{shown}`` and ``{people}`` are the
    access rules of links and of young people, as ``restrict`` compiles them.
    """
    q = connection.ops.quote_name
    link, subject = q(Link._meta.db_table), q(Subject._meta.db_table)
    tables = {kind: q(NODE_MODELS[kind]._meta.db_table) for kind in ("associate", "place", "group")}
    agency = q(Agency._meta.db_table)
    # Only table and column names from the models' own metadata are formatted in; every value is a parameter.
    return f"""
WITH hop_one AS (
    SELECT l.associate_id, l.place_id, l.group_id FROM {link} l
    WHERE l.id IN ({{shown}}) AND l.subject_id = %s
    ORDER BY l.last_seen DESC, l.reference ASC LIMIT %s
), near_ids AS (
    SELECT l.id FROM {link} l WHERE l.subject_id = %s
    UNION SELECT l.id FROM {link} l JOIN hop_one h ON l.associate_id = h.associate_id
    UNION SELECT l.id FROM {link} l JOIN hop_one h ON l.place_id = h.place_id
    UNION SELECT l.id FROM {link} l JOIN hop_one h ON l.group_id = h.group_id
), near AS (
    SELECT l.id, l.last_seen, l.reference,
        CASE WHEN l.subject_id = %s THEN 'subject'
             WHEN l.associate_id IN (SELECT associate_id FROM hop_one) THEN 'associate'
             WHEN l.place_id IN (SELECT place_id FROM hop_one) THEN 'place'
             ELSE 'group' END AS anchor_kind,
        CASE WHEN l.subject_id = %s THEN l.subject_id
             WHEN l.associate_id IN (SELECT associate_id FROM hop_one) THEN l.associate_id
             WHEN l.place_id IN (SELECT place_id FROM hop_one) THEN l.place_id
             ELSE l.group_id END AS anchor_node
    FROM {link} l
    WHERE l.id IN (SELECT id FROM near_ids) AND l.id IN ({{shown}})
), ranked AS (
    SELECT id, anchor_kind,
        ROW_NUMBER() OVER (PARTITION BY anchor_kind, anchor_node ORDER BY last_seen DESC, reference ASC) AS link_rank,
        COUNT(*) OVER (PARTITION BY anchor_kind, anchor_node) AS total
    FROM near
)
SELECT {_columns(Link, "l")}, {_columns(NODE_MODELS["associate"], "a")}, {_columns(NODE_MODELS["place"], "p")},
       {_columns(NODE_MODELS["group"], "g")}, {_columns(Agency, "ag")}, r.anchor_kind, r.total, s.reference
FROM ranked r
JOIN {link} l ON l.id = r.id
JOIN {agency} ag ON ag.id = l.source_agency_id
LEFT JOIN {tables["associate"]} a ON a.id = l.associate_id
LEFT JOIN {tables["place"]} p ON p.id = l.place_id
LEFT JOIN {tables["group"]} g ON g.id = l.group_id
LEFT JOIN {subject} s ON s.id = l.subject_id AND s.id IN ({{people}})
WHERE r.link_rank <= %s
ORDER BY l.last_seen DESC, l.reference ASC
"""  # noqa: S608


@dataclass(frozen=True)
class _SubjectEnd:
    pk: Any
    reference: str


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
    the likeliest next link. The neighbourhood query's own statement, nothing more."""
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
