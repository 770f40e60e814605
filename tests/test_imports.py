"""Importing customer, product and order files: formats, column matching, coercion, upserts, RFM."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from cli import main
from storage.errors import UserError
from tools import run_tool


def write(tmp_path, name: str, text: str, encoding: str = "utf-8") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


def snapshot(db) -> dict[str, list]:
    tables = ["customers", "customer_behavior", "customer_preferences", "products", "orders", "data_issues"]
    return {t: db.rows(f"SELECT * FROM {t} ORDER BY ALL") for t in tables}  # noqa: S608 - fixed names


def test_excel_style_csv_with_bom_semicolons_aliases_and_decimal_commas(ctx, tmp_path):
    path = write(
        tmp_path,
        "export.csv",
        "\ufeffCustomer ID;E-mail;First Name;Total spent;Orders;Signup date;Categories\n"
        'C1;ann@example.com;Ann;"1.234,50";3;01.02.2024;Tops|Jeans\n'
        "C2;bob@example.com;Bob;12,3;2;2024-03-04;\n",
    )
    result = run_tool(ctx, "import_data", kind="customers", path=path)

    assert result.data["delimiter"] == ";" and result.data["decimal_comma"] is True
    assert result.data["columns"]["E-mail"] == "email" and result.data["columns"]["Customer ID"] == "customer_id"
    assert (result.data["imported"], result.data["rejected"]) == (2, 0)
    row = ctx.db.rows("""
        SELECT c.email, b.total_spent, b.order_count, b.avg_order_value, c.created_at, p.preferred_categories
        FROM customers c JOIN customer_behavior b USING (customer_id) JOIN customer_preferences p USING (customer_id)
        WHERE customer_id = 'C1'""")[0]
    assert row["total_spent"] == 1234.5 and row["order_count"] == 3
    assert row["avg_order_value"] == pytest.approx(411.5)  # derived from total / orders when the file lacks it
    assert str(row["created_at"]).startswith("2024-02-01")
    assert row["preferred_categories"] == ["Tops", "Jeans"]


def test_latin1_file_is_decoded(ctx, tmp_path):
    path = write(
        tmp_path, "legacy.csv", "cust_id,Vorname,email\n1,José,j@example.com\n2,Müller,m@example.com\n", "latin-1"
    )
    result = run_tool(ctx, "import_data", kind="customers", path=path, map={"Vorname": "first_name"})
    assert result.data["encoding"] == "cp1252"  # Latin-1 letters read the same in Windows-1252
    assert ctx.db.scalar("SELECT string_agg(first_name, ',' ORDER BY customer_id) FROM customers") == "José,Müller"


def test_windows_1252_euro_signs_and_curly_quotes_are_decoded(ctx, tmp_path):
    """Excel on Windows saves CSV in Windows-1252: € is byte 0x80, which is no Latin-1 letter."""
    text = "sep=;\nSKU;Product name;Price\nS1;“Fjord” parka – navy;1.234,50 €\nS2;Tee;12,00 €\n"
    result = run_tool(ctx, "import_data", kind="products", path=write(tmp_path, "win.csv", text, "cp1252"))
    assert (result.data["encoding"], result.data["delimiter"], result.data["imported"]) == ("cp1252", ";", 2)
    assert ctx.db.rows("SELECT name, price FROM products ORDER BY sku") == [
        {"name": "“Fjord” parka – navy", "price": 1234.5},
        {"name": "Tee", "price": 12.0},
    ]


def test_bytes_outside_windows_1252_fall_back_to_latin1_and_lines_count_the_sep_line(ctx, tmp_path):
    path = tmp_path / "odd.csv"
    path.write_bytes(b"sep=,\ncustomer_id,first_name,total_spent\nC1,Ren\xe9\x81,1\nC2,Bo,lots\n")
    result = run_tool(ctx, "import_data", kind="customers", path=str(path))
    assert result.data["encoding"] == "latin-1" and result.data["imported"] == 1
    assert ctx.db.scalar("SELECT first_name FROM customers") == "René\x81"
    assert ctx.db.rows("SELECT line, raw_value FROM data_issues") == [{"line": 4, "raw_value": "lots"}]


def test_dry_run_previews_and_changes_nothing(ctx, tmp_path):
    path = write(tmp_path, "c.csv", "Customer ID,E-mail,Favourite colour\nC1,a@example.com,red\n")
    before = snapshot(ctx.db)
    result = run_tool(ctx, "import_data", kind="customers", path=path, dry_run=True)
    assert snapshot(ctx.db) == before
    assert result.data["unmatched_columns"] == ["Favourite colour"]
    assert result.data["would_insert"] == 1 and "Dry run" in result.summary


def test_missing_id_column_is_a_clear_error_until_mapped(ctx, tmp_path):
    path = write(tmp_path, "c.csv", "Kundennummer,E-mail\nK1,a@example.com\n")
    with pytest.raises(UserError) as caught:
        run_tool(ctx, "import_data", kind="customers", path=path)
    assert "c.csv" in caught.value.message and "customer_id" in caught.value.message
    assert "--map" in caught.value.hint
    preview = run_tool(ctx, "import_data", kind="customers", path=path, dry_run=True)
    assert preview.data["missing_required"] == ["customer_id"]

    run_tool(ctx, "import_data", kind="customers", path=path, mapping={"Kundennummer": "customer_id"})
    assert ctx.db.scalar("SELECT email FROM customers WHERE customer_id = 'K1'") == "a@example.com"


def test_map_to_an_unknown_field_names_the_valid_ones(ctx, tmp_path):
    path = write(tmp_path, "c.csv", "id,mail\n1,a@example.com\n")
    with pytest.raises(UserError, match="no field 'e_mail'") as caught:
        run_tool(ctx, "import_data", kind="customers", path=path, map={"mail": "e_mail"})
    assert "email" in caught.value.hint


def test_bad_rows_are_logged_with_line_field_and_value_and_good_rows_land(ctx, tmp_path):
    path = write(
        tmp_path,
        "c.csv",
        "customer_id,email,total_spent,order_count,created_at\n"
        "C1,a@example.com,10.5,1,2024-01-01\n"
        "C2,b@example.com,lots,2,2024-01-01\n"  # line 3: not a number
        ",c@example.com,5,1,2024-01-01\n"  # line 4: no id
        "C4,d@example.com,7,2.5,yesterday\n"  # line 5: not whole, not a date
        ",,,,\n"  # line 6: empty
        "C6,f@example.com,N/A,,\n",  # null tokens are missing values, not errors
    )
    result = run_tool(ctx, "import_data", kind="customers", path=path)

    assert (result.data["rows"], result.data["imported"], result.data["rejected"], result.data["empty_rows"]) == (
        6,
        2,
        3,
        1,
    )
    assert ctx.db.scalar("SELECT list(customer_id ORDER BY customer_id) FROM customers") == ["C1", "C6"]
    issues = ctx.db.rows("SELECT line, row_key, field, problem, raw_value, action, source_file FROM data_issues")
    found = {(i["line"], i["field"], i["problem"], i["raw_value"]) for i in issues}
    assert found == {
        (3, "total_spent", "not a number", "lots"),
        (4, "customer_id", "required value missing", None),
        (5, "order_count", "not a whole number", "2.5"),
        (5, "created_at", "not a date", "yesterday"),
    }
    assert {i["action"] for i in issues} == {"rejected"} and issues[0]["source_file"] == path
    assert "2 of 6 rows" in result.summary and "3 rejected" in result.summary


def test_reimport_is_idempotent_and_updates_changed_rows(ctx, tmp_path):
    path = write(
        tmp_path, "c.csv", "customer_id,email,total_spent,order_count\nC1,a@example.com,10,1\nC2,b@x.org,5,1\n"
    )
    run_tool(ctx, "import_data", kind="customers", path=path)
    before = {t: rows for t, rows in snapshot(ctx.db).items() if t != "data_issues"}
    again = run_tool(ctx, "import_data", kind="customers", path=path)
    assert {t: rows for t, rows in snapshot(ctx.db).items() if t != "data_issues"} == before
    assert (again.data["inserted"], again.data["updated"], again.data["unchanged"]) == (0, 0, 2)
    assert "(0 new, 0 changed, 2 unchanged)" in again.summary

    changed = write(tmp_path, "c.csv", "customer_id,total_spent\nC1,99\n")
    run_tool(ctx, "import_data", kind="customers", path=changed)
    row = ctx.db.rows(
        "SELECT email, total_spent, order_count FROM customers JOIN customer_behavior USING (customer_id) "
        "WHERE customer_id = 'C1'"
    )[0]
    assert row == {"email": "a@example.com", "total_spent": 99.0, "order_count": 1}  # absent columns untouched


def test_duplicate_ids_in_one_file_keep_the_last_row(ctx, tmp_path):
    path = write(tmp_path, "c.csv", "customer_id,email\nC1,old@example.com\nC2,b@example.com\nC1,new@example.com\n")
    result = run_tool(ctx, "import_data", kind="customers", path=path)
    assert ctx.db.scalar("SELECT email FROM customers WHERE customer_id = 'C1'") == "new@example.com"
    assert result.data["rejected"] == 1
    assert ctx.db.rows("SELECT line, problem FROM data_issues") == [
        {"line": 2, "problem": "duplicate id in the file: a later row replaces this one"}
    ]


def test_formula_cells_are_stored_as_plain_text(ctx, tmp_path):
    formula = '=HYPERLINK("http://evil.example/x","click")'
    path = write(
        tmp_path, "c.csv", f'customer_id,first_name,last_name\nC1,"{formula.replace(chr(34), 2 * chr(34))}",@SUM(A1)\n'
    )
    run_tool(ctx, "import_data", kind="customers", path=path)
    assert ctx.db.rows("SELECT first_name, last_name FROM customers") == [
        {"first_name": formula, "last_name": "@SUM(A1)"}
    ]


def test_parquet_with_native_types_and_lists(ctx, tmp_path):
    frame = pd.DataFrame(
        {
            "customer_id": ["P1", "P2"],
            "email": ["p1@example.com", "p2@example.com"],
            "total_spent": [120.5, 80.0],
            "order_count": [3, 2],
            "preferred_brands": [["Northlane", "Solenne"], ["Oslo Row"]],
            "created_at": pd.to_datetime(["2024-05-01", "2024-06-01"]),
        }
    )
    path = tmp_path / "c.parquet"
    frame.to_parquet(path)
    result = run_tool(ctx, "import_data", kind="customers", path=str(path))
    assert result.data["format"] == "parquet" and result.data["imported"] == 2
    assert ctx.db.scalar("SELECT preferred_brands FROM customer_preferences WHERE customer_id = 'P1'") == [
        "Northlane",
        "Solenne",
    ]
    assert ctx.db.scalar("SELECT order_count FROM customer_behavior WHERE customer_id = 'P1'") == 3


def test_json_lines_report_a_broken_line_and_import_the_rest(ctx, tmp_path):
    lines = [
        json.dumps({"sku": "A-1", "name": "Tee", "cost": 10, "margin": 0.5, "stock": 4}),
        "{not json",
        "",
        json.dumps({"sku": "A-2", "name": "Coat", "cost": 50, "price": 120}),
    ]
    path = write(tmp_path, "p.jsonl", "\n".join(lines) + "\n")
    result = run_tool(ctx, "import_data", kind="products", path=path)
    assert (result.data["imported"], result.data["rejected"]) == (2, 1)
    products = ctx.db.rows("SELECT sku, price, margin FROM products ORDER BY sku")
    assert products[0] == {"sku": "A-1", "price": 20.0, "margin": 0.5}  # gross margin: price = cost / (1 - margin)
    assert products[1]["margin"] == pytest.approx((120 - 50) / 120, abs=0.001)  # margin from cost and price
    assert ctx.db.scalar("SELECT markup FROM products WHERE sku = 'A-2'") == pytest.approx(1.4)  # (120 - 50) / 50
    assert ctx.db.rows("SELECT line, problem FROM data_issues") == [{"line": 2, "problem": "not a JSON object"}]


def test_orders_become_rfm_behaviour(ctx, tmp_path):
    write(tmp_path, "p.csv", "sku,category\nS1,Tops\nS2,Shoes\n")
    run_tool(ctx, "import_data", kind="products", path=str(tmp_path / "p.csv"))
    path = write(
        tmp_path,
        "orders.csv",
        "Order ID,cust_id,Order Date,Amount,sku\n"
        "O1,C1,2025-01-01,20,S1\n"
        "O1,C1,2025-01-01,30,S2\n"  # second line of the same order
        "O2,C1,2025-01-21,50,S1\n"
        "O3,C2,2025-01-31,10,S2\n",
    )
    result = run_tool(ctx, "import_data", kind="orders", path=path)
    assert result.data["imported"] == 4 and result.data["customers_created"] == 2
    behaviour = {r["customer_id"]: r for r in ctx.db.rows("SELECT * FROM customer_behavior")}
    c1 = behaviour["C1"]
    assert (c1["total_spent"], c1["order_count"], c1["avg_order_value"]) == (100.0, 2, 50.0)
    assert c1["days_since_last_purchase"] == 10  # days before the latest order in the log
    assert c1["categories_bought"] == ["Shoes", "Tops"]  # filled from the products' categories
    assert behaviour["C2"]["days_since_last_purchase"] == 0

    run_tool(ctx, "import_data", kind="orders", path=path)  # same file again: same lines, same totals
    assert ctx.db.scalar("SELECT count(*) FROM orders") == 4
    assert ctx.db.scalar("SELECT total_spent FROM customer_behavior WHERE customer_id = 'C1'") == 100.0


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "is empty"),
        ("broken.parquet", b"PAR1 this is not parquet at all", "Cannot read broken.parquet as Parquet"),
        ("binary.csv", b"id,email\n\x00\x01\x02\x00\xff\x00", "Cannot read binary.csv"),
    ],
)
def test_unreadable_files_fail_clearly_and_change_nothing(demo_ctx, tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    before = snapshot(demo_ctx.db)
    with pytest.raises(UserError, match=message) as caught:
        run_tool(demo_ctx, "import_data", kind="customers", path=str(path))
    assert caught.value.hint
    assert snapshot(demo_ctx.db) == before


def test_missing_file_names_the_path(ctx, tmp_path):
    with pytest.raises(UserError, match="no file at"):
        run_tool(ctx, "import_data", kind="orders", path=str(tmp_path / "nope.csv"))


def test_cli_import_with_map_and_json(tmp_path):
    path = write(tmp_path, "c.csv", "Kunde,Mail\nK1,k@example.com\n")
    db = str(tmp_path / "cli.duckdb")
    args = ["--db", db, "import", "customers", path, "--map", "Kunde=customer_id", "--map", "Mail=email"]
    preview = CliRunner().invoke(main, [*args, "--dry-run", "--json"])
    assert preview.exit_code == 0, preview.output
    assert json.loads(preview.stdout)["data"]["would_insert"] == 1
    done = CliRunner().invoke(main, args)
    assert done.exit_code == 0, done.output
    assert "Imported 1 of 1 rows" in done.stdout


def test_export_escapes_formulas_for_spreadsheets(ctx, tmp_path):
    path = write(tmp_path, "c.csv", 'customer_id,first_name,last_name\nC1,"=HYPERLINK(""http://x.example"")",-5+3\n')
    run_tool(ctx, "import_data", kind="customers", path=path)
    out = tmp_path / "out.csv"
    result = run_tool(ctx, "export_data", what="customers", path=str(out))
    assert result.data["rows"] == 1
    line = out.read_text().splitlines()[1]
    assert line.startswith('"C1","\'=HYPERLINK(""http://x.example"")","\'-5+3"')
    with pytest.raises(UserError, match="already exists"):
        run_tool(ctx, "export_data", what="customers", path=str(out))


def test_export_then_import_round_trips_the_demo_shop(demo_ctx, tmp_path, db):
    out = tmp_path / "shop.csv"
    run_tool(demo_ctx, "export_data", what="customers", path=str(out))
    from storage.db import Database
    from tools import Settings, ToolContext

    with Database(tmp_path / "copy.duckdb") as copy:
        result = run_tool(ToolContext(db=copy, settings=Settings()), "import_data", kind="customers", path=str(out))
        assert result.data["unmatched_columns"] == [
            "source",
            "quarantine_reason",
            "consent_source",
            "consent_at",
            "categories_bought",
        ]
        query = """SELECT * EXCLUDE (source, categories_bought, consent_source, consent_at) FROM customers
                   JOIN customer_behavior USING (customer_id) LEFT JOIN customer_preferences USING (customer_id)
                   ORDER BY customer_id"""
        assert copy.rows(query) == demo_ctx.db.rows(query)


def test_nan_infinity_and_list_spellings(ctx, tmp_path):
    path = write(
        tmp_path,
        "c.csv",
        "customer_id,total_spent,preferred_categories,preferred_brands\n"
        "N1,nan,[],\"['Oslo Row', 'Solenne']\"\n"
        'N2,inf,"[Tops, Jeans]",Tops; Jeans|Shoes\n'
        'N3,3,"[""Tops"",""Knitwear""]",\n',
    )
    result = run_tool(ctx, "import_data", kind="customers", path=path)
    assert (result.data["imported"], result.data["rejected"]) == (2, 1)  # infinity is not a number
    rows = {
        r["customer_id"]: r
        for r in ctx.db.rows(
            "SELECT customer_id, total_spent, preferred_categories, preferred_brands FROM customer_behavior "
            "JOIN customer_preferences USING (customer_id)"
        )
    }
    assert rows["N1"] == {
        "customer_id": "N1",
        "total_spent": None,
        "preferred_categories": None,
        "preferred_brands": ["Oslo Row", "Solenne"],
    }
    assert rows["N3"]["preferred_categories"] == ["Tops", "Knitwear"]


@pytest.mark.parametrize(
    ("name", "text", "decimal_comma", "expected"),
    [
        # "1,234" alone could be either; a ',' file means thousands (US), a ';' file decimals-by-comma.
        ("us.csv", 'customer_id,total_spent\nC1,"1,234"\nC2,56\nC3,"2,500"\n', False, [1234.0, 56.0, 2500.0]),
        ("de.csv", "customer_id;total_spent\nC1;1.234\nC2;56\nC3;2.500\n", True, [1234.0, 56.0, 2500.0]),
        # One unambiguous value decides for the whole file.
        ("us2.csv", 'customer_id,total_spent\nC1,"1,234"\nC2,0.5\nC3,"1,234,567"\n', False, [1234.0, 0.5, 1234567.0]),
        ("de2.csv", 'customer_id,total_spent\nC1,1.234\nC2,"0,5"\nC3,1.234.567\n', True, [1234.0, 0.5, 1234567.0]),
        ("plain.csv", "customer_id;total_spent\nC1;1234.5\nC2;7\nC3;0.125\n", False, [1234.5, 7.0, 0.125]),
    ],
)
def test_thousands_separators_are_not_taken_for_decimal_commas(ctx, tmp_path, name, text, decimal_comma, expected):
    result = run_tool(ctx, "import_data", kind="customers", path=write(tmp_path, name, text))
    assert result.data["decimal_comma"] is decimal_comma
    assert ctx.db.scalar("SELECT list(total_spent ORDER BY customer_id) FROM customer_behavior") == expected


def test_quoted_header_names_and_line_breaks_inside_quoted_cells(ctx, tmp_path):
    # The comma inside the quoted name must not win the delimiter vote against the one ';'.
    path = write(
        tmp_path,
        "notes.csv",
        '"Customer ID";"Name, first"\n'
        'C1;"Ann\nMarie"\n'  # a line break inside a quoted cell (addresses, notes)
        'C2;"Bob ""the builder"""\n',
    )
    result = run_tool(ctx, "import_data", kind="customers", path=path, map={"Name, first": "first_name"})
    assert result.data["delimiter"] == ";" and result.data["imported"] == 2
    assert ctx.db.scalar("SELECT list(first_name ORDER BY customer_id) FROM customers") == [
        "Ann\nMarie",
        'Bob "the builder"',
    ]


