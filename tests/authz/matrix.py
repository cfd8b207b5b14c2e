"""The authorization matrix, as data.

Each row is ``(url name, persona, relation to the object, method, expected status)``. ``relation`` names
how the persona stands to the object the URL is about ("-" where the URL is about no object). Later
issues add rows for every URL they add; ``test_every_url_has_rows`` fails for a URL without rows.

Expected statuses are written out, never computed from a rule that mirrors the code under test: lists of
personas with one status (``rows``), or, where the answer depends on the relation, a table with a line
per persona and a column per relation (``grid``), read as (persona, relation) → status.
"""

from __future__ import annotations

from tests.personas import ANALYST_PERSONAS, LOCKED_OUT_PERSONAS, MEMBER_PERSONAS

ALL_PERSONAS = ["anonymous", *MEMBER_PERSONAS, *LOCKED_OUT_PERSONAS]
ADMINISTRATORS = ["administrator", "administrator_2"]
NOT_ADMINISTRATORS = [p for p in MEMBER_PERSONAS if p not in ADMINISTRATORS]

Row = tuple[str, str, str, str, int]
ROWS: list[Row] = []


def rows(url_name: str, personas: list[str], relation: str, method: str, status: int) -> None:
    ROWS.extend((url_name, persona, relation, method, status) for persona in personas)


def grid(url_names: str | tuple[str, ...], method: str, table: str, columns: dict[str, str] | None = None) -> None:
    """Rows read off a table as it is written: the first line names the relations (a short label is
    translated through ``columns``), each further line is a member persona and their status for each
    relation. Every member persona has a line, so a forgotten one fails at import, not silently."""
    names = (url_names,) if isinstance(url_names, str) else url_names
    header, *lines = (line.split() for line in table.strip().splitlines())
    relations = [(columns or {}).get(label, label) for label in header]
    personas = [persona for persona, *_statuses in lines]
    # Partnership analysts see no case page: a table that leaves them out refuses them (404) in
    # every column. A table may still give them lines of their own.
    if not set(ANALYST_PERSONAS) & set(personas):
        lines = [*lines, *([analyst, *(["404"] * len(relations))] for analyst in ANALYST_PERSONAS)]
        personas = [*personas, *ANALYST_PERSONAS]
    if sorted(personas) != sorted(MEMBER_PERSONAS):
        raise ValueError(f"{names} {method}: the table's personas are not the member personas")
    for persona, *statuses in lines:
        if len(statuses) != len(relations):
            raise ValueError(f"{names} {method}: {persona} has {len(statuses)} statuses for {len(relations)}")
        for relation, status in zip(relations, statuses, strict=True):
            ROWS.extend((name, persona, relation, method, int(status)) for name in names)


# Health and readiness answer everyone, signed in or not (the load balancer and monitoring).
rows("health", ALL_PERSONAS, "-", "GET", 200)
rows("ready", ALL_PERSONAS, "-", "GET", 200)
# Metrics answer only a scraper with the token; with none configured (as here), nobody: 404.
rows("metrics", ALL_PERSONAS, "-", "GET", 404)

# Sign-in: the form for visitors; members already signed in are sent home.
rows("login", ["anonymous", *LOCKED_OUT_PERSONAS], "-", "GET", 200)
rows("login", MEMBER_PERSONAS, "-", "GET", 302)

# Sign-out is POST only; visitors are sent to sign in first.
rows("logout", ALL_PERSONAS, "-", "POST", 302)
rows("logout", MEMBER_PERSONAS, "-", "GET", 405)
rows("logout", ["anonymous", *LOCKED_OUT_PERSONAS], "-", "GET", 302)

# Home: every member; nobody else.
rows("home", MEMBER_PERSONAS, "-", "GET", 200)
rows("home", ["anonymous", *LOCKED_OUT_PERSONAS], "-", "GET", 302)
rows("home", MEMBER_PERSONAS, "-", "POST", 405)

# Administration: administrators only; everyone else is sent to sign in (admin's own behaviour).
rows("admin:index", ADMINISTRATORS, "-", "GET", 200)
rows("admin:index", ["anonymous", *NOT_ADMINISTRATORS, *LOCKED_OUT_PERSONAS], "-", "GET", 302)
rows("admin:agencies_agency_changelist", ["administrator"], "-", "GET", 200)
rows("admin:agencies_membership_changelist", ["administrator"], "-", "GET", 200)
rows("admin:auth_user_changelist", ["administrator"], "-", "GET", 200)
rows("admin_login_redirect", ["anonymous"], "-", "GET", 302)

# Django admin generates many URL names per registered model; they are all behind the same
# ``admin_view`` staff check as admin:index, which the rows above exercise for every persona.
COVERED_BY_ADMIN_SITE = "admin:"

# The access trail: auditors only. Everyone else who is signed in gets 404, never 403, so the
# pages' existence is not disclosed; visitors are sent to sign in.
AUDIT_PAGES = ["audit-log", "audit-export", "audit-object", "audit-anomalies", "audit-chain"]
NOT_AUDITORS = [p for p in MEMBER_PERSONAS if p != "auditor"]
for _name in AUDIT_PAGES:
    rows(_name, ["auditor"], "-", "GET", 200)
    rows(_name, NOT_AUDITORS, "-", "GET", 404)
    rows(_name, ["anonymous", *LOCKED_OUT_PERSONAS], "-", "GET", 302)
    rows(_name, NOT_AUDITORS, "-", "POST", 404)
rows("audit-verify", ["auditor"], "-", "POST", 302)
rows("audit-verify", ["auditor"], "-", "GET", 405)
rows("audit-verify", NOT_AUDITORS, "-", "POST", 404)
rows("audit-verify", NOT_AUDITORS, "-", "GET", 404)
rows("audit-verify", ["anonymous", *LOCKED_OUT_PERSONAS], "-", "POST", 302)

# ---------------------------------------------------------------------------------------------------
# Subjects and concerns. Relations name the case fixtures in tests/cases.py.
# ---------------------------------------------------------------------------------------------------
RELATIONS = ["lambeth_school", "lambeth_gp", "southwark_school", "shared", "share_revoked"]

# Which URL kwarg each object URL takes, and from which fixture collection.
URL_OBJECTS = {
    "subject-detail": "subjects",
    "subject-merge": "subjects",
    "concern-detail": "concerns",
}

# Who may see which subject (and its concern): need-to-know, DESIGN.md §2.
VISIBLE: dict[str, set[str]] = {
    "teacher_lambeth": {"lambeth_school"},                  # own concern only
    "dsl_lambeth": {"lambeth_school"},                      # own agency's
    "gp_lambeth": {"lambeth_gp"},
    "police_lambeth": set(),                                # nothing recorded
    "mash_lambeth": {"lambeth_school", "lambeth_gp"},       # the borough's
    "csc_lambeth": {"shared"},                              # shared, not revoked
    "teacher_southwark": {"southwark_school"},
    "yot_southwark": {"shared", "share_revoked"},
    "mash_southwark": {"southwark_school", "shared", "share_revoked"},
    "auditor": set(),
    "administrator": set(),
    "administrator_2": set(),
    "dpo": set(),                                           # exports only, through its own pages
}
CASE_ROLES = [p for p in MEMBER_PERSONAS if p not in {"auditor", "dpo", *ADMINISTRATORS, *ANALYST_PERSONAS}]
RECORDERS = ["teacher_lambeth", "gp_lambeth", "police_lambeth", "dsl_lambeth", "teacher_southwark",
             "yot_southwark"]
MASH_LEADS = ["mash_lambeth", "mash_southwark"]

# Her page and her concern: whoever may see her (VISIBLE above), 404 for everyone else.
grid(("subject-detail", "concern-detail"), "GET", """
                       lambeth_school  lambeth_gp  southwark_school  shared  share_revoked
    teacher_lambeth               200         404               404     404            404
    gp_lambeth                    404         200               404     404            404
    police_lambeth                404         404               404     404            404
    dsl_lambeth                   200         404               404     404            404
    mash_lambeth                  200         200               404     404            404
    csc_lambeth                   404         404               404     200            404
    teacher_southwark             404         404               200     404            404
    yot_southwark                 404         404               404     200            200
    mash_southwark                404         404               200     200            200
    auditor                       404         404               404     404            404
    administrator                 404         404               404     404            404
    administrator_2               404         404               404     404            404
    dpo                           404         404               404     404            404
""")
# Merging duplicates: the MASH lead, for the subjects they see.
grid("subject-merge", "GET", """
                       lambeth_school  lambeth_gp  southwark_school  shared  share_revoked
    teacher_lambeth               404         404               404     404            404
    gp_lambeth                    404         404               404     404            404
    police_lambeth                404         404               404     404            404
    dsl_lambeth                   404         404               404     404            404
    mash_lambeth                  200         200               404     404            404
    csc_lambeth                   404         404               404     404            404
    teacher_southwark             404         404               404     404            404
    yot_southwark                 404         404               404     404            404
    mash_southwark                404         404               200     200            200
    auditor                       404         404               404     404            404
    administrator                 404         404               404     404            404
    administrator_2               404         404               404     404            404
    dpo                           404         404               404     404            404
""")
for _relation in RELATIONS:
    # Method checks come before any lookup, so the answer is the same whether or not it exists.
    rows("subject-detail", MEMBER_PERSONAS, _relation, "POST", 405)
for _persona in ["anonymous", *LOCKED_OUT_PERSONAS]:
    for _url in URL_OBJECTS:
        rows(_url, [_persona], "lambeth_school", "GET", 302)

rows("concern-create", RECORDERS, "-", "GET", 200)
rows("concern-create", [p for p in MEMBER_PERSONAS if p not in RECORDERS], "-", "GET", 404)
rows("concern-create", ["anonymous", *LOCKED_OUT_PERSONAS], "-", "GET", 302)
rows("subject-list", CASE_ROLES, "-", "GET", 200)
rows("subject-list", ["auditor", "dpo", *ADMINISTRATORS], "-", "GET", 404)
rows("subject-list", ["anonymous", *LOCKED_OUT_PERSONAS], "-", "GET", 302)
rows("duplicate-list", MASH_LEADS, "-", "GET", 200)
rows("duplicate-list", [p for p in MEMBER_PERSONAS if p not in MASH_LEADS], "-", "GET", 404)
rows("duplicate-list", ["anonymous", *LOCKED_OUT_PERSONAS], "-", "GET", 302)

