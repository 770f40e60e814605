"""A test copy: one campaign email, rendered for a customer as the preview is, sent to the marketer's inbox.

A test copy carries a real customer's personalisation (first name, recommended product), so where it
goes is a person's decision. A person at the command line sends it to any address they type. The
assistant (a model with a key, which a prompt injection in shop data could steer, or the offline
planner) sends only to an address listed in PROMOPILOT_TEST_ADDRESSES: the exact address, one plain
address, compared without case. The list is read from the environment, never from a tool argument,
so nothing said in the chat can widen it.

A test copy is marked "[TEST] " in its subject, goes over the configured transport like a real send,
has no tracking links, and never touches the campaign: no message row, no state change, no report line.
"""

from __future__ import annotations

import uuid
from email.utils import parseaddr
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from storage.customers import is_sendable
from storage.errors import UserError
from tools.campaigns.preview_customer import PreviewCustomer, recommended_for
from tools.campaigns.render import CampaignRenderer, Recipient
from tools.campaigns.transports import DeliveryError, open_transport
from tools.catalog.audience import pii_visible
from tools.context import ToolContext
from tools.registry import Positional, tool
from tools.results import ToolResult

TEST_PREFIX = "[TEST] "
SETTING = "PROMOPILOT_TEST_ADDRESSES"
# Random, as "preview it for a random customer" is: a test copy should read like one a customer gets.
RANDOM_CUSTOMER = "SELECT customer_id FROM customers WHERE quarantine_reason IS NULL ORDER BY random() LIMIT 1"


class TestSendArgs(BaseModel):
    # Unknown arguments are refused, not dropped: a call that tries to pass its own list of addresses
    # ("allowed", "test_addresses") is told so rather than quietly going ahead.
    model_config = ConfigDict(extra="forbid")

    campaign_id: Annotated[int, Positional()] = Field(description="The campaign to send a test copy of.")
    to: str | None = Field(
        None,
        description="The one address that gets the test copy (yours, not a customer's). From the chat only an "
        f"address in {SETTING} (default: the only one there).",
    )
    customer: str | None = Field(
        None, description="Personalise it as this customer: an ID or a name (default: a random customer)."
    )
    variant: str | None = Field(None, description="Which variant (A, B, ...); default the first.")
    version: int | None = Field(None, ge=1, description="Draft version (default: the approved one, else the latest).")


@tool(cli="campaign test-send")
def campaign_test_send(ctx: ToolContext, args: TestSendArgs) -> ToolResult:
    """Send one copy of a campaign to an address of yours, to see it in a real inbox, marked [TEST].

    Rendered as the preview is, for a random customer or the one named. Works before approval. Its links
    go straight to the shop (no tracking), no customer gets it and the report does not count it. From
    the chat it goes only to an address listed in PROMOPILOT_TEST_ADDRESSES; at the command line to any.
    """
    to = recipient_address(ctx, args.to)
    renderer = CampaignRenderer.for_preview(ctx, args.campaign_id, args.version, subject_prefix=TEST_PREFIX)
    variant = (args.variant or renderer.variants[0]).strip().upper()
    if variant not in renderer.variants:
        raise UserError(
            f"Campaign {args.campaign_id} has no variant {args.variant!r}.",
            hint=f"Its variants are {', '.join(renderer.variants)}.",
        )
    person = _customer(ctx, args.customer)
    sku = recommended_for(ctx, args.campaign_id, renderer, person.customer_id) if person else None
    sku = sku or next(iter(renderer.products), None)
    message_id = f"<pp.test.{uuid.uuid4().hex}@{ctx.settings.message_domain}>"
    first_name = person.first_name if person else None
    payload = renderer.render(Recipient("test-send", to, first_name, variant, sku, message_id))
    reply, via = _deliver(ctx, to, payload, message_id)
    named = pii_visible(ctx)
    who = person.who(named=named) if person else "a typical recipient"
    where = to if ctx.actor == "user" else "the allowed address"  # the model learns no address, not even this
    data: dict[str, Any] = {
        "campaign_id": args.campaign_id,
        "version": renderer.version,
        "variant": variant,
        "customer": person.customer_id if person else None,
        "test": True,
    }
    if named:  # the subject may carry the customer's first name
        subject = TEST_PREFIX + renderer.preview(Recipient("test-send", to, first_name, variant, sku, "")).subject
        data |= {"to": to, "subject": subject, "reply": reply, "message_id": message_id}
    return ToolResult(
        summary=f"Sent a test copy of campaign {args.campaign_id} (version {renderer.version}, variant {variant}, "
        f"as {who}) to {where} via {via}, marked [TEST] in the subject. No customer got it and the report "
        "does not count it.",
        data=data,
    )