def test_a_json_array_of_objects_is_read_and_non_objects_are_rejected(ctx, tmp_path):
    items = [{"sku": "A-1", "name": "Tee", "price": 15}, 42, {"sku": "A-2", "name": "Coat", "price": "120,50"}]
    path = write(tmp_path, "p.json", "\ufeff" + json.dumps(items, indent=2))
    result = run_tool(ctx, "import_data", kind="products", path=path)
    assert result.data["format"] == "json"
    assert (result.data["imported"], result.data["rejected"]) == (2, 1)
    assert ctx.db.rows("SELECT sku, price FROM products ORDER BY sku") == [
        {"sku": "A-1", "price": 15.0},
        {"sku": "A-2", "price": 120.5},
    ]
    assert ctx.db.rows("SELECT line, problem FROM data_issues") == [{"line": 2, "problem": "not a JSON object"}]


def test_a_truncated_json_array_fails_clearly_and_changes_nothing(demo_ctx, tmp_path):
    path = write(tmp_path, "cut.json", '[{"customer_id": "Z1"}, {"customer_id": ')
    before = snapshot(demo_ctx.db)
    with pytest.raises(UserError, match=r"Cannot read cut\.json as JSON") as caught:
        run_tool(demo_ctx, "import_data", kind="customers", path=path)
    assert "nothing was imported" in caught.value.hint
    assert snapshot(demo_ctx.db) == before


