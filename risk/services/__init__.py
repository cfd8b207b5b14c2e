"""Business actions of risk, one module per sub-domain: ``assessment`` (scoring a subject, ``rescore``)
and ``register`` (the borough risk register). The association map's actions are ``risk.map.services``.

Nothing here calls the referral use cases above: an assessment *returns* what changed
(``assessment.LevelChange``) and the caller (``referrals.intake``) acts on it (DESIGN.md §4.1).
"""
