"""Name keys: the same person's name, however it was spelt, gives the same key."""

from __future__ import annotations

import pytest

from aipim.core.names import name_key, name_words


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Mohamed Abdel Aziz", "Muhammad Abd al Aziz"),
        ("Mohammed Abdelaziz", "Muhammad Abd al-Aziz"),
        ("Aly El-Sayed", "Ali al Sayed"),
        ("Inzamam-ul-Haq", "Inzamam al Haq"),
        ("Abdullah Khan", "Abd Allah Khan"),
        ("Abdul Karim", "ABDELKARIM"),
        ("José Núñez", "jose NUNEZ"),
        ("Benali Amina", "Amina Benali"),
        ("Youssef Hussein", "Yusuf Husayn"),
    ],
)
def test_spellings_of_one_name_give_one_key(one, other):
    assert name_key(one) == name_key(other)


@pytest.mark.parametrize(("one", "other"), [("Amina Benali", "Amina Bennani"), ("Ali Hassan", "Alim Hassan")])
def test_different_names_keep_different_keys(one, other):
    assert name_key(one) != name_key(other)


def test_a_name_of_its_own_is_not_split():
    assert name_words("Abdoulaye Diallo") == ["abdoulaye", "diallo"]


def test_key_joins_every_part():
    assert name_key("Fatma", "Ben Ali", "") == "ali ben fatima"