# ---------------------------------------------------------------------------------------------------
# Risk and the register.
# ---------------------------------------------------------------------------------------------------
URL_OBJECTS["subject-risk"] = "subjects"
URL_OBJECTS["register-entry"] = "subjects"
for _name in ["register", "register-export"]:
    rows(_name, MASH_LEADS, "-", "GET", 200)
    rows(_name, [p for p in MEMBER_PERSONAS if p not in MASH_LEADS], "-", "GET", 404)
    rows(_name, ["anonymous", *LOCKED_OUT_PERSONAS], "-", "GET", 302)
    rows(_name, MEMBER_PERSONAS, "-", "POST", 405)
# Her risk: whoever may see her.
grid("subject-risk", "GET", """
                       lambeth_school  lambeth_gp  southwark_school  shared  share_revoked
    teacher_lambeth               200         404               404     404            404
    gp_lambeth                    404         200               404     404            404
    police_lambeth                404         404               404     404            404
    dsl_lambeth                   200         404               404     404            404
    mash_lambeth                  200         200               404     404            404
    csc_lambeth                   404         404               404     200            404
    teacher_southwark             404         404               200     404            404
    yot_southwark                 404         404               404     200            200
    mash_southwark                404         404               200     200            200
    auditor                       404         404               404     404            404
    administrator                 404         404               404     404            404
    administrator_2               404         404               404     404            404
    dpo                           404         404               404     404            404
""")
# Her register entry: the MASH lead of her home borough only (seeing her through a share is not enough).
grid("register-entry", "GET", """
                       lambeth_school  lambeth_gp  southwark_school  shared  share_revoked
    teacher_lambeth               404         404               404     404            404
    gp_lambeth                    404         404               404     404            404
    police_lambeth                404         404               404     404            404
    dsl_lambeth                   404         404               404     404            404
    mash_lambeth                  200         200               404     404            404
    csc_lambeth                   404         404               404     404            404
    teacher_southwark             404         404               404     404            404
    yot_southwark                 404         404               404     404            404
    mash_southwark                404         404               200     200            200
    auditor                       404         404               404     404            404
    administrator                 404         404               404     404            404
    administrator_2               404         404               404     404            404
    dpo                           404         404               404     404            404
""")
for _relation in RELATIONS:
    rows("subject-risk", MEMBER_PERSONAS, _relation, "POST", 405)
    # No entry exists for these low-level cases, so a POST by the borough's lead is a 404 too.
    rows("register-entry", MEMBER_PERSONAS, _relation, "POST", 404)
# The scoring model's documentation: for those who see cross-agency scores (MASH, receiving services).
rows("scoring-model", ["mash_lambeth", "csc_lambeth", "mash_southwark"], "-", "GET", 200)
rows("scoring-model", ["teacher_lambeth", "gp_lambeth", "police_lambeth", "dsl_lambeth", "teacher_southwark",
                       "yot_southwark", "auditor", *ADMINISTRATORS, "dpo"], "-", "GET", 404)
rows("scoring-model", ["anonymous", *LOCKED_OUT_PERSONAS], "-", "GET", 302)
rows("scoring-model", MEMBER_PERSONAS, "-", "POST", 405)
# The pathway catalogue's documentation, like the scoring model's: no young person's data.
rows("pathway-catalogue", ["mash_lambeth", "csc_lambeth", "mash_southwark"], "-", "GET", 200)
rows("pathway-catalogue", ["teacher_lambeth", "gp_lambeth", "police_lambeth", "dsl_lambeth", "teacher_southwark",
                           "yot_southwark", "auditor", *ADMINISTRATORS, "dpo"], "-", "GET", 404)
rows("pathway-catalogue", ["anonymous", *LOCKED_OUT_PERSONAS], "-", "GET", 302)
rows("pathway-catalogue", MEMBER_PERSONAS, "-", "POST", 405)
for _persona in ["anonymous", *LOCKED_OUT_PERSONAS]:
    rows("subject-risk", [_persona], "lambeth_school", "GET", 302)
    rows("register-entry", [_persona], "lambeth_school", "GET", 302)
# The association map. tests/risk/map_cases.py adds, per relation, an associate, a place and a
# group linked to that relation's subject by her borough's MASH lead, and the subject-associate link.
# ---------------------------------------------------------------------------------------------------
from tests.risk.map_cases import extend as _extend_with_map  # noqa: E402

CASE_EXTENSIONS = [_extend_with_map]
MAP_OBJECTS = {
    "map-subject": "subjects", "map-link-add": "subjects", "map-associate": "associates", "map-place": "places",
    "map-group": "groups", "map-link-remove": "links", "map-link-confirm": "links",
}
URL_OBJECTS.update(MAP_OBJECTS)
# Her map: whoever may see her.
grid("map-subject", "GET", """
                       lambeth_school  lambeth_gp  southwark_school  shared  share_revoked
    teacher_lambeth               200         404               404     404            404
    gp_lambeth                    404         200               404     404            404
    police_lambeth                404         404               404     404            404
    dsl_lambeth                   200         404               404     404            404
    mash_lambeth                  200         200               404     404            404
    csc_lambeth                   404         404               404     200            404
    teacher_southwark             404         404               200     404            404
    yot_southwark                 404         404               404     200            200
    mash_southwark                404         404               200     200            200
    auditor                       404         404               404     404            404
    administrator                 404         404               404     404            404
    administrator_2               404         404               404     404            404
    dpo                           404         404               404     404            404
""")
# Adding a link (MASH lead) or suggesting one (practitioner, DSL) on her map; Lambeth children's social
# care sees the shared girl read-only: 403.
grid("map-link-add", "GET", """
                       lambeth_school  lambeth_gp  southwark_school  shared  share_revoked
    teacher_lambeth               200         404               404     404            404
    gp_lambeth                    404         200               404     404            404
    police_lambeth                404         404               404     404            404
    dsl_lambeth                   200         404               404     404            404
    mash_lambeth                  200         200               404     404            404
    csc_lambeth                   404         404               404     403            404
    teacher_southwark             404         404               200     404            404
    yot_southwark                 404         404               404     200            200
    mash_southwark                404         404               200     200            200
    auditor                       404         404               404     404            404
    administrator                 404         404               404     404            404
    administrator_2               404         404               404     404            404
    dpo                           404         404               404     404            404
""")
# The map's people, places and groups: the MASH lead of her borough, and (read only) the agency she is
# shared with. Practitioners see only links they suggested (none here).
grid(("map-associate", "map-place", "map-group"), "GET", """
                       lambeth_school  lambeth_gp  southwark_school  shared  share_revoked
    teacher_lambeth               404         404               404     404            404
    gp_lambeth                    404         404               404     404            404
    police_lambeth                404         404               404     404            404
    dsl_lambeth                   404         404               404     404            404
    mash_lambeth                  200         200               404     404            404
    csc_lambeth                   404         404               404     200            404
    teacher_southwark             404         404               404     404            404
    yot_southwark                 404         404               404     404            404
    mash_southwark                404         404               200     200            200
    auditor                       404         404               404     404            404
    administrator                 404         404               404     404            404
    administrator_2               404         404               404     404            404
    dpo                           404         404               404     404            404
""")
# Removing a link: the MASH lead of her borough; seen read-only: 403; not seen: 404.
grid("map-link-remove", "GET", """
                       lambeth_school  lambeth_gp  southwark_school  shared  share_revoked
    teacher_lambeth               404         404               404     404            404
    gp_lambeth                    404         404               404     404            404
    police_lambeth                404         404               404     404            404
    dsl_lambeth                   404         404               404     404            404
    mash_lambeth                  200         200               404     404            404
    csc_lambeth                   404         404               404     403            404
    teacher_southwark             404         404               404     404            404
    yot_southwark                 404         404               404     404            404
    mash_southwark                404         404               200     200            200
    auditor                       404         404               404     404            404
    administrator                 404         404               404     404            404
    administrator_2               404         404               404     404            404
    dpo                           404         404               404     404            404
""")
# Confirming an already confirmed link: the MASH lead is told so and sent back (302).
grid("map-link-confirm", "POST", """
                       lambeth_school  lambeth_gp  southwark_school  shared  share_revoked
    teacher_lambeth               404         404               404     404            404
    gp_lambeth                    404         404               404     404            404
    police_lambeth                404         404               404     404            404
    dsl_lambeth                   404         404               404     404            404
    mash_lambeth                  302         302               404     404            404
    csc_lambeth                   404         404               404     403            404
    teacher_southwark             404         404               404     404            404
    yot_southwark                 404         404               404     404            404
    mash_southwark                404         404               302     302            302
    auditor                       404         404               404     404            404
    administrator                 404         404               404     404            404
    administrator_2               404         404               404     404            404
    dpo                           404         404               404     404            404
""")
for _relation in RELATIONS:
    rows("map-subject", MEMBER_PERSONAS, _relation, "POST", 405)
    rows("map-link-confirm", MEMBER_PERSONAS, _relation, "GET", 405)
for _persona in ["anonymous", *LOCKED_OUT_PERSONAS]:
    for _url in MAP_OBJECTS:
        rows(_url, [_persona], "lambeth_school", "GET", 302)
rows("contexts", MASH_LEADS, "-", "GET", 200)
rows("contexts", [p for p in MEMBER_PERSONAS if p not in MASH_LEADS], "-", "GET", 404)
rows("contexts", ["anonymous", *LOCKED_OUT_PERSONAS], "-", "GET", 302)
rows("contexts", MASH_LEADS, "-", "POST", 405)
# Referrals. Referral relations name the fixtures in tests/referral_cases.py; referral-create
# takes a subject, so it uses the subject relations above.
# ---------------------------------------------------------------------------------------------------

URL_OBJECTS["referral-create"] = "subjects"
# URL name -> collection of tests/referral_cases.py for the referral relations.
REFERRAL_URL_OBJECTS = {"referral-detail": "referrals", "referral-decide": "referrals", "subject-detail": "subjects"}