def test_export_to_a_folder_or_unknown_type_is_refused(ctx, tmp_path):
    (tmp_path / "dir.csv").mkdir()
    with pytest.raises(UserError, match="is a folder"):
        run_tool(ctx, "export_data", what="products", path=str(tmp_path / "dir.csv"), overwrite=True)
    with pytest.raises(UserError, match="unknown file type"):
        run_tool(ctx, "export_data", what="products", path=str(tmp_path / "p.xlsx"))


def test_json_keys_that_are_empty_clash_in_case_or_hold_slashes(ctx, tmp_path):
    lines = [
        "[1, 2]",  # a .jsonl line that is a list: rejected, not read as a JSON array file
        json.dumps({"customer_id": "J1", "Email": "j@example.com", "email": "other", "": "x", "__line": 9, "a/b": 1}),
    ]
    path = write(tmp_path, "odd.jsonl", "\n".join(lines))
    result = run_tool(ctx, "import_data", kind="customers", path=path)
    assert (result.data["imported"], result.data["rejected"]) == (1, 1)
    assert result.data["columns"] == {"customer_id": "customer_id", "Email": "email"}
    assert sorted(result.data["unmatched_columns"]) == ["__line_1", "a/b", "column0", "email_1"]
    assert ctx.db.scalar("SELECT email FROM customers WHERE customer_id = 'J1'") == "j@example.com"


