"""Customers drawn from the BG/NBD and Gamma-Gamma models themselves, with known parameters.

The tests and `bench.predict` use them: a fit must recover the parameters it was drawn with, and a million
customers can be made in a second without a real shop's data. Everything is vectorised (no loop over customers).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tools.predict.models import BGNBD, GammaGamma


def _draw_customers(rng: np.random.Generator, model: BGNBD, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Each customer's purchase rate, and how many repeat purchases they make before dropping out."""
    rate = rng.gamma(model.r, 1 / model.alpha, n)
    drop = rng.beta(model.a, model.b, n)
    return rate, rng.geometric(drop)  # drops out right after repeat purchase number `lifetime_purchases`


def summaries(model: BGNBD, n: int, T: np.ndarray | float, seed: int = 0) -> pd.DataFrame:
    """x, t_x and T for `n` customers observed for `T` each (the summary a fit takes).

    While active, purchases are a Poisson process: given n of them in (0, T], the k-th falls at T * Beta(k, n-k+1)."""
    rng = np.random.default_rng(seed)
    T = np.broadcast_to(np.asarray(T, dtype=float), (n,)).copy()
    rate, lifetime_purchases = _draw_customers(rng, model, n)
    while_active = rng.poisson(rate * T)
    x = np.minimum(while_active, lifetime_purchases)
    t_x = np.where(x > 0, T * rng.beta(np.maximum(x, 1), while_active - x + 1), 0.0)
    return pd.DataFrame({"x": x.astype(float), "t_x": t_x, "T": T})


def mean_spend(spend: GammaGamma, x: np.ndarray, seed: int = 0) -> np.ndarray:
    """Each customer's mean over `x` orders (NaN where x = 0): orders ~ Gamma(p, nu), nu ~ Gamma(q, gamma)."""
    rng = np.random.default_rng(seed)
    x = np.asarray(x, dtype=float)
    nu = rng.gamma(spend.q, 1 / spend.gamma, len(x))
    total = rng.gamma(np.maximum(spend.p * x, 1e-9), 1 / nu)  # a sum of x Gamma(p, nu) is Gamma(px, nu)
    return np.where(x > 0, total / np.maximum(x, 1), np.nan)


def order_log(
    model: BGNBD, spend: GammaGamma, n: int, days: int, start: str = "2024-01-01", seed: int = 0
) -> pd.DataFrame:
    """An orders table (customer_id, order_id, ordered_at, amount) over `days` days, one order per customer-day.

    Customers' first purchases are spread evenly over the first half of the period; the model's rates are per day."""
    rng = np.random.default_rng(seed)
    first = rng.integers(0, days // 2, n)
    window = (days - first).astype(float)
    rate, lifetime_purchases = _draw_customers(rng, model, n)
    nu = rng.gamma(spend.q, 1 / spend.gamma, n)
    counts = rng.poisson(rate * window)
    owner = np.repeat(np.arange(n), counts)
    at = rng.uniform(0, window[owner])
    order = np.lexsort((at, owner))
    owner, at = owner[order], at[order]
    rank = np.arange(len(owner)) - np.repeat(np.cumsum(counts) - counts, counts)
    keep = rank < lifetime_purchases[owner]
    owner = np.concatenate([np.arange(n), owner[keep]])
    day = np.concatenate([first, first[owner[n:]] + np.floor(at[keep]).astype(int) + 1])
    day = np.minimum(day, days - 1)
    log = pd.DataFrame({"owner": owner, "day": day}).drop_duplicates().sort_values(["owner", "day"])
    amount = rng.gamma(spend.p, 1 / nu[log["owner"].to_numpy()])
    return pd.DataFrame(
        {
            "order_id": [f"O{i:08d}" for i in range(len(log))],
            "customer_id": [f"C{o:07d}" for o in log["owner"]],
            "ordered_at": pd.Timestamp(start)
            + pd.to_timedelta(log["day"].to_numpy(), unit="D")
            + pd.Timedelta(hours=12),
            "amount": amount.round(2),
        }
    )
