"""All state lives in one DuckDB file: schema, migrations and the connection wrapper."""

from storage.db import Database, default_path
from storage.errors import DatabaseBusy, UserError

__all__ = ["Database", "DatabaseBusy", "UserError", "default_path"]
