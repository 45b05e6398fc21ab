"""The CSV files Waitline writes and reads: encoding, delimiters, formula-safe cells, and
how dates, booleans and numbers are spelled in them."""

import csv
import io
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from waitline.kit.clock import iso

# A cell a spreadsheet would run as a formula starts with one of = + - @ tab CR (OWASP,
# "CSV Injection"). Such a cell is written with a single quote in front, which spreadsheets
# show as text; a cell that already starts with quotes before one of those characters gets
# one more, so that reading strips exactly one quote and every value comes back as it was.
FORMULA_LIKE = re.compile(r"^'*[=+\-@\t\r]")
DELIMITERS = (",", ";", "\t")
TRUE_WORDS = frozenset({"true", "yes", "y", "1", "on", "x"})
FALSE_WORDS = frozenset({"false", "no", "n", "0", "off", ""})


class UnreadableCsv(ValueError):
    """The file as a whole cannot be read: its encoding, its header."""


def neutralise(cell: str) -> str:
    return "'" + cell if FORMULA_LIKE.match(cell) else cell


def restore(cell: str) -> str:
    """The value `neutralise` was given: one protective quote taken off again."""
    return cell[1:] if cell.startswith("'") and FORMULA_LIKE.match(cell) else cell


def cell(value: Any) -> str:
    """A value as a (formula-safe) cell: ISO-8601 UTC times, true/false, JSON for lists."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dict | list):
        return neutralise(orjson.dumps(value).decode())
    return neutralise(str(value))


def csv_lines(rows: list[list[str]]) -> str:
    """Rows as CSV text (RFC 4180: quoted where needed, CRLF line ends)."""
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue()


@dataclass(frozen=True)
class CsvFile:
    """A decoded file: its column names (trimmed, lower-cased) and its text."""

    columns: list[str]
    delimiter: str
    text: str

    def records(self) -> Iterator[tuple[int, list[str]]]:
        """(row, cells) for each data record, counted from 1 after the header; blank
        records keep their number but are not given. Each cell has its protective quote
        taken off (see `restore`)."""
        reader = csv.reader(io.StringIO(self.text, newline=""), delimiter=self.delimiter)
        next(reader, None)
        for row, cells in enumerate(reader, start=1):
            # Judged blank once restored: a protected tab or newline is still blank.
            restored = [restore(c) for c in cells]
            if any(c.strip() for c in restored):
                yield row, restored


def read_csv(content: bytes) -> CsvFile:
    """Decode (UTF-8, with or without a byte-order mark), find the delimiter from the header
    line (comma, or semicolon or tab as some spreadsheets write), and read the header."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableCsv(
            f"The file is not UTF-8 text (byte {exc.start}); save it as 'CSV UTF-8'."
        ) from None
    first_line = text.split("\n", 1)[0]
    delimiter = max(DELIMITERS, key=first_line.count)
    if first_line.count(delimiter) == 0:
        delimiter = ","
    try:
        header = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), None)
    except csv.Error as exc:
        raise UnreadableCsv(f"The header cannot be read: {exc}.") from None
    if not header or not any(name.strip() for name in header):
        raise UnreadableCsv("The file is empty: it needs a header row naming its columns.")
    columns = [name.strip().casefold() for name in header]
    repeated = sorted({name for name in columns if name and columns.count(name) > 1})
    if repeated:
        raise UnreadableCsv(f"Columns named more than once: {', '.join(repeated)}.")
    return CsvFile(columns, delimiter, text)


def count_records(csv_file: CsvFile) -> int:
    """Data records that are not blank; csv.Error (a broken file) propagates."""
    return sum(1 for _ in csv_file.records())


def parse_time(text: str) -> datetime:
    """ISO-8601 date or date-time; no zone means UTC. ValueError otherwise."""
    text = text.strip()
    if len(text) < 10:
        raise ValueError(text)
    moment = datetime.fromisoformat(text.replace("z", "Z"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_bool(text: str) -> bool:
    word = text.strip().casefold()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(text)


def parse_number(text: str) -> int | float | str:
    """An int or a float if the text is one; else the text, for the check to refuse."""
    text = text.strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        return text
    return number if math.isfinite(number) else text
