"""Importing gzip- and zstd-compressed CSV and JSON: the same reading steps as the plain file, and a
damaged archive is one clear error that changes nothing."""

from __future__ import annotations

import gzip
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from cli import main
from storage.errors import UserError
from tests.test_imports import snapshot
from tools import run_tool

ENDING = {None: "", "gzip": ".gz", "zstd": ".zst"}


def compressed(tmp_path, name: str, data: bytes, codec: str | None) -> str:
    """Write `data` to `name` + the codec's ending, compressed as gzip or zstd would (or plain)."""
    path = tmp_path / (name + ENDING[codec])
    if codec == "gzip":
        path.write_bytes(gzip.compress(data))
    elif codec == "zstd":
        with pa.CompressedOutputStream(str(path), "zstd") as out:
            out.write(data)
    else:
        path.write_bytes(data)
    assert codec is None or path.read_bytes() != data
    return str(path)


# Excel on Windows: Windows-1252 (€ is 0x80), ';' and decimal commas, an address cell over two lines,
# a blank line, and two values that do not fit: every sniffing step and the line numbering are exercised.
CRM = (
    "Customer ID;E-mail;First name;Address;Total spent;Orders\r\n"
    'C1;ann@example.com;Zoë;"1 Main St\r\nSpringfield";"1.234,50 €";3\r\n'  # lines 2-3
    "\r\n"  # line 4
    "C2;bob@example.com;Bob;x;lots;2\r\n"  # line 5: total not a number
    "C3;cy@example.com;Cy;y;12,5;two\r\n"  # line 6: orders not a whole number
    "C4;di@example.com;Di;z;7,25;1\r\n"
).encode("cp1252")


@pytest.mark.parametrize("codec", [None, "gzip", "zstd"])
def test_a_compressed_csv_reads_exactly_like_the_plain_one(ctx, tmp_path, codec):
    path = compressed(tmp_path, "crm.csv", CRM, codec)
    before = snapshot(ctx.db)
    preview = run_tool(ctx, "import_data", kind="customers", path=path, dry_run=True, map={"Address": "ignore"})
    assert snapshot(ctx.db) == before
    assert preview.data.get("compression") == codec
    assert (preview.data["encoding"], preview.data["delimiter"], preview.data["decimal_comma"]) == ("cp1252", ";", True)
    assert (preview.data["would_insert"], preview.data["rejected"]) == (2, 2)

    result = run_tool(ctx, "import_data", kind="customers", path=path, map={"Address": "ignore"})
    assert (result.data["imported"], result.data["rejected"]) == (2, 2)
    assert ctx.db.rows("SELECT line, row_key, field, raw_value, source_file FROM data_issues ORDER BY line") == [
        {"line": 5, "row_key": "C2", "field": "total_spent", "raw_value": "lots", "source_file": path},
        {"line": 6, "row_key": "C3", "field": "order_count", "raw_value": "two", "source_file": path},
    ]
    assert ctx.db.rows(
        "SELECT customer_id, first_name, total_spent FROM customers JOIN customer_behavior USING (customer_id) "
        "ORDER BY customer_id"
    ) == [
        {"customer_id": "C1", "first_name": "Zoë", "total_spent": 1234.5},
        {"customer_id": "C4", "first_name": "Di", "total_spent": 7.25},
    ]


@pytest.mark.parametrize("codec", ["gzip", "zstd"])
def test_compressed_json_lines_and_arrays(ctx, tmp_path, codec):
    lines = [json.dumps({"sku": "A-1", "price": 10}), "{broken", "", json.dumps({"sku": "A-2", "price": "x"})]
    path = compressed(tmp_path, "p.jsonl", "\n".join(lines).encode(), codec)
    result = run_tool(ctx, "import_data", kind="products", path=path)
    assert (result.data["format"], result.data["compression"], result.data["imported"]) == ("jsonl", codec, 1)
    assert ctx.db.rows("SELECT line, problem FROM data_issues ORDER BY line") == [
        {"line": 2, "problem": "not a JSON object"},
        {"line": 4, "problem": "not a number"},
    ]

    items = [{"sku": "B-1", "price": 5}, 7, {"sku": "B-2", "price": 6}]
    path = compressed(tmp_path, "p.json", json.dumps(items).encode(), codec)
    result = run_tool(ctx, "import_data", kind="products", path=path)
    assert (result.data["format"], result.data["imported"], result.data["rejected"]) == ("json", 2, 1)
    assert ctx.db.scalar("SELECT sum(price) FROM products WHERE sku LIKE 'B-%'") == 11


