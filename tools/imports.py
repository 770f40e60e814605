"""Import customers, products or orders from CSV, Parquet or JSON (lines or an array) into the store.

CSV and JSON may come gzip- or zstd-compressed (`export.csv.gz`): DuckDB reads those itself and the
few passes made in Python (encoding, delimiter, line numbers) decompress as they read, so a
compressed file goes through exactly the same steps as the plain one.

The file is loaded as text columns into a temporary DuckDB table, its headers are matched to the
schema (aliases, case and spacing ignored, `--map` for the rest), and every value is coerced in
one SQL pass with TRY_CAST: a value that does not convert, or a missing id, rejects its row into
`data_issues`; the good rows are upserted by id, so importing the same file twice changes
nothing. Nothing is written until the whole file has been read and checked, and the write is one
transaction. Text is stored as it came (a cell like `=HYPERLINK(...)` stays a string); order
logs are summarised into behaviour features (recency, frequency, monetary value) in SQL.
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
from typing import IO, Annotated, Any, Literal

import duckdb
import pyarrow as pa
from pydantic import AliasChoices, BaseModel, Field

from storage.errors import UserError
from tools.context import ToolContext
from tools.data.import_folder import readable_path
from tools.data.overview import new_run_id
from tools.registry import Positional, tool
from tools.results import Table, ToolResult
from tools.validation import rejudge

Kind = Literal["customers", "products", "orders"]
ColumnType = Literal["text", "number", "integer", "timestamp", "list"]


@dataclass(frozen=True)
class Column:
    """One schema column an import can fill, and the header names that commonly mean it."""

    name: str
    type: ColumnType
    table: str
    aliases: tuple[str, ...] = ()
    required: bool = False


_CUSTOMER_ID = ("customer id", "cust_id", "customer", "customer number", "customer no", "client id", "user id")
SCHEMAS: dict[str, list[Column]] = {
    "customers": [
        Column("customer_id", "text", "customers", (*_CUSTOMER_ID, "id", "member id"), required=True),
        Column("first_name", "text", "customers", ("first name", "firstname", "given name", "forename")),
        Column("last_name", "text", "customers", ("last name", "surname", "family name", "lastname")),
        Column("email", "text", "customers", ("e-mail", "email address", "e-mail address", "mail")),
        Column("created_at", "timestamp", "customers", ("signup date", "created", "registered at", "customer since")),
        Column("customer_type", "text", "customer_behavior", ("spender type", "type")),
        Column(
            "total_spent", "number", "customer_behavior", ("total", "total spend", "monetary", "lifetime value", "ltv")
        ),
        Column("order_count", "integer", "customer_behavior", ("orders", "frequency", "number of orders", "purchases")),
        Column("avg_order_value", "number", "customer_behavior", ("aov", "average order value", "avg basket")),
        Column("days_since_last_purchase", "integer", "customer_behavior", ("recency", "days since last order")),
        Column("visit_frequency", "number", "customer_behavior", ("visits", "visits per month")),
        Column("cart_abandonment_rate", "number", "customer_behavior", ("abandonment rate", "cart abandonment")),
        Column("style", "text", "customer_preferences", ("preferred style", "style preference")),
        Column("preferred_categories", "list", "customer_preferences", ("categories", "favourite categories")),
        Column("preferred_brands", "list", "customer_preferences", ("brands", "favourite brands")),
        Column("price_range_min", "number", "customer_preferences", ("min price", "price min")),
        Column("price_range_max", "number", "customer_preferences", ("max price", "price max")),
        Column("discount_sensitivity", "number", "customer_preferences", ("discount affinity",)),
        Column("luxury_affinity", "number", "customer_preferences", ("luxury",)),
    ],
    "products": [
        Column("sku", "text", "products", ("id", "product id", "item id", "article number", "product code"), True),
        Column("name", "text", "products", ("product name", "title", "product")),
        Column("category", "text", "products", ("product category",)),
        Column("brand", "text", "products", ("brand name", "manufacturer")),
        Column("brand_tier", "text", "products", ("tier",)),
        Column("cost", "number", "products", ("unit cost", "cost price", "purchase price")),
        Column("margin", "number", "products", ("markup",)),
        Column("price", "number", "products", ("retail price", "sale price", "unit price")),
        Column("stock", "integer", "products", ("quantity", "qty", "inventory", "stock level", "in stock")),
        Column("created_at", "timestamp", "products", ("created", "added")),
    ],
    "orders": [
        Column("order_id", "text", "orders", ("id", "order", "order number", "order no", "transaction id"), True),
        Column("customer_id", "text", "orders", _CUSTOMER_ID, required=True),
        Column("ordered_at", "timestamp", "orders", ("date", "order date", "purchase date", "created at"), True),
        Column("amount", "number", "orders", ("total", "order total", "value", "revenue", "price"), required=True),
        Column("sku", "text", "orders", ("product id", "item id", "product code", "product")),
        Column("category", "text", "orders", ("product category",)),
        Column("line", "integer", "orders", ("line number", "line no", "position")),
    ],
}
KEYS = {"customers": ["customer_id"], "products": ["sku"], "orders": ["order_id", "line"]}
PROBLEMS = {
    "number": "not a number",
    "integer": "not a whole number",
    "timestamp": "not a date",
    "text": "not text",
}
# Values meaning "no value" in exported spreadsheets (numbers and dates only: "Na" is a surname).
NULL_TOKENS = ("", "na", "n/a", "null", "none", "nan", "-", "#n/a")
DATE_FORMATS = ["%d.%m.%Y", "%d.%m.%Y %H:%M", "%d/%m/%Y", "%d/%m/%Y %H:%M", "%Y/%m/%d", "%m/%d/%Y", "%Y%m%d"]
AOV = "round(g.total_spent / nullif(g.order_count, 0), 2)"
RAW, STAGED, ISSUES, LIFTED = "import_raw", "import_staged", "import_issues", "import_lifted"
# Compressions DuckDB's readers decompress natively: each one's first bytes and file name endings.
CODECS = {"gzip": (b"\x1f\x8b", (".gz", ".gzip")), "zstd": (b"\x28\xb5\x2f\xfd", (".zst", ".zstd"))}


def _key(name: str) -> str:
    """Header comparison key: case, spacing and punctuation do not matter ("E-mail" == "email")."""
    return re.sub(r"[^0-9a-z]", "", name.lower())


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class ImportArgs(BaseModel):
    kind: Annotated[Kind, Positional()] = Field(description="What the file holds: customers, products or orders.")
    path: Annotated[str, Positional()] = Field(
        description="The file: .csv/.tsv/.txt, .parquet, .jsonl or .json (JSON lines or an array of objects); "
        "CSV and JSON may be gzip- or zstd-compressed (.csv.gz, .jsonl.zst)."
    )
    map: dict[str, str] = Field(
        default_factory=dict,
        validation_alias=AliasChoices("map", "mapping"),
        description="Map a file column to a schema column when its name is not recognised, as SRC=DST "
        "(DST 'ignore' skips the column).",
    )
    dry_run: bool = Field(False, description="Only preview: show what would be imported, change nothing.")


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


@tool(cli="import")
def import_data(ctx: ToolContext, args: ImportArgs) -> ToolResult:
    """Import customers, products or orders from a CSV, Parquet or JSON-lines file (upsert by id).

    CSV and JSON files may be gzip- or zstd-compressed (export.csv.gz).

    Column names are matched to PromoPilot's fields automatically (e.g. "E-mail", "Customer ID",
    "cust_id"); use map for the rest. Rows with values that do not fit (a text in a number column,
    a missing id) are skipped and listed as data issues; the rest are imported. Importing the same
    file again updates rather than duplicates. Use dry_run first to preview the column matching.
    Orders are also summarised into each customer's spend, order count, recency and categories.
    """
    args = args.model_copy(update={"path": readable_path(ctx, args.path)})  # the assistant: uploads, import folder
    con = ctx.db.con
    try:
        with ctx.progress.task(f"Importing {Path(args.path).name}", total=3) as advance:
            source = _read(con, Path(args.path).expanduser())
            advance(1)
            mapping, unmatched = _match_columns(args.kind, source, args.map)
            missing = [c.name for c in SCHEMAS[args.kind] if c.required and c.name not in mapping.values()]
            if missing and not args.dry_run:
                raise UserError(
                    f"{source.path.name} has no column for {', '.join(missing)} "
                    f"(its columns: {', '.join(source.columns) or 'none'}).",
                    hint=f"Map the right column, e.g. --map 'Your Column={missing[0]}', or preview with --dry-run.",
                )
            stats = {} if missing else _checked_stage(con, args.kind, source, mapping)
            advance(1)
            if args.dry_run:
                return _preview(con, args, source, mapping, unmatched, missing, stats)
            run_id = new_run_id("import")
            try:
                with ctx.db.transaction():
                    written = _write(con, args.kind, source, mapping, run_id)
            except duckdb.Error as exc:  # rolled back: the database is as it was
                raise UserError(
                    f"Cannot import {source.path.name}: {str(exc).strip().splitlines()[0][:200]}",
                    hint="Nothing was imported. Check the values the message names (a --dry-run shows how "
                    "the file is read) and try again.",
                ) from None
            advance(1)
    finally:
        for name in (RAW, STAGED, ISSUES, LIFTED, "import_bad", "import_json"):
            con.execute(f"DROP TABLE IF EXISTS {name}")
    return _report(args, source, mapping, unmatched, stats, written, run_id)


# -- reading ----------------------------------------------------------------------------------


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


def _read(con: duckdb.DuckDBPyConnection, path: Path) -> Source:
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
        reason = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
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
    columns = _columns(con)
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
    return Source(path, "parquet", _columns(con), "rowid + 1")


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
        select = "".join(f", json_extract_string(j, ?) AS {_ident(k)}" for k in keys)
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


def _columns(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [d[0] for d in con.execute(f"SELECT * FROM {RAW} LIMIT 0").description]


# -- matching ---------------------------------------------------------------------------------


def _match_columns(kind: str, source: Source, user_map: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """file column -> schema column, and the file columns nothing matched."""
    schema = {c.name: c for c in SCHEMAS[kind]}
    by_key = {_key(c.name): c.name for c in schema.values()}
    by_key.update({_key(a): c.name for c in schema.values() for a in c.aliases if _key(a) not in by_key})
    file_by_key = {_key(c): c for c in reversed(source.columns)} | {c: c for c in source.columns}
    mapping: dict[str, str] = {}
    ignored: set[str] = set()
    for src, dst in user_map.items():
        column = file_by_key.get(src) or file_by_key.get(_key(src))
        if column is None:
            raise UserError(
                f"--map {src}={dst}: {source.path.name} has no column {src!r}.",
                hint=f"Its columns are: {', '.join(source.columns) or 'none'}.",
            )
        if _key(dst) in ("ignore", "skip", ""):
            ignored.add(column)
            continue
        if dst not in schema:
            raise UserError(
                f"--map {src}={dst}: {kind} have no field {dst!r}.",
                hint=f"Fields for {kind}: {', '.join(schema)} (or 'ignore' to skip the column).",
            )
        mapping[column] = dst
    for column in source.columns:
        target = by_key.get(_key(column))
        if column in mapping or column in ignored or target is None or target in mapping.values():
            continue
        mapping[column] = target
    unmatched = [c for c in source.columns if c not in mapping and c not in ignored and c != "__line"]
    return mapping, unmatched


# -- coercion ---------------------------------------------------------------------------------


# Number spellings that tell the decimal separator (a thousands-grouped part, or any digits, then a
# decimal part; or two and more thousands groups) and the spelling that does not: "1,234" / "1.234".
DECIMAL_COMMA = r"-?(([0-9]+|[0-9]{1,3}(\.[0-9]{3})+),[0-9]+|[0-9]{1,3}(\.[0-9]{3}){2,})"
DECIMAL_DOT = r"-?(([0-9]+|[0-9]{1,3}(,[0-9]{3})+)\.[0-9]+|[0-9]{1,3}(,[0-9]{3}){2,})"
EITHER_WAY = r"-?[1-9][0-9]{0,2}[.,][0-9]{3}"
NOT_DIGITS = "[\\s€$£¥\u00a0]"  # spaces and currency signs around or inside a number: "1 234,50 €"


def _uses_decimal_comma(con: duckdb.DuckDBPyConnection, numeric: list[str], delimiter: str | None) -> bool:
    """Does the file write 1.234,50 rather than 1,234.50? Decided by majority over a sample.

    "1,234" and "1.234" say nothing (a thousands separator in one convention, a decimal in the
    other), so they are not counted. When only such values are found the delimiter decides: Excel
    writes ';' exactly where ',' is the decimal separator, so "1.234" in a ';' file is 1234.
    """
    if not numeric:
        return False
    columns = ", ".join(map(_ident, numeric))
    n_comma, n_dot, n_either = con.execute(
        f"""SELECT count(*) FILTER (WHERE NOT either AND regexp_full_match(v, ?)),
                   count(*) FILTER (WHERE NOT either AND regexp_full_match(v, ?)), count(*) FILTER (WHERE either)
            FROM (SELECT v, regexp_full_match(v, ?) AS either FROM (
                SELECT regexp_replace(__value, ?, '', 'g') AS v FROM (SELECT {columns} FROM {RAW} LIMIT 20000)
                UNPIVOT (__value FOR __column IN ({columns}))))""",
        [DECIMAL_COMMA, DECIMAL_DOT, EITHER_WAY, NOT_DIGITS],
    ).fetchone()
    if n_comma != n_dot:
        return n_comma > n_dot
    return bool(n_either) and delimiter == ";"


def _checked_stage(con: duckdb.DuckDBPyConnection, kind: str, source: Source, mapping: dict[str, str]) -> dict:
    """`_stage`, with a value DuckDB cannot process at all reported as the file's problem, not a traceback."""
    try:
        return _stage(con, kind, source, mapping)
    except duckdb.Error as exc:
        raise UserError(
            f"Cannot import {source.path.name}: {str(exc).strip().splitlines()[0][:200]}",
            hint="Check the file's columns and values (a --dry-run shows how they are read); nothing was imported.",
        ) from None


