"""Tracking events under a burst: answered once durable in an append-only spool, written to DuckDB in batches.

Mail apps that prefetch images (Apple Mail Privacy Protection) open most messages within seconds
of delivery, so a fast send is a burst of open hits. One DuckDB transaction per hit manages a few
hundred a second; here a hit costs one line in a file:

1. `record(event)` queues the event; the spool thread appends every queued event to the spool file
   and fsyncs once for all of them (group commit), then lets their requests answer. An answered hit
   is on disk: a killed server loses nothing it answered.
2. The database thread inserts everything spooled so far in one transaction, and in that same
   transaction records how many lines of which spool file are in the database (`event_spool`), so a
   crash between the two can neither lose nor double an event.
3. On start, `EventSpool` first replays the lines of earlier spool files that the database does not
   have (a cut-off last line, never answered, is skipped), then deletes those files.

A request also waits (briefly, `VISIBLE_WITHIN`) for its event to reach the database, so a report run
right after a click sees it; when the database is busy (a checkpoint, a long write) the answer goes
out anyway, durable in the spool. Hand-written because no library does this for DuckDB: the pieces
are a file, `os.fsync` and two threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from storage.db import Database

log = logging.getLogger(__name__)

VISIBLE_WITHIN = 0.1  # seconds a request waits for its event to reach the database, after it is durable
ROTATE_BYTES = 8 << 20  # start a new spool file past this size (the old one is deleted once in the database)
COLUMNS = ("campaign_id", "customer_id", "kind", "url", "user_agent", "occurred_at")
INSERT_SQL = f"""
    INSERT INTO events ({", ".join(COLUMNS)})
    SELECT b.campaign_id, b.customer_id, b.kind, b.url, b.user_agent, b.occurred_at::TIMESTAMP FROM spooled b
    WHERE EXISTS (SELECT 1 FROM messages m WHERE m.campaign_id = b.campaign_id AND m.customer_id = b.customer_id
                  AND m.status IN ('sent', 'unknown'))
"""  # noqa: S608 - fixed text; opens and clicks count only for people the campaign was sent to


def event(campaign_id: int, customer_id: str, kind: str, url: str | None, user_agent: str | None) -> dict[str, Any]:
    """One hit as the spool keeps it (its time is the hit's, not the insert's)."""
    occurred = datetime.now(UTC).replace(tzinfo=None).isoformat()
    return {"campaign_id": campaign_id, "customer_id": customer_id, "kind": kind, "url": url,
            "user_agent": (user_agent or "")[:300], "occurred_at": occurred}  # fmt: skip


class _Pending:
    """One event on its way: its request's `durable` future (fsync'd) and `visible` future (in the database)."""

    __slots__ = ("durable", "event", "line", "loop", "visible")

    def __init__(self, event: dict[str, Any], loop: asyncio.AbstractEventLoop) -> None:
        self.event, self.loop = event, loop
        self.durable: asyncio.Future[None] = loop.create_future()
        self.visible: asyncio.Future[None] = loop.create_future()
        self.line = json.dumps(event, separators=(",", ":")).encode() + b"\n"


def _settle(batch: list[_Pending], which: str, error: Exception | None = None) -> None:
    """Resolve a batch's futures (or fail them with `error`) with one wake-up per event loop, not one per event."""
    by_loop: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]] = {}
    for pending in batch:
        by_loop.setdefault(pending.loop, []).append(getattr(pending, which))
    for loop, futures in by_loop.items():
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
            loop.call_soon_threadsafe(_resolve, futures, error)


