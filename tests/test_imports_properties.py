"""Property tests: whatever file the importer is fed, it imports what is good, logs what is not,
or refuses with one clear UserError, and never leaves a half-written database."""

from __future__ import annotations

import csv
import io
import json
import math
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storage.db import Database
from storage.errors import UserError
from tools import Settings, ToolContext, run_tool

TABLES = ["customers", "customer_behavior", "customer_preferences", "products", "orders", "data_issues"]
PROPERTY_SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """One database for all examples (each example compares before/after, so sharing is safe and fast)."""
    folder = tmp_path_factory.mktemp("props")
    db = Database(folder / "props.duckdb")
    ctx = ToolContext(db=db, settings=Settings(db_path=db.path))
    run_tool(ctx, "generate_demo_data", customers=50, products=5, seed=1)
    yield ctx, folder
    db.close()


def snapshot(db) -> dict[str, list]:
    return {t: db.rows(f"SELECT * FROM {t} ORDER BY ALL") for t in TABLES}  # noqa: S608 - fixed names


def attempt(ctx, folder, name: str, content: bytes, kind: str = "customers"):
    """Import `content`; on a UserError the database must be exactly as before."""
    path = folder / f"{uuid.uuid4().hex}-{name}"
    path.write_bytes(content)
    before = snapshot(ctx.db)
    try:
        return run_tool(ctx, "import_data", kind=kind, path=str(path))
    except UserError as error:
        assert error.message and error.hint
        assert snapshot(ctx.db) == before
        return None


@PROPERTY_SETTINGS
@given(content=st.binary(max_size=3000), name=st.sampled_from(["x.csv", "x.jsonl", "x.parquet", "x.txt"]))
def test_random_bytes_give_a_user_error_or_a_consistent_import(shared, content, name):
    ctx, folder = shared
    result = attempt(ctx, folder, name, content)
    if result is not None:
        data = result.data
        assert data["imported"] + data["rejected"] + data["empty_rows"] == data["rows"]


@PROPERTY_SETTINGS
@given(tail=st.binary(max_size=2000), kind=st.sampled_from(["customers", "products", "orders"]))
def test_a_valid_header_followed_by_garbage(shared, tail, kind):
    ctx, folder = shared
    header = {
        "customers": b"customer_id,email,total_spent\n",
        "products": b"sku,name,price\n",
        "orders": b"order_id,customer_id,ordered_at,amount\n",
    }[kind]
    result = attempt(ctx, folder, "g.csv", header + tail, kind)
    if result is not None:
        data = result.data
        assert data["imported"] + data["rejected"] + data["empty_rows"] == data["rows"]


TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufeff"), max_size=20)
FORMULA = st.sampled_from(['=HYPERLINK("http://x.example","go")', "+1+2", "-2+3", "@SUM(A1:A9)", "=1+1"])
GOOD_NUMBER = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False).map(lambda f: repr(round(f, 2)))
BAD_NUMBER = st.sampled_from(["abc", "12abc", "1.2.3x", "=1+1", "one hundred", "inf"])
ROW = st.fixed_dictionaries(
    {
        "id": st.one_of(st.just(""), st.text(alphabet="ABCxyz0123456789é", min_size=1, max_size=6)),
        "first": st.one_of(TEXT, FORMULA),
        "email": st.one_of(TEXT, st.emails()),
        "spent": st.one_of(st.just(""), GOOD_NUMBER, BAD_NUMBER),
    }
)


def expected(rows: list[dict]) -> dict[str, dict]:
    """What must land: the last row of each non-blank id whose number parses (the oracle)."""
    good: dict[str, dict] = {}
    for row in rows:
        cells = [row["id"], row["first"], row["email"], row["spent"]]
        if all(not c.strip() for c in cells):
            continue
        spent = row["spent"].strip()
        try:
            ok_number = not spent or math.isfinite(float(spent))
        except ValueError:
            ok_number = False
        if row["id"].strip() and ok_number:  # a rejected later row leaves the earlier good one in place
            good[row["id"].strip()] = row
    return good


@PROPERTY_SETTINGS
@given(
    rows=st.lists(ROW, max_size=12),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "cp1252", "utf-16"]),
    delimiter=st.sampled_from([",", ";", "\t"]),
)
def test_generated_csv_imports_exactly_the_good_rows(shared, rows, encoding, delimiter):
    ctx, folder = shared
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(["customer_id", "first_name", "email", "total_spent"])
    writer.writerows([[r["id"], r["first"], r["email"], r["spent"]] for r in rows])
    text = buffer.getvalue()
    if encoding in ("latin-1", "cp1252"):
        try:
            text.encode(encoding)
        except UnicodeEncodeError:
            rows = [r | {"first": "", "email": ""} for r in rows]  # keep the oracle exact: plain ASCII names
            buffer = io.StringIO()
            writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
            writer.writerow(["customer_id", "first_name", "email", "total_spent"])
            writer.writerows([[r["id"], r["first"], r["email"], r["spent"]] for r in rows])
            text = buffer.getvalue()
    ids = {r["id"].strip() for r in rows if r["id"].strip()}
    with ctx.db.transaction() as con:  # a clean slate for these ids (demo ids never collide: they start with C0)
        for table in ("customers", "customer_behavior", "customer_preferences"):
            con.execute(f"DELETE FROM {table} WHERE customer_id = ANY(?)", [list(ids)])  # noqa: S608

    result = attempt(ctx, folder, "gen.csv", text.encode(encoding))
    want = expected(rows)
    if result is None:  # only acceptable when there is nothing to read
        assert not rows
        return
    assert result.data["imported"] == len(want)
    stored = {
        r["customer_id"]: r
        for r in ctx.db.rows(
            "SELECT customer_id, first_name, email, total_spent FROM customers "
            "LEFT JOIN customer_behavior USING (customer_id) WHERE customer_id = ANY(?)",
            [list(ids)],
        )
    }
    assert set(stored) == set(want)
    for key, row in want.items():
        assert stored[key]["first_name"] == (row["first"].strip() or None)  # formulas stay plain text
        assert stored[key]["email"] == (row["email"].strip() or None)
        spent = row["spent"].strip()
        assert stored[key]["total_spent"] == (pytest.approx(float(spent)) if spent else None)


