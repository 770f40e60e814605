"""The send loop: frozen recipients -> rendered messages -> a few reused connections, each message once.

A message's state lives in `messages.status`:

    queued -> sending -> sent | failed | unknown      (or skipped / cancelled, never sent)

Exactly once, cheaply. A DuckDB commit costs about as much as a whole SMTP transaction (~1 ms),
so the database is written once per batch, and a small append-only journal file covers each message:

1. Claim a batch: one committed UPDATE marks it 'sending' (rows whose address was suppressed
   since the list was frozen become 'skipped' instead).
2. Per message, `H` goes into the journal just before its data goes to the server, `S` once the
   server accepted it. A killed process loses nothing it wrote: the OS holds it.
3. One UPDATE records the batch's outcomes; then the journal is emptied. A run that stops on an
   error before that (the database write failed, Ctrl-C at the wrong moment) keeps the journal.

`recover()` runs before every send and settles rows a crash left in 'sending': `S` -> sent, `H`
alone -> unknown (the server may have it; it is never resent, unless the transport is a folder
where writing it again is harmless), neither -> queued again (the server never saw it). Without
a journal file every 'sending' row becomes unknown: when in doubt, do not send twice.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from storage import campaigns, messages
from storage.db import Database
from storage.messages import Outcome
from tools.campaigns.render import Recipient
from tools.campaigns.transports import Connection, DeliveryError, Transport, TransportUnavailable

UNKNOWN_REPLY = "interrupted mid-delivery; not resent to avoid a duplicate"


@dataclass(frozen=True)
class RetryPolicy:
    """Temporary failures (4xx, dropped connections) are retried with exponential backoff."""

    attempts: int = 5
    backoff: float = 0.5  # first wait in seconds; doubles each time
    max_wait: float = 30.0


@dataclass
class RunResult:
    counts: Counter[str]  # outcomes of this run by status (plus 'skipped' at claim time)
    stopped: str | None  # why the run ended early: None = the queue ran dry or the limit was reached
    seconds: float


class Journal:
    """Per-campaign append-only log of handed-over (`H`) and accepted (`S`) messages of the current batch."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    @classmethod
    def for_campaign(cls, db: Database, campaign_id: int) -> Journal:
        if db.path == ":memory:":  # nothing survives a crash anyway; keep the file out of the way
            return cls(Path(tempfile.gettempdir()) / f"promopilot-{os.getpid()}-{id(db)}-{campaign_id}.journal")
        return cls(Path(f"{db.path}.campaign-{campaign_id}.journal"))

    def open(self) -> None:
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_TRUNC, 0o600)

    def handed_over(self, customer_id: str) -> None:
        self._write(["H", customer_id])

    def accepted(self, customer_id: str, reply: str) -> None:
        self._write(["S", customer_id, reply])

    def clear(self) -> None:
        os.ftruncate(self._fd, 0)

    def close(self, *, keep: bool = False) -> None:
        """Close the file; remove it unless `keep` (a run that stopped on an error: `recover` reads it)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if not keep:
            self.path.unlink(missing_ok=True)

    def read(self) -> dict[str, tuple[str, str | None]] | None:
        """customer_id -> (last mark, reply); None when there is no journal at all."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        marks: dict[str, tuple[str, str | None]] = {}
        for line in text.splitlines():
            try:
                kind, customer, *reply = json.loads(line)
            except (ValueError, TypeError):
                continue  # a line cut short by the crash: that message was only ever 'H' at most
            if kind == "S" or customer not in marks:
                marks[customer] = (kind, reply[0] if reply else None)
        return marks

    def _write(self, entry: list[str]) -> None:
        # One write() per line on an O_APPEND descriptor: lines from several threads never interleave.
        os.write(self._fd, (json.dumps(entry) + "\n").encode())


def recover(db: Database, campaign_id: int, journal: Journal, resend_safe: bool) -> Counter[str]:
    """Settle messages a crashed run left in 'sending' (see the module doc); returns how many went where."""
    marks = journal.read()
    stuck = messages.in_flight(db, campaign_id)
    if not stuck:
        journal.path.unlink(missing_ok=True)
        return Counter()
    outcomes = []
    for customer in stuck:
        mark, reply = marks.get(customer, ("", None)) if marks is not None else ("H", None)
        if mark == "S":
            outcomes.append(Outcome(customer, "sent", 0, reply))
        elif mark == "H" and not resend_safe:
            outcomes.append(Outcome(customer, "unknown", 0, UNKNOWN_REPLY))
        else:
            outcomes.append(Outcome(customer, "queued", 0, None))
    messages.record(db, campaign_id, outcomes)
    journal.path.unlink(missing_ok=True)
    return Counter(o.status for o in outcomes)