# Referring her: a DSL or a MASH lead, for a subject they see.
grid("referral-create", "GET", """
                       lambeth_school  lambeth_gp  southwark_school  shared  share_revoked
    teacher_lambeth               404         404               404     404            404
    gp_lambeth                    404         404               404     404            404
    police_lambeth                404         404               404     404            404
    dsl_lambeth                   200         404               404     404            404
    mash_lambeth                  200         200               404     404            404
    csc_lambeth                   404         404               404     404            404
    teacher_southwark             404         404               404     404            404
    yot_southwark                 404         404               404     404            404
    mash_southwark                404         404               200     200            200
    auditor                       404         404               404     404            404
    administrator                 404         404               404     404            404
    administrator_2               404         404               404     404            404
    dpo                           404         404               404     404            404
""")
rows("referral-create", ["anonymous", *LOCKED_OUT_PERSONAS], "lambeth_school", "GET", 302)
rows("referral-create", ["anonymous", *LOCKED_OUT_PERSONAS], "lambeth_school", "POST", 302)

# The referral relations' columns, by the state each referral is in (tests/referral_cases.py).
REFERRAL_COLUMNS = {"submitted": "ref_submitted", "screening": "ref_screening", "routed": "ref_routed",
                    "accepted": "ref_accepted", "declined": "ref_declined", "grace": "ref_closed_grace",
                    "expired": "ref_closed_expired", "withdrawn": "ref_withdrawn", "southwark": "ref_southwark",
                    "automatic": "ref_automatic"}
# Who sees which referral: the referrer's DSL (status and decision only), the borough's MASH lead, the
# receiving service while the referral waits for it or is being worked on. The automatic referral is the
# MASH's: the teacher whose concern raised it and their DSL never see it (it would tell them other
# agencies' concerns exist: DESIGN.md §5.6a).
grid("referral-detail", "GET", """
                       submitted  screening  routed  accepted  declined  grace  expired  withdrawn  southwark  automatic
    teacher_lambeth          404        404     404       404       404    404      404        404        404        404
    gp_lambeth               404        404     404       404       404    404      404        404        404        404
    police_lambeth           404        404     404       404       404    404      404        404        404        404
    dsl_lambeth              200        200     200       200       200    200      200        200        404        404
    mash_lambeth             200        200     200       200       200    200      200        200        404        200
    csc_lambeth              404        404     200       200       404    404      404        404        404        404
    teacher_southwark        404        404     404       404       404    404      404        404        404        404
    yot_southwark            404        404     404       404       404    404      404        404        404        404
    mash_southwark           404        404     404       404       404    404      404        404        200        404
    auditor                  404        404     404       404       404    404      404        404        404        404
    administrator            404        404     404       404       404    404      404        404        404        404
    administrator_2          404        404     404       404       404    404      404        404        404        404
    dpo                      404        404     404       404       404    404      404        404        404        404
""", columns=REFERRAL_COLUMNS)
# Deciding: the MASH lead of the referral's borough.
grid("referral-decide", "GET", """
                       submitted  screening  routed  accepted  declined  grace  expired  withdrawn  southwark  automatic
    teacher_lambeth          404        404     404       404       404    404      404        404        404        404
    gp_lambeth               404        404     404       404       404    404      404        404        404        404
    police_lambeth           404        404     404       404       404    404      404        404        404        404
    dsl_lambeth              404        404     404       404       404    404      404        404        404        404
    mash_lambeth             200        200     200       200       200    200      200        200        404        200
    csc_lambeth              404        404     404       404       404    404      404        404        404        404
    teacher_southwark        404        404     404       404       404    404      404        404        404        404
    yot_southwark            404        404     404       404       404    404      404        404        404        404
    mash_southwark           404        404     404       404       404    404      404        404        200        404
    auditor                  404        404     404       404       404    404      404        404        404        404
    administrator            404        404     404       404       404    404      404        404        404        404
    administrator_2          404        404     404       404       404    404      404        404        404        404
    dpo                      404        404     404       404       404    404      404        404        404        404
""", columns=REFERRAL_COLUMNS)
# Shares appear and disappear exactly as routing and closure say: the subject of each referral (all
# recorded by teacher_lambeth, but the Southwark one), as seen by Lambeth children's social care (the
# receiving service: her record only once it has accepted; the routed referral alone before) and everyone
# else.
grid("subject-detail", "GET", """
                       submitted  screening  routed  accepted  declined  grace  expired  withdrawn  southwark  automatic
    teacher_lambeth          200        200     200       200       200    200      200        200        404        200
    gp_lambeth               404        404     404       404       404    404      404        404        404        404
    police_lambeth           404        404     404       404       404    404      404        404        404        404
    dsl_lambeth              200        200     200       200       200    200      200        200        404        200
    mash_lambeth             200        200     200       200       200    200      200        200        404        200
    csc_lambeth              404        404     404       200       404    200      404        404        404        404
    teacher_southwark        404        404     404       404       404    404      404        404        200        404
    yot_southwark            404        404     404       404       404    404      404        404        404        404
    mash_southwark           404        404     404       404       404    404      404        404        200        404
    auditor                  404        404     404       404       404    404      404        404        404        404
    administrator            404        404     404       404       404    404      404        404        404        404
    administrator_2          404        404     404       404       404    404      404        404        404        404
    dpo                      404        404     404       404       404    404      404        404        404        404
""", columns=REFERRAL_COLUMNS)
# An empty POST is a form error on the page, never a change (one state is enough for the method).
rows("referral-detail", ["dsl_lambeth", "mash_lambeth"], "ref_screening", "POST", 200)
rows("referral-detail", ["teacher_lambeth", "gp_lambeth", "police_lambeth", "csc_lambeth", "teacher_southwark",
                         "yot_southwark", "mash_southwark", "auditor", *ADMINISTRATORS, "dpo"],
     "ref_screening", "POST", 404)
for _url in ["referral-detail", "referral-decide"]:
    rows(_url, ["anonymous", *LOCKED_OUT_PERSONAS], "ref_submitted", "GET", 302)

rows("referral-list", [*MASH_LEADS, "csc_lambeth"], "-", "GET", 200)
rows("referral-list", [p for p in MEMBER_PERSONAS if p not in [*MASH_LEADS, "csc_lambeth"]], "-", "GET", 404)
rows("referral-list", ["anonymous", *LOCKED_OUT_PERSONAS], "-", "GET", 302)
rows("referral-list", MEMBER_PERSONAS, "-", "POST", 405)
# The moves on the automatic referral (submitted), posted with the current version and a reason: the MASH
# of her borough screens or withdraws it; the recorder, their DSL and everyone else get 404.
# (persona, action, expected status): 302 back to the page after the move.
AUTOMATIC_REFERRAL_ACTIONS: list[tuple[str, str, int]] = [
    ("mash_lambeth", "withdraw", 302),
    ("mash_lambeth", "screen", 302),
    ("teacher_lambeth", "withdraw", 404),
    ("dsl_lambeth", "withdraw", 404),
    ("dsl_lambeth", "screen", 404),
    ("mash_southwark", "withdraw", 404),
    ("csc_lambeth", "withdraw", 404),
    ("gp_lambeth", "withdraw", 404),
]

_MY_REFERRALS = [*RECORDERS, *MASH_LEADS]
rows("my-referrals", _MY_REFERRALS, "-", "GET", 200)
rows("my-referrals", [p for p in MEMBER_PERSONAS if p not in _MY_REFERRALS], "-", "GET", 404)
rows("my-referrals", ["anonymous", *LOCKED_OUT_PERSONAS], "-", "GET", 302)

# ---------------------------------------------------------------------------------------------------
# Data protection. tests/dataprotection/cases.py adds, per relation, an emergency-access grant on that
# relation's subject by the other borough's MASH lead, already expired (so it opens nothing here).
# ---------------------------------------------------------------------------------------------------
from tests.dataprotection.cases import extend as _extend_with_grants  # noqa: E402

CASE_EXTENSIONS.append(_extend_with_grants)
_ANON = ["anonymous", *LOCKED_OUT_PERSONAS]
_NOT_MASH = [p for p in MEMBER_PERSONAS if p not in MASH_LEADS]
# Emergency access: MASH leads only; an empty POST is a form error, never a grant.
rows("break-glass", MASH_LEADS, "-", "GET", 200)
rows("break-glass", MASH_LEADS, "-", "POST", 200)
rows("break-glass", _NOT_MASH, "-", "GET", 404)
rows("break-glass", _NOT_MASH, "-", "POST", 404)
rows("break-glass", _ANON, "-", "GET", 302)
# Its review: auditors only, like the rest of the trail's pages.
rows("break-glass-list", ["auditor"], "-", "GET", 200)
rows("break-glass-list", NOT_AUDITORS, "-", "GET", 404)
rows("break-glass-list", _ANON, "-", "GET", 302)
rows("break-glass-list", ["auditor"], "-", "POST", 405)
URL_OBJECTS["break-glass-review"] = "grants"
for _relation in RELATIONS:
    for _method in ["GET", "POST"]:
        rows("break-glass-review", ["auditor"], _relation, _method, 200)
        rows("break-glass-review", NOT_AUDITORS, _relation, _method, 404)
rows("break-glass-review", _ANON, "lambeth_school", "GET", 302)
# Subject access and the erasure forecast: the data protection officer only, for every borough.
_NOT_DPO = [p for p in MEMBER_PERSONAS if p != "dpo"]
rows("subject-access", ["dpo"], "-", "GET", 200)
rows("subject-access", ["dpo"], "-", "POST", 200)
rows("subject-access", _NOT_DPO, "-", "GET", 404)
rows("subject-access", _NOT_DPO, "-", "POST", 404)
rows("subject-access", _ANON, "-", "GET", 302)
# Finding a young person by name and date of birth (POST): MASH leads (their borough) and the data
# protection officer (every borough); an empty POST is the form again with its errors.
_SEARCHERS = [*MASH_LEADS, "dpo"]
for _method in ["GET", "POST"]:
    rows("subject-search", _SEARCHERS, "-", _method, 200)
    rows("subject-search", [p for p in MEMBER_PERSONAS if p not in _SEARCHERS], "-", _method, 404)
