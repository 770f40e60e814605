"""Reading a file into a temporary DuckDB table of text columns: CSV (any common encoding and
delimiter), Parquet, JSON lines or a JSON array, each possibly gzip- or zstd-compressed.

DuckDB reads compressed CSV and JSON itself and the few passes made in Python (encoding,
delimiter, line numbers) decompress as they read, so a compressed file goes through exactly the
same steps as the plain one.
"""

# Only fixed table names and quoted identifiers are formatted into SQL here; every value is bound.
# ruff: noqa: S608

from __future__ import annotations

import codecs
import csv
import io
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import duckdb
import pyarrow as pa

from storage.db import ident
from storage.errors import UserError, first_line

RAW = "import_raw"
# Compressions DuckDB's readers decompress natively: each one's first bytes and file name endings.
CODECS = {"gzip": (b"\x1f\x8b", (".gz", ".gzip")), "zstd": (b"\x28\xb5\x2f\xfd", (".zst", ".zstd"))}


@dataclass
class Source:
    """The file as read: a temp table of text columns plus how the file was understood."""

    path: Path
    format: str
    columns: list[str]
    # SQL giving each row's line: where the record starts for CSV (past blank lines and line breaks
    # inside quoted cells), the line for JSON lines, the element's position in a JSON array, the row
    # number for Parquet.
    line_expr: str
    details: dict[str, Any] = field(default_factory=dict)
    bad_records: list[tuple[int, str]] = field(default_factory=list)  # (line, problem) for unparsable records


@dataclass(frozen=True)
class InputFile:
    """The file to import: its path, its compression (told by its first bytes, not its name) and
    the format its name gives once a compression ending is taken off (`export.csv.gz` -> `.csv`)."""

    path: Path
    codec: str | None
    suffix: str

    @classmethod
    def of(cls, path: Path) -> InputFile:
        """Raises UserError when the name promises a compression the bytes do not show."""
        with path.open("rb") as fh:
            head = fh.read(4)
        codec = next((name for name, (magic, _) in CODECS.items() if head.startswith(magic)), None)
        suffixes = [s.lower() for s in path.suffixes] or [""]
        named = next((name for name, (_, endings) in CODECS.items() if suffixes[-1] in endings), None)
        if named and codec != named:
            raise UserError(
                f"{path.name} is named like a {named} file but is not {named}-compressed.",
                hint="The file may be damaged or renamed: fetch or export it again (or rename it to what it "
                "holds, e.g. .csv); nothing was imported.",
            )
        if named:
            suffixes = suffixes[:-1] or [""]
        return cls(path, codec, suffixes[-1])

    def open(self) -> IO[bytes]:
        """The bytes, decompressed as they are read (pyarrow's codecs: the zlib and zstd DuckDB uses too)."""
        return pa.input_stream(str(self.path), compression=self.codec) if self.codec else self.path.open("rb")

    def text(self, encoding: str, errors: str = "strict") -> IO[str]:
        """The text, newlines kept as written (the csv module and line counting need them)."""
        return io.TextIOWrapper(self.open(), encoding=encoding, errors=errors, newline="")  # type: ignore[arg-type]

    @property
    def duckdb_compression(self) -> str:
        return self.codec or "none"


def read(con: duckdb.DuckDBPyConnection, path: Path) -> Source:
    """Load the file into the temp table RAW (all text) or raise one clear UserError."""
    if not path.is_file():
        raise UserError(f"There is no file at {path}.", hint="Check the path (relative paths start in this folder).")
    if path.stat().st_size == 0:
        raise UserError(f"{path.name} is empty.", hint="Export the data again; the file has no header and no rows.")
    file = InputFile.of(path)
    what = {".parquet": "Parquet", ".pq": "Parquet", ".jsonl": "JSON", ".ndjson": "JSON", ".json": "JSON"}.get(
        file.suffix, "CSV"
    )
    if file.codec and what == "Parquet":
        raise UserError(
            f"{path.name} is a {file.codec}-compressed Parquet file, which cannot be read directly.",
            hint="Parquet compresses its own data: unpack the file (or export plain Parquet) and import that.",
        )
    try:
        if file.codec:  # unpacked to the end once: DuckDB's zstd reader takes a cut-off file without complaint
            with file.open() as fh:
                size = sum(len(chunk) for chunk in iter(lambda: fh.read(1 << 20), b""))
            if not size:
                raise UserError(f"{path.name} is empty once unpacked.", hint="Export the data again.")
        if what == "Parquet":
            source = _read_parquet(con, path)
        elif what == "JSON":
            source = _read_json(con, file)
        else:
            source = _read_csv(con, file)
    except (duckdb.Error, pa.ArrowException, OSError, EOFError, UnicodeError, ValueError) as exc:
        reason = first_line(exc)
        if file.codec:
            raise UserError(
                f"Cannot read {path.name} as {file.codec}-compressed {what}: {reason}",
                hint="The compressed file is damaged or incomplete (e.g. an interrupted download): fetch or "
                "export it again; nothing was imported.",
            ) from None
        raise UserError(
            f"Cannot read {path.name} as {what}: {reason}",
            hint="Check that the file is a complete, uncorrupted export (CSV with a header row, Parquet, "
            "JSON lines or a JSON array of objects) and try again; nothing was imported.",
        ) from None
    if file.codec:
        source.details["compression"] = file.codec
    return source


