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