rows("subject-search", _ANON, "-", "GET", 302)
for _name in ["subject-access-report", "subject-access-export"]:
    URL_OBJECTS[_name] = "subjects"
    for _relation in RELATIONS:
        rows(_name, ["dpo"], _relation, "GET", 200)
        rows(_name, _NOT_DPO, _relation, "GET", 404)
    rows(_name, MEMBER_PERSONAS, "lambeth_school", "POST", 405)
    rows(_name, _ANON, "lambeth_school", "GET", 302)
for _name in ["erasure-forecast", "erasure-forecast-export"]:
    rows(_name, ["dpo"], "-", "GET", 200)
    rows(_name, _NOT_DPO, "-", "GET", 404)
    rows(_name, _ANON, "-", "GET", 302)
    rows(_name, MEMBER_PERSONAS, "-", "POST", 405)

# ---------------------------------------------------------------------------------------------------
# Administration: separation of duties. tests/agencies/account_cases.py adds pending requests (asked by
# one administrator) and set-password links. The administrator who asked is refused (403: they see the
# request, but may not decide it); the other administrator decides it; nobody else knows it exists (404).
# ---------------------------------------------------------------------------------------------------
from tests.agencies.account_cases import APPROVAL_REQUESTERS  # noqa: E402
from tests.agencies.account_cases import extend as _extend_with_accounts  # noqa: E402

CASE_EXTENSIONS.append(_extend_with_accounts)
ACCOUNT_URL_OBJECTS = {"approval-approve": "approvals", "approval-refuse": "approvals", "set-password": "invitations"}
URL_KWARGS = {"set-password": "token"}
rows("approval-list", ADMINISTRATORS, "-", "GET", 200)
rows("approval-list", NOT_ADMINISTRATORS, "-", "GET", 404)
rows("approval-list", ["anonymous", *LOCKED_OUT_PERSONAS], "-", "GET", 302)
rows("approval-list", MEMBER_PERSONAS, "-", "POST", 405)
# Scheduled jobs and their runs: administrators only.
rows("job-list", ADMINISTRATORS, "-", "GET", 200)
rows("job-list", NOT_ADMINISTRATORS, "-", "GET", 404)
rows("job-list", ["anonymous", *LOCKED_OUT_PERSONAS], "-", "GET", 302)
rows("job-list", MEMBER_PERSONAS, "-", "POST", 405)
# Each request's column: the administrator who asked it is refused (403), the other decides it (302).
grid(("approval-approve", "approval-refuse"), "POST", """
                       grant_by_administrator  grant_by_administrator_2  reset_by_administrator
    teacher_lambeth                       404                       404                     404
    gp_lambeth                            404                       404                     404
    police_lambeth                        404                       404                     404
    dsl_lambeth                           404                       404                     404
    mash_lambeth                          404                       404                     404
    csc_lambeth                           404                       404                     404
    teacher_southwark                     404                       404                     404
    yot_southwark                         404                       404                     404
    mash_southwark                        404                       404                     404
    auditor                               404                       404                     404
    administrator                         403                       302                     403
    administrator_2                       302                       403                     302
    dpo                                   404                       404                     404
""")
for _name in ["approval-approve", "approval-refuse"]:
    for _relation in APPROVAL_REQUESTERS:
        rows(_name, MEMBER_PERSONAS, _relation, "GET", 405)
        rows(_name, ["anonymous", *LOCKED_OUT_PERSONAS], _relation, "POST", 302)
# The set-password page answers whoever holds the link, signed in or not; a link that does not work gets
# the same "expired or used" page (404) whether it never existed, was used, or expired.
for _method in ["GET", "POST"]:
    rows("set-password", ALL_PERSONAS, "open_link", _method, 200)  # an empty POST: errors on the form
    rows("set-password", ALL_PERSONAS, "unknown_link", _method, 404)

# ---------------------------------------------------------------------------------------------------
# Two-factor authentication and step-up. Personas whose roles require a second factor have an
# authenticator and a verified session; the others have neither (client_for in tests/conftest.py).
# ---------------------------------------------------------------------------------------------------
from tests.two_factor_helpers import UNVERIFIED_SUFFIX  # noqa: E402

TWO_FACTOR_PERSONAS = ["dsl_lambeth", "mash_lambeth", "mash_southwark", "auditor", *ADMINISTRATORS, "dpo",
                       *ANALYST_PERSONAS]
OPTIONAL_TWO_FACTOR = [p for p in MEMBER_PERSONAS if p not in TWO_FACTOR_PERSONAS]
# Sessions that gave the password but not yet the code, of members who must give one.
UNVERIFIED_PERSONAS = [
    f"{p}{UNVERIFIED_SUFFIX}" for p in ["dsl_lambeth", "mash_lambeth", "auditor", "administrator", "dpo"]
]
OUTSIDERS = ["anonymous", *LOCKED_OUT_PERSONAS]

# Verify and set-up are the pages an unverified session may reach; verified members are sent on.
rows("two-factor-verify", MEMBER_PERSONAS, "-", "GET", 302)
rows("two-factor-verify", MEMBER_PERSONAS, "-", "POST", 302)
rows("two-factor-verify", UNVERIFIED_PERSONAS, "-", "GET", 200)
rows("two-factor-verify", UNVERIFIED_PERSONAS, "-", "POST", 200)  # an empty code: a message on the form
rows("two-factor-verify", OUTSIDERS, "-", "GET", 302)
rows("two-factor-setup", TWO_FACTOR_PERSONAS, "-", "GET", 302)  # already set up: to the account page
rows("two-factor-setup", OPTIONAL_TWO_FACTOR, "-", "GET", 200)  # may choose to set one up
rows("two-factor-setup", UNVERIFIED_PERSONAS, "-", "GET", 302)  # has one: to verify, never a second one
rows("two-factor-setup", OUTSIDERS, "-", "GET", 302)
rows("account-security", MEMBER_PERSONAS, "-", "GET", 200)
rows("account-security", MEMBER_PERSONAS, "-", "POST", 405)
rows("account-security", OUTSIDERS, "-", "GET", 302)
rows("account-recovery-codes", TWO_FACTOR_PERSONAS, "-", "POST", 200)  # new codes, shown once
rows("account-recovery-codes", OPTIONAL_TWO_FACTOR, "-", "POST", 302)  # nothing to renew
rows("account-recovery-codes", MEMBER_PERSONAS, "-", "GET", 405)
rows("account-recovery-codes", OUTSIDERS, "-", "POST", 302)
rows("account-two-factor-remove", TWO_FACTOR_PERSONAS, "-", "POST", 403)  # required for their role
rows("account-two-factor-remove", OPTIONAL_TWO_FACTOR, "-", "POST", 302)
rows("account-two-factor-remove", MEMBER_PERSONAS, "-", "GET", 405)
rows("account-two-factor-remove", OUTSIDERS, "-", "POST", 302)
rows("step-up", MEMBER_PERSONAS, "-", "GET", 200)
rows("step-up", MEMBER_PERSONAS, "-", "POST", 200)  # nothing typed: a message on the form
rows("step-up", OUTSIDERS, "-", "GET", 302)
# Setting a password with a link needs no second factor: the link is the proof.
for _method in ["GET", "POST"]:
    rows("set-password", UNVERIFIED_PERSONAS, "open_link", _method, 200)
    rows("set-password", UNVERIFIED_PERSONAS, "unknown_link", _method, 404)

# An unverified session reaches nothing else, whatever the URL: pages redirect to verify, other methods
# are refused. Sign-out and health still answer. One relation per URL is enough: the refusal comes before
# any lookup. Generated from every URL and method above, so a new URL is covered as soon as it has rows.
_EXPLICIT = {"two-factor-verify", "two-factor-setup", "set-password"}
_seen: set[tuple[str, str]] = set()
for _url, _persona, _relation, _method, _status in list(ROWS):
    if _url in _EXPLICIT or (_url, _method) in _seen:
        continue
    _seen.add((_url, _method))
    if _url in ("health", "ready"):
        _expected = 200
    elif _url == "metrics":
        _expected = 404
    elif _url == "logout":
        _expected = 302 if _method == "POST" else 405
    else:
        _expected = 302 if _method == "GET" else 403
    rows(_url, UNVERIFIED_PERSONAS, _relation, _method, _expected)

