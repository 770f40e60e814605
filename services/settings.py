"""Everything configurable, read from the environment (never from the repository)."""

from __future__ import annotations

import os

from pydantic import BaseModel, Field

from storage.db import default_path

OFFLINE_MODEL = "offline"  # PROMOPILOT_MODEL=offline: the offline planner even where a key is set


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def _list(name: str) -> list[str]:
    """A comma-separated setting as its items, trimmed and lower-cased (domains, addresses: case never matters)."""
    return [item.strip().lower() for item in os.environ.get(name, "").split(",") if item.strip()]


def _user_cache_dir() -> str:
    """promopilot/ in the user's cache folder (XDG_CACHE_HOME, else ~/.cache)."""
    return os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "promopilot")


class Settings(BaseModel):
    """Everything configurable, read from the environment (never from the repository)."""

    db_path: str = "promopilot.duckdb"
    openai_api_key: str | None = None
    openai_base_url: str | None = None
    model: str = "gpt-4o-mini"
    share_pii: bool = False  # may customer names/emails be sent to the model? opt-in only
    smtp_url: str | None = None  # None = the embedded local SMTP sink
    public_url: str = "http://127.0.0.1:8000"  # where tracking links point
    secret: str | None = None  # HMAC key for tracking tokens; generated and stored if unset
    from_address: str = "PromoPilot Demo <hello@promopilot.test>"
    reply_to: str | None = None
    send_rate: float = 50.0  # messages per second
    frequency_cap_days: int = 7
    shop_url: str = "https://shop.example.com"  # campaign links point here (landing page, /products/SKU)
    link_domains: list[str] = []  # sites besides the shop's that links the assistant writes may point at
    import_dir: str | None = None  # the one folder the assistant may import from (besides chat uploads)
    # The only addresses the assistant may send a test copy to: a rendered copy carries a real customer's
    # name and picks, so a model (or a prompt injection) must not choose where it goes. The CLI sends anywhere.
    test_addresses: list[str] = []
    # May customers who never answered the consent question be emailed? Off: GDPR and the UK's PECR want
    # a recorded yes before marketing email; a shop under an opt-out law (CAN-SPAM) may turn it on.
    email_unknown_consent: bool = False
    # The sender's postal address, in every email's footer (CAN-SPAM requires one).
    postal_address: str = "PromoPilot Demo Shop, 1 Example Street, London EC1A 1AA, United Kingdom"
    # Where work that is slow to redo is kept between runs (the sentence encoder's reading of the
    # planner's example phrasings); deleting it is always safe.
    cache_dir: str = Field(default_factory=_user_cache_dir)

    @property
    def model_label(self) -> str:
        """Which model answers, for the logs and the startup line: the planner, or a model at a server."""
        if not self.openai_api_key:
            return "the offline planner"
        return f"{self.model} at {self.openai_base_url or 'https://api.openai.com/v1'}"

    @property
    def message_domain(self) -> str:
        """The domain of every Message-ID we make: the sender's."""
        from email.utils import parseaddr

        return parseaddr(self.from_address)[1].rpartition("@")[2] or "promopilot.invalid"

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ.get
        model = env("PROMOPILOT_MODEL") or cls.model_fields["model"].default
        return cls(
            db_path=default_path(),
            # A machine-wide key (a shell profile, a CI secret) must not stop a demo from running offline.
            openai_api_key=None if model == OFFLINE_MODEL else env("OPENAI_API_KEY") or None,
            openai_base_url=env("OPENAI_BASE_URL") or None,
            model=model,
            share_pii=_flag("PROMOPILOT_SHARE_PII"),
            smtp_url=env("PROMOPILOT_SMTP_URL") or None,
            public_url=(env("PROMOPILOT_PUBLIC_URL") or cls.model_fields["public_url"].default).rstrip("/"),
            secret=env("PROMOPILOT_SECRET") or None,
            from_address=env("PROMOPILOT_FROM") or cls.model_fields["from_address"].default,
            reply_to=env("PROMOPILOT_REPLY_TO") or None,
            send_rate=float(env("PROMOPILOT_SEND_RATE") or cls.model_fields["send_rate"].default),
            frequency_cap_days=int(
                env("PROMOPILOT_FREQUENCY_CAP_DAYS") or cls.model_fields["frequency_cap_days"].default
            ),
            shop_url=(env("PROMOPILOT_SHOP_URL") or cls.model_fields["shop_url"].default).rstrip("/"),
            import_dir=env("PROMOPILOT_IMPORT_DIR") or None,
            link_domains=[d.lstrip(".") for d in _list("PROMOPILOT_LINK_DOMAINS")],
            test_addresses=_list("PROMOPILOT_TEST_ADDRESSES"),
            email_unknown_consent=_flag("PROMOPILOT_EMAIL_UNKNOWN_CONSENT"),
            postal_address=env("PROMOPILOT_POSTAL_ADDRESS") or cls.model_fields["postal_address"].default,
            cache_dir=env("PROMOPILOT_CACHE_DIR") or _user_cache_dir(),
        )