def _is_blank(raw: str) -> str:
    return f"({raw} IS NULL OR lower(trim({raw})) IN ({', '.join(repr(t) for t in NULL_TOKENS)}))"


def _parse(column: Column, raw: str, decimal_comma: bool) -> str:
    """SQL turning the raw text column `raw` into the schema type; NULL where it does not convert.

    Numbers and dates try a plain TRY_CAST first (most values are clean) and only the values it
    fails on pay for the slower path: null tokens, currency signs, thousands separators, decimal
    commas, other date formats.
    """
    if column.type == "text":
        return f"nullif(trim({raw}), '')"
    if column.type == "list":
        # "[a, b]" (how DuckDB and Parquet lists print) splits without a regex: 2.5x faster.
        plain = f"starts_with({raw}, '[') AND NOT contains({raw}, '\"') AND NOT contains({raw}, '''')"
        items = f"string_split_regex(trim({raw}, '[]\"'' ;|,'), '[\"'']?\\s*[;|,]\\s*[\"'']?')"
        return f"nullif(CASE WHEN {plain} THEN string_split({raw}[2:-2], ', ') ELSE {items} END, [''])"
    blank = _is_blank(raw)
    if column.type == "timestamp":
        slow = f"try_strptime(trim({raw}), {DATE_FORMATS!r})"
        return f"coalesce(TRY_CAST({raw} AS TIMESTAMP), CASE WHEN {blank} THEN NULL ELSE {slow} END)"
    digits = f"regexp_replace({raw}, '{NOT_DIGITS}', '', 'g')"
    digits = f"replace(replace({digits}, '.', ''), ',', '.')" if decimal_comma else f"replace({digits}, ',', '')"
    slow = f"TRY_CAST({digits} AS DOUBLE)"
    if column.type == "integer":
        slow = f"CASE WHEN {slow} = trunc({slow}) THEN TRY_CAST({slow} AS INTEGER) END"
    slow = f"CASE WHEN {blank} THEN NULL ELSE {slow} END"
    if decimal_comma:  # "1.234" means 1234 here, so a plain cast would be wrong
        return f"nullif({slow}, 'NaN'::DOUBLE)" if column.type == "number" else slow
    if column.type == "integer":  # a plain cast would round "2.5" to 3
        return f"coalesce(CASE WHEN NOT contains({raw}, '.') THEN TRY_CAST({raw} AS INTEGER) END, {slow})"
    return f"nullif(coalesce(TRY_CAST({raw} AS DOUBLE), {slow}), 'NaN'::DOUBLE)"  # "nan" means no value