# ---------------------------------------------------------------------------------------------------
# The MASH's decisions about her risk and protective factors (scoring model v3). A block of
# its own, every status written out: relations are the subject relations of tests/cases.py, in the order
# of _DECISION_RELATIONS. Not visible: 404. Visible but not theirs to decide: 403. An empty POST by
# someone allowed is the form again with its errors (200), never a write.
# ---------------------------------------------------------------------------------------------------
_DECISION_RELATIONS = ["lambeth_school", "lambeth_gp", "southwark_school", "shared", "share_revoked"]
_NOTHING = (404, 404, 404, 404, 404)
# Marking a sign explained and reviewing her level: her home borough's MASH leads only.
_MASH_DECISION_STATUS: dict[str, tuple[int, int, int, int, int]] = {
    #                     lambeth_school  lambeth_gp  southwark_school  shared  share_revoked
    "teacher_lambeth":   (403, 404, 404, 404, 404),
    "gp_lambeth":        (404, 403, 404, 404, 404),
    "police_lambeth":    _NOTHING,
    "dsl_lambeth":       (403, 404, 404, 404, 404),
    "mash_lambeth":      (200, 200, 404, 404, 404),
    "csc_lambeth":       (404, 404, 404, 403, 404),
    "teacher_southwark": (404, 404, 403, 404, 404),
    "yot_southwark":     (404, 404, 404, 403, 403),
    "mash_southwark":    (404, 404, 200, 200, 200),
    "auditor":           _NOTHING,
    "administrator":     _NOTHING,
    "administrator_2":   _NOTHING,
    "dpo":               _NOTHING,
}
# Recording a protective factor: practitioners, DSLs and MASH leads, about a young person they may see;
# a receiving worker sees her but does not record them (403).
_PROTECTIVE_FACTOR_STATUS: dict[str, tuple[int, int, int, int, int]] = {
    #                     lambeth_school  lambeth_gp  southwark_school  shared  share_revoked
    "teacher_lambeth":   (200, 404, 404, 404, 404),
    "gp_lambeth":        (404, 200, 404, 404, 404),
    "police_lambeth":    _NOTHING,
    "dsl_lambeth":       (200, 404, 404, 404, 404),
    "mash_lambeth":      (200, 200, 404, 404, 404),
    "csc_lambeth":       (404, 404, 404, 403, 404),
    "teacher_southwark": (404, 404, 200, 404, 404),
    "yot_southwark":     (404, 404, 404, 200, 200),
    "mash_southwark":    (404, 404, 200, 200, 200),
    "auditor":           _NOTHING,
    "administrator":     _NOTHING,
    "administrator_2":   _NOTHING,
    "dpo":               _NOTHING,
}
_DECISION_PAGES = {
    "risk-explain-sign": _MASH_DECISION_STATUS,
    "risk-review-level": _MASH_DECISION_STATUS,
    "protective-factor-create": _PROTECTIVE_FACTOR_STATUS,
}
for _name, _table in _DECISION_PAGES.items():
    URL_OBJECTS[_name] = "subjects"
    for _persona, _statuses in _table.items():
        for _relation, _status in zip(_DECISION_RELATIONS, _statuses, strict=True):
            ROWS.append((_name, _persona, _relation, "GET", _status))
            ROWS.append((_name, _persona, _relation, "POST", _status))
    for _persona in ["anonymous", "no_membership", "inactive_membership", "deactivated_user"]:
        ROWS.append((_name, _persona, "lambeth_school", "GET", 302))
        ROWS.append((_name, _persona, "lambeth_school", "POST", 302))
    # A session that gave the password but not the code: sent to verify (GET), refused (POST). Written out
    # here because the generated unverified rows above were made before this block.
    for _persona in ["dsl_lambeth:unverified", "mash_lambeth:unverified", "auditor:unverified",
                     "administrator:unverified", "dpo:unverified"]:
        ROWS.append((_name, _persona, "lambeth_school", "GET", 302))
        ROWS.append((_name, _persona, "lambeth_school", "POST", 403))

# ---------------------------------------------------------------------------------------------------
# Her rights in practice: correcting her details and restricting processing of her record.
# Her home borough's MASH lead only; visible to someone else: 403; not visible: 404. An empty POST by
# the MASH lead is the form again with its errors (200), never a write.
# ---------------------------------------------------------------------------------------------------
_RIGHTS_PAGES = ("subject-rectify", "subject-restriction")
for _name in _RIGHTS_PAGES:
    URL_OBJECTS[_name] = "subjects"
for _method in ("GET", "POST"):
    grid(_RIGHTS_PAGES, _method, """
                       lambeth_school  lambeth_gp  southwark_school  shared  share_revoked
    teacher_lambeth               403         404               404     404            404
    gp_lambeth                    404         403               404     404            404
    police_lambeth                404         404               404     404            404
    dsl_lambeth                   403         404               404     404            404
    mash_lambeth                  200         200               404     404            404
    csc_lambeth                   404         404               404     403            404
    teacher_southwark             404         404               403     404            404
    yot_southwark                 404         404               404     403            403
    mash_southwark                404         404               200     200            200
    auditor                       404         404               404     404            404
    administrator                 404         404               404     404            404
    administrator_2               404         404               404     404            404
    dpo                           404         404               404     404            404
""")
for _name in _RIGHTS_PAGES:
    for _persona in ["anonymous", *LOCKED_OUT_PERSONAS]:
        ROWS.append((_name, _persona, "lambeth_school", "GET", 302))
        ROWS.append((_name, _persona, "lambeth_school", "POST", 302))
    # Unverified sessions (the generated rows above were made before this block): sent to verify, refused.
    for _persona in UNVERIFIED_PERSONAS:
        ROWS.append((_name, _persona, "lambeth_school", "GET", 302))
        ROWS.append((_name, _persona, "lambeth_school", "POST", 403))

# ---------------------------------------------------------------------------------------------------
# School transfers: her child-protection file follows her to her new school.
# tests/referrals/transfer_cases.py adds two schools no persona works at, so that dsl_lambeth stands as
# the old school (transfer_out), the new school before (transfer_in) and after accepting
# (transfer_in_accepted), a school with no part in it (transfer_others), and the new school of a transfer
# past its 5 school days (transfer_overdue, which her borough's MASH then sees). Every young person of
# these relations lives in Lambeth; her one concern is the old school's. Not visible: 404; visible but not
# theirs to do: 403.
# ---------------------------------------------------------------------------------------------------
from tests.referrals.transfer_cases import extend as _extend_with_transfers  # noqa: E402

CASE_EXTENSIONS.append(_extend_with_transfers)
TRANSFER_URL_OBJECTS = {
    "school-transfer-accept": "transfers", "school-transfer-cancel": "transfers",
    "school-transfer-create": "subjects", "subject-detail": "subjects", "concern-detail": "concerns",
}
_TRANSFER_COLUMNS = {"out": "transfer_out", "in": "transfer_in", "in_accepted": "transfer_in_accepted",
                     "others": "transfer_others", "overdue": "transfer_overdue"}
# Her page and the old school's concern about her: the new school's DSL only once they accepted the file.
grid(("subject-detail", "concern-detail"), "GET", """
                         out   in  in_accepted  others  overdue
    teacher_lambeth      200  404          404     404      404
    gp_lambeth           404  404          404     404      404
    police_lambeth       404  404          404     404      404
    dsl_lambeth          200  404          200     404      404
    mash_lambeth         200  200          200     200      200
    csc_lambeth          404  404          404     404      404
    teacher_southwark    404  404          404     404      404
    yot_southwark        404  404          404     404      404
    mash_southwark       404  404          404     404      404
    auditor              404  404          404     404      404
    administrator        404  404          404     404      404
    administrator_2      404  404          404     404      404
    dpo                  404  404          404     404      404
""", _TRANSFER_COLUMNS)
# Sending her file: a school's DSL whose school recorded concerns about her or received her file. An empty
# POST by the DSL is the form again with its errors (200), never a transfer.
URL_OBJECTS["school-transfer-create"] = "subjects"
for _method in ["GET", "POST"]:
    grid("school-transfer-create", _method, """
                       lambeth_school  lambeth_gp  southwark_school  shared  share_revoked
    teacher_lambeth               403         404               404     404            404
    gp_lambeth                    404         403               404     404            404
    police_lambeth                404         404               404     404            404
    dsl_lambeth                   200         404               404     404            404
    mash_lambeth                  403         403               404     404            404
    csc_lambeth                   404         404               404     403            404
    teacher_southwark             404         404               403     404            404
    yot_southwark                 404         404               404     403            403
    mash_southwark                404         404               403     403            403
    auditor                       404         404               404     404            404
    administrator                 404         404               404     404            404
    administrator_2               404         404               404     404            404
    dpo                           404         404               404     404            404
""")
    grid("school-transfer-create", _method, """
                         out   in  in_accepted  others  overdue
    teacher_lambeth      403  404          404     404      404
    gp_lambeth           404  404          404     404      404
    police_lambeth       404  404          404     404      404
    dsl_lambeth          200  404          200     404      404
    mash_lambeth         403  403          403     403      403
    csc_lambeth          404  404          404     404      404
    teacher_southwark    404  404          404     404      404
    yot_southwark        404  404          404     404      404
    mash_southwark       404  404          404     404      404
    auditor              404  404          404     404      404
    administrator        404  404          404     404      404
    administrator_2      404  404          404     404      404
    dpo                  404  404          404     404      404
""", _TRANSFER_COLUMNS)
# Accepting (the receipt): the new school's DSL, while it waits. The old school's DSL and the MASH (who
# see an overdue one) are refused; nobody else knows it exists.
grid("school-transfer-accept", "POST", """
                         out   in  in_accepted  others  overdue
    teacher_lambeth      404  404          404     404      404
    gp_lambeth           404  404          404     404      404
    police_lambeth       404  404          404     404      404
    dsl_lambeth          403  302          403     404      302
    mash_lambeth         404  404          404     404      403
    csc_lambeth          404  404          404     404      404
    teacher_southwark    404  404          404     404      404
    yot_southwark        404  404          404     404      404
    mash_southwark       404  404          404     404      404
    auditor              404  404          404     404      404
    administrator        404  404          404     404      404
    administrator_2      404  404          404     404      404
    dpo                  404  404          404     404      404
""", _TRANSFER_COLUMNS)
# Cancelling: the old school's DSL, while it waits.
grid("school-transfer-cancel", "POST", """
                         out   in  in_accepted  others  overdue
    teacher_lambeth      404  404          404     404      404
    gp_lambeth           404  404          404     404      404
    police_lambeth       404  404          404     404      404
    dsl_lambeth          302  403          403     404      403
    mash_lambeth         404  404          404     404      403
    csc_lambeth          404  404          404     404      404
    teacher_southwark    404  404          404     404      404
    yot_southwark        404  404          404     404      404
    mash_southwark       404  404          404     404      404
    auditor              404  404          404     404      404
    administrator        404  404          404     404      404
    administrator_2      404  404          404     404      404
    dpo                  404  404          404     404      404
""", _TRANSFER_COLUMNS)
for _name in ["school-transfer-accept", "school-transfer-cancel"]:
    rows(_name, MEMBER_PERSONAS, "transfer_in", "GET", 405)
    rows(_name, ["anonymous", *LOCKED_OUT_PERSONAS], "transfer_in", "POST", 302)
rows("school-transfer-create", ["anonymous", *LOCKED_OUT_PERSONAS], "lambeth_school", "GET", 302)
# The transfers page: schools' DSLs and MASH leads.
rows("school-transfer-list", ["dsl_lambeth", *MASH_LEADS], "-", "GET", 200)
rows("school-transfer-list", [p for p in MEMBER_PERSONAS if p not in {"dsl_lambeth", *MASH_LEADS}], "-", "GET", 404)
rows("school-transfer-list", ["anonymous", *LOCKED_OUT_PERSONAS], "-", "GET", 302)
rows("school-transfer-list", MEMBER_PERSONAS, "-", "POST", 405)
# A session that gave the password but not the code: sent to verify (GET), refused (POST). Written out
# here because the generated unverified rows above were made before this block.
for _persona in UNVERIFIED_PERSONAS:
    rows("school-transfer-list", [_persona], "-", "GET", 302)
    rows("school-transfer-create", [_persona], "lambeth_school", "GET", 302)
    rows("school-transfer-create", [_persona], "lambeth_school", "POST", 403)
    for _name in ["school-transfer-accept", "school-transfer-cancel"]:
        rows(_name, [_persona], "transfer_in", "GET", 302)
        rows(_name, [_persona], "transfer_in", "POST", 403)

