"""Email benchmark: rendering speed, sending speed three ways, and memory that stays flat.

    uv run python -m bench.email --messages 100000 --send 5000 --json

1. Render: complete personalised MIME messages (signed links, both parts) per second, against
   the simple approach of building each message from scratch (Jinja2 + CSS inlining + EmailMessage).
2. Send `--send` messages to an aiosmtpd sink running in its own process on 127.0.0.1, three ways:
   - seed: the original project's way, a freshly built message and a new smtplib connection per recipient;
   - promopilot: `campaign send` as a marketer runs it (freezing the list, rendering, a few reused
     connections, retries armed, the database bookkeeping and journal for exactly-once);
   - ceiling: pre-rendered bytes over one reused connection, no bookkeeping at all.
   The sink counts what it accepted per recipient: each way must deliver every message exactly once.
3. Peak RSS of rendering and of sending, each measured in a fresh process at two sizes.
Targets: render >= 5,000/s; promopilot >= 3x seed and >= 80% of the ceiling; RSS flat.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from email import policy
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from itertools import cycle, islice
from pathlib import Path

SINK_HOST = "127.0.0.1"


# -- setup -------------------------------------------------------------------------------------------
def make_shop(path: Path, customers: int) -> int:
    """A clean demo shop and an approved three-variant campaign to everyone; returns the campaign id."""
    from storage.db import Database
    from tools import Settings, ToolContext, run_tool

    with Database(path) as db:
        ctx = ToolContext(db=db, settings=Settings(db_path=str(path)))
        run_tool(ctx, "generate_demo_data", customers=customers, products=200, seed=5)
        skus = [r[0] for r in db.execute("SELECT sku FROM products WHERE stock > 0 ORDER BY sku LIMIT 3").fetchall()]
        campaign = run_tool(ctx, "campaign_draft", skus=skus, variants=3).data["campaign_id"]
        run_tool(ctx, "campaign_approve", campaign_id=campaign, version=1, approved_by="bench")
    return campaign


def open_ctx(path: Path, **settings):
    from storage.db import Database
    from tools import Settings, ToolContext

    return ToolContext(db=Database(path), settings=Settings(db_path=str(path), send_rate=0, **settings))


def recipients(ctx, campaign: int, count: int):
    """`count` recipients, cycling through the shop's customers, built lazily (memory stays flat)."""
    from tools.campaigns.render import CampaignRenderer, Recipient

    renderer = CampaignRenderer.for_campaign(ctx, campaign)
    rows = ctx.db.execute("SELECT customer_id, email, first_name FROM customers ORDER BY customer_id").fetchall()
    variants, skus = renderer.variants, list(renderer.products)
    for i, (customer, address, first) in enumerate(islice(cycle(rows), count)):
        yield Recipient(customer, address, first, variants[i % len(variants)], skus[i % len(skus)], f"b{i}@bench.test")


# -- the simple approach: build each message from scratch ------------------------------------------
class SeedBuilder:
    """The simple approach, per recipient: fill the copy's merge fields and the layout with Jinja2, inline the
    CSS, build an EmailMessage and serialise it. Templates are compiled once, everything else is redone for
    each message. It builds the message the renderer builds (same copy, products and signed links), minus the
    renderer's sanitising: what is compared is the work per message, not the safety."""

    def __init__(self, ctx, campaign: int) -> None:
        import jinja2

        from services.money import format_money
        from storage import campaigns
        from storage.shop import get_currency
        from tools.campaigns.links import LinkSigner

        folder = Path(__file__).resolve().parent.parent / "tools" / "campaigns" / "email_templates"
        env = jinja2.Environment(loader=jinja2.FileSystemLoader(folder), autoescape=jinja2.select_autoescape(["html"]))
        copy_env = jinja2.Environment()
        self.html, self.text = env.get_template("campaign.html"), env.get_template("campaign.txt")
        self.css = (folder / "email.css").read_text()
        version = campaigns.load_version(ctx.db, campaign, campaigns.load(ctx.db, campaign)["approved_version"])
        variants = version["variants"]
        self.copy = {
            v["variant"]: {
                **{key: copy_env.from_string(v.get(key) or "") for key in ("subject", "preheader", "cta_text")},
                "blocks": [copy_env.from_string(block) for block in v.get("blocks") or []],
            }
            for v in (json.loads(variants) if isinstance(variants, str) else variants)
        }
        self.skus = list(version["skus"] or [])
        rows = ctx.db.rows(
            "SELECT sku, name, brand, category, price FROM products WHERE list_contains(?::VARCHAR[], sku)", [self.skus]
        )
        currency = get_currency(ctx.db)
        self.products = {r["sku"]: {**r, "price": format_money(r["price"], currency)} for r in rows}
        self.signer = LinkSigner.for_db(ctx.db, ctx.settings)
        self.settings, self.campaign = ctx.settings, campaign
        self.shop = parseaddr(ctx.settings.from_address)[0] or "our shop"
        self.postal_address = ctx.settings.postal_address

    def build(self, r) -> bytes:
        import css_inline
        from markupsafe import Markup

        copy, featured = self.copy[r.variant], self.products[self.skus[0]]
        pick = self.products.get(r.recommended_sku, featured)
        facts = {
            "first_name": r.first_name or "there",
            "product": featured["name"],
            "brand": featured["brand"],
            "category": featured["category"],
            "price": featured["price"],
            "recommended": pick["name"],
            "shop": self.shop,
        }

        def card(product: dict) -> dict:
            index = self.skus.index(product["sku"]) + 1  # 0 is the call to action
            return {**product, "url": self.signer.click_url(self.campaign, r.customer_id, index)}

        values = {
            **facts,
            "subject": copy["subject"].render(facts),
            "preheader": copy["preheader"].render(facts),
            "blocks": [Markup(block.render(facts)) for block in copy["blocks"]],
            "cta_text": copy["cta_text"].render(facts) or "Shop now",
            "cta_url": self.signer.click_url(self.campaign, r.customer_id, 0),
            "pick": card(pick),
            "more": [card(p) for p in self.products.values() if p is not pick][:3],
            "postal_address": self.postal_address,
            "unsubscribe_url": self.signer.unsubscribe_url(self.campaign, r.customer_id),
            "open_url": self.signer.open_url(self.campaign, r.customer_id),
        }
        message = EmailMessage(policy=policy.SMTP)
        message["From"] = self.settings.from_address
        message["To"] = r.email
        message["Subject"] = values["subject"]
        message["Date"] = formatdate(localtime=True)
        message["Message-ID"] = r.message_id if r.message_id.startswith("<") else f"<{r.message_id}>"
        message["List-Unsubscribe"] = f"<{values['unsubscribe_url']}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message.set_content(self.text.render(values))
        message.add_alternative(css_inline.inline(self.html.render(values), extra_css=self.css), subtype="html")
        return message.as_bytes()


