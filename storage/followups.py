"""Follow-up audiences: the recipients of an earlier sent campaign, narrowed by what they did with it.

"Resend to the non-openers", "follow up with everyone who clicked": a campaign keeps the earlier campaign and
the engagement (`FollowUp`), and every audience built for it (reach, dry run, send) narrows to those people
through `follow_up_scope`, read from the messages and tracking events as they are at that moment. Eligibility
still applies on top: someone who unsubscribed, bounced or complained since is not emailed.

A recipient is someone the earlier campaign's message reached (status sent, the report's "sent"). An open
counts when the open pixel loaded or a link was clicked (a click shows the email was read), as in the report.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from storage.db import Database
from storage.errors import UserError

Engagement = Literal["received", "opened", "not_opened", "clicked", "not_clicked", "opened_not_clicked"]
ENGAGEMENTS: tuple[str, ...] = ("received", "opened", "not_opened", "clicked", "not_clicked", "opened_not_clicked")
_EVENTS = {"opened": "('open', 'click')", "clicked": "('click')"}  # constants only
WORDS = {
    "received": "got",
    "opened": "opened",
    "not_opened": "did not open",
    "clicked": "clicked in",
    "not_clicked": "did not click in",
    "opened_not_clicked": "opened but did not click in",
}
# Mailchimp says the same: an open is seen only when the mail app loads the tracking pixel.
OPEN_CAVEAT = (
    "Some mail apps block open tracking (images off, Apple Mail Privacy Protection loads them all), so "
    "“did not open” includes some who did read it, and “opened” some who did not."
)


@dataclass(frozen=True)
class FollowUp:
    campaign_id: int
    engagement: str = "received"

    def words(self, name: str | None = None) -> str:
        """'the customers who did not open campaign 3 (“Spring sale”)'."""
        called = f"campaign {self.campaign_id}" + (f" (“{name}”)" if name else "")
        return f"the customers who {WORDS[self.engagement]} {called}"

    @classmethod
    def of(cls, campaign: dict[str, Any]) -> FollowUp | None:
        """The follow-up a stored campaign is, or None."""
        if campaign.get("follow_up_of") is None:
            return None
        return cls(int(campaign["follow_up_of"]), campaign.get("follow_up_engagement") or "received")


def _condition(engagement: str) -> str:
    """SQL on a recipient message `fm` of the earlier campaign: did its person do `engagement`?"""
    if engagement == "received":
        return "TRUE"
    if engagement == "opened_not_clicked":
        return f"{_condition('opened')} AND {_condition('not_clicked')}"
    kinds = _EVENTS[engagement.removeprefix("not_")]
    found = f"""EXISTS (SELECT 1 FROM events fe WHERE fe.campaign_id = fm.campaign_id
                        AND fe.customer_id = fm.customer_id AND fe.kind IN {kinds})"""  # noqa: S608 - constants
    return f"NOT {found}" if engagement.startswith("not_") else found


def recipients_who(campaign_id: int, engagement: str) -> str:
    """A SELECT of the customer ids a sent campaign reached whose people did `engagement`, as its recipients are
    listed (`tools.campaigns.recipients`): run again in the query sandbox, "which of those are high spenders" asks
    of all of them, not of the rows a screen showed."""
    return f"""SELECT fm.customer_id FROM messages fm WHERE fm.campaign_id = {int(campaign_id)}
               AND fm.status IN ('sent', 'unknown') AND {_condition(engagement)}"""  # noqa: S608 - a number, constants


def follow_up_scope(db: Database, follow_up: FollowUp) -> tuple[str, dict[str, Any]]:
    """A SQL condition on `c.customer_id` keeping the earlier campaign's recipients who did what was asked, and
    its parameters. Refuses, saying what to do, when the earlier campaign has not been sent, or nobody opened or
    clicked it when openers or clickers are asked for (an empty audience would read as "nobody to follow up")."""
    require_followable(db, follow_up)
    ids = f"""SELECT fm.customer_id FROM messages fm WHERE fm.campaign_id = $follow_up_of AND fm.status = 'sent'
              AND {_condition(follow_up.engagement)}"""  # noqa: S608 - constants
    return f"c.customer_id IN ({ids})", {"follow_up_of": follow_up.campaign_id}


def counts(db: Database, campaign_id: int) -> dict[str, int]:
    """The earlier campaign's recipients (sent), and how many opened and clicked it (each person once)."""
    row = db.rows(
        """SELECT count(*) AS received,
                  count(*) FILTER (WHERE EXISTS (SELECT 1 FROM events e WHERE e.campaign_id = m.campaign_id
                                   AND e.customer_id = m.customer_id AND e.kind IN ('open', 'click'))) AS opened,
                  count(*) FILTER (WHERE EXISTS (SELECT 1 FROM events e WHERE e.campaign_id = m.campaign_id
                                   AND e.customer_id = m.customer_id AND e.kind = 'click')) AS clicked
           FROM messages m WHERE m.campaign_id = ? AND m.status = 'sent'""",
        [campaign_id],
    )[0]
    row = {k: int(v or 0) for k, v in row.items()}
    return row | {
        "not_opened": row["received"] - row["opened"],
        "not_clicked": row["received"] - row["clicked"],
        "opened_not_clicked": row["opened"] - row["clicked"],
    }


def require_followable(db: Database, follow_up: FollowUp) -> dict[str, int]:
    """The earlier campaign's counts (see `counts`), or a UserError saying why it cannot be followed up yet."""
    rows = db.rows("SELECT name, status FROM campaigns WHERE campaign_id = ?", [follow_up.campaign_id])
    cid = follow_up.campaign_id
    if not rows:
        raise UserError(f"There is no campaign {cid} to follow up.", hint="See the campaigns: campaign list.")
    name, status = rows[0]["name"], rows[0]["status"]
    found = counts(db, cid)
    if status in ("draft", "approved") or not found["received"]:
        raise UserError(
            f"Campaign {cid} (“{name}”) has not been sent yet ({status}), so nobody has received it to follow up.",
            hint="Send it first; a follow-up goes to the people who got it, once there are opens and clicks to go by.",
        )
    if status in ("sending", "paused"):
        raise UserError(
            f"Campaign {cid} (“{name}”) is still {status} ({found['received']:,} sent so far), so who got it, and "
            "who opened it, is not settled yet.",
            hint="Finish sending it (or cancel the rest), then follow it up.",
        )
    if follow_up.engagement in ("opened", "opened_not_clicked") and not found["opened"]:
        follow_up = FollowUp(follow_up.campaign_id, "opened")  # nobody opened: that is what to say
    if follow_up.engagement in ("opened", "clicked") and not found[follow_up.engagement]:
        what = "opens" if follow_up.engagement == "opened" else "clicks"
        raise UserError(
            f"Nobody has {follow_up.engagement} campaign {cid} (“{name}”) yet: no {what} are recorded for its "
            f"{found['received']:,} recipients, so there is nobody to follow up.",
            hint=f"Give it a day or two ({what} arrive as people read their mail), or follow up everyone who got it"
            + (" or the non-openers." if follow_up.engagement == "opened" else ", or those who did not click."),
        )
    return found