# ---------------------------------------------------------------------------------------------------
# Moves between boroughs (tests/referrals/borough_cases.py): a Lambeth girl asked to move to Southwark
# (moving_pending), one who moved (moving_accepted), and one Lambeth shared with Southwark's MASH where
# harm happens (harm_shared: read-only pages only). Each has one concern by teacher_lambeth.
# ---------------------------------------------------------------------------------------------------
from tests.referrals.borough_cases import extend as _extend_with_boroughs  # noqa: E402

CASE_EXTENSIONS.append(_extend_with_boroughs)
BOROUGH_URL_OBJECTS = {
    "subject-detail": "subjects", "subject-risk": "subjects", "map-subject": "subjects",
    "subject-boroughs": "subjects", "subject-merge": "subjects", "referral-create": "subjects",
    "borough-transfer-detail": "transfers",
}
_BOROUGH_COLUMNS = {"pending": "moving_pending", "accepted": "moving_accepted", "harm": "harm_shared"}
# Her page: her home MASH (the new one once accepted); the harm borough's MASH reads it while the share
# lasts. Her recorder and her school's DSL keep seeing their own concern's young person.
grid("subject-detail", "GET", """
                       pending  accepted  harm
    teacher_lambeth        200       200   200
    gp_lambeth             404       404   404
    police_lambeth         404       404   404
    dsl_lambeth            200       200   200
    mash_lambeth           200       404   200
    csc_lambeth            404       404   404
    teacher_southwark      404       404   404
    yot_southwark          404       404   404
    mash_southwark         404       200   200
    auditor                404       404   404
    administrator          404       404   404
    administrator_2        404       404   404
    dpo                    404       404   404
""", _BOROUGH_COLUMNS)
grid("subject-risk", "GET", """
                       pending  accepted  harm
    teacher_lambeth        200       200   200
    gp_lambeth             404       404   404
    police_lambeth         404       404   404
    dsl_lambeth            200       200   200
    mash_lambeth           200       404   200
    csc_lambeth            404       404   404
    teacher_southwark      404       404   404
    yot_southwark          404       404   404
    mash_southwark         404       200   200
    auditor                404       404   404
    administrator          404       404   404
    administrator_2        404       404   404
    dpo                    404       404   404
""", _BOROUGH_COLUMNS)
# What acts on her stays with her home MASH: the harm borough's MASH is answered as if she did not exist.
# (Her school's DSL refers her to the MASH; merging is the MASH's.)
for _method in ("GET", "POST"):
    for _name, _dsl in (("subject-merge", "404"), ("referral-create", "200")):
        grid(_name, _method, f"""
                       pending  accepted  harm
    teacher_lambeth        404       404   404
    gp_lambeth             404       404   404
    police_lambeth         404       404   404
    dsl_lambeth            {_dsl}       {_dsl}   {_dsl}
    mash_lambeth           200       404   200
    csc_lambeth            404       404   404
    teacher_southwark      404       404   404
    yot_southwark          404       404   404
    mash_southwark         404       200   404
    auditor                404       404   404
    administrator          404       404   404
    administrator_2        404       404   404
    dpo                    404       404   404
""", _BOROUGH_COLUMNS)
# Her boroughs page: her home MASH only (an empty POST is a clear error, 400); those who see her but do not
# decide about her are refused (403).
for _method, _ok in (("GET", "200"), ("POST", "400")):
    grid("subject-boroughs", _method, f"""
                       pending  accepted  harm
    teacher_lambeth        403       403   403
    gp_lambeth             404       404   404
    police_lambeth         404       404   404
    dsl_lambeth            403       403   403
    mash_lambeth           {_ok}       404   {_ok}
    csc_lambeth            404       404   404
    teacher_southwark      404       404   404
    yot_southwark          404       404   404
    mash_southwark         404       {_ok}   404
    auditor                404       404   404
    administrator          404       404   404
    administrator_2        404       404   404
    dpo                    404       404   404
""", _BOROUGH_COLUMNS)
# A transfer: the MASH leads of both boroughs (an empty POST is a clear error, 400); nobody else knows of it.
for _method, _ok in (("GET", "200"), ("POST", "400")):
    grid("borough-transfer-detail", _method, f"""
                       pending  accepted
    teacher_lambeth        404       404
    gp_lambeth             404       404
    police_lambeth         404       404
    dsl_lambeth            404       404
    mash_lambeth           {_ok}       {_ok}
    csc_lambeth            404       404
    teacher_southwark      404       404
    yot_southwark          404       404
    mash_southwark         {_ok}       {_ok}
    auditor                404       404
    administrator          404       404
    administrator_2        404       404
    dpo                    404       404
""", _BOROUGH_COLUMNS)
rows("borough-transfer-list", MASH_LEADS, "-", "GET", 200)
rows("borough-transfer-list", [p for p in MEMBER_PERSONAS if p not in MASH_LEADS], "-", "GET", 404)
rows("borough-transfer-list", MEMBER_PERSONAS, "-", "POST", 405)
for _name, _relation in (("subject-boroughs", "moving_pending"), ("borough-transfer-detail", "moving_pending"),
                         ("borough-transfer-list", "-")):
    rows(_name, ["anonymous", *LOCKED_OUT_PERSONAS], _relation, "GET", 302)
    if _name != "borough-transfer-list":
        rows(_name, ["anonymous", *LOCKED_OUT_PERSONAS], _relation, "POST", 302)
        rows(_name, UNVERIFIED_PERSONAS, _relation, "POST", 403)
    rows(_name, UNVERIFIED_PERSONAS, _relation, "GET", 302)
# Timeouts and drafts (nothing lost when time runs out). "Stay signed in" answers every member.
# A draft (tests/drafts/cases.py: for each relation, one kept for the recorder of that case) is named by
# its random id in the address: its author continues or discards it (302); for everyone else it is 404,
# as if it did not exist, whatever their role.
# ---------------------------------------------------------------------------------------------------
rows("session-keep-alive", MEMBER_PERSONAS, "-", "POST", 200)
rows("session-keep-alive", MEMBER_PERSONAS, "-", "GET", 405)
rows("session-keep-alive", ["anonymous", *LOCKED_OUT_PERSONAS], "-", "POST", 302)
from tests.drafts.cases import extend as _extend_with_drafts  # noqa: E402

CASE_EXTENSIONS.append(_extend_with_drafts)
URL_OBJECTS["draft-continue"] = "drafts"
URL_OBJECTS["draft-discard"] = "drafts"
for _name in ["draft-continue", "draft-discard"]:
    grid(_name, "POST", """
                       lambeth_school  lambeth_gp  southwark_school  shared  share_revoked
    teacher_lambeth               302         404               404     404            404
    gp_lambeth                    404         302               404     404            404
    police_lambeth                404         404               404     404            404
    dsl_lambeth                   404         404               404     404            404
    mash_lambeth                  404         404               404     404            404
    csc_lambeth                   404         404               404     404            404
    teacher_southwark             404         404               302     404            404
    yot_southwark                 404         404               404     302            302
    mash_southwark                404         404               404     404            404
    auditor                       404         404               404     404            404
    administrator                 404         404               404     404            404
    administrator_2               404         404               404     404            404
    dpo                           404         404               404     404            404
""")
    for _relation in RELATIONS:
        rows(_name, MEMBER_PERSONAS, _relation, "GET", 405)
    rows(_name, ["anonymous", *LOCKED_OUT_PERSONAS], "lambeth_school", "POST", 302)
for _persona in UNVERIFIED_PERSONAS:
    rows("session-keep-alive", [_persona], "-", "GET", 302)
    rows("session-keep-alive", [_persona], "-", "POST", 403)
    for _name in ["draft-continue", "draft-discard"]:
        rows(_name, [_persona], "lambeth_school", "GET", 302)
        rows(_name, [_persona], "lambeth_school", "POST", 403)
# Decisions into several pathways. tests/referrals/pathway_cases.py: girls at high whose
# automatic referral the Lambeth MASH routed into several pathways, so that csc_lambeth (Lambeth children's
# social care's receiving worker) stands as a routed service before answering (pw_routed), a service it was
# not routed to (pw_not_routed), and after accepting, declining and completing its pathway. Receiving
# workers' access follows the pathway rows routed to their agency, while they are live. Not visible: 404;
# visible but nothing of theirs to answer: 403.
# ---------------------------------------------------------------------------------------------------
from tests.referrals.pathway_cases import extend as _extend_with_pathways  # noqa: E402

CASE_EXTENSIONS.append(_extend_with_pathways)
PATHWAY_URL_OBJECTS = {"referral-detail": "referrals", "referral-pathway-respond": "referrals",
                       "subject-detail": "subjects"}
_PATHWAY_COLUMNS = {"routed": "pw_routed", "not_routed": "pw_not_routed", "accepted": "pw_accepted",
                    "declined": "pw_declined", "completed": "pw_completed"}