def test_rejected_rows_name_their_real_line_past_blank_lines_and_multi_line_cells(ctx, tmp_path):
    path = write(
        tmp_path,
        "crm.csv",
        "customer_id,address,total_spent\n"
        'C1,"1 Main St\nSpringfield",x1\n'  # lines 2-3
        "\n"  # line 4: blank, skipped
        "C2,plain,x2\n"  # line 5
        'C3,"a\n\nb",x3\n'  # lines 6-8
        "C4,ok,4\n",
    )
    result = run_tool(ctx, "import_data", kind="customers", path=path, map={"address": "ignore"})
    assert (result.data["imported"], result.data["rejected"]) == (1, 3)
    assert ctx.db.rows("SELECT line, row_key FROM data_issues ORDER BY line") == [
        {"line": 2, "row_key": "C1"},
        {"line": 5, "row_key": "C2"},
        {"line": 6, "row_key": "C3"},
    ]


def test_order_lines_left_blank_are_numbered_and_bad_ones_rejected(ctx, tmp_path):
    path = write(
        tmp_path,
        "orders.csv",
        "order_id,customer_id,date,amount,line\n"
        "O1,C1,2025-01-01,10,1\n"
        "O1,C1,2025-01-01,5,\n"  # blank: numbered by its place in the order
        "O2,C2,2025-01-02,7,\n"
        "O3,C2,2025-01-03,9,first\n",  # line 5: not a whole number
    )
    result = run_tool(ctx, "import_data", kind="orders", path=path)
    assert (result.data["imported"], result.data["rejected"]) == (3, 1)
    assert ctx.db.rows("SELECT order_id, line, amount FROM orders ORDER BY ALL") == [
        {"order_id": "O1", "line": 1, "amount": 10.0},
        {"order_id": "O1", "line": 2, "amount": 5.0},
        {"order_id": "O2", "line": 1, "amount": 7.0},
    ]
    assert ctx.db.rows("SELECT line, field, raw_value FROM data_issues") == [
        {"line": 5, "field": "line", "raw_value": "first"}
    ]