def _failed(column: Column, typed: str, raw: str) -> str:
    """SQL: the raw value was given but did not convert (or converted to infinity)."""
    failed = f"({typed} IS NULL AND NOT {_is_blank(raw)})"
    return f"({failed} OR isinf({typed}))" if column.type == "number" else failed


def _stage(con: duckdb.DuckDBPyConnection, kind: str, source: Source, mapping: dict[str, str]) -> dict[str, Any]:
    """Coerce every value in one pass into STAGED; log failing rows in ISSUES and drop them (and
    earlier duplicates of a key) from STAGED, which then holds exactly the rows to write."""
    schema = {c.name: c for c in SCHEMAS[kind]}
    numeric = [src for src, dst in mapping.items() if schema[dst].type in ("number", "integer")]
    source.details["decimal_comma"] = decimal_comma = _uses_decimal_comma(con, numeric, source.details.get("delimiter"))
    fields = list(mapping.values())
    raw_of = {dst: f"r.{_ident(src)}" for src, dst in mapping.items()}
    typed = {dst: _parse(schema[dst], _ident(src), decimal_comma) for src, dst in mapping.items()}
    if kind == "orders":
        # The rows of one order are its lines, numbered in file order where the file leaves the line
        # number out or blank, so a re-import finds them again.
        position = "row_number() OVER (PARTITION BY order_id ORDER BY rowid)::INTEGER"
        if "line" in typed:
            blank = _is_blank(_ident(next(src for src, dst in mapping.items() if dst == "line")))
            position = f"CASE WHEN {blank} THEN {position} ELSE {typed['line']} END"
        typed["line"] = position
    columns = ", ".join(f"{sql} AS {dst}" for dst, sql in typed.items())
    key = " || '/' || ".join(f"coalesce({k}::VARCHAR, '')" for k in KEYS[kind] if k in fields) or "NULL"
    empty = " AND ".join(f"nullif(trim({_ident(src)}), '') IS NULL" for src in mapping) or "true"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {STAGED} AS
        SELECT *, {key} AS __key FROM (
            SELECT rowid AS __rid, {source.line_expr} AS __line, {empty} AS __empty, {columns} FROM {RAW})""")

    checks = {f: _failed(schema[f], f"s.{f}", raw_of[f]) for f in fields if schema[f].type not in ("text", "list")}
    local = {f: _failed(schema[f], f"s.{f}", "s.r") for f in checks}
    required = {f: f"s.{f} IS NULL" for f in fields if schema[f].required}
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {ISSUES} (__line BIGINT, row_key VARCHAR, field VARCHAR, problem VARCHAR, "
        "raw_value VARCHAR)"
    )
    if checks or required:
        raw_cols = ", ".join(f"{raw_of[f]} AS {_ident('raw:' + f)}" for f in fields)
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE import_bad AS
            SELECT s.*, {raw_cols} FROM {STAGED} s JOIN {RAW} r ON r.rowid = s.__rid
            WHERE NOT s.__empty AND ({" OR ".join([*checks.values(), *required.values()])})""")
        for f in checks:
            con.execute(f"""
                INSERT INTO {ISSUES} SELECT __line, __key, '{f}', '{PROBLEMS[schema[f].type]}', left(r, 200)
                FROM (SELECT *, {_ident("raw:" + f)} AS r FROM import_bad) s
                WHERE {local[f]}""")
        for f in required:
            con.execute(f"""
                INSERT INTO {ISSUES} SELECT __line, __key, '{f}', 'required value missing', NULL
                FROM import_bad s WHERE s.{f} IS NULL AND {_is_blank(_ident("raw:" + f))}""")
        con.execute("DROP TABLE import_bad")
    if source.bad_records:
        con.executemany(f"INSERT INTO {ISSUES} VALUES (?, NULL, NULL, ?, NULL)", source.bad_records)
    con.execute(f"DELETE FROM {STAGED} WHERE __line IN (SELECT __line FROM {ISSUES})")

    keys = ", ".join(KEYS[kind])
    con.execute(f"""
        INSERT INTO {ISSUES}
        SELECT __line, __key, NULL, 'duplicate id in the file: a later row replaces this one', NULL FROM (
            SELECT __line, __key, __line < max(__line) OVER (PARTITION BY {keys}) AS earlier
            FROM {STAGED} WHERE NOT __empty AND ({keys}) IN (
                SELECT ({keys}) FROM {STAGED} WHERE NOT __empty GROUP BY ALL HAVING count(*) > 1))
        WHERE earlier""")
    con.execute(f"""
        DELETE FROM {STAGED} WHERE __empty
           OR __line IN (SELECT __line FROM {ISSUES} WHERE problem LIKE 'duplicate id%')""")
    rows = con.execute(f"SELECT count(*) FROM {RAW}").fetchone()[0] + len(source.bad_records)
    imported = con.execute(f"SELECT count(*) FROM {STAGED}").fetchone()[0]
    rejected = con.execute(f"SELECT count(DISTINCT __line) FROM {ISSUES}").fetchone()[0]
    return {"rows": rows, "imported": imported, "rejected": rejected, "empty_rows": rows - imported - rejected}


