"""Formula-safe cells that read back exactly, and the ways a file may be written."""

from datetime import UTC, datetime

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from waitline.imports.csv_format import (
    UnreadableCsv,
    cell,
    csv_lines,
    neutralise,
    parse_bool,
    parse_number,
    parse_time,
    read_csv,
    restore,
)

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Text that leans towards the awkward: triggers, quotes, separators, line ends, emoji.
awkward_text = st.text(
    alphabet=st.sampled_from([*TRIGGERS, "'", '"', ",", ";", "\n", "a", "1", " ", "🎉"])
    | st.characters(codec="utf-8", exclude_categories=("Cs",)),
    max_size=12,
)


@given(awkward_text)
def test_a_neutralised_cell_is_never_a_formula_and_restores_exactly(value):
    safe = neutralise(value)
    assert not safe.startswith(TRIGGERS)
    assert restore(safe) == value


@given(st.lists(st.lists(awkward_text, min_size=3, max_size=3), min_size=1, max_size=5))
@example([["", "", "\t"]])  # blank, though the tab is written protected ("'\t")
def test_rows_written_then_read_come_back_the_same(rows):
    header = ["email", "name", "note"]
    text = csv_lines([header] + [[neutralise(v) for v in row] for row in rows])
    read = read_csv(("\ufeff" + text).encode())
    assert read.columns == header
    records = dict(read.records())
    for number, row in enumerate(rows, start=1):
        if any(v.strip() for v in row):
            assert records[number] == row
        else:
            assert number not in records  # blank rows are not rows to import


def test_cells_spell_values_plainly():
    assert cell(None) == ""
    assert cell(True) == "true"
    assert cell(3) == "3"
    assert cell(-3) == "-3"  # a number, not text a spreadsheet could run
    assert cell(datetime(2026, 3, 2, 9, 30, tzinfo=UTC)) == "2026-03-02T09:30:00Z"
    assert cell(["=x"]) == '["=x"]'
    assert cell("-x") == "'-x"


def test_times_booleans_and_numbers_as_people_write_them():
    assert parse_time("2025-01-02") == datetime(2025, 1, 2, tzinfo=UTC)
    assert parse_time("2025-01-02T03:04:05z") == datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert parse_time("2025-01-02 03:04:05-01:00") == datetime(2025, 1, 2, 4, 4, 5, tzinfo=UTC)
    for bad in ("2025", "yesterday", "02/01/2025"):
        with pytest.raises(ValueError):
            parse_time(bad)
    assert [parse_bool(w) for w in ("TRUE", "yes", "1", "", "no", "False")] == [
        True,
        True,
        True,
        False,
        False,
        False,
    ]
    with pytest.raises(ValueError):
        parse_bool("maybe")
    assert [parse_number(t) for t in ("3", " 2.5 ", "nan", "x")] == [3, 2.5, "nan", "x"]


@pytest.mark.parametrize(
    ("content", "delimiter"),
    [(b"email,name\n", ","), (b"email;name\r\n", ";"), (b"email\tname\n", "\t"), (b"email\n", ",")],
)
def test_the_delimiter_is_read_from_the_header(content, delimiter):
    assert read_csv(content).delimiter == delimiter


def test_column_names_are_trimmed_and_lower_cased():
    assert read_csv(b" Email ,NAME\r\n").columns == ["email", "name"]
    with pytest.raises(UnreadableCsv):
        read_csv(b"\r\n\r\n")