def test_header_only_imports_nothing(shared):
    ctx, folder = shared
    result = attempt(ctx, folder, "h.csv", b"customer_id,email\n")
    assert result is not None and result.data["rows"] == 0 and result.data["imported"] == 0


def test_a_one_megabyte_field_is_stored_whole(shared):
    ctx, folder = shared
    big = "x" * (1 << 20)
    result = attempt(ctx, folder, "big.csv", f"customer_id,last_name\nBIG1,{big}\n".encode())
    assert result.data["imported"] == 1
    assert ctx.db.scalar("SELECT length(last_name) FROM customers WHERE customer_id = 'BIG1'") == 1 << 20


def test_mixed_types_in_a_number_column_reject_only_the_bad_rows(shared):
    ctx, folder = shared
    content = "customer_id,total_spent,order_count\nM1,12.5,1\nM2,twelve,2\nM3,,3\nM4,7,three\nM5,1e3,4\n"
    result = attempt(ctx, folder, "mixed.csv", content.encode())
    assert (result.data["imported"], result.data["rejected"]) == (3, 2)
    assert ctx.db.scalar(
        "SELECT list(total_spent ORDER BY customer_id) FROM customer_behavior WHERE customer_id LIKE 'M_'"
    ) == [12.5, None, 1000.0]


JSON_SCALAR = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**12), 10**12), st.floats(allow_nan=False, allow_infinity=False), TEXT
)
JSON_VALUE = st.recursive(
    JSON_SCALAR, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3)
)
JSON_RECORD = st.one_of(
    st.fixed_dictionaries(
        {"customer_id": st.one_of(TEXT, st.integers(), st.none()), "total_spent": st.one_of(JSON_SCALAR, GOOD_NUMBER)},
        optional={"email": JSON_VALUE, "first_name": st.one_of(TEXT, FORMULA), "odd key": JSON_VALUE},
    ),
    JSON_VALUE,  # mostly not an object: a rejected record
)


@PROPERTY_SETTINGS
@given(records=st.lists(JSON_RECORD, max_size=10), as_array=st.booleans())
def test_json_lines_and_arrays_of_anything(shared, records, as_array):
    ctx, folder = shared
    text = json.dumps(records) if as_array else "\n".join(json.dumps(r) for r in records)
    result = attempt(ctx, folder, "a.json" if as_array else "l.jsonl", text.encode())
    if result is None:
        return
    data = result.data
    assert data["imported"] + data["rejected"] + data["empty_rows"] == data["rows"] == len(records)
    assert data["rejected"] >= sum(not isinstance(r, dict) for r in records)


TRICKY = st.sampled_from(
    ["", " ", "NA", "null", "-", "-1", "1.234,50", "1,234", "1e309", "nan", "9999999999", "abc", "=1+1",
     "2024-13-45", "[a, b]", "Tops|Jeans", "'x'", "é"]
)  # fmt: skip
FITTING = {  # values that do convert, so that whole rows get through to the write
    "text": st.sampled_from(["C1", "O1", "S1", "Ann", "Tops"]),
    "id": st.sampled_from(["C1", "'7001", "17850.0", " S1 "]),
    "consent": st.sampled_from(["yes", "FALSE", "unsubscribed", "1"]),
    "email": st.sampled_from(["a@example.com", "B@Example.org"]),
    "number": st.sampled_from(["12.5", "0", "7"]),
    "integer": st.sampled_from(["1", "2", "3"]),
    "timestamp": st.sampled_from(["2025-01-01", "31.12.2024", "2025-01-01 10:00"]),
    "list": st.sampled_from(["[a, b]", "Tops|Jeans"]),
}


@pytest.mark.parametrize("kind", ["customers", "products", "orders", "suppressions"])  # each kind its own examples
@PROPERTY_SETTINGS
@given(data=st.data())
def test_every_schema_column_with_tricky_values(shared, data, kind):
    """Each field of the kind (optional ones too) filled with fitting, blank or parser-tripping
    values: the import rejects or keeps each row, or refuses the file, but never raises anything else."""
    from tools.data.columns import SCHEMAS

    ctx, folder = shared
    cells = [st.one_of(FITTING[c.type], FITTING[c.type] if c.required else st.just(""), TRICKY) for c in SCHEMAS[kind]]
    rows = data.draw(st.lists(st.tuples(*cells), max_size=8))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows([[c.name for c in SCHEMAS[kind]], *rows])
    result = attempt(ctx, folder, "t.csv", buffer.getvalue().encode(), kind)
    if result is not None:
        assert result.data["imported"] + result.data["rejected"] + result.data["empty_rows"] == len(rows)