# -- writing ----------------------------------------------------------------------------------


def _existing(con: duckdb.DuckDBPyConnection, table: str, keys: list[str]) -> int:
    """How many staged rows already exist in `table` (they will be updated, not inserted)."""
    on = " AND ".join(f"t.{k} = g.{k}" for k in keys)
    return con.execute(f"SELECT count(*) FROM {STAGED} g WHERE EXISTS (SELECT 1 FROM {table} t WHERE {on})").fetchone()[
        0
    ]


def _plan(kind: str, fields: list[str]) -> dict[str, dict[str, str]]:
    """Per target table, the columns to write and the SQL computing each from the staged row `g`."""
    tables: dict[str, dict[str, str]] = {}
    for column in SCHEMAS[kind]:
        if column.name in fields and column.name not in KEYS[kind]:
            tables.setdefault(column.table, {})[column.name] = f"g.{column.name}"
    if kind == "customers":
        tables.setdefault("customers", {})
        _derive(tables.get("customer_behavior", {}), fields, "avg_order_value", AOV)
    if kind == "products":
        cols = tables.setdefault("products", {})
        _derive(cols, fields, "price", "round(g.cost * (1 + g.margin), 2)")
        _derive(cols, fields, "margin", "round(g.price / nullif(g.cost, 0) - 1, 3)")
    if kind == "orders":
        # An order line without a category takes its product's, so "categories bought" works from SKUs alone.
        from_product = "(SELECT p.category FROM products p WHERE p.sku = g.sku)" if "sku" in fields else "NULL"
        own = "g.category" if "category" in fields else "NULL"
        tables["orders"]["category"] = f"coalesce({own}, {from_product})"
        tables["orders"].pop("line", None)
    return tables


