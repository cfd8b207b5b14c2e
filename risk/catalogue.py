"""Version 1 of the indicator catalogue, as data loaded by migration ``risk.0002``.

Source: Office of the Children's Commissioner, inquiry into child sexual exploitation in gangs and
groups (2012-13): the vulnerabilities and warning signs it identified in girls and young women who
were sexually exploited, with the gang-association signs named in the London Assembly's 2013 response.
Later versions are added by new data migrations; nothing here is edited in place once published.
"""

from __future__ import annotations

V1_TITLE = "Child sexual exploitation in gangs and groups: vulnerabilities and warning signs"
V1_SOURCE = (
    "Office of the Children's Commissioner, 'I thought I was the only one. The only one in the world': "
    "inquiry into child sexual exploitation in gangs and groups (2012-13); gang-association signs from "
    "the London Assembly Police and Crime Committee's response to the Mayor's VAWG strategy (2013)."
)

V = "vulnerability"
S = "warning_sign"

# (code, kind, category, label, hint)
V1_INDICATORS: list[tuple[str, str, str, str, str]] = [
    # The 15 vulnerabilities.
    ("chaotic-household", V, "home_and_family", "Living in a chaotic or dysfunctional household",
     "For example parental substance misuse, domestic abuse, parental mental ill health or criminality."),
    ("history-of-abuse", V, "home_and_family", "History of abuse",
     "Including familial sexual abuse, physical or emotional abuse, neglect, or risk of forced marriage "
     "or 'honour'-based abuse."),
    ("bereavement-or-loss", V, "home_and_family", "Recent bereavement or loss",
     "A death, or the loss of a parent, carer or close relationship."),
    ("gang-association-relatives-peers-partners", V, "peers_and_relationships",
     "Gang association through relatives, peers or intimate relationships",
     "A brother, cousin, friend or boyfriend is involved with a gang."),
    ("school-with-exploited-peers", V, "peers_and_relationships",
     "Attends school with young people who are sexually exploited", ""),
    ("learning-disability", V, "wellbeing_and_development", "Learning disability",
     "A diagnosed or suspected learning disability or difficulty."),
    ("sexual-orientation-undisclosed", V, "wellbeing_and_development",
     "Unsure about, or unable to disclose, her sexual orientation to her family",
     ""),
    ("friends-exploited", V, "peers_and_relationships", "Friends with young people who are sexually exploited",
     ""),
    ("homeless", V, "where_she_lives", "Homeless", "Including sofa-surfing."),
    ("lacks-same-age-friends", V, "peers_and_relationships", "Lacks friends of her own age group",
     "Isolated from her peers, or mostly with older people."),
    ("gang-neighbourhood", V, "where_she_lives", "Lives in a gang-affected neighbourhood", ""),
    ("residential-care", V, "where_she_lives", "Living in residential care",
     "A children's home or other residential placement."),
    ("hostel-or-bed-and-breakfast", V, "where_she_lives",
     "Living in a hostel, bed and breakfast accommodation or a foyer",
     ""),
    ("low-self-esteem", V, "wellbeing_and_development", "Low self-esteem or self-confidence", ""),
    ("young-carer", V, "home_and_family", "Young carer", "She cares for a parent, sibling or other relative."),
    # The 14 warning signs.
    ("missing-from-home-or-care", S, "missing_and_education", "Missing from home or care",
     "Any episode, however short. Record each episode as its own concern if you can."),
    ("physical-injuries", S, "health", "Physical injuries", "Unexplained or with an account that does not fit."),
    ("drug-or-alcohol-misuse", S, "health", "Drug or alcohol misuse", ""),
    ("involvement-in-offending", S, "behaviour", "Involvement in offending", ""),
    ("repeat-sti-pregnancy-termination", S, "health",
     "Repeat sexually transmitted infections, pregnancy or terminations", ""),
    ("absent-from-school", S, "missing_and_education", "Absent from school",
     "Including truanting, part-time timetables or exclusion."),
    ("change-in-appearance", S, "behaviour", "Change in physical appearance",
     "For example new clothes, hair, nails or make-up she could not afford."),
    ("sexual-bullying-online-vulnerability", S, "online_and_gifts",
     "Sexual bullying, or vulnerability online or on social media",
     "For example sharing of images, or contact from people she does not know."),
    ("estranged-from-family", S, "home_and_family", "Estranged from her family", ""),
    ("gifts-from-unknown-sources", S, "online_and_gifts", "Gifts from unknown sources",
     "Money, phones, clothes, drugs or alcohol she cannot explain."),
    ("recruiting-others", S, "online_and_gifts", "Recruiting others into exploitative situations", ""),
    ("poor-mental-health", S, "health", "Poor mental health", ""),
    ("self-harm", S, "health", "Self-harm", ""),
    ("suicidal-thoughts-or-attempts", S, "health", "Thoughts of, or attempts at, suicide", ""),
    # Gang-association signs.
    ("older-boyfriend-or-associate", S, "gang_association", "Older boyfriend or associate",
     "A boyfriend or associate noticeably older than her, or an adult she will not name."),
    ("carrying-for-others", S, "gang_association", "Carrying drugs, weapons or money for others", ""),
    ("territorial-restrictions", S, "gang_association", "Territorial restrictions",
     "Afraid to go to certain areas, or travelling to areas she has no reason to be in."),
    ("unexplained-phones-or-money", S, "gang_association", "Unexplained phones or money",
     "More than one phone, or money she cannot account for."),
]