grid("referral-detail", "GET", """
                       routed  not_routed  accepted  declined  completed
    teacher_lambeth       404         404       404       404        404
    gp_lambeth            404         404       404       404        404
    police_lambeth        404         404       404       404        404
    dsl_lambeth           404         404       404       404        404
    mash_lambeth          200         200       200       200        200
    csc_lambeth           200         404       200       404        404
    teacher_southwark     404         404       404       404        404
    yot_southwark         404         404       404       404        404
    mash_southwark        404         404       404       404        404
    auditor               404         404       404       404        404
    administrator         404         404       404       404        404
    administrator_2       404         404       404       404        404
    dpo                   404         404       404       404        404
""", _PATHWAY_COLUMNS)
# Her record follows the shares once the service has accepted: before that, children's social care reads
# the referral (its summary and what the MASH shared), not her record; it keeps her record for the grace
# period after completing.
grid("subject-detail", "GET", """
                       routed  not_routed  accepted  declined  completed
    teacher_lambeth       200         200       200       200        200
    gp_lambeth            404         404       404       404        404
    police_lambeth        404         404       404       404        404
    dsl_lambeth           200         200       200       200        200
    mash_lambeth          200         200       200       200        200
    csc_lambeth           404         404       200       404        200
    teacher_southwark     404         404       404       404        404
    yot_southwark         404         404       404       404        404
    mash_southwark        404         404       404       404        404
    auditor               404         404       404       404        404
    administrator         404         404       404       404        404
    administrator_2       404         404       404       404        404
    dpo                   404         404       404       404        404
""", _PATHWAY_COLUMNS)
# Answering for a pathway (an empty POST: the page again with its errors, never a change): the service it
# is routed to while it is live; the MASH sees the referral but answers for nothing.
grid("referral-pathway-respond", "POST", """
                       routed  not_routed  accepted  declined  completed
    teacher_lambeth       404         404       404       404        404
    gp_lambeth            404         404       404       404        404
    police_lambeth        404         404       404       404        404
    dsl_lambeth           404         404       404       404        404
    mash_lambeth          403         403       403       403        403
    csc_lambeth           200         404       200       404        404
    teacher_southwark     404         404       404       404        404
    yot_southwark         404         404       404       404        404
    mash_southwark        404         404       404       404        404
    auditor               404         404       404       404        404
    administrator         404         404       404       404        404
    administrator_2       404         404       404       404        404
    dpo                   404         404       404       404        404
""", _PATHWAY_COLUMNS)
rows("referral-pathway-respond", MEMBER_PERSONAS, "pw_routed", "GET", 405)
rows("referral-pathway-respond", ["anonymous", *LOCKED_OUT_PERSONAS], "pw_routed", "POST", 302)
rows("referral-pathway-respond", ["anonymous", *LOCKED_OUT_PERSONAS], "pw_routed", "GET", 302)
for _persona in UNVERIFIED_PERSONAS:
    rows("referral-pathway-respond", [_persona], "pw_routed", "GET", 302)
    rows("referral-pathway-respond", [_persona], "pw_routed", "POST", 403)

# ---------------------------------------------------------------------------------------------------
# Case work after the decision. tests/casework/cases.py: a Lambeth girl at high whose strategy
# discussion children's social care accepted (csc_lambeth reads her), a strategy discussion, an action owned by
# police_lambeth (who cannot otherwise see her) and one owned by dsl_lambeth, a MACE meeting held (school,
# police and social care present) and one planned. Not visible: 404; visible but not theirs to do: 403; an
# empty POST by someone allowed is the form again with its errors (200), never a write.
# ---------------------------------------------------------------------------------------------------
from tests.casework.cases import extend as _extend_with_casework  # noqa: E402

CASE_EXTENSIONS.append(_extend_with_casework)
CASEWORK_URL_OBJECTS = {
    "casework-subject": "subjects", "strategy-discussion-create": "subjects", "action-create": "subjects",
    "outcome-create": "subjects", "strategy-discussion-detail": "discussions", "action-detail": "actions",
    "mace-detail": "meetings", "mace-minutes": "meetings", "mace-discuss": "meetings",
}
# Her case-work page: whoever may open her record (her teacher and school DSL, the MASH, social care).
grid("casework-subject", "GET", """
                       cw
    teacher_lambeth    200
    gp_lambeth         404
    police_lambeth     404
    dsl_lambeth        200
    mash_lambeth       200
    csc_lambeth        200
    teacher_southwark  404
    yot_southwark      404
    mash_southwark     404
    auditor            404
    administrator      404
    administrator_2    404
    dpo                404
""")
# Recording a strategy discussion or adding an action: her borough's MASH only.
for _method in ["GET", "POST"]:
    grid(("strategy-discussion-create", "action-create"), _method, """
                       cw
    teacher_lambeth    403
    gp_lambeth         404
    police_lambeth     404
    dsl_lambeth        403
    mash_lambeth       200
    csc_lambeth        403
    teacher_southwark  404
    yot_southwark      404
    mash_southwark     404
    auditor            404
    administrator      404
    administrator_2    404
    dpo                404
""")
    # An outcome: the MASH, the service she is shared with, and her school's DSL; not a practitioner.
    grid("outcome-create", _method, """
                       cw
    teacher_lambeth    403
    gp_lambeth         404
    police_lambeth     404
    dsl_lambeth        200
    mash_lambeth       200
    csc_lambeth        200
    teacher_southwark  404
    yot_southwark      404
    mash_southwark     404
    auditor            404
    administrator      404
    administrator_2    404
    dpo                404
""")
# The strategy discussion's record: the MASH, and the service that accepted her pathway.
grid("strategy-discussion-detail", "GET", """
                       cw_discussion
    teacher_lambeth    404
    gp_lambeth         404
    police_lambeth     404
    dsl_lambeth        404
    mash_lambeth       200
    csc_lambeth        200
    teacher_southwark  404
    yot_southwark      404
    mash_southwark     404
    auditor            404
    administrator      404
    administrator_2    404
    dpo                404
""")
# An action: its owner, its agency's DSLs and practitioners, the MASH and the service she is shared with see
# it; its owner and the MASH update it (the others: 403).
_ACTION_COLUMNS = {"police": "cw_police_action", "school": "cw_school_action"}
grid("action-detail", "GET", """
                       police  school
    teacher_lambeth       404     200
    gp_lambeth            404     404
    police_lambeth        200     404
    dsl_lambeth           404     200
    mash_lambeth          200     200
    csc_lambeth           200     200
    teacher_southwark     404     404
    yot_southwark         404     404
    mash_southwark        404     404
    auditor               404     404
    administrator         404     404
    administrator_2       404     404
    dpo                   404     404
""", _ACTION_COLUMNS)
grid("action-detail", "POST", """
                       police  school
    teacher_lambeth       404     403
    gp_lambeth            404     404
    police_lambeth        200     404
    dsl_lambeth           404     200
    mash_lambeth          200     200
    csc_lambeth           403     403
    teacher_southwark     404     404
    yot_southwark         404     404
    mash_southwark        404     404
    auditor               404     404
    administrator         404     404
    administrator_2       404     404
    dpo                   404     404
""", _ACTION_COLUMNS)
# The actions page: every case worker (owners can be anyone who works with her); never governance.
# Partnership analysts see aggregates only: no case page, this one included.
rows("action-list", [p for p in MEMBER_PERSONAS if p not in {"auditor", "dpo", *ADMINISTRATORS, *ANALYST_PERSONAS}],
     "-", "GET", 200)
rows("action-list", ["auditor", "dpo", *ADMINISTRATORS, *ANALYST_PERSONAS], "-", "GET", 404)
rows("action-list", MEMBER_PERSONAS, "-", "POST", 405)
# MACE meetings: the MASH leads (their borough's series).
rows("mace-list", MASH_LEADS, "-", "GET", 200)
rows("mace-list", MASH_LEADS, "-", "POST", 200)
rows("mace-list", _NOT_MASH, "-", "GET", 404)
rows("mace-list", _NOT_MASH, "-", "POST", 404)
# A meeting: the MASH runs it; members of the agencies invited (school, police, social care) see its date,
# status and attendance; once held, its minutes (each part behind its own rule); before that, not the minutes.
_MEETING_COLUMNS = {"held": "cw_meeting_held", "planned": "cw_meeting_planned"}
_MEETING_TABLE = """
                       held  planned
    teacher_lambeth     200      {a}
    gp_lambeth          404      404
    police_lambeth      200      {a}
    dsl_lambeth         200      {a}
    mash_lambeth        200      200
    csc_lambeth         200      {a}
    teacher_southwark   404      404
    yot_southwark       404      404
    mash_southwark      404      404
    auditor             404      404
    administrator       404      404
    administrator_2     404      404
    dpo                 404      404
"""
grid("mace-detail", "GET", _MEETING_TABLE.format(a=200), _MEETING_COLUMNS)
grid("mace-minutes", "GET", _MEETING_TABLE.format(a=403), _MEETING_COLUMNS)
# The chair's changes (an empty POST: the page again with its errors) and an item's discussion: the MASH.
grid("mace-detail", "POST", """
                       held  planned
    teacher_lambeth     403      403
    gp_lambeth          404      404
    police_lambeth      403      403
    dsl_lambeth         403      403
    mash_lambeth        200      200
    csc_lambeth         403      403
    teacher_southwark   404      404
    yot_southwark       404      404
    mash_southwark      404      404
    auditor             404      404
    administrator       404      404
    administrator_2     404      404
    dpo                 404      404
""", _MEETING_COLUMNS)
for _method in ["GET", "POST"]:
    grid("mace-discuss", _method, """
                       held  planned
    teacher_lambeth     403      403
    gp_lambeth          404      404
    police_lambeth      403      403
    dsl_lambeth         403      403
    mash_lambeth        200      200
    csc_lambeth         403      403
    teacher_southwark   404      404
    yot_southwark       404      404
    mash_southwark      404      404
    auditor             404      404
    administrator       404      404
    administrator_2     404      404
    dpo                 404      404
""", _MEETING_COLUMNS)
rows("mace-minutes", MEMBER_PERSONAS, "cw_meeting_held", "POST", 405)
rows("strategy-discussion-detail", MEMBER_PERSONAS, "cw_discussion", "POST", 405)
rows("casework-subject", MEMBER_PERSONAS, "cw", "POST", 405)
for _name, _relation in [("casework-subject", "cw"), ("strategy-discussion-create", "cw"), ("action-create", "cw"),
                         ("outcome-create", "cw"), ("strategy-discussion-detail", "cw_discussion"),
                         ("action-detail", "cw_police_action"), ("action-list", "-"), ("mace-list", "-"),
                         ("mace-detail", "cw_meeting_held"), ("mace-minutes", "cw_meeting_held"),
                         ("mace-discuss", "cw_meeting_planned")]:
    rows(_name, OUTSIDERS, _relation, "GET", 302)
    for _persona in UNVERIFIED_PERSONAS:
        rows(_name, [_persona], _relation, "GET", 302)
        if _name not in ("casework-subject", "strategy-discussion-detail", "action-list", "mace-minutes"):
            rows(_name, [_persona], _relation, "POST", 403)

