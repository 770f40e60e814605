"""Tracking links are signed: they round-trip, and any change to them makes them worthless."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from services.settings import Settings
from tools.campaigns.links import SIGNATURE_BYTES, LinkSigner, LinkToken, _b64, _unb64, link_secret, verify

SIGNER = LinkSigner("test-secret", "https://track.example.com/")


def test_every_kind_round_trips():
    for kind, index in [("open", None), ("click", 4), ("unsubscribe", None)]:
        token = SIGNER.token(kind, 12, "C0000042", index)
        assert SIGNER.verify(token) == LinkToken(kind, 12, "C0000042", index)


@given(customer_id=st.text(min_size=1, max_size=40), campaign_id=st.integers(0, 2**31), index=st.integers(0, 500))
def test_any_customer_id_round_trips(customer_id, campaign_id, index):
    token = SIGNER.token("click", campaign_id, customer_id, index)
    assert SIGNER.verify(token) == LinkToken("click", campaign_id, customer_id, index)
    assert "/" not in token and "?" not in token and "#" not in token


def test_urls_use_the_pinned_paths_under_the_public_url():
    assert SIGNER.open_url(1, "C1").startswith("https://track.example.com/t/o/")
    assert SIGNER.open_url(1, "C1").endswith(".gif")
    click = SIGNER.click_url(1, "C1", 0)
    assert click.startswith("https://track.example.com/t/c/")
    assert SIGNER.verify(click.rsplit("/", 1)[1]) == LinkToken("click", 1, "C1", 0)
    unsubscribe = SIGNER.unsubscribe_url(1, "C1").rsplit("/", 1)[1]
    assert SIGNER.verify(unsubscribe).kind == "unsubscribe"


def test_a_changed_character_anywhere_breaks_the_token():
    token = SIGNER.token("click", 7, "C0000001", 2)
    for i, char in enumerate(token):
        replacement = "A" if char != "A" else "B"
        tampered = token[:i] + replacement + token[i + 1 :]
        assert SIGNER.verify(tampered) is None, f"tampering at {i} went unnoticed"


def test_another_customers_payload_with_my_signature_is_refused():
    mine = _unb64(SIGNER.token("unsubscribe", 7, "C0000001"))
    theirs = _unb64(SIGNER.token("unsubscribe", 7, "C0000002"))
    spliced = _b64(theirs[:-SIGNATURE_BYTES] + mine[-SIGNATURE_BYTES:])
    assert SIGNER.verify(spliced) is None
    assert SIGNER.verify(_b64(mine[:-1])) is None  # a truncated signature
    assert SIGNER.verify(_b64(mine[-SIGNATURE_BYTES:])) is None  # a signature alone


def test_a_token_from_another_secret_is_refused():
    other = LinkSigner("another-secret", "https://track.example.com")
    assert SIGNER.verify(other.token("open", 1, "C1")) is None


@given(st.text(max_size=200))
def test_garbage_never_raises(garbage):
    assert SIGNER.verify(garbage) is None


def test_garbage_of_the_right_shape_is_refused():
    for junk in ["", ".", "a.b", "....", "x" * 5000, "!!!.???", "YQ.YQ", "é.é", "YWJj", "A" * 40]:
        assert SIGNER.verify(junk) is None


def test_secret_is_generated_once_and_kept(db):
    settings = Settings(db_path=db.path)
    first = link_secret(db, settings)
    assert len(first) >= 32
    assert link_secret(db, settings) == first
    token = LinkSigner.for_db(db, settings).token("open", 1, "C1")
    assert verify(db, settings, token) == LinkToken("open", 1, "C1")
    assert db.scalar("SELECT count(*) FROM app_secrets") == 1


def test_the_environment_secret_wins_over_the_stored_one(db):
    stored = Settings(db_path=db.path)
    token = LinkSigner.for_db(db, stored).token("open", 1, "C1")
    configured = Settings(db_path=db.path, secret="from-the-environment")
    assert verify(db, configured, token) is None
    assert verify(db, configured, LinkSigner.for_db(db, configured).token("open", 1, "C1")) is not None
