"""The DuckDB connection wrapper: one file per deployment, migrated on open.

DuckDB allows one process to write a file at a time, so the running app owns it and a second
process gets a `DatabaseBusy` that says so. Inside a process every thread gets its own cursor
on the shared connection, which is how DuckDB wants concurrent use.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from storage.errors import DatabaseBusy, UserError
from storage.migrations import migrate as run_migrations

DEFAULT_DB = "promopilot.duckdb"


def default_path() -> str:
    """The database file: `PROMOPILOT_DB` or `./promopilot.duckdb`."""
    return os.environ.get("PROMOPILOT_DB") or DEFAULT_DB


def ident(name: str) -> str:
    """A column or table name quoted for SQL (a file's headers can hold spaces, quotes, anything)."""
    return '"' + name.replace('"', '""') + '"'


class Database:
    """A migrated DuckDB database. Use `":memory:"` for a throwaway one (tests)."""

    def __init__(self, path: str | Path | None = None, *, migrate: bool = True) -> None:
        self.path = str(path or default_path())
        try:
            self._root = duckdb.connect(self.path)
        except duckdb.IOException as exc:
            raise _explain_open_error(self.path, exc) from None
        self._local = threading.local()
        if migrate:
            run_migrations(self.con)

    # -- connections -------------------------------------------------------------------------
    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """This thread's cursor on the shared connection."""
        cur = getattr(self._local, "cursor", None)
        if cur is None:
            cur = self._local.cursor = self._root.cursor()
            self._local.depth = 0
        return cur

    def close(self) -> None:
        self._root.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- queries -----------------------------------------------------------------------------
    def execute(self, sql: str, params: Any = None) -> duckdb.DuckDBPyConnection:
        return self.con.execute(sql, params)

    def df(self, sql: str, params: Any = None) -> pd.DataFrame:
        return self.con.execute(sql, params).df()

    def rows(self, sql: str, params: Any = None) -> list[dict[str, Any]]:
        cur = self.con.execute(sql, params)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def scalar(self, sql: str, params: Any = None) -> Any:
        row = self.con.execute(sql, params).fetchone()
        return None if row is None else row[0]

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """All-or-nothing: commit on success, roll back on any exception. Nests (inner = no-op)."""
        con = self.con
        if self._local.depth:
            self._local.depth += 1
            try:
                yield con
            finally:
                self._local.depth -= 1
            return
        con.begin()
        self._local.depth = 1
        try:
            yield con
        except BaseException:
            con.rollback()
            raise
        else:
            con.commit()
        finally:
            self._local.depth = 0


def _explain_open_error(path: str, exc: duckdb.IOException) -> UserError:
    text = str(exc)
    if "lock" in text.lower():
        pid = re.search(r"PID (\d+)", text)
        holder = f"process {pid.group(1)}" if pid else "another process"
        return DatabaseBusy(
            f"The database {path} is in use by {holder} (probably the running PromoPilot app).",
            hint="Stop that process, or point this command at another file with --db PATH or PROMOPILOT_DB.",
        )
    return UserError(
        f"Cannot open the database {path}: {text}",
        hint="Check that the path is a DuckDB file you can write, or use --db PATH for a new one.",
    )
