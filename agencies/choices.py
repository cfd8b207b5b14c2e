"""Fixed vocabularies of the agencies app."""

from django.db import models


class AgencyKind(models.TextChoices):
    """The kinds of agency that record concerns or receive referrals (DESIGN.md §2)."""

    SCHOOL = "school", "School"
    GP_PRACTICE = "gp_practice", "GP practice"
    SCHOOL_NURSING = "school_nursing", "School nursing"
    POLICE = "police", "Police"
    YOUTH_OFFENDING_TEAM = "youth_offending_team", "Youth offending team"
    CHILDRENS_SOCIAL_CARE = "childrens_social_care", "Children's social care"
    # The local authority's adult safeguarding (Care Act 2014 s42): where the adult routes go from 18.
    ADULT_SOCIAL_CARE = "adult_social_care", "Adult social care"
    HEALTH = "health", "Health"
    VOLUNTARY_SECTOR = "voluntary_sector", "Voluntary sector"
    MASH = "mash", "Multi-agency safeguarding hub (MASH)"
    # Where auditors and administrators belong: never a referral pathway, so never sent a share.
    GOVERNANCE = "governance", "Information governance and administration"
    # Where partnership analysts belong: aggregates only, never a referral pathway or a share.
    SAFEGUARDING_PARTNERSHIP = "safeguarding_partnership", "Borough safeguarding children partnership"
    MOPAC = "mopac", "Mayor's Office for Policing And Crime (London-wide)"


class RoleCode(models.TextChoices):
    """The roles a member can hold at their agency (DESIGN.md §2)."""

    PRACTITIONER = "practitioner", "Practitioner"
    DSL = "dsl", "Designated safeguarding lead"
    MASH_LEAD = "mash_lead", "MASH lead"
    RECEIVING_WORKER = "receiving_worker", "Receiving worker"
    AUDITOR = "auditor", "Auditor"
    ADMINISTRATOR = "administrator", "Administrator"
    DATA_PROTECTION_OFFICER = "data_protection_officer", "Data protection officer"
    PARTNERSHIP_ANALYST = "partnership_analyst", "Partnership analyst"


class RequestStatus(models.TextChoices):
    """Where a request that needs a second administrator's approval stands (DESIGN.md §6)."""

    PENDING = "pending", "Waiting for approval"
    APPROVED = "approved", "Approved"
    REFUSED = "refused", "Refused"
    EXPIRED = "expired", "Expired"
