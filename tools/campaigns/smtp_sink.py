"""The demo's mail server: an SMTP sink on 127.0.0.1 that keeps what it receives instead of delivering it.

`promopilot start` runs it so a campaign can be sent for real without mailing anyone, and the
marketer can open the messages afterwards: one .eml file per recipient under `.promopilot/sink/`
(any mail client opens them). `campaign send` starts one for the duration of the send when
`PROMOPILOT_SMTP_URL` is unset and nothing listens on 127.0.0.1:1025 yet.

    sink = start_sink()            # or start_sink(directory=None) to only count
    ...                            # send to smtp://127.0.0.1:1025
    sink.received                  # Counter: recipient address -> messages accepted
    sink.stop()

`python -m tools.campaigns.smtp_sink --port 1025` runs it on its own until interrupted.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import signal
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from aiosmtpd.controller import Controller

DEFAULT_DIR = Path(".promopilot") / "sink"


@dataclass
class KeepingHandler:
    """aiosmtpd handler: counts every accepted message per recipient and, given a folder, writes it there."""

    directory: Path | None
    received: Counter[str] = field(default_factory=Counter)
    _numbers: itertools.count = field(default_factory=lambda: itertools.count(1))

    async def handle_DATA(self, server, session, envelope) -> str:
        for rcpt in envelope.rcpt_tos:
            self.received[rcpt.lower()] += 1
            if self.directory is not None:
                safe = re.sub(r"[^A-Za-z0-9._@-]", "_", rcpt)[:100]
                name = f"{time.strftime('%Y%m%d-%H%M%S')}-{next(self._numbers):06d}-{safe}.eml"
                header = f"Delivered-To: {rcpt}\r\n".encode()
                (self.directory / name).write_bytes(header + envelope.original_content)
        return "250 Message accepted for delivery"


@dataclass
class Sink:
    controller: Controller
    handler: KeepingHandler

    @property
    def url(self) -> str:
        return f"smtp://{self.controller.hostname}:{self.controller.port}"

    @property
    def directory(self) -> Path | None:
        return self.handler.directory

    @property
    def received(self) -> Counter[str]:
        return self.handler.received

    def stop(self) -> None:
        self.controller.stop()


def start_sink(directory: Path | str | None = DEFAULT_DIR, host: str = "127.0.0.1", port: int = 1025) -> Sink:
    """Start the sink in a background thread; returns once it accepts connections."""
    folder = None if directory is None else Path(directory)
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    handler = KeepingHandler(folder)
    controller = Controller(handler, hostname=host, port=port, ident="PromoPilot sink", enable_SMTPUTF8=True)
    controller.start()
    return Sink(controller, handler)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1025)
    parser.add_argument("--dir", default=str(DEFAULT_DIR), help="where to keep messages")
    parser.add_argument("--count-only", action="store_true", help="keep nothing, only count (benchmarks)")
    args = parser.parse_args(argv)
    sink = start_sink(None if args.count_only else args.dir, args.host, args.port)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(json.dumps({"listening": sink.url}), flush=True)
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    sink.stop()
    counts = sink.received
    most = max(counts.values(), default=0)
    print(json.dumps({"messages": counts.total(), "recipients": len(counts), "max_per_recipient": most}), flush=True)


if __name__ == "__main__":
    main()
