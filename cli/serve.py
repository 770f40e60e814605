"""`promopilot serve-tracking`: the open/click/unsubscribe endpoints without the chat UI."""

from __future__ import annotations

import click

from cli.output import console


@click.command("serve-tracking")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (keep it behind a proxy).")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.pass_context
def serve_tracking(click_ctx: click.Context, host: str, port: int) -> None:
    """Serve the tracking links of sent campaigns (open pixel, click redirect, one-click unsubscribe).

    For a deployment without the chat UI (which serves them itself). Set PROMOPILOT_PUBLIC_URL to
    the address recipients reach this server at, before sending.
    """
    import uvicorn

    from web.tracking import tracking_app

    ctx = click_ctx.find_root().obj.context()
    console.print(
        f"Tracking links for {ctx.db.path} on http://{host}:{port}/t/ (links point at {ctx.settings.public_url})"
    )
    uvicorn.run(tracking_app(lambda: ctx.db, ctx.settings), host=host, port=port, log_level="warning")


COMMANDS = [serve_tracking]