def test_a_database_error_while_writing_is_a_user_error_and_rolls_everything_back(demo_ctx, tmp_path, monkeypatch):
    import duckdb

    from tools.data import order_lines

    def broken(con):
        raise duckdb.ConstraintException("Constraint Error: something the checks did not foresee")

    monkeypatch.setattr(order_lines, "to_behavior", broken)
    path = write(tmp_path, "o.csv", "order_id,customer_id,date,amount\nO1,C0000001,2025-01-01,10\n")
    before = snapshot(demo_ctx.db)
    with pytest.raises(UserError, match=r"Cannot import o\.csv: Constraint Error") as caught:
        run_tool(demo_ctx, "import_data", kind="orders", path=path)
    assert "Nothing was imported" in caught.value.hint
    assert snapshot(demo_ctx.db) == before


QUARANTINE_ROWS = "customer_id,email,total_spent,order_count,created_at\n{}\n"


def import_rows(ctx, tmp_path, rows: list[str], name: str = "again.csv"):
    path = write(tmp_path, name, QUARANTINE_ROWS.format("\n".join(rows)))
    return run_tool(ctx, "import_data", kind="customers", path=path)


def quarantine_first(ctx, tmp_path, rows: list[str]) -> None:
    """Import `rows` and let validate quarantine what fails its checks."""
    import_rows(ctx, tmp_path, rows, "first.csv")
    run_tool(ctx, "validate_data", fix=True)


