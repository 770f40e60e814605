"""The customer-value models reproduce the literature's CDNOW estimates, agree with the `lifetimes` reference
library, recover the parameters of customers drawn from them, and refuse a fit that does not converge."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from tools.predict import simulate
from tools.predict.models import BGNBD, GammaGamma, NotConverged
from tools.predict.scoring import spend_note

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    """2,357 CDNOW customers over 39 weeks: frequency (x), recency (t_x), T, in weeks."""
    return pd.read_csv(DATA / "cdnow_customers_summary.csv")


@pytest.fixture(scope="module")
def cdnow_spend() -> pd.DataFrame:
    """The 946 CDNOW customers with a repeat purchase, and the mean value of those purchases (zbar)."""
    frame = pd.read_csv(DATA / "cdnow_customers_summary_with_transactions.csv")
    return frame[frame["x"] > 0]


@pytest.fixture(scope="module")
def bgnbd(cdnow) -> BGNBD:
    return BGNBD.fit(cdnow["frequency"], cdnow["recency"], cdnow["T"])


def test_bgnbd_reproduces_fader_hardie_lee_2005_on_cdnow(bgnbd):
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    for name, value in published.items():
        assert getattr(bgnbd, name) == pytest.approx(value, rel=0.01), name
    assert bgnbd.log_likelihood == pytest.approx(-9582.4, abs=0.5)  # the paper's LL, in weeks


def test_gamma_gamma_reproduces_fader_hardie_on_the_946_repeat_buyers(cdnow_spend):
    assert len(cdnow_spend) == 946
    spend = GammaGamma.fit(cdnow_spend["x"], cdnow_spend["zbar"])
    assert spend.p == pytest.approx(6.25, rel=0.01)
    assert spend.q == pytest.approx(3.74, rel=0.01)
    assert spend.gamma == pytest.approx(15.44, rel=0.01)
    # a customer's expected spend sits between the population mean and their own mean
    expected = spend.expected_spend(cdnow_spend["x"], cdnow_spend["zbar"])
    low = np.minimum(spend.population_mean, cdnow_spend["zbar"])
    high = np.maximum(spend.population_mean, cdnow_spend["zbar"])
    assert np.all((expected >= low - 1e-9) & (expected <= high + 1e-9))


def test_agrees_with_the_lifetimes_reference_library(cdnow, cdnow_spend, bgnbd):
    lifetimes = pytest.importorskip("lifetimes", reason="lifetimes (dev group) is not installed")
    x, t_x, T = cdnow["frequency"], cdnow["recency"], cdnow["T"]
    reference = lifetimes.BetaGeoFitter().fit(x, t_x, T)
    for name in ("r", "alpha", "a", "b"):
        assert getattr(bgnbd, name) == pytest.approx(reference.params_[name], rel=1e-3), name
    np.testing.assert_allclose(
        bgnbd.expected_purchases(39, x, t_x, T),
        reference.conditional_expected_number_of_purchases_up_to_time(39, x, t_x, T),
        rtol=1e-3,
    )
    np.testing.assert_allclose(bgnbd.p_alive(x, t_x, T), reference.conditional_probability_alive(x, t_x, T), rtol=1e-3)

    spend_reference = lifetimes.GammaGammaFitter().fit(cdnow_spend["x"], cdnow_spend["zbar"])
    spend = GammaGamma.fit(cdnow_spend["x"], cdnow_spend["zbar"])
    np.testing.assert_allclose(
        spend.expected_spend(cdnow_spend["x"], cdnow_spend["zbar"]),
        spend_reference.conditional_expected_average_profit(cdnow_spend["x"], cdnow_spend["zbar"]),
        rtol=1e-3,
    )


def test_the_next_order_date_is_when_a_purchase_becomes_more_likely_than_not(bgnbd, cdnow):
    x, t_x, T = (cdnow[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    wait = bgnbd.time_to_next_purchase(x, t_x, T)
    alive = bgnbd.p_alive(x, t_x, T)
    assert np.array_equal(np.isnan(wait), alive <= 0.5)  # no date for those more likely gone than not
    due = ~np.isnan(wait)
    chance_by_then = 1 - bgnbd.p_no_purchase(wait[due], x[due], t_x[due], T[due])
    np.testing.assert_allclose(chance_by_then, 0.5, atol=1e-9)


def test_churn_risk_grows_with_the_horizon_and_with_silence(bgnbd):
    x, T = np.full(4, 3.0), np.full(4, 39.0)
    t_x = np.array([38.0, 30.0, 20.0, 5.0])  # the same three purchases, the last one ever longer ago
    assert np.all(np.diff(bgnbd.p_no_purchase(13, x, t_x, T)) > 0)
    assert np.all(bgnbd.p_no_purchase(26, x, t_x, T) < bgnbd.p_no_purchase(13, x, t_x, T))


def test_fits_recover_the_parameters_customers_were_drawn_with():
    truth = BGNBD(r=0.5, alpha=20.0, a=0.8, b=2.5, log_likelihood=0)  # per day
    drawn = simulate.summaries(truth, 40_000, np.random.default_rng(5).uniform(120, 720, 40_000), seed=5)
    fitted = BGNBD.fit(drawn["x"], drawn["t_x"], drawn["T"])
    for name in ("r", "alpha", "a", "b"):
        assert getattr(fitted, name) == pytest.approx(getattr(truth, name), rel=0.1), name

    spend_truth = GammaGamma(p=6.25, q=3.74, gamma=15.44, log_likelihood=0)
    x = np.random.default_rng(6).integers(1, 12, 40_000)
    spend = GammaGamma.fit(x, simulate.mean_spend(spend_truth, x, seed=6))
    assert spend.population_mean == pytest.approx(spend_truth.population_mean, rel=0.02)
    for name in ("p", "q", "gamma"):
        assert getattr(spend, name) == pytest.approx(getattr(spend_truth, name), rel=0.1), name


def test_fits_the_data_cannot_pin_down_are_refused():
    T = np.linspace(30, 300, 500)
    with pytest.raises(NotConverged, match=r"repeat-purchase model did not converge"):
        BGNBD.fit(np.zeros(500), np.zeros(500), T)  # nobody bought twice: nothing says how people drop out
    rng = np.random.default_rng(2)  # everyone keeps buying at their own pace: nobody ever drops out
    T = rng.integers(60, 540, 5000).astype(float)
    x = rng.poisson(rng.gamma(0.5, 1 / 20, 5000) * T)
    t_x = np.where(x > 0, T * rng.beta(np.maximum(x, 1), 1), 0).round()
    with pytest.raises(NotConverged, match=r"nobody seems to stop buying"):
        BGNBD.fit(x, t_x, T)
    x = np.random.default_rng(1).integers(1, 5, 300)
    with pytest.raises(NotConverged, match=r"spend model did not converge"):
        GammaGamma.fit(x, np.full(300, 25.0))  # every order the same value: no spread to model


def test_a_warning_when_spend_per_order_moves_with_frequency():
    """Gamma-Gamma assumes spend per order does not depend on how often one buys (0.11 on CDNOW: fine)."""
    frame = pd.read_csv(DATA / "cdnow_customers_summary_with_transactions.csv")
    summary = pa.table(
        {"x": frame["x"], "t_x": frame["t_x"], "T": frame["T"], "zbar": frame["zbar"].where(frame["x"] > 0)}
    )
    assert spend_note(summary) is None
    richer = summary.set_column(3, "zbar", pa.array(frame["zbar"].where(frame["x"] > 0) * (1 + frame["x"])))
    note = spend_note(richer)
    assert note.startswith("One caution: here customers who buy more often also spend more per order")
    assert note.endswith("frequent buyers is likely on the low side (correlation 0.57)."), "the figure after the words"