# -- phases (each in a fresh process, so peak RSS belongs to it alone) ------------------------------
def phase_render(db: Path, campaign: int, count: int) -> dict:
    from tools.campaigns.render import CampaignRenderer

    ctx = open_ctx(db)
    renderer = CampaignRenderer.for_campaign(ctx, campaign)
    size, started = 0, time.perf_counter()
    for r in recipients(ctx, campaign, count):
        size += len(renderer.render(r))
    seconds = time.perf_counter() - started
    return {"messages": count, "per_second": round(count / seconds), "avg_bytes": round(size / count), **_rss()}


def phase_seed_render(db: Path, campaign: int, count: int) -> dict:
    ctx = open_ctx(db)
    builder = SeedBuilder(ctx, campaign)
    size, started = 0, time.perf_counter()
    for r in recipients(ctx, campaign, count):
        size += len(builder.build(r))
    seconds = time.perf_counter() - started
    return {"messages": count, "per_second": round(count / seconds), "avg_bytes": round(size / count)}


def phase_send(db: Path, campaign: int, count: int, port: int) -> dict:
    """PromoPilot's way: the `campaign send` tool, as a marketer runs it (its database bookkeeping included)."""
    from tools import load_all, run_tool

    load_all()  # import every tool module first, as the running app has: not part of sending
    ctx = open_ctx(db, smtp_url=f"smtp://{SINK_HOST}:{port}")
    started = time.perf_counter()
    result = run_tool(ctx, "campaign_send", campaign_id=campaign, limit=count)
    seconds = time.perf_counter() - started
    sent = result.data["this_run"].get("sent", 0)
    return {"messages": sent, "seconds": round(seconds, 2), "per_second": round(sent / seconds), **_rss()}


def phase_seed_send(db: Path, campaign: int, count: int, port: int) -> dict:
    ctx = open_ctx(db)
    builder = SeedBuilder(ctx, campaign)
    sender = ctx.settings.from_address
    started = time.perf_counter()
    for r in recipients(ctx, campaign, count):
        with smtplib.SMTP(SINK_HOST, port) as smtp:
            smtp.sendmail(sender, [r.email], builder.build(r))
    seconds = time.perf_counter() - started
    return {"messages": count, "seconds": round(seconds, 2), "per_second": round(count / seconds)}


def phase_ceiling(db: Path, campaign: int, count: int, port: int) -> dict:
    from tools.campaigns.render import CampaignRenderer

    ctx = open_ctx(db)
    renderer = CampaignRenderer.for_campaign(ctx, campaign)
    ready = [(r.email, renderer.render(r)) for r in recipients(ctx, campaign, count)]
    sender = ctx.settings.from_address
    started = time.perf_counter()
    with smtplib.SMTP(SINK_HOST, port) as smtp:
        for address, payload in ready:
            smtp.sendmail(sender, [address], payload)
    seconds = time.perf_counter() - started
    return {"messages": count, "seconds": round(seconds, 2), "per_second": round(count / seconds)}