def _encoding(file: InputFile) -> str:
    """UTF-8 (with or without BOM) when every byte decodes as such, UTF-16 by BOM, else Windows-1252
    (what Excel on Windows writes: Latin-1 plus €, curly quotes and dashes in 0x80-0x9F), else Latin-1."""
    with file.open() as fh:
        if fh.read(2) in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
            return "utf-16"
    for name in ("utf-8", "cp1252"):  # one pass for the usual UTF-8 file, a second only when it fails
        decoder = codecs.getincrementaldecoder(name)()
        try:
            with file.open() as fh:
                while chunk := fh.read(1 << 20):
                    decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return name
    return "latin-1"


def _delimiter(file: InputFile, encoding: str) -> tuple[str, int]:
    """The delimiter, and how many lines precede the header.

    Excel's `sep=;` first line names the delimiter. Otherwise it is the candidate that splits the
    header line most often (',' on a tie), quoted names left out: in `"Name, first";"E-mail"` the
    comma is part of a name.
    """
    with file.text(encoding, errors="replace") as fh:
        head = fh.read(1 << 16)
    if "\x00" in head:  # text exports never contain NUL; spreadsheets (.xlsx) and archives do
        raise ValueError("the file contains binary data (is it an Excel workbook or an archive? export it as CSV)")
    lines = head.lstrip("\ufeff").splitlines() if head.strip() else [""]
    if hint := re.fullmatch(r'"?sep=(.)"?', lines[0].strip()):
        return hint.group(1), 1
    header = re.sub(r'"(?:[^"]|"")*"', "", lines[0])
    counts = {d: header.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return (best if counts[best] else ","), 0


def _read_csv(con: duckdb.DuckDBPyConnection, file: InputFile) -> Source:
    """CSV as text columns. The single-threaded reader, because DuckDB's parallel one refuses
    quoted line breaks (an address or note cell) when short rows are padded; on 2 cores it
    measured no slower on a 1M-row file (0.5-0.7 s against 0.8-1.0 s). DuckDB reads UTF-8 and
    UTF-16 itself, compressed or not; a Windows-1252 or Latin-1 file is first copied to a plain
    UTF-8 temp file."""
    encoding = _encoding(file)
    delim, skip = _delimiter(file, encoding)
    converted = _as_utf8(file, encoding) if encoding in ("cp1252", "latin-1") else None
    try:
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {RAW} AS SELECT * FROM read_csv(?, all_varchar = true, header = true,
                delim = ?, quote = '"', escape = '"', encoding = ?, skip = ?, null_padding = true,
                strict_mode = false, parallel = false, max_line_size = 67108864, auto_detect = true,
                compression = ?)""",
            [
                str(converted or file.path),
                delim,
                "utf-8" if converted else encoding,
                skip,
                "none" if converted else file.duckdb_compression,
            ],
        )
    finally:
        if converted:
            converted.unlink()
    details = {"encoding": encoding, "delimiter": delim}
    columns = raw_columns(con)
    records = con.execute(f"SELECT count(*) FROM {RAW}").fetchone()[0]
    starts = _record_lines(file, encoding, delim, skip, records)
    if starts is None:
        return Source(file.path, "csv", columns, f"rowid + {2 + skip}", details)
    lines = pa.table({"__line": starts})  # noqa: F841 - read by DuckDB below
    con.execute(f"CREATE OR REPLACE TEMP TABLE {RAW} AS SELECT * FROM {RAW} POSITIONAL JOIN lines")
    return Source(file.path, "csv", columns, "__line", details)


def _record_lines(file: InputFile, encoding: str, delim: str, skip: int, records: int) -> pa.Array | None:
    """The line each CSV record starts on, when that is not its number + the header (blank lines,
    or line breaks inside quoted cells such as addresses, shift it); None when every record is one
    line (one fast byte count), or when Python's csv module does not see the same records as
    DuckDB (then the record number stays the best guess)."""
    with file.open() as fh:
        newlines = sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))
    if newlines in (records + skip, records + skip + 1):  # the last line break is optional
        return None
    starts = []
    try:
        with file.text(encoding) as fh:
            reader = csv.reader(fh, delimiter=delim)
            read = 0
            for row in reader:
                if row:  # DuckDB skips blank lines too
                    starts.append(read + 1)
                read = reader.line_num
    except csv.Error:  # e.g. a cell beyond the csv module's field size limit
        return None
    starts = starts[1 + skip :]
    return pa.array(starts, pa.int64()) if len(starts) == records else None


def _as_utf8(file: InputFile, encoding: str) -> Path:
    """A plain UTF-8 copy of the file in the temp folder, streamed (the caller deletes it)."""
    with (
        file.text(encoding) as src,
        tempfile.NamedTemporaryFile("w", encoding="utf-8", newline="", suffix=".csv", delete=False) as dst,
    ):
        shutil.copyfileobj(src, dst, 1 << 20)
    return Path(dst.name)


def _read_parquet(con: duckdb.DuckDBPyConnection, path: Path) -> Source:
    con.execute(f"CREATE OR REPLACE TEMP TABLE {RAW} AS SELECT COLUMNS(*)::VARCHAR FROM read_parquet(?)", [str(path)])
    return Source(path, "parquet", raw_columns(con), "rowid + 1")


def _read_json(con: duckdb.DuckDBPyConnection, file: InputFile) -> Source:
    """JSON lines (one object per line), or one JSON array of objects as many APIs export. A line
    or element that is not an object is reported as a rejected record, not fatal; its "line" is
    the line in the file, or the element's position in the array."""
    encoding = _encoding(file)
    with file.open() as fh:
        head = fh.read(1 << 16).decode(encoding, errors="replace").lstrip("\ufeff \t\r\n")
    if file.suffix == ".json" and head.startswith("["):
        if encoding != "utf-8":
            raise ValueError("a JSON file must be UTF-8 encoded")
        con.execute(
            "CREATE OR REPLACE TEMP TABLE import_json AS SELECT json AS j FROM read_json(?, format = 'array', "
            "records = false, columns = {'json': 'JSON'}, maximum_object_size = 67108864, compression = ?)",
            [str(file.path), file.duckdb_compression],
        )
        con.execute(
            "CREATE OR REPLACE TEMP TABLE import_json AS "
            "SELECT rowid + 1 AS n, j, coalesce(json_type(j) = 'OBJECT', false) AS ok FROM import_json"
        )
        fmt = "json"
    else:
        with file.open() as fh:
            text = fh.read().decode(encoding).lstrip("\ufeff")
        if "\x00" in text:
            raise ValueError("the file contains binary data")
        numbered = [(i, s) for i, s in enumerate(text.splitlines(), start=1) if s.strip()]
        records = pa.table(  # noqa: F841 - read by DuckDB below
            {"n": pa.array([i for i, _ in numbered], pa.int64()), "j": pa.array([s for _, s in numbered], pa.string())}
        )
        con.execute(
            "CREATE OR REPLACE TEMP TABLE import_json AS SELECT n, j, "
            "coalesce(CASE WHEN json_valid(j) THEN json_type(j) = 'OBJECT' END, false) AS ok FROM records"
        )
        fmt = "jsonl"
    try:
        bad = con.execute("SELECT n FROM import_json WHERE NOT ok ORDER BY n").fetchall()
        order = con.execute(
            "SELECT k FROM (SELECT unnest(json_keys(j)) AS k, n FROM import_json WHERE ok) "
            "GROUP BY k ORDER BY min(n), k"
        ).fetchall()
        keys = [k for (k,) in order]
        paths = ["/" + k.replace("~", "~0").replace("/", "~1") for k in keys]  # JSON Pointer: any key, even ""
        keys = _column_names(keys)
        select = "".join(f", json_extract_string(j, ?) AS {ident(k)}" for k in keys)
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {RAW} AS SELECT n AS __line{select} FROM import_json WHERE ok ORDER BY n",
            paths,
        )
    finally:
        con.execute("DROP TABLE IF EXISTS import_json")
    return Source(file.path, fmt, keys, "__line", bad_records=[(n, "not a JSON object") for (n,) in bad])


def _column_names(keys: list[str]) -> list[str]:
    """JSON keys as column names DuckDB accepts: never empty, unique ignoring case (as DuckDB
    compares them), never our `__line`; a clash gets a suffix, as DuckDB does for CSV headers."""
    names: list[str] = []
    taken = {"__line"}
    for i, key in enumerate(keys):
        name, n = key or f"column{i}", 0
        while name.lower() in taken:
            n += 1
            name = f"{key or f'column{i}'}_{n}"
        taken.add(name.lower())
        names.append(name)
    return names


def raw_columns(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [d[0] for d in con.execute(f"SELECT * FROM {RAW} LIMIT 0").description]