def test_a_gzip_file_without_the_gz_ending_is_still_read(ctx, tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(gzip.compress(b"customer_id,email\nC1,a@example.com\n"))
    assert run_tool(ctx, "import_data", kind="customers", path=str(path)).data["compression"] == "gzip"
    assert ctx.db.scalar("SELECT email FROM customers") == "a@example.com"


def damaged(tmp_path) -> list[tuple[str, bytes, str]]:
    """(file name, bytes, expected message) for archives that cannot be read."""
    good = gzip.compress(b"customer_id,email\n" + b"".join(b"X%d,x%d@example.com\n" % (i, i) for i in range(5000)))
    zst = tmp_path / "whole.zst"
    with pa.CompressedOutputStream(str(zst), "zstd") as out:
        out.write(b"customer_id,email\n" + b"".join(b"Z%d,z%d@example.com\n" % (i, i) for i in range(5000)))
    flipped = bytearray(good)
    flipped[len(good) // 2 : len(good) // 2 + 16] = b"\xff" * 16
    parquet = tmp_path / "c.parquet"
    pq.write_table(pa.table({"customer_id": ["P1"]}), parquet)
    return [
        ("cut.csv.gz", good[: len(good) // 2], "Cannot read cut.csv.gz as gzip-compressed CSV"),
        ("flipped.csv.gz", bytes(flipped), "Cannot read flipped.csv.gz as gzip-compressed CSV"),
        ("cut.jsonl.gz", good[: len(good) // 2], "Cannot read cut.jsonl.gz as gzip-compressed JSON"),
        ("cut.csv.zst", zst.read_bytes()[:-40], "Cannot read cut.csv.zst as zstd-compressed CSV"),
        ("renamed.csv.gz", b"customer_id,email\nC1,a@example.com\n", "named like a gzip file but is not"),
        ("nothing.csv.gz", gzip.compress(b""), "empty once unpacked"),
        ("c.parquet.gz", gzip.compress(parquet.read_bytes()), "gzip-compressed Parquet"),
    ]


def test_a_damaged_archive_is_one_clear_error_and_changes_nothing(demo_ctx, tmp_path):
    before = snapshot(demo_ctx.db)
    for name, data, message in damaged(tmp_path):
        path = tmp_path / name
        path.write_bytes(data)
        for dry_run in (True, False):
            with pytest.raises(UserError, match=message) as caught:
                run_tool(demo_ctx, "import_data", kind="customers", path=str(path), dry_run=dry_run)
            assert caught.value.hint, name
        assert snapshot(demo_ctx.db) == before, name
        assert not demo_ctx.db.rows("SELECT * FROM customers WHERE customer_id IN ('X1', 'Z1', 'C1', 'P1')")


def test_cli_imports_a_gz_export(tmp_path):
    path = compressed(tmp_path, "export.csv", b"Customer ID,E-mail\nK1,k@example.com\nK2,k2@example.com\n", "gzip")
    db = str(tmp_path / "cli.duckdb")
    preview = CliRunner().invoke(main, ["--db", db, "import", "customers", path, "--dry-run", "--json"])
    assert preview.exit_code == 0, preview.output
    assert json.loads(preview.stdout)["data"]["would_insert"] == 2
    done = CliRunner().invoke(main, ["--db", db, "import", "customers", path])
    assert done.exit_code == 0, done.output
    assert "Imported 2 of 2 rows from export.csv.gz" in done.stdout

    broken = tmp_path / "broken.csv.gz"
    broken.write_bytes(gzip.compress(b"customer_id\nK3\n" * 200)[:-30])
    failed = CliRunner().invoke(main, ["--db", db, "import", "customers", str(broken)])
    assert failed.exit_code == 1 and "Cannot read broken.csv.gz as gzip-compressed CSV" in failed.output