def quarantined(db) -> dict[str, str]:
    return {
        r["customer_id"]: r["quarantine_reason"]
        for r in db.rows(
            "SELECT customer_id, quarantine_reason FROM customers WHERE quarantine_reason IS NOT NULL ORDER BY 1"
        )
    }


def test_a_reimport_that_repairs_a_quarantined_customer_releases_them_and_leaves_the_rest(ctx, tmp_path):
    """There is no other way out of quarantine: new values are judged at once. C1's repaired email
    passes, C2 comes back unchanged and stays as it was; nothing is logged for either."""
    quarantine_first(ctx, tmp_path, ["C1,not-an-address,10,1,2024-01-01", "C2,also-bad,10,1,2024-01-01"])
    assert quarantined(ctx.db) == {"C1": "invalid_email", "C2": "invalid_email"}
    result = import_rows(ctx, tmp_path, ["C1,c1@example.com,10,1,2024-01-01", "C2,also-bad,10,1,2024-01-01"])
    assert quarantined(ctx.db) == {"C2": "invalid_email"}
    assert (result.data["rejudged"], result.data["released"], result.data["requarantined"]) == (1, 1, 0)
    assert "1 quarantined customer had new values: 1 passes the checks now and is released." in result.summary
    assert "validate" not in result.summary
    assert ctx.db.scalar("SELECT count(*) FROM data_issues WHERE run_id = ?", [result.data["run_id"]]) == 0