class RateLimiter:
    """At most `rate` messages per second across all connections (no bursts; None = no limit)."""

    def __init__(self, rate: float | None) -> None:
        self.interval = 1.0 / rate if rate else 0.0
        self._next = time.monotonic()
        self._lock = threading.Lock()

    def wait(self, stop: threading.Event) -> None:
        if not self.interval:
            return
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next)
            self._next = slot + self.interval
        if slot > now:
            stop.wait(slot - now)


class _Courier:
    """One reusable connection, opened on first use and again after the server dropped it."""

    def __init__(self, transport: Transport, connection: Connection | None = None) -> None:
        self.transport = transport
        self.connection = connection

    def get(self) -> Connection:
        if self.connection is None:
            try:
                self.connection = self.transport.connect()
            except TransportUnavailable as exc:
                raise DeliveryError(exc.message, "temporary", reconnect=True) from None
        return self.connection

    def drop(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


class _Halted(Exception):
    """The run is stopping: leave this message queued."""


@dataclass
class Sender:
    """Sends a campaign's queued messages over `connections` reused connections (see the module doc).

    Each connection has its own thread (sockets wait without holding the GIL, so rendering and the
    other connections go on meanwhile); the main thread claims and records batches.
    """

    db: Database
    transport: Transport
    render: Callable[[Recipient], bytes]
    envelope_from: str
    journal: Journal
    rate: float | None = None
    connections: int = 3
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    first_connection: Connection | None = None
    _stop: threading.Event = field(default_factory=threading.Event, init=False)
    _stop_reason: str | None = field(default=None, init=False)

    @property
    def batch_size(self) -> int:
        """About two seconds of sending at the rate limit, so a pause takes effect quickly."""
        return 500 if not self.rate else max(20, min(500, int(self.rate * 2)))

    def halt(self, reason: str) -> None:
        """Stop after the messages in flight; the rest of the batch goes back to the queue."""
        if not self._stop.is_set():
            self._stop_reason = reason
            self._stop.set()

    def run(
        self, campaign_id: int, *, limit: int | None = None, advance: Callable[[int], None] = lambda n: None
    ) -> RunResult:
        started = time.perf_counter()
        counts: Counter[str] = Counter()
        budget = limit if limit is not None else float("inf")
        stopped = None
        limiter = RateLimiter(self.rate)
        work: queue.SimpleQueue[Recipient | None] = queue.SimpleQueue()
        done: queue.SimpleQueue[tuple[Outcome, BaseException | None]] = queue.SimpleQueue()
        couriers = [
            _Courier(self.transport, self.first_connection if i == 0 else None) for i in range(self.connections)
        ]
        threads = [
            threading.Thread(target=self._work, args=(c, limiter, work, done), name=f"courier-{i}", daemon=True)
            for i, c in enumerate(couriers)
        ]
        self.journal.open()
        for thread in threads:
            thread.start()
        settled = False  # every claimed batch recorded: the journal holds nothing the database lacks
        with self._ctrl_c_halts():
            try:
                while budget > 0:
                    status = campaigns.status(self.db, campaign_id)
                    if status != campaigns.CampaignStatus.SENDING:
                        stopped = status
                        break
                    batch, skipped = self._claim(campaign_id, int(min(self.batch_size, budget)))
                    counts["skipped"] += skipped
                    if not batch and not skipped:
                        break
                    for recipient in batch:
                        work.put(recipient)
                    outcomes, error = self._collect(done, len(batch))
                    messages.record(self.db, campaign_id, outcomes)
                    self.journal.clear()
                    counts.update(o.status for o in outcomes)
                    advance(len(batch) + skipped)
                    budget -= len(batch) + skipped
                    if error is not None:
                        raise error
                    if self._stop.is_set():
                        stopped = self._stop_reason
                        break
                settled = True
            finally:
                for _ in threads:
                    work.put(None)
                for thread in threads:
                    thread.join()
                self.journal.close(keep=not settled)
        return RunResult(counts, stopped, time.perf_counter() - started)

    def _claim(self, campaign_id: int, size: int) -> tuple[list[Recipient], int]:
        rows = messages.claim(self.db, campaign_id, size)
        batch = [Recipient(*row[1:]) for row in rows if row[0] == "sending"]
        return batch, len(rows) - len(batch)

    def _collect(self, done, count: int) -> tuple[list[Outcome], BaseException | None]:
        results = [done.get() for _ in range(count)]
        error = next((e for _, e in results if e is not None), None)
        return [o for o, _ in results], error

    @contextmanager
    def _ctrl_c_halts(self) -> Iterator[None]:
        """While the run lasts, Ctrl-C halts it like a pause: the couriers finish what is in flight and the
        rest stays queued. A KeyboardInterrupt could strike anywhere in the main thread instead (inside
        a lock of the progress bar, mid database write) and leave the command hanging or the batch
        unrecorded. A second Ctrl-C interrupts as usual. Only the main thread may handle signals: a run
        in the chat app's worker thread is paused through `halt` instead."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = signal.getsignal(signal.SIGINT)
        restore = previous if previous is not None else signal.default_int_handler  # None: set outside Python

        def halt(signum: int, frame: object) -> None:
            signal.signal(signal.SIGINT, restore)
            self.halt("interrupted (Ctrl-C)")

        signal.signal(signal.SIGINT, halt)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, restore)

    def _work(self, courier: _Courier, limiter: RateLimiter, work, done) -> None:
        try:
            while (recipient := work.get()) is not None:
                done.put(self._deliver(courier, limiter, recipient))
        finally:
            courier.drop()

    def _deliver(self, courier: _Courier, limiter: RateLimiter, recipient: Recipient):
        """One message, start to end. Never raises: a bug is returned, with the message settled safely."""
        customer = recipient.customer_id
        handed = False
        attempts = 0

        def handover() -> None:
            nonlocal handed
            handed = True
            self.journal.handed_over(customer)

        def attempt() -> str:
            nonlocal attempts
            if self._stop.is_set():
                raise _Halted
            attempts += 1
            limiter.wait(self._stop)
            try:
                return courier.get().send(self.envelope_from, recipient.email, payload, recipient.message_id, handover)
            except DeliveryError as exc:
                if exc.reconnect:
                    courier.drop()
                raise

        try:
            try:
                payload = self.render(recipient)
            except ValueError as exc:  # a recipient the renderer cannot address (e.g. a malformed email)
                return Outcome(customer, "failed", 0, f"could not render the message: {exc}"), None
            try:
                try:
                    reply = attempt()
                except DeliveryError as exc:  # the common case pays nothing for the retry machinery
                    if exc.kind != "temporary" or self.retry.attempts < 2:
                        raise
                    reply = self._retrying()(attempt)
            except _Halted:
                return Outcome(customer, "queued", attempts, None), None
            except DeliveryError as exc:
                return self._failure(customer, attempts, exc, courier, handed), None
            self.journal.accepted(customer, reply)
            return Outcome(customer, "sent", attempts, reply), None
        except BaseException as exc:  # a bug inside one delivery: settle the message safely, stop the run
            self.halt(f"stopped by an error: {exc!r}")
            status, reply = ("unknown", UNKNOWN_REPLY) if handed else ("queued", None)
            return Outcome(customer, status, attempts, reply), exc

    def _retrying(self) -> Retrying:
        """Further attempts after a temporary failure, with exponential backoff, cut short by a halt."""
        return Retrying(
            retry=retry_if_exception(lambda e: isinstance(e, DeliveryError) and e.kind == "temporary"),
            stop=stop_after_attempt(self.retry.attempts - 1),
            wait=wait_exponential(multiplier=self.retry.backoff, max=self.retry.max_wait),
            before=lambda state: self._stop.wait(self.retry.backoff) if state.attempt_number == 1 else None,
            sleep=self._stop.wait,
            reraise=True,
        )

    def _failure(self, customer: str, attempts: int, exc: DeliveryError, courier: _Courier, handed: bool) -> Outcome:
        if exc.kind == "ambiguous":
            return Outcome(customer, "unknown", attempts, f"{exc.reply}; {UNKNOWN_REPLY}")
        if exc.kind == "permanent":
            return Outcome(customer, "failed", attempts, exc.reply)
        if courier.connection is None and not handed:  # the server itself is gone: stop, keep the queue
            self.halt(f"the mail server stopped answering ({exc.reply})")
            return Outcome(customer, "queued", attempts, exc.reply)
        return Outcome(customer, "failed", attempts, f"gave up after {attempts} attempts: {exc.reply}")
