"""Blind indexes: normalised variants match, keys and kinds separate, the services keep them."""

from __future__ import annotations

import pytest
from django.test import override_settings

from encryption.blind_index import blind_index, normalise, phonetic_codes
from encryption.services import do_create_data_key, do_set_blind_indexes, find_data_keys

VARIANTS = [
    "Zoë O'Brien-Smith",
    "zoe obrien smith",
    "  ZOE   O\u2019BRIEN SMITH ",
    "Zoe\u0308".replace("e\u0308", "\u00eb") + " O\u2018Brien\u2010Smith",
    "Zoe\u0308 OBrien\u2013Smith",
    "ZOË O`BRIEN - SMITH",
]


@pytest.mark.parametrize("variant", VARIANTS)
def test_normalised_variants_of_a_name_match(variant):
    assert normalise(variant) == "zoe obrien smith"
    expected = blind_index("name_dob", VARIANTS[0], "2009-01-02")
    assert blind_index("name_dob", variant, "2009-01-02") == expected


def test_different_inputs_kinds_and_part_boundaries_differ():
    base = blind_index("name_dob", "Zoe Smith", "2009-01-02")
    assert len(base) == 32 and int(base, 16) >= 0
    assert blind_index("name_dob", "Zoe Smyth", "2009-01-02") != base
    assert blind_index("name_dob", "Zoe Smith", "2009-01-03") != base
    assert blind_index("dob", "Zoe Smith", "2009-01-02") != base
    assert blind_index("name_dob", "ab", "c") != blind_index("name_dob", "a", "bc")


def test_different_keys_give_different_indexes():
    base = blind_index("name_dob", "Zoe Smith", "2009-01-02")
    with override_settings(BLIND_INDEX_KEY="YW5vdGhlci1ibGluZC1pbmRleC1rZXktMDAwMDAwMDA="):
        other = blind_index("name_dob", "Zoe Smith", "2009-01-02")
    assert other != base
    assert blind_index("name_dob", "Zoe Smith", "2009-01-02") == base


def test_phonetic_codes_group_spellings_of_a_name():
    assert set(phonetic_codes("Catherine")) & set(phonetic_codes("Kathryn"))
    assert set(phonetic_codes("Mohammed")) & set(phonetic_codes("Muhammad"))
    assert not set(phonetic_codes("Catherine")) & set(phonetic_codes("Smith"))
    assert phonetic_codes("Zoë O'Brien") == phonetic_codes("ZOE OBRIEN")
    assert all(code.startswith(("metaphone:", "nysiis:")) for code in phonetic_codes("Ann Lee"))
    assert phonetic_codes("  -- ") == []


@pytest.mark.django_db
def test_set_blind_indexes_replaces_only_the_given_kinds_and_matching_finds_owners():
    one, two = do_create_data_key(actor=None), do_create_data_key(actor=None)
    shared = blind_index("name_dob", "Zoe Smith", "2009-01-02")
    do_set_blind_indexes(one, {"name_dob": [shared], "dob": ["a" * 32]}, actor=None)
    do_set_blind_indexes(two, {"name_dob": [shared, shared]}, actor=None)
    assert set(find_data_keys("name_dob", shared)) == {one.pk, two.pk}
    assert list(find_data_keys("dob", shared)) == []
    do_set_blind_indexes(one, {"name_dob": []}, actor=None)
    assert list(find_data_keys("name_dob", shared)) == [two.pk]
    assert list(find_data_keys("dob", "a" * 32)) == [one.pk]
