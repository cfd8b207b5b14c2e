"""Drafts for the authorization matrix: for each case relation, a draft kept for the concern's recorder
about that young person (as if their session had ended on her referral page), built through the service."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from drafts import services
from tests.cases import CASES
from tests.personas import World

# Whose draft each relation's is.
OWNERS = {relation: recorder for relation, (recorder, *_rest) in CASES.items()}


def extend(world: World, built: Any) -> None:
    """A ``CASE_EXTENSIONS`` hook of the authorization matrix: ``built.drafts[relation]``."""
    built.drafts = {}
    for relation, subject in built.subjects.items():
        owner = world.user(OWNERS[relation])
        path = reverse("referral-create", kwargs={"reference": subject.reference})
        built.drafts[relation] = services.do_keep_draft(
            user=owner, form="referral-create", path=path, data={"summary": ["Matrix draft."]},
            subject_reference=subject.reference, actor=owner)
