"""A believable, plainly fictional London for the demo: agencies of every kind and named users.

Every name here is invented. Loading is idempotent: what already exists is left exactly as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model

from agencies import services
from agencies.choices import AgencyKind, RoleCode
from agencies.models import Agency, Borough

User = get_user_model()

DEMO_BOROUGHS = ["Lambeth", "Southwark", "Hackney"]

# (borough, kind, name, official code)
DEMO_AGENCIES: list[tuple[str, str, str, str]] = [
    ("Lambeth", AgencyKind.MASH, "Lambeth MASH", ""),
    ("Lambeth", AgencyKind.SCHOOL, "Larkhall Rise Academy", "URN 900101"),
    ("Lambeth", AgencyKind.GP_PRACTICE, "Vauxhall Walk Medical Centre", "ODS G99001"),
    ("Lambeth", AgencyKind.SCHOOL_NURSING, "Lambeth School Nursing Service", ""),
    ("Lambeth", AgencyKind.POLICE, "Lambeth Safeguarding Unit (Central South BCU)", ""),
    ("Lambeth", AgencyKind.YOUTH_OFFENDING_TEAM, "Lambeth Youth Justice Service", ""),
    ("Lambeth", AgencyKind.CHILDRENS_SOCIAL_CARE, "Lambeth Children's Social Care", ""),
    ("Lambeth", AgencyKind.HEALTH, "Lambeth Sexual Health Clinic", ""),
    ("Lambeth", AgencyKind.VOLUNTARY_SECTOR, "South London Girls' Exit Project", ""),
    ("Lambeth", AgencyKind.ADULT_SOCIAL_CARE, "Lambeth Adult Social Care (Safeguarding Adults)", ""),
    ("Southwark", AgencyKind.MASH, "Southwark MASH", ""),
    ("Southwark", AgencyKind.SCHOOL, "Peckham Lane School", "URN 900201"),
    ("Southwark", AgencyKind.GP_PRACTICE, "Bermondsey Yard Surgery", "ODS G99002"),
    ("Southwark", AgencyKind.SCHOOL_NURSING, "Southwark School Health Team", ""),
    ("Southwark", AgencyKind.POLICE, "Southwark Safeguarding Unit (Central South BCU)", ""),
    ("Southwark", AgencyKind.YOUTH_OFFENDING_TEAM, "Southwark Youth Offending Service", ""),
    ("Southwark", AgencyKind.CHILDRENS_SOCIAL_CARE, "Southwark Children's Social Care", ""),
    ("Southwark", AgencyKind.HEALTH, "Southwark Young People's Health Service", ""),
    ("Southwark", AgencyKind.VOLUNTARY_SECTOR, "Walworth Youth Project", ""),
    ("Southwark", AgencyKind.ADULT_SOCIAL_CARE, "Southwark Adult Social Care (Safeguarding Adults)", ""),
    ("Hackney", AgencyKind.MASH, "Hackney MASH", ""),
    ("Hackney", AgencyKind.SCHOOL, "Dalston Fields School", "URN 900301"),
    ("Hackney", AgencyKind.GP_PRACTICE, "Clapton Square Practice", "ODS G99003"),
    ("Hackney", AgencyKind.SCHOOL_NURSING, "Hackney School Nursing", ""),
    ("Hackney", AgencyKind.POLICE, "Hackney Safeguarding Unit (Central East BCU)", ""),
    ("Hackney", AgencyKind.YOUTH_OFFENDING_TEAM, "Hackney Youth Justice", ""),
    ("Hackney", AgencyKind.CHILDRENS_SOCIAL_CARE, "Hackney Children and Families Service", ""),
    ("Hackney", AgencyKind.HEALTH, "Hackney Sexual Health Service", ""),
    ("Hackney", AgencyKind.VOLUNTARY_SECTOR, "East London Young Women's Project", ""),
    ("Hackney", AgencyKind.ADULT_SOCIAL_CARE, "Hackney Adult Social Care (Safeguarding Adults)", ""),
    ("City of London", AgencyKind.GOVERNANCE, "London Safeguarding Information Governance", ""),
    # Partnership statistics: a borough's safeguarding partnership, and MOPAC for all London.
    # Lewisham: where the statistics demo's year of history is (partnership/demo.py).
    ("Lewisham", AgencyKind.SAFEGUARDING_PARTNERSHIP, "Lewisham Safeguarding Children Partnership", ""),
    ("City of London", AgencyKind.MOPAC, "Mayor's Office for Policing And Crime", ""),
]


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    agency: str
    roles: tuple[str, ...]


DEMO_USERS: list[DemoUser] = [
    DemoUser("teacher.lambeth", "Amara", "Okafor", "Larkhall Rise Academy", (RoleCode.PRACTITIONER,)),
    DemoUser("dsl.lambeth", "Helen", "Marsh", "Larkhall Rise Academy", (RoleCode.DSL, RoleCode.PRACTITIONER)),
    DemoUser("gp.lambeth", "Sanjay", "Mehta", "Vauxhall Walk Medical Centre", (RoleCode.PRACTITIONER,)),
    DemoUser("nurse.lambeth", "Grace", "Adeyemi", "Lambeth School Nursing Service", (RoleCode.PRACTITIONER,)),
    DemoUser(
        "police.lambeth", "Tom", "Fletcher", "Lambeth Safeguarding Unit (Central South BCU)",
        (RoleCode.PRACTITIONER,),
    ),
    DemoUser("mash.lambeth", "Nadia", "Rahman", "Lambeth MASH", (RoleCode.MASH_LEAD,)),
    DemoUser(
        "csc.lambeth", "Owen", "Price", "Lambeth Children's Social Care", (RoleCode.RECEIVING_WORKER,)
    ),
    DemoUser("teacher.southwark", "Chloe", "Bennett", "Peckham Lane School", (RoleCode.PRACTITIONER,)),
    DemoUser(
        "yot.southwark", "Marcus", "Reid", "Southwark Youth Offending Service", (RoleCode.PRACTITIONER,)
    ),
    DemoUser("mash.southwark", "Priya", "Shah", "Southwark MASH", (RoleCode.MASH_LEAD,)),
    DemoUser("teacher.hackney", "Lily", "Evans", "Dalston Fields School", (RoleCode.PRACTITIONER,)),
    DemoUser("mash.hackney", "Daniel", "Kemp", "Hackney MASH", (RoleCode.MASH_LEAD,)),
    DemoUser(
        "auditor", "Ruth", "Campbell", "London Safeguarding Information Governance", (RoleCode.AUDITOR,)
    ),
    DemoUser(
        "admin", "Sam", "Osei", "London Safeguarding Information Governance", (RoleCode.ADMINISTRATOR,)
    ),
    # A second administrator, so that a reviewer can try four eyes: one asks, the other approves.
    DemoUser(
        "admin2", "Jo", "Whitfield", "London Safeguarding Information Governance", (RoleCode.ADMINISTRATOR,)
    ),
    DemoUser(
        "dpo", "Farah", "Qureshi", "London Safeguarding Information Governance",
        (RoleCode.DATA_PROTECTION_OFFICER,),
    ),
    DemoUser(
        "analyst.lewisham", "Esther", "Lindqvist", "Lewisham Safeguarding Children Partnership",
        (RoleCode.PARTNERSHIP_ANALYST,),
    ),
    DemoUser(
        "analyst.london", "Kwame", "Asante", "Mayor's Office for Policing And Crime",
        (RoleCode.PARTNERSHIP_ANALYST,),
    ),
]


def seed_agencies() -> dict[str, Agency]:
    """Create the demo agencies that do not exist yet; return all of them by name."""
    boroughs = {b.name: b for b in Borough.objects.all()}
    agencies: dict[str, Agency] = {}
    for borough_name, kind, name, code in DEMO_AGENCIES:
        borough = boroughs[borough_name]
        agency = Agency.objects.filter(borough=borough, name=name).first()
        if agency is None:
            agency = services.do_create_agency(
                name=name, kind=kind, borough=borough, official_code=code, actor=None
            )
        agencies[name] = agency
    return agencies


def seed_users(password: str) -> list[str]:
    """Create the demo users that do not exist yet; return the usernames created."""
    agencies = seed_agencies()
    created = []
    for demo in DEMO_USERS:
        if User.objects.filter(username=demo.username).exists():
            continue
        services.do_create_user(
            username=demo.username,
            password=password,
            agency=agencies[demo.agency],
            roles=demo.roles,
            first_name=demo.first_name,
            last_name=demo.last_name,
            email=f"{demo.username}@example.org",
            actor=None,
        )
        created.append(demo.username)
    return created


# Fixed authenticator keys (base32, as an authenticator app takes them) for the demo users whose roles
# require two-factor authentication, so a person can add them to an app and sign in. Demo only: seed_demo
# installs them only with DEBUG on, and they are published in README.md.
DEMO_TOTP_SECRETS: dict[str, str] = {
    "dsl.lambeth": "QPF5YJRRMBMYXNCVHXI6JU6W2FYSAO46",
    "mash.lambeth": "ENPQM67XBYKV4SIDJYQFM3NVQ4FLQBWD",
    "mash.southwark": "ONZSGCAO2F5THJCWW4PUU56PYKV34BSB",
    "mash.hackney": "IEIXMVMZWADLPY7CGRFWXPVLGQXSS3FD",
    "auditor": "TGRUZRUD3N3MGED45WIHHVHMN4HE5MYB",
    "admin": "JKYBKKYHQT3DEBL7RBQHTZPDFVP6CA6M",
    "admin2": "DTRMD6HUHJFI64HA53UUNOLIBMY57FBG",
    "dpo": "ZF5KLPGMNCQQDALUOVJ7RODGEB3TLTFX",
    "analyst.lewisham": "6EZWJSZ7LG5PUZ5FVN6N6CLT3TID7HYR",
    "analyst.london": "5R56Q6UKQW3JI4GZGAM24QH6ABDTMIRV",
}


def seed_authenticators() -> list[str]:
    """Give the demo users listed above their fixed authenticator, unless they have one; return who got one."""
    installed = []
    for username, secret in DEMO_TOTP_SECRETS.items():
        user = User.objects.filter(username=username).first()
        if user is None:
            continue
        if services.do_install_known_authenticator(user=user, base32_secret=secret, actor=None):
            installed.append(username)
    return installed