# ---------------------------------------------------------------------------------------------------
# Notifications: every member has an inbox of their own; marking as read is POST only, and
# another person's notification is not found (404). tests/notifications/cases.py puts one notification in
# teacher_lambeth's inbox (relation teacher_note). Unverified sessions: sent to verify, refused.
# ---------------------------------------------------------------------------------------------------
from tests.notifications.cases import extend as _extend_with_notifications  # noqa: E402

CASE_EXTENSIONS.append(_extend_with_notifications)
URL_OBJECTS["notification-read"] = "notifications"
rows("notification-list", MEMBER_PERSONAS, "-", "GET", 200)
rows("notification-list", MEMBER_PERSONAS, "-", "POST", 405)
rows("notification-list", OUTSIDERS, "-", "GET", 302)
rows("notification-read-all", MEMBER_PERSONAS, "-", "POST", 302)
rows("notification-read-all", MEMBER_PERSONAS, "-", "GET", 405)
rows("notification-read-all", OUTSIDERS, "-", "POST", 302)
grid("notification-read", "POST", """
                       teacher_note
    teacher_lambeth             302
    gp_lambeth                  404
    police_lambeth              404
    dsl_lambeth                 404
    mash_lambeth                404
    csc_lambeth                 404
    teacher_southwark           404
    yot_southwark               404
    mash_southwark              404
    auditor                     404
    administrator               404
    administrator_2             404
    dpo                         404
""")
for _relation in ["teacher_note", *RELATIONS]:
    rows("notification-read", MEMBER_PERSONAS, _relation, "GET", 405)  # POST only, before any lookup
rows("notification-read", ["teacher_lambeth"], "shared", "POST", 302)  # her own, about a girl she cannot see
rows("notification-read", OUTSIDERS, "teacher_note", "POST", 302)
for _name, _relation, _method in [("notification-list", "-", "GET"), ("notification-read-all", "-", "POST"),
                                  ("notification-read", "teacher_note", "POST")]:
    rows(_name, UNVERIFIED_PERSONAS, _relation, _method, 302 if _method == "GET" else 403)

# Her chronology: whoever may see her page, each seeing only their own rows (tests/referrals/
# test_chronology.py); a read of her record like her page.
URL_OBJECTS["subject-chronology"] = "subjects"
grid("subject-chronology", "GET", """
                       lambeth_school  lambeth_gp  southwark_school  shared  share_revoked
    teacher_lambeth               200         404               404     404            404
    gp_lambeth                    404         200               404     404            404
    police_lambeth                404         404               404     404            404
    dsl_lambeth                   200         404               404     404            404
    mash_lambeth                  200         200               404     404            404
    csc_lambeth                   404         404               404     200            404
    teacher_southwark             404         404               200     404            404
    yot_southwark                 404         404               404     200            200
    mash_southwark                404         404               200     200            200
    auditor                       404         404               404     404            404
    administrator                 404         404               404     404            404
    administrator_2               404         404               404     404            404
    dpo                           404         404               404     404            404
""")
rows("subject-chronology", MEMBER_PERSONAS, "lambeth_school", "POST", 405)
rows("subject-chronology", OUTSIDERS, "lambeth_school", "GET", 302)
rows("subject-chronology", UNVERIFIED_PERSONAS, "lambeth_school", "GET", 302)
# The API for agency systems. Sessions reach none of its operations: every persona, signed in
# or not, verified or not, gets 401 (a bearer token of a client is the only way in; what a client may do by
# scope and relation is the API matrix in tests/api/test_matrix.py). The contract and its docs are public.
# Registering and revoking clients: administrators only.
# ---------------------------------------------------------------------------------------------------
from tests.referral_cases import REFERRAL_RELATIONS  # noqa: E402

API_OPERATIONS = ["api-concerns", "api-referrals", "api-indicators", "api-pathways"]
API_EVERYONE = [*ALL_PERSONAS, *UNVERIFIED_PERSONAS]
URL_OBJECTS["api-concern-detail"] = "concerns"
REFERRAL_URL_OBJECTS["api-referral-detail"] = "referrals"
API_CLIENT_RELATIONS = ["api_client"]
for _name in API_OPERATIONS:
    rows(_name, API_EVERYONE, "-", "GET", 401)
rows("api-concerns", API_EVERYONE, "-", "POST", 401)
for _relation in RELATIONS:
    rows("api-concern-detail", API_EVERYONE, _relation, "GET", 401)
for _relation in REFERRAL_RELATIONS:
    rows("api-referral-detail", API_EVERYONE, _relation, "GET", 401)
rows("api-token", API_EVERYONE, "-", "POST", 400)  # an empty request: no grant type (RFC 6749 invalid_request)
rows("api-token", API_EVERYONE, "-", "GET", 405)
for _name in ["api-schema", "api-docs"]:
    rows(_name, API_EVERYONE, "-", "GET", 200)
for _name in ["api-client-list", "api-client-register"]:
    rows(_name, ADMINISTRATORS, "-", "GET", 200)
    rows(_name, NOT_ADMINISTRATORS, "-", "GET", 404)
    rows(_name, OUTSIDERS, "-", "GET", 302)
    rows(_name, UNVERIFIED_PERSONAS, "-", "GET", 302)
rows("api-client-list", MEMBER_PERSONAS, "-", "POST", 405)
rows("api-client-register", ADMINISTRATORS, "-", "POST", 200)  # nothing filled in: errors on the form
rows("api-client-register", NOT_ADMINISTRATORS, "-", "POST", 404)
rows("api-client-register", UNVERIFIED_PERSONAS, "-", "POST", 403)
for _method, _admin in [("GET", 200), ("POST", 200)]:  # POST without confirming: the form again
    rows("api-client-revoke", ADMINISTRATORS, "api_client", _method, _admin)
    rows("api-client-revoke", NOT_ADMINISTRATORS, "api_client", _method, 404)
rows("api-client-revoke", OUTSIDERS, "api_client", "GET", 302)
rows("api-client-revoke", UNVERIFIED_PERSONAS, "api_client", "GET", 302)
rows("api-client-revoke", UNVERIFIED_PERSONAS, "api_client", "POST", 403)


def _extend_with_api_clients(world, built) -> None:
    from tests.api.clients import register

    built.api_clients = {"api_client": register(world).client}


CASE_EXTENSIONS.append(_extend_with_api_clients)
# Partnership statistics: partnership analysts only, aggregates only. The borough analyst sees
# London and Lambeth, MOPAC's analyst London and every borough; everyone else 404. Relations of the area
# URLs are the area's slug ("atlantis" names no borough). A run is computed when the world is built.
# ---------------------------------------------------------------------------------------------------
def _extend_with_statistics(world, built) -> None:
    from partnership.services import do_aggregate_statistics

    do_aggregate_statistics()


CASE_EXTENSIONS.append(_extend_with_statistics)
STATISTICS_AREA_URLS = ("statistics-area", "statistics-csv", "statistics-ods")
_NOT_ANALYSTS = [p for p in MEMBER_PERSONAS if p not in ANALYST_PERSONAS]
rows("statistics", ANALYST_PERSONAS, "-", "GET", 200)
rows("statistics", _NOT_ANALYSTS, "-", "GET", 404)
rows("statistics", MEMBER_PERSONAS, "-", "POST", 405)
rows("statistics", ["anonymous", *LOCKED_OUT_PERSONAS], "-", "GET", 302)
grid(STATISTICS_AREA_URLS, "GET", """
                       london  lambeth  southwark  atlantis
    teacher_lambeth       404      404        404       404
    gp_lambeth            404      404        404       404
    police_lambeth        404      404        404       404
    dsl_lambeth           404      404        404       404
    mash_lambeth          404      404        404       404
    csc_lambeth           404      404        404       404
    teacher_southwark     404      404        404       404
    yot_southwark         404      404        404       404
    mash_southwark        404      404        404       404
    auditor               404      404        404       404
    administrator         404      404        404       404
    administrator_2       404      404        404       404
    dpo                   404      404        404       404
    analyst_lambeth       200      200        404       404
    analyst_london        200      200        200       404
""")
for _name in STATISTICS_AREA_URLS:
    rows(_name, MEMBER_PERSONAS, "london", "POST", 405)
    rows(_name, ["anonymous", *LOCKED_OUT_PERSONAS], "london", "GET", 302)
for _name in ("statistics", *STATISTICS_AREA_URLS):
    # The generated unverified rows above were made before this block: written out here.
    _relation = "-" if _name == "statistics" else "london"
    rows(_name, UNVERIFIED_PERSONAS, _relation, "GET", 302)
    rows(_name, UNVERIFIED_PERSONAS, _relation, "POST", 403)

# Where a page refuses before asking who the member is, analysts are answered as everyone else is: the
# admin site sends non-staff to sign in; a GET-only page refuses POST (405) before looking at roles.
for _name in ("admin:agencies_agency_changelist", "admin:agencies_membership_changelist",
              "admin:auth_user_changelist"):
    rows(_name, ANALYST_PERSONAS, "-", "GET", 302)
for _name in ("break-glass-list", "contexts"):
    rows(_name, ANALYST_PERSONAS, "-", "POST", 405)

# Analysts are refused every other page (404) unless a row above says otherwise: for each URL, relation and
# method that member personas have rows for, the analysts get 404 where no row names them. Kept last, so it
# covers every block above; tests/authz/test_matrix.py checks no URL is left without analyst rows.
_analysed = {(row[0], row[1], row[2], row[3]) for row in ROWS if row[1] in ANALYST_PERSONAS}
for _url, _relation, _method in sorted({(row[0], row[2], row[3]) for row in ROWS if row[1] in MEMBER_PERSONAS}):
    for _analyst in ANALYST_PERSONAS:
        if (_url, _analyst, _relation, _method) not in _analysed:
            ROWS.append((_url, _analyst, _relation, _method, 404))