# ---------------------------------------------------------------------------------------------------
# Version 2 (migration ``risk.0008``): the signs the published screening tools name that version 1 had no
# code for, and a class for every indicator (vulnerability, moderate or significant) that scoring model
# v3 weighs by. Version 1's codes stay as they are; old concerns keep them.
# ---------------------------------------------------------------------------------------------------
V2_TITLE = "Screening-tool signs: significant and moderate indicators, exploitation in gangs and groups"
V2_SOURCE = (
    "Barnardo's Sexual Exploitation Risk Assessment Framework (SERAF) form (2013) and its local scoring "
    "guidance (Hampshire): vulnerabilities, moderate and significant risk indicators; the Merton CSE "
    "screening tool's significant indicators (cars driven by unknown adults, hotels and taxis, missing day "
    "or night, a controlling relationship, grooming online); the Croydon CSE risk assessment toolkit (2016); "
    "the London Child Exploitation Operating Protocol (2021: county lines, trap houses, criminal "
    "exploitation); SafeLives' Dash risk checklist for young people (non-fatal strangulation, a "
    "controlling relationship); Office of the Children's Commissioner, CSEGG inquiry (2012-13: sexual "
    "assault as initiation or retaliation, being used to set others up)."
)

VULNERABILITY_CLASS = "vulnerability"
MODERATE = "moderate"
SIGNIFICANT = "significant"

# (code, kind, category, label, hint): new in version 2. Each is a warning sign unless marked V.
V2_INDICATORS: list[tuple[str, str, str, str, str]] = [
    ("picked-up-in-cars-by-unknown-adults", S, "gang_association", "Picked up in cars by unknown adults",
     "Getting into, or seen in, cars driven by adults she does not or will not name."),
    ("missing-overnight-or-found-with-adults", S, "missing_and_education",
     "Missing overnight, or found with adults while missing",
     "Record each episode as its own concern. One episode reported on two days counts once."),
    ("adult-controlled-places", S, "gang_association",
     "Hotels, taxis, 'trap houses' or other places adults control",
     "Found at, or talking about, hotels, flats, taxis or takeaways linked to adults of concern."),
    ("county-lines", S, "gang_association", "County lines: found out of her area, holding or moving drugs",
     "Found far from home with no reason to be there, or holding or moving drugs or money for others."),
    ("sexual-assault-disclosed", S, "health", "Disclosed a sexual assault",
     "Including as an initiation or in retaliation, and a disclosure she later withdrew."),
    ("sexual-activity-with-adult-under-16", S, "peers_and_relationships",
     "Sexual activity with an adult while she is under 16",
     "Any sexual activity between her, aged under 16, and someone aged 18 or over."),
    ("controlling-or-violent-relationship", S, "peers_and_relationships",
     "A controlling or violent relationship",
     "Including being choked or strangled (non-fatal strangulation), threats, or checking her phone."),
    ("debt-threats-intimidation", S, "gang_association", "Debt, threats or intimidation",
     "She owes money or favours, or she or her family are threatened."),
    ("used-to-set-up-or-hold-weapons", S, "gang_association",
     "Used to set up others, or to hold weapons",
     "Asked to lure another young person somewhere, or to hide or carry a weapon."),
    ("image-based-abuse", S, "online_and_gifts", "Indecent images of her shared or demanded",
     "Images or videos shared without her consent, or pressure to send them."),
    ("pregnancy-under-16", S, "health", "Pregnancy under 16", ""),
    ("online-grooming", S, "online_and_gifts", "Groomed online",
     "An adult or older young person building contact online to gain her trust, or asking to meet."),
]

# Every indicator's class (versions 1 and 2), from the SERAF form and the Merton screening tool where
# they name the sign, otherwise by analogy (documented in docs/scoring-model-v3.md).
INDICATOR_CLASSES: dict[str, str] = {
    # Version 1 vulnerabilities: SERAF scores each vulnerability 1.
    **{code: VULNERABILITY_CLASS for code, kind, *_rest in V1_INDICATORS if kind == V},
    # Version 1 warning signs.
    "missing-from-home-or-care": MODERATE,  # SERAF: staying out late (moderate); overnight is significant
    "physical-injuries": MODERATE,
    "drug-or-alcohol-misuse": MODERATE,
    "involvement-in-offending": MODERATE,
    "repeat-sti-pregnancy-termination": MODERATE,  # SERAF: STIs moderate
    "absent-from-school": MODERATE,
    "change-in-appearance": MODERATE,
    "sexual-bullying-online-vulnerability": MODERATE,  # SERAF: use of the internet that causes concern
    "estranged-from-family": MODERATE,
    "gifts-from-unknown-sources": SIGNIFICANT,  # SERAF/Merton: unexplained money, clothes or items
    "recruiting-others": SIGNIFICANT,  # SERAF: recruiting others into exploitative situations
    "poor-mental-health": MODERATE,
    "self-harm": MODERATE,  # SERAF: expressions of despair
    "suicidal-thoughts-or-attempts": MODERATE,
    "older-boyfriend-or-associate": SIGNIFICANT,  # SERAF: relationship with a controlling older adult
    "carrying-for-others": SIGNIFICANT,
    "territorial-restrictions": MODERATE,
    "unexplained-phones-or-money": SIGNIFICANT,
    # Version 2: all significant in SERAF, Merton, Dash or the London protocol.
    **{code: SIGNIFICANT for code, *_rest in V2_INDICATORS},
}
