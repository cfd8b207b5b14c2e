"""The indicator catalogue is data loaded by migration, and retiring an indicator breaks nothing."""

from __future__ import annotations

import pytest

from risk.choices import IndicatorCategory, IndicatorKind
from risk.models import CatalogueVersion, Indicator

pytestmark = pytest.mark.django_db


def test_version_one_holds_the_inquiry_indicators_and_the_gang_signs():
    v1 = CatalogueVersion.objects.get(number=1)
    assert "Children's Commissioner" in v1.source
    indicators = Indicator.objects.filter(introduced_in=v1)
    assert indicators.filter(kind=IndicatorKind.VULNERABILITY).count() == 15
    signs = indicators.filter(kind=IndicatorKind.WARNING_SIGN)
    assert signs.exclude(category=IndicatorCategory.GANG_ASSOCIATION).count() == 14
    assert signs.filter(category=IndicatorCategory.GANG_ASSOCIATION).count() >= 4
    assert all(i.label and i.code == i.code.lower() for i in indicators)


def test_retired_indicators_are_hidden_from_new_concerns_but_kept():
    v2 = CatalogueVersion.objects.create(number=99, title="t", source="s", published_on="2027-01-01")
    indicator = Indicator.objects.get(code="young-carer")
    indicator.retired_in = v2
    indicator.save()
    assert not Indicator.objects.current().filter(code="young-carer").exists()
    assert Indicator.objects.get(code="young-carer").is_retired