class EventSpool:
    def __init__(self, db: Database, folder: str | Path | None = None) -> None:
        self.db = db
        self.folder = Path(folder or _default_folder(db))
        self.folder.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Condition()
        self._queued: list[_Pending] = []
        self._spooled: list[tuple[str, int, list[_Pending]]] = []  # (file, lines after this batch, batch)
        self._closed = False
        self.replayed = replay(db, self.folder)
        self._file_name = f"{time.time_ns():020d}.jsonl"
        self._file = open(self.folder / self._file_name, "ab")  # noqa: SIM115 - owned by the spool thread
        self._lines = 0
        self._threads = [
            threading.Thread(target=self._spool_loop, name="event-spool", daemon=True),
            threading.Thread(target=self._db_loop, name="event-db", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    async def record(self, event: dict[str, Any]) -> None:
        """Return once the event is durable (and, unless the database is slow, in it)."""
        pending = _Pending(event, asyncio.get_running_loop())
        with self._lock:
            if self._closed:
                raise RuntimeError("the event spool is closed")
            self._queued.append(pending)
            self._lock.notify_all()
        await pending.durable
        await asyncio.wait({pending.visible}, timeout=VISIBLE_WITHIN)  # if the database is slow: durable is enough

    def close(self) -> None:
        """Write out what is queued and stop (what is spooled but not yet in the database is replayed at start)."""
        with self._lock:
            self._closed = True
            self._lock.notify_all()
        for thread in self._threads:
            thread.join(10)

    # -- the spool thread: append + fsync, many events per fsync ------------------------------------------
    def _spool_loop(self) -> None:
        while True:
            with self._lock:
                while not self._queued and not self._closed:
                    self._lock.wait()
                batch, self._queued = self._queued, []
                if not batch and self._closed:
                    self._file.close()
                    self._lock.notify_all()
                    return
            try:
                self._file.write(b"".join(p.line for p in batch))
                self._file.flush()
                os.fsync(self._file.fileno())
            except OSError as exc:  # a full or failing disk: those hits get an error, not a false "recorded"
                log.exception("cannot write %d tracking events to the spool", len(batch))
                _settle(batch, "durable", exc)
                self._rotate()  # what this file holds past its last good line is unknown: go on in a new one
                continue
            self._lines += len(batch)
            _settle(batch, "durable")
            with self._lock:
                self._spooled.append((self._file_name, self._lines, batch))
                self._lock.notify_all()
            if self._file.tell() > ROTATE_BYTES:
                self._rotate()

    def _rotate(self) -> None:
        self._file.close()
        self._file_name, self._lines = f"{time.time_ns():020d}.jsonl", 0
        self._file = open(self.folder / self._file_name, "ab")  # noqa: SIM115

    # -- the database thread: one transaction for everything spooled so far ------------------------------
    def _db_loop(self) -> None:
        while True:
            with self._lock:
                while not self._spooled and not (self._closed and not self._threads[0].is_alive()):
                    self._lock.wait(0.5)
                work, self._spooled = self._spooled, []
            if not work:
                return
            while True:
                try:
                    _insert(self.db, [p.event for _, _, batch in work for p in batch], _ends(work))
                    break
                except Exception:  # the events are safe in the spool: retry, and replay covers a crash
                    log.exception("writing %d tracking events to the database failed; retrying", len(work))
                    if self._closed:
                        return
                    time.sleep(0.5)
            _settle([p for _, _, batch in work for p in batch], "visible")
            self._forget_finished(work)

    def _forget_finished(self, work: list[tuple[str, int, list[_Pending]]]) -> None:
        """Delete spool files that are wholly in the database and no longer written."""
        for name in {name for name, _, _ in work} - {self._file_name}:
            (self.folder / name).unlink(missing_ok=True)


def replay(db: Database, folder: Path) -> int:
    """Insert what earlier spool files hold and the database does not; delete them. Returns the events replayed."""
    replayed = 0
    for path in sorted(folder.glob("*.jsonl")):
        applied = db.scalar("SELECT applied FROM event_spool WHERE file = ?", [path.name]) or 0
        lines = path.read_bytes().split(b"\n")
        events = []
        for line in lines[applied:]:
            try:
                events.append(json.loads(line))
            except ValueError:  # a line cut off by the kill: never fsync'd, so never answered
                break
        if events:
            _insert(db, events, {path.name: applied + len(events)})
            replayed += len(events)
        path.unlink()
    if replayed:
        log.warning("replayed %d tracking events from the spool in %s", replayed, folder)
    return replayed


def _ends(work: list[tuple[str, int, list[_Pending]]]) -> dict[str, int]:
    """How many lines of each spool file the work brings into the database (the last batch's count)."""
    return {name: lines for name, lines, _ in work}


def _insert(db: Database, rows: list[dict[str, Any]], ends: dict[str, int]) -> None:
    """The events and the spool positions they bring the database to, in one transaction."""
    import pyarrow as pa

    table = pa.Table.from_pylist(rows, schema=pa.schema([(c, pa.int64() if c == "campaign_id" else pa.string())
                                                         for c in COLUMNS]))  # fmt: skip
    with db.transaction() as con:
        con.register("spooled", table)
        try:
            con.execute(INSERT_SQL)
        finally:
            con.unregister("spooled")
        for name, lines in ends.items():
            con.execute(
                "INSERT INTO event_spool (file, applied) VALUES (?, ?) ON CONFLICT (file) DO UPDATE SET applied = ?",
                [name, lines, lines],
            )


def _default_folder(db: Database) -> Path:
    if db.path == ":memory:":
        return Path(tempfile.mkdtemp(prefix="promopilot-spool-"))
    return Path(f"{db.path}.events")


def _resolve(futures: list[asyncio.Future[None]], error: Exception | None) -> None:
    for future in futures:
        if not future.done():
            if error is None:
                future.set_result(None)
            else:
                future.set_exception(error)