def test_a_reimport_with_values_still_bad_keeps_them_quarantined_and_logs_why(ctx, tmp_path):
    """C1's new email is still no address; C2's new total is still negative (a behaviour value: those
    count as new values too); C3's negative total is corrected. Each is judged on its new values."""
    quarantine_first(
        ctx,
        tmp_path,
        ["C1,not-an-address,10,1,2024-01-01", "C2,c2@example.com,-5,1,2024-01-01", "C3,c3@example.com,-5,1,2024-01-01"],
    )
    assert quarantined(ctx.db) == {"C1": "invalid_email", "C2": "negative_amount", "C3": "negative_amount"}
    result = import_rows(
        ctx,
        tmp_path,
        ["C1,still(at)bad,10,1,2024-01-01", "C2,c2@example.com,-7,1,2024-01-01", "C3,c3@example.com,5,1,2024-01-01"],
    )
    assert quarantined(ctx.db) == {"C1": "invalid_email", "C2": "negative_amount"}
    assert (result.data["rejudged"], result.data["released"], result.data["requarantined"]) == (3, 1, 2)
    assert result.data["requarantine_reasons"] == [
        {"reason": "invalid_email", "customers": 1},
        {"reason": "negative_amount", "customers": 1},
    ]
    assert (
        "3 quarantined customers had new values: 1 passes the checks now and is released, 2 are still "
        "quarantined (1 invalid email, 1 negative amount; see `promopilot data-issues --run "
    ) in result.summary
    logged = ctx.db.rows(
        "SELECT row_key, table_name, field, problem, raw_value, action FROM data_issues WHERE run_id = ? ORDER BY 1, 3",
        [result.data["run_id"]],
    )
    assert logged == [
        {
            "row_key": "C1",
            "table_name": "customers",
            "field": "email",
            "problem": "invalid_email",
            "raw_value": "still(at)bad",
            "action": "quarantined",
        },
        {
            "row_key": "C2",
            "table_name": "customer_behavior",
            "field": "avg_order_value",
            "problem": "negative_amount",
            "raw_value": "-7.0",
            "action": "quarantined",
        },
        {
            "row_key": "C2",
            "table_name": "customer_behavior",
            "field": "total_spent",
            "problem": "negative_amount",
            "raw_value": "-7.0",
            "action": "quarantined",
        },
    ]


