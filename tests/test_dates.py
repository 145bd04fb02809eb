"""Dates written in running text, in the article's language."""

from __future__ import annotations

import datetime as dt

import pytest

from digest.dates import find_date, find_dates

D, T = dt.date, dt.datetime

CASES = [
    # (text, lang, expected)
    ("20 janvier 2020", "fr", D(2020, 1, 20)),
    ("Publié le 1er mai 2020 à Paris", "fr", D(2020, 5, 1)),
    ("17.7.11", None, D(2011, 7, 17)),
    ("23.10.2018", "de", D(2018, 10, 23)),
    ("Friday, December 23, 2016", "en", D(2016, 12, 23)),
    ("January 20th 2023", "en", D(2023, 1, 20)),
    ("Published: 10:00am, 20 Jan, 2020", "en", D(2020, 1, 20)),
    ("Dienstag, 13. Mai 2014, von Dr. Sebastian Brüggemann", "de", D(2014, 5, 13)),
    ("5. Dez 2018", "de", D(2018, 12, 5)),
    ("5 de mayo de 2020", "es", D(2020, 5, 5)),
    ("3 marzo 2021", "it", D(2021, 3, 3)),
    ("2020-01-20", None, D(2020, 1, 20)),
    ("Veröffentlicht am 11/04/2012 von bjoernlinder01", "de", D(2012, 4, 11)),
    ("03/04/2020", "en", D(2020, 3, 4)),  # English slash dates are month first when ambiguous
    ("03/04/2020", "fr", D(2020, 4, 3)),
    ("03/04/2020", None, D(2020, 4, 3)),
    ("98 was a good year: 1.2.98", None, D(1998, 2, 1)),  # two-digit years pivot at 70
    # a time right after the date gives a datetime
    ("PUBLISHED: January 16, 2023 at 4:30 p.m. | UPDATED", "en", T(2023, 1, 16, 16, 30)),
    ("12.10.2015, 19:16 Uhr", "de", T(2015, 10, 12, 19, 16)),
    ("July 30, 2019 1:16 pm", "en", T(2019, 7, 30, 13, 16)),
    ("Freitag | 14. Juni 2019 | 15:49 VON Sina", "de", T(2019, 6, 14, 15, 49)),
    ("2020-01-20 10:30", None, T(2020, 1, 20, 10, 30)),
    # not dates
    ("May 2004 (12)", "en", None),
    ("Python 3.6.0 is now available", "en", None),
    ("31.02.2020", None, None),
    ("3 von 5, (1 Bewertung)", "de", None),
    ("", None, None),
    ("in 1492 and 2520", None, None),
]


@pytest.mark.parametrize(("text", "lang", "expected"), CASES)
def test_find_date(text: str, lang: str | None, expected: dt.date | None) -> None:
    assert find_date(text, lang) == expected


def test_iso_offset_gives_aware_datetime() -> None:
    found = find_date("2020-01-20T10:30:00+01:00")
    assert found == T(2020, 1, 20, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert find_date("2020-01-20T10:30Z") == T(2020, 1, 20, 10, 30, tzinfo=dt.timezone.utc)


def test_first_date_wins_and_all_are_listed_in_order() -> None:
    text = "Updated 21 August 2019, first published 20.8.2019"
    assert find_date(text, "en") == D(2019, 8, 21)
    assert [value for _, _, value in find_dates(text, "en")] == [D(2019, 8, 21), D(2019, 8, 20)]


def test_unknown_language_code_falls_back_to_english_names() -> None:
    assert find_date("March 3, 2021", "xx") == D(2021, 3, 3)