PHASES = {
    "render": phase_render,
    "seed-render": phase_seed_render,
    "send": phase_send,
    "seed-send": phase_seed_send,
    "ceiling": phase_ceiling,
}


def _rss() -> dict:
    """This process's own peak RSS. Linux carries `ru_maxrss` across fork and exec, so a phase's child
    would report the orchestrator's peak (the shop it generated) and every size would look equally
    flat; VmHWM belongs to the process's current address space only."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:  # not Linux: ru_maxrss is the best there is
        return {"peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
    kilobytes = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
    return {"peak_rss_mb": round(kilobytes / 1024, 1)}


# -- orchestration --------------------------------------------------------------------------------
def run_phase(name: str, db: Path, campaign: int, count: int, port: int | None = None) -> dict:
    command = [sys.executable, "-m", "bench.email", "--phase", name, "--db", str(db), "--campaign", str(campaign)]
    command += ["--messages", str(count)] + (["--port", str(port)] if port else [])
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"phase {name} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def with_sink(name: str, shop: Path, campaign: int, count: int, workdir: Path) -> dict:
    """Run a sending phase on its own copy of the shop against a fresh sink process; check exactly-once."""
    db = workdir / f"{name}-{count}.duckdb"
    shutil.copy(shop, db)
    port = _free_port()
    sink = subprocess.Popen(
        [sys.executable, "-m", "tools.campaigns.smtp_sink", "--host", SINK_HOST, "--port", str(port), "--count-only"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        sink.stdout.readline()  # {"listening": ...}: ready
        figures = run_phase(name, db, campaign, count, port)
    finally:
        sink.send_signal(signal.SIGTERM)
        received = json.loads(sink.stdout.read().strip().splitlines()[-1])
        sink.wait()
    figures["exactly_once"] = received == {"messages": count, "recipients": count, "max_per_recipient": 1}
    figures["sink_received"] = received
    return figures


def run(messages: int, send: int) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="promopilot-bench-"))
    try:
        shop = workdir / "shop.duckdb"
        campaign = make_shop(shop, customers=send)
        small_render = max(messages // 10, 1_000)
        render = run_phase("render", shop, campaign, messages)
        render_small = run_phase("render", shop, campaign, small_render)
        seed_render = run_phase("seed-render", shop, campaign, min(messages, 2_000))
        seed = with_sink("seed-send", shop, campaign, send, workdir)
        ours = with_sink("send", shop, campaign, send, workdir)
        ceiling = with_sink("ceiling", shop, campaign, send, workdir)
        ours_small = with_sink("send", shop, campaign, max(send // 5, 100), workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return {
        "render": {
            "messages": messages,
            "per_second": render["per_second"],
            "target_per_second": 5_000,
            "meets_target": render["per_second"] >= 5_000,
            "avg_message_bytes": render["avg_bytes"],
            "simple_approach_per_second": seed_render["per_second"],
            "speedup_vs_simple": round(render["per_second"] / seed_render["per_second"], 1),
        },
        "send": {
            "messages": send,
            "seed_per_second": seed["per_second"],
            "promopilot_per_second": ours["per_second"],
            "ceiling_per_second": ceiling["per_second"],
            "promopilot_vs_seed": round(ours["per_second"] / seed["per_second"], 2),
            "promopilot_vs_ceiling": round(ours["per_second"] / ceiling["per_second"], 2),
            "targets": {"vs_seed": 3.0, "vs_ceiling": 0.8},
            "exactly_once": {
                "seed": seed["exactly_once"],
                "promopilot": ours["exactly_once"],
                "ceiling": ceiling["exactly_once"],
                "promopilot_small": ours_small["exactly_once"],
            },
        },
        "peak_rss_mb": {
            "render": {small_render: render_small["peak_rss_mb"], messages: render["peak_rss_mb"]},
            "send": {ours_small["messages"]: ours_small["peak_rss_mb"], ours["messages"]: ours["peak_rss_mb"]},
            "render_growth": round(render["peak_rss_mb"] / render_small["peak_rss_mb"], 2),
            "send_growth": round(ours["peak_rss_mb"] / ours_small["peak_rss_mb"], 2),
        },
        "machine": {"cpus": os.cpu_count(), "load_average_1m": round(os.getloadavg()[0], 2)},
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((SINK_HOST, 0))
        return probe.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description="PromoPilot email benchmark")
    parser.add_argument("--messages", type=int, default=100_000, help="messages to render")
    parser.add_argument("--send", type=int, default=5_000, help="messages to send each way")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--campaign", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        extra = {"port": args.port} if args.port else {}
        print(json.dumps(PHASES[args.phase](args.db, args.campaign, args.messages, **extra)))
        return
    report = run(args.messages, args.send)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for key, value in report.items():
            print(f"{key}: {value}")


if __name__ == "__main__":
    main()