def recipient_address(ctx: ToolContext, to: str | None) -> str:
    """Where the copy goes. A person: the address typed (else the only allowed one). The assistant: an
    allowed address exactly (the only one when it names none), or a refusal that says why."""
    allowed = ctx.settings.test_addresses
    if ctx.actor == "user":
        if to is None:
            if len(allowed) == 1:
                return _configured(allowed[0])
            raise UserError("Say where the test copy goes.", hint="Give one address, e.g. --to you@example.com.")
        if not is_sendable(to.strip()):
            raise UserError(f"{to!r} is not an email address.", hint="Give one address, e.g. --to you@example.com.")
        return to.strip()
    if not allowed:
        raise UserError(
            "No address is set up for test copies from the chat, so I did not send one.",
            hint=f"Set {SETTING} to your own address (several: comma-separated) and restart PromoPilot. "
            "A person can send one to any address with `promopilot campaign test-send ID --to ADDRESS`.",
        )
    if to is None:
        if len(allowed) > 1:
            raise UserError(
                f"{len(allowed)} addresses may get a test copy, so say which one.",
                hint=f"Name one of the addresses in {SETTING}.",
            )
        return _configured(allowed[0])
    plain = to.strip()
    if not is_sendable(plain):  # ASCII only: no lookalike letters, no "Name <...>", no second address
        raise UserError(
            "A test copy goes to one plain address (like you@shop.com): no name, no brackets, no second address. "
            "Nothing was sent.",
            hint=f"Name one of the addresses in {SETTING}.",
        )
    if plain.lower() not in allowed:
        raise UserError(
            "That address is not one of the addresses allowed for test copies, so nothing was sent. A test copy "
            "carries a real customer's name, so from the chat it goes only where the settings allow.",
            hint=f"Add the address to {SETTING}, or send the test copy from PromoPilot's command line.",
        )
    return plain.lower()


def _configured(address: str) -> str:
    if not is_sendable(address):
        raise UserError(
            f"{SETTING} holds {address!r}, which is not one plain address.",
            hint="List plain addresses separated by commas, e.g. me@shop.com,team@shop.com.",
        )
    return address


def _customer(ctx: ToolContext, reference: str | None) -> PreviewCustomer | None:
    """The customer named (an ID or a name, as for a preview), else a random one; None with no customers."""
    if reference:
        return PreviewCustomer.find(ctx, reference)
    rows = ctx.db.rows(RANDOM_CUSTOMER)
    return PreviewCustomer.find(ctx, str(rows[0]["customer_id"])) if rows else None


def _deliver(ctx: ToolContext, to: str, payload: bytes, message_id: str) -> tuple[str, str]:
    """One message over the configured transport; the server's reply and the transport's label."""
    transport = open_transport(ctx.settings)
    try:
        connection = transport.connect()
        try:
            reply = connection.send(parseaddr(ctx.settings.from_address)[1], to, payload, message_id, lambda: None)
        finally:
            connection.close()
    except DeliveryError as exc:
        raise UserError(f"The server did not take the test message: {exc.reply}.", hint="Check the address.") from None
    finally:
        transport.close()
    return reply, transport.words