def test_an_unchanged_reimport_changes_nothing(ctx, tmp_path):
    rows = ["C1,not-an-address,10,1,2024-01-01", "C2,c2@example.com,-5,1,2024-01-01", "C3,c3@example.com,5,1,"]
    quarantine_first(ctx, tmp_path, rows)
    before = snapshot(ctx.db)
    result = import_rows(ctx, tmp_path, rows, "first.csv")  # the same file: its name is stored too (source)
    assert snapshot(ctx.db) == before
    assert (result.data["rejudged"], result.data["released"], result.data["requarantined"]) == (0, 0, 0)
    assert "quarantine" not in result.summary


def test_a_reimport_judges_only_the_customers_it_releases(ctx, tmp_path):
    """Customers with problems that validate has not dealt with yet stay as they are: the import
    neither quarantines them nor logs them, not even the later duplicate of a released customer's new
    email; and a released customer gets none of validate's repairs (its capitals stay)."""
    quarantine_first(ctx, tmp_path, ["C1,not-an-address,10,1,2024-01-01"])
    unjudged = ["D1,bad-too,10,1,2024-02-01", "D2,c1@example.com,10,1,2024-03-01", "D3,d3@example.com,-1,1,2024-01-01"]
    import_rows(ctx, tmp_path, unjudged, "later.csv")
    before = snapshot(ctx.db)

    result = import_rows(ctx, tmp_path, ["C1,C1@Example.com,10,1,2024-01-01"])
    assert quarantined(ctx.db) == {}
    assert result.data["released"] == 1
    assert ctx.db.scalar("SELECT email FROM customers WHERE customer_id = 'C1'") == "C1@Example.com"
    assert ctx.db.scalar("SELECT count(*) FROM data_issues WHERE run_id = ?", [result.data["run_id"]]) == 0
    after = snapshot(ctx.db)
    assert {t: rows for t, rows in after.items() if t != "customers"} == {
        t: rows for t, rows in before.items() if t != "customers"
    }
    changed = [row for row in after["customers"] if row not in before["customers"]]
    assert [row["customer_id"] for row in changed] == ["C1"]
    # validate, run next, finds the others (D2 is the later of two customers with one email)
    checks = {c["check"]: c["rows"] for c in run_tool(ctx, "validate_data").data["checks"]}
    assert (checks["invalid_email"], checks["duplicate_email"], checks["negative_amount"]) == (1, 1, 1)


def test_a_failure_after_the_rejudging_leaves_the_database_as_it_was(ctx, tmp_path, monkeypatch):
    import duckdb

    from tools.data import write as imports

    def rejudge_then_fail(con, scope, run_id):
        real_rejudge(con, scope, run_id)
        raise duckdb.ConstraintException("Constraint Error: something after the checks")

    real_rejudge = imports.rejudge
    monkeypatch.setattr(imports, "rejudge", rejudge_then_fail)
    quarantine_first(ctx, tmp_path, ["C1,not-an-address,10,1,2024-01-01", "C2,also-bad,10,1,2024-01-01"])
    before = snapshot(ctx.db)
    with pytest.raises(UserError, match=r"Cannot import again\.csv: Constraint Error"):
        import_rows(ctx, tmp_path, ["C1,c1@example.com,10,1,2024-01-01", "C2,still-bad,10,1,2024-01-01"])
    assert snapshot(ctx.db) == before