def _derive(columns: dict[str, str], fields: list[str], name: str, formula: str) -> None:
    """Fill `name` from its parts where the file leaves it empty (or has no such column)."""
    if set(re.findall(r"g\.(\w+)", formula)) <= set(fields):
        columns[name] = f"coalesce(g.{name}, {formula})" if name in columns else formula


def _write(con: duckdb.DuckDBPyConnection, kind: str, source: Source, mapping: dict[str, str], run_id: str) -> dict:
    """Upsert the staged rows, judge quarantined customers with new values again and log the ISSUES;
    the caller holds the transaction."""
    tag = f"import:{source.path.name}"
    written: dict[str, Any] = {}
    plan = _plan(kind, list(mapping.values()))
    lifted = _release_changed(con, plan) if kind == "customers" else 0
    for table, values in plan.items():
        keys = KEYS[kind] if table == kind else ["customer_id"]
        if table in ("customers", "products", "orders"):
            values = {**values, "source": "?"}
        written[table] = {"updated": (overlap := _existing(con, table, keys))}
        columns = [*keys, *values]
        select = ", ".join([*(f"g.{k}" for k in keys), *(f"{sql}" for sql in values.values())])
        # Only rows whose values differ are updated: a re-import rewrites nothing (and DuckDB updates of
        # list columns are slow, so this keeps an idempotent re-import fast).
        update = ", ".join(f"{c} = excluded.{c}" for c in values)
        changed = " OR ".join(f"{table}.{c} IS DISTINCT FROM excluded.{c}" for c in values)
        upsert = f"ON CONFLICT ({', '.join(keys)}) " + (
            f"DO UPDATE SET {update} WHERE {changed}" if update else "DO NOTHING"
        )
        con.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) SELECT {select} FROM {STAGED} g {upsert if overlap else ''}",
            [tag] if "source" in values else None,
        )
    if kind == "orders":
        written["customers_updated"] = _orders_to_behavior(con)
        written["unknown_customers"] = con.execute(
            f"SELECT count(DISTINCT customer_id) FROM {STAGED} g "
            "WHERE NOT EXISTS (SELECT 1 FROM customers c WHERE c.customer_id = g.customer_id)"
        ).fetchone()[0]
    if kind == "customers":  # judged once all their new values are written, behaviour too
        again = rejudge(con, LIFTED, run_id) if lifted else {"quarantined": 0, "reasons": []}
        written |= {
            "rejudged": lifted,
            "released": lifted - again["quarantined"],
            "requarantined": again["quarantined"],
            "requarantine_reasons": again["reasons"],
        }
    written["problems"] = _problems(con).to_dict("records")
    con.execute(
        "INSERT INTO data_issues (run_id, table_name, row_key, source_file, line, field, problem, raw_value, action) "
        f"SELECT ?, ?, row_key, ?, __line, field, problem, raw_value, 'rejected' FROM {ISSUES} ORDER BY __line",
        [run_id, kind, str(source.path)],
    )
    return written


