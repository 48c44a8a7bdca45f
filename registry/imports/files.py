"""Reading the files people have: CSV with a header row, or JSON Lines (one object a line).

Headers are matched loosely (case, surrounding spaces, ``-`` or a space for ``_``, and a few
aliases per column); values are stripped. A file that is not what it claims to be (empty,
binary, not CSV/JSON Lines, a required column missing) is refused with one error before any
row is checked, naming what is wrong.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from registry.errors import InvalidInput


class FileRefused(InvalidInput):
    """The import file as a whole is unusable (wrong columns, binary, empty)."""

    code = "import_file_refused"


@dataclass(frozen=True)
class Column:
    """One column of an import file: its name, the other headers people use for it."""

    name: str
    help: str
    required: bool = False
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Row:
    """One data row: its number in the file (the header is row 1 of a CSV), and its values."""

    number: int
    values: dict[str, object]
    text: str  # the row as read, for the rejects file

    def get(self, name: str) -> str:
        """The value of column ``name`` as stripped text ('' when absent)."""
        value = self.values.get(name)
        if value is None:
            return ""
        return value.strip() if isinstance(value, str) else json.dumps(value)


def _key(header: str) -> str:
    return "_".join(header.strip().lower().replace("-", " ").replace("_", " ").split())


def header_map(headers: Iterable[str], columns: Iterable[Column]) -> dict[str, str]:
    """Each header of the file (as written) mapped to the column it names; unknown ones fail.

    Raises:
        FileRefused: a header names no column, two headers name one, or a required one lacks.
    """
    known: dict[str, str] = {}
    cols = list(columns)
    for col in cols:
        for alias in (col.name, *col.aliases):
            known[_key(alias)] = col.name
    mapping: dict[str, str] = {}
    unknown = []
    for header in headers:
        name = known.get(_key(header))
        if name is None:
            unknown.append(header.strip())
        elif name in mapping.values():
            raise FileRefused(f"two columns of the file mean {name!r}")
        else:
            mapping[header] = name
    expected = ", ".join(c.name for c in cols)
    if unknown:
        raise FileRefused(f"unknown column(s) {', '.join(map(repr, unknown))}; the columns are: "
                          f"{expected}")  # fmt: skip
    missing = [c.name for c in cols if c.required and c.name not in mapping.values()]
    if missing:
        raise FileRefused(
            f"missing column(s) {', '.join(missing)} (found: "
            f"{', '.join(h.strip() for h in mapping) or 'none'}); the columns are: {expected}"
        )
    return mapping


@dataclass(frozen=True)
class ImportFile:
    """A file read whole: its rows, and a digest that names it in the journal."""

    path: Path
    format: str  # "csv" | "jsonl"
    rows: list[Row]
    digest: str


def _text(path: Path, data: bytes) -> str:
    if not data.strip():
        raise FileRefused(f"{path} is empty")
    if b"\x00" in data[:65536]:
        raise FileRefused(f"{path} is a binary file, not CSV or JSON Lines")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileRefused(
            f"{path} is not UTF-8 text (byte {exc.start}): not CSV or JSON Lines"
        ) from None


def read_file(path: Path, columns: Iterable[Column]) -> ImportFile:
    """Reads ``path`` as JSON Lines (``.jsonl``/``.ndjson``, or a first line that is an object)
    or as CSV with a header row.

    Raises:
        FileRefused: the file is unusable as a whole.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FileRefused(f"cannot read {path}: {exc.strerror or exc}") from None
    text = _text(path, data)
    cols = list(columns)
    digest = hashlib.sha256(data).hexdigest()
    first = text.lstrip()[:1]
    if path.suffix.lower() in (".jsonl", ".ndjson") or first == "{":
        return ImportFile(path, "jsonl", _jsonl(path, text, cols), digest)
    return ImportFile(path, "csv", _csv(path, text, cols), digest)


def _csv(path: Path, text: str, cols: list[Column]) -> list[Row]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as exc:
        raise FileRefused(f"{path} is not a CSV file with a header row: {exc}") from None
    mapping = header_map(header, cols)
    names = [mapping.get(h) for h in header]
    rows: list[Row] = []
    try:
        for values in reader:
            if not any(v.strip() for v in values):
                continue  # blank line
            number = reader.line_num
            out = io.StringIO()
            csv.writer(out, lineterminator="").writerow(values)
            row: dict[str, object] = {
                n: v for n, v in zip(names, values, strict=False) if n is not None
            }
            if len(values) > len(header):
                row["__extra__"] = values[len(header) :]
            rows.append(Row(number, row, out.getvalue()))
    except csv.Error as exc:
        raise FileRefused(f"{path} line {reader.line_num}: not CSV ({exc})") from None
    if not rows:
        raise FileRefused(f"{path} has a header but no rows")
    return rows


def _jsonl(path: Path, text: str, cols: list[Column]) -> list[Row]:
    rows: list[Row] = []
    seen: set[str] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            raise FileRefused(f"{path} line {number} is not JSON: not a JSON Lines file") from None
        if not isinstance(obj, Mapping):
            raise FileRefused(f"{path} line {number} is not a JSON object")
        fresh = [k for k in obj if k not in seen]
        if fresh:
            seen.update(fresh)
        rows.append(Row(number, dict(obj), line.strip()))
    if not rows:
        raise FileRefused(f"{path} has no rows")
    mapping = header_map(sorted(seen), cols)
    return [Row(r.number, {mapping[k]: v for k, v in r.values.items()}, r.text) for r in rows]


def columns_help(columns: Iterable[Column]) -> str:
    """The columns as ``--help`` lists them (click keeps ``\\b`` paragraphs as written)."""
    lines = ["\b", "Columns (CSV header or JSON Lines keys; case and spaces do not matter):"]
    for col in columns:
        also = f" (or: {', '.join(col.aliases)})" if col.aliases else ""
        need = "required" if col.required else "optional"
        lines.append(f"  {col.name}{also}: {need}; {col.help}")
    return "\n".join(lines)
