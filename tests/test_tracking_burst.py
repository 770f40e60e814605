"""Tracking under a burst: a killed server loses no event it answered, and replays neither lose nor double."""

from __future__ import annotations

import json

from bench.tracking import burst, count_events, free_port, make_shop, run, server
from storage.db import Database
from web.event_spool import EventSpool, event, replay


def test_a_server_killed_mid_burst_loses_no_event_it_answered(tmp_path):
    path = tmp_path / "shop.duckdb"
    paths = make_shop(path, 300)
    killed: list[int] = []
    port = free_port()
    with server(path, "spool", port) as process:

        def kill_midway(answered: int) -> bool:
            if answered >= 500 and not killed:
                process.kill()  # SIGKILL: no shutdown handler, no flush
                killed.append(answered)
            return bool(killed)

        seen = run(burst(port, paths, 3000, 20, 60, stop_after=kill_midway))
    assert killed and len(seen.answered) >= 500
    assert process.returncode == -9

    with server(path, "spool", free_port()):  # a restart replays the spool before serving
        pass

    stored = count_events(path)
    assert len(seen.answered) <= stored <= 3000, "every answered hit is stored, none twice"


def test_replay_adds_only_what_the_database_lacks_and_skips_a_cut_off_line(tmp_path):
    path = tmp_path / "shop.duckdb"
    make_shop(path, 5)
    folder = tmp_path / "spool"
    folder.mkdir()
    hits = [event(1, f"C{i:07d}", "open", None, "mail app") for i in range(4)]
    lines = [json.dumps(h) for h in hits]
    (folder / "00000000000000000001.jsonl").write_text("\n".join(lines) + '\n{"campaign_id": 1, "custo')
    with Database(path) as db:
        db.execute("INSERT INTO events (campaign_id, customer_id, kind) VALUES (1, 'C0000000', 'open')")
        db.execute("INSERT INTO event_spool VALUES ('00000000000000000001.jsonl', 1)")  # line 1 is in already

        assert replay(db, folder) == 3
        assert db.scalar("SELECT count(*) FROM events") == 4
        assert replay(db, folder) == 0 and not list(folder.iterdir())


def test_hits_from_people_the_campaign_was_not_sent_to_are_not_stored(tmp_path):
    path = tmp_path / "shop.duckdb"
    make_shop(path, 2)
    with Database(path) as db:
        spool = EventSpool(db, tmp_path / "spool")

        async def hits() -> None:
            await spool.record(event(1, "C0000001", "open", None, None))
            await spool.record(event(1, "NOT-SENT", "open", None, None))
            await spool.record(event(99, "C0000001", "click", "https://shop.example.com/", None))

        run(hits())
        spool.close()
        assert db.rows("SELECT campaign_id, customer_id, kind FROM events") == [
            {"campaign_id": 1, "customer_id": "C0000001", "kind": "open"}
        ]


def test_a_hit_that_cannot_be_made_durable_is_an_error_not_a_false_success(tmp_path, monkeypatch):
    import pytest

    path = tmp_path / "shop.duckdb"
    make_shop(path, 2)
    with Database(path) as db:
        spool = EventSpool(db, tmp_path / "spool")

        def disk_full(fd):
            raise OSError(28, "No space left on device")

        monkeypatch.setattr("web.event_spool.os.fsync", disk_full)
        with pytest.raises(OSError, match="No space left"):
            run(spool.record(event(1, "C0000001", "open", None, None)))
        monkeypatch.undo()
        run(spool.record(event(1, "C0000000", "open", None, None)))  # the disk is back: the spool goes on
        spool.close()
        assert db.scalar("SELECT count(*) FROM events WHERE customer_id = 'C0000000'") == 1