def _release_changed(con: duckdb.DuckDBPyConnection, plan: dict[str, dict[str, str]]) -> int:
    """Release the quarantined customers whose row in the file changes any of their stored values,
    listing them in LIFTED for `rejudge`: quarantine has no other way out, and new values deserve a
    fresh judgement. Runs before the upsert (it compares against the old values). Returns how many."""
    joins = "".join(f" LEFT JOIN {t} ON {t}.customer_id = g.customer_id" for t in plan if t != "customers")
    differs = " OR ".join(f"{t}.{c} IS DISTINCT FROM {sql}" for t, values in plan.items() for c, sql in values.items())
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {LIFTED} AS
        SELECT g.customer_id FROM {STAGED} g JOIN customers ON customers.customer_id = g.customer_id{joins}
        WHERE customers.quarantine_reason IS NOT NULL AND ({differs or "false"})""")
    return con.execute(
        f"UPDATE customers SET quarantine_reason = NULL WHERE customer_id IN (SELECT customer_id FROM {LIFTED})"
    ).fetchone()[0]


def _orders_to_behavior(con: duckdb.DuckDBPyConnection) -> int:
    """RFM from the whole order log: monetary, frequency, average order value, recency, categories.

    Recency counts days back from the latest order in the log, not from today, so an export
    from last month does not make every customer look lapsed.
    """
    con.execute("""
        INSERT INTO customer_behavior (customer_id, total_spent, order_count, avg_order_value,
                                       days_since_last_purchase, categories_bought)
        SELECT customer_id, round(sum(amount), 2), count(DISTINCT order_id)::INTEGER,
               round(sum(amount) / count(DISTINCT order_id), 2),
               date_diff('day', max(ordered_at), (SELECT max(ordered_at) FROM orders))::INTEGER,
               list_sort(list(DISTINCT category) FILTER (WHERE category IS NOT NULL))
        FROM orders GROUP BY customer_id
        ON CONFLICT (customer_id) DO UPDATE SET total_spent = excluded.total_spent,
            order_count = excluded.order_count, avg_order_value = excluded.avg_order_value,
            days_since_last_purchase = excluded.days_since_last_purchase,
            categories_bought = excluded.categories_bought
        WHERE (customer_behavior.total_spent, customer_behavior.order_count, customer_behavior.avg_order_value,
               customer_behavior.days_since_last_purchase, customer_behavior.categories_bought)
              IS DISTINCT FROM (excluded.total_spent, excluded.order_count, excluded.avg_order_value,
                                excluded.days_since_last_purchase, excluded.categories_bought)""")
    return con.execute("SELECT count(DISTINCT customer_id) FROM orders").fetchone()[0]


# -- reporting --------------------------------------------------------------------------------


def _mapping_table(source: Source, mapping: dict[str, str], unmatched: list[str]) -> Table:
    rows = [{"file column": src, "field": dst} for src, dst in mapping.items()]
    rows += [{"file column": c, "field": None} for c in unmatched]
    return Table.from_rows("Column matching", rows)


def _problems(con: duckdb.DuckDBPyConnection) -> Any:
    return con.execute(
        f"SELECT coalesce(field, '-') AS field, problem, count(*) AS rows FROM {ISSUES} GROUP BY ALL ORDER BY 3 DESC"
    ).df()


def _preview(con, args: ImportArgs, source: Source, mapping, unmatched, missing, stats) -> ToolResult:
    data: dict[str, Any] = {
        "kind": args.kind,
        "file": str(source.path),
        "format": source.format,
        **source.details,
        "columns": mapping,
        "unmatched_columns": unmatched,
        "missing_required": missing,
        **stats,
    }
    tables = [_mapping_table(source, mapping, unmatched)]
    if missing:
        summary = (
            f"{source.path.name} cannot be imported as {args.kind} yet: no column for {', '.join(missing)}. "
            f"Map one with --map 'Column={missing[0]}'."
        )
    else:
        data["would_update"] = _existing(con, args.kind, KEYS[args.kind])
        data["would_insert"] = stats["imported"] - data["would_update"]
        summary = (
            f"Dry run: {stats['imported']:,} of {stats['rows']:,} rows would be imported "
            f"({data['would_insert']:,} new, {data['would_update']:,} updates), {stats['rejected']:,} rejected"
            + (f"; unmatched columns: {', '.join(unmatched)}." if unmatched else "; every column is matched.")
        )
        problems = _problems(con)
        data["problems"] = problems.to_dict("records")
        sample = con.execute(
            f"SELECT * EXCLUDE (__line, __rid, __empty, __key) FROM {STAGED} ORDER BY __line LIMIT 5"
        ).df()
        tables += [Table.from_df("First rows as they would be imported", sample, total=stats["imported"])]
        if len(problems):
            tables.append(Table.from_df("Rows that would be rejected", problems))
    return ToolResult(summary=summary, data=data, tables=tables)


def _rejudged(lifted: int, released: int, reasons: list[dict], run_id: str) -> str:
    """The sentence on quarantined customers that had new values and were checked again."""
    parts = []
    if released:
        parts.append(f"{released:,} pass{'es' if released == 1 else ''} the checks now and {_is(released)} released")
    if kept := lifted - released:
        listed = ", ".join(f"{r['customers']:,} {r['reason'].replace('_', ' ')}" for r in reasons)
        parts.append(f"{kept:,} {_is(kept)} still quarantined ({listed}; see `promopilot data-issues --run {run_id}`)")
    return f"{lifted:,} quarantined customer{'s' if lifted != 1 else ''} had new values: {', '.join(parts)}."


def _is(n: int) -> str:
    return "is" if n == 1 else "are"


def _report(args: ImportArgs, source: Source, mapping, unmatched, stats, written, run_id) -> ToolResult:
    main = written[args.kind]
    updated = main["updated"]
    inserted = stats["imported"] - updated
    summary = (
        f"Imported {stats['imported']:,} of {stats['rows']:,} rows from {source.path.name} "
        f"({inserted:,} new, {updated:,} updated)"
    )
    if stats["rejected"]:
        summary += f"; {stats['rejected']:,} rejected (see `promopilot data-issues --run {run_id}`)"
    if stats["empty_rows"]:
        summary += f"; {stats['empty_rows']:,} empty rows skipped"
    if args.kind == "orders":
        summary += f". Spend, order count and recency updated for {written['customers_updated']:,} customers"
        if written["unknown_customers"]:
            summary += f" ({written['unknown_customers']:,} not in the customer list yet)"
    summary += "."
    if lifted := written.get("rejudged", 0):
        summary += f" {_rejudged(lifted, written['released'], written['requarantine_reasons'], run_id)}"
    if unmatched:
        summary += f" Not imported columns: {', '.join(unmatched)}."
    data = {
        "kind": args.kind,
        "file": str(source.path),
        "run_id": run_id,
        "format": source.format,
        **source.details,
        **stats,
        "inserted": inserted,
        "updated": updated,
        "columns": mapping,
        "unmatched_columns": unmatched,
        **{k: v for k, v in written.items() if not isinstance(v, dict)},
    }
    tables = [_mapping_table(source, mapping, unmatched)]
    if written["problems"]:
        tables.append(Table.from_rows("Rejected rows by problem", written["problems"]))
    return ToolResult(summary=summary, data=data, tables=tables)
