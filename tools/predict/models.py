"""BG/NBD (repeat purchases, still active?) and Gamma-Gamma (spend per order), fitted by maximum likelihood.

Hand-written rather than taken from a library, and why: `lifetimes` reproduces the published numbers but
has been archived since 2020, imports `pkg_resources` (setuptools < 81) and took 11 s on 200k customers;
`pymc-marketing`, its maintained successor, pulls in PyMC and PyTensor, compiles for seconds and by
default returns a posterior mode under its priors (a = 0.71, b = 2.09 on CDNOW), not the maximum-likelihood
values. The models' likelihoods are closed-form, so they are written here vectorised over customers in
numpy/scipy.special, with analytic gradients, and maximised with scipy's L-BFGS-B on log-parameters.
Terms that depend only on the number of repeat purchases x are computed once per distinct x, so an
evaluation costs a few array operations over all customers. `tests/test_predict_models.py` checks the fits
against the papers' CDNOW estimates and against `lifetimes`. scipy is imported in the functions: every CLI
command registers the tools and would otherwise pay its load time.

Inputs per customer, in one time unit (the tools use days): x = repeat purchases (purchases after the first,
at most one per day), t_x = time from the first to the last purchase, T = time from the first purchase to
the end of the history; for Gamma-Gamma, zbar = mean value of the repeat purchases.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

LOG_BOUND = 12.0  # log-parameters are searched in [-12, 12]: a fit that ends on the edge did not converge
# At a real maximum the log-likelihood curves down in every direction. The CDNOW fits' flattest direction has
# 1e-3..1e-2 of the steepest's curvature; a ridge (all one-time buyers, identical order values) 1e-7 or less.
MIN_CURVATURE_RATIO = 1e-5
WARM_START_SAMPLE = 50_000
NO_DROPOUT = 1e-4  # a failed fit whose mean drop-out chance per purchase, a/(a+b), is below this saw nobody leave


class NotConverged(ValueError):
    """The optimiser stopped without a maximum (too little or degenerate data), at log-parameters `theta`."""

    def __init__(self, message: str, theta: np.ndarray | None = None) -> None:
        super().__init__(message)
        self.theta = theta


def _maximise(
    objective: Callable[..., Callable], columns: tuple[np.ndarray, ...], k: int, what: str
) -> tuple[np.ndarray, float]:
    """Minimise `objective(*columns)`, a (value, gradient) function of k log-parameters: the optimum and its value.

    Above WARM_START_SAMPLE customers, a fixed-seed sample's optimum is the starting point, so the search
    over everyone takes a few steps instead of dozens. One BLAS thread: on a shared 2-core machine, spin-waiting
    BLAS threads made the dot products over a million customers 30x slower (8.6 ms against 0.3 ms)."""
    from scipy.optimize import minimize
    from threadpoolctl import threadpool_limits

    bounds = [(-LOG_BOUND, LOG_BOUND)] * k
    start = np.zeros(k)
    n = len(columns[0])
    with threadpool_limits(1):
        if n > WARM_START_SAMPLE:
            sample = np.random.default_rng(0).choice(n, WARM_START_SAMPLE, replace=False)
            sampled = objective(*(c[sample] for c in columns))
            start = minimize(sampled, start, jac=True, method="L-BFGS-B", bounds=bounds).x
        neg_mean_ll = objective(*columns)
        result = minimize(neg_mean_ll, start, jac=True, method="L-BFGS-B", bounds=bounds, options={"maxiter": 500})
        on_edge = np.any(np.abs(result.x) > LOG_BOUND - 1e-3)
        if not result.success or on_edge or not np.isfinite(result.fun):
            reason = "a parameter ran off to zero or infinity" if on_edge else result.message
            raise NotConverged(f"the {what} model did not converge ({reason}).", result.x)
        curvature = np.linalg.eigvalsh(_hessian(neg_mean_ll, result.x, result.jac))
    if not (curvature.min() > 0 and curvature.min() > MIN_CURVATURE_RATIO * curvature.max()):
        # a flat direction: the optimiser stopped on a ridge where the data cannot tell parameters apart
        raise NotConverged(f"the {what} model did not converge (the data do not pin its parameters down).", result.x)
    return result.x, float(result.fun)


def _hessian(neg_mean_ll: Callable, theta: np.ndarray, gradient: np.ndarray, step: float = 1e-5) -> np.ndarray:
    """The Hessian at `theta` by forward differences of the analytic gradient (k more gradient evaluations)."""
    hessian = np.array([(neg_mean_ll(theta + e)[1] - gradient) / step for e in np.eye(len(theta)) * step])
    return (hessian + hessian.T) / 2


@dataclass(frozen=True)
class BGNBD:
    """Beta-geometric/NBD (Fader, Hardie & Lee 2005, "Counting Your Customers the Easy Way").

    While active, a customer buys at Poisson rate lambda ~ Gamma(r, alpha); after each purchase they drop
    out with probability p ~ Beta(a, b). `alpha` is in the time unit of the data."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float

    @classmethod
    def fit(cls, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> BGNBD:
        """Maximum likelihood over all customers: the sum of the log of the paper's likelihood, eq. (6),

        L = B(a, b+x)/B(a, b) * Gamma(r+x) alpha^r / (Gamma(r) (alpha+T)^(r+x))
          + [x > 0] B(a+1, b+x-1)/B(a, b) * Gamma(r+x) alpha^r / (Gamma(r) (alpha+t_x)^(r+x)).

        Times are divided by their mean while fitting so every parameter starts near 1; alpha is scaled back."""
        x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
        scale = float(T.mean()) or 1.0
        columns = (x, t_x / scale, T / scale)
        try:
            theta, mean_ll = _maximise(_bgnbd_objective, columns, 4, "repeat-purchase")
        except NotConverged as exc:
            a, b = np.exp(exc.theta[2:])
            if a / (a + b) < NO_DROPOUT:
                raise NotConverged(
                    "the repeat-purchase model did not converge: in these histories nobody seems to stop buying, "
                    "so it cannot tell who has lapsed.",
                    exc.theta,
                ) from None
            raise
        r, alpha, a, b = np.exp(theta)
        # the density of the purchase times in the original unit: each purchase's term shifts by -log(scale)
        log_likelihood = -mean_ll * len(x) - x.sum() * np.log(scale)
        return cls(float(r), float(alpha * scale), float(a), float(b), float(log_likelihood))

    def _log_odds_dead(self, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
        """log(P(dropped out) / P(active)) = log(a/(b+x-1)) + (r+x) log((alpha+T)/(alpha+t_x)) for x > 0."""
        repeat = x > 0
        b_x = np.where(repeat, self.b + x - 1, 1.0)
        odds = np.log(self.a / b_x) + (self.r + x) * np.log((self.alpha + T) / (self.alpha + t_x))
        return np.where(repeat, odds, -np.inf)

    def p_alive(self, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
        """P(still active at T | x, t_x, T) = 1 / (1 + [x>0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x)),

        from Fader, Hardie & Lee's note "Computing P(alive) using the BG/NBD model" (brucehardie.com/notes/021).

        Customers without a repeat purchase are active by the model's assumption (dropping out follows a purchase)."""
        from scipy.special import expit

        x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
        return expit(-self._log_odds_dead(x, t_x, T))

    def expected_purchases(self, t: float, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
        """Expected purchases in (T, T+t] given the history, eq. (10):

        (a+b+x-1)/(a-1) * [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t))] * P(alive)."""
        from scipy.special import hyp2f1

        x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        later = alpha + T + t
        survive = np.exp((r + x) * np.log((alpha + T) / later)) * hyp2f1(r + x, b + x, a + b + x - 1, t / later)
        return (a + b + x - 1) / (a - 1) * (1 - survive) * self.p_alive(x, t_x, T)

    def p_no_purchase(self, t: float, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
        """P(no purchase in (T, T+t] | history): dropped out, or active with no purchase in t.

        Given active at T, the purchase rate's posterior is Gamma(r+x, alpha+T) (x purchases in T, Poisson), so
        P(no purchase in t | active) = ((alpha+T)/(alpha+T+t))^(r+x); dropping out happens only after a purchase."""
        x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
        alive = self.p_alive(x, t_x, T)
        quiet = np.exp((self.r + x) * np.log((self.alpha + T) / (self.alpha + T + t)))
        return 1 - alive + alive * quiet

    def time_to_next_purchase(self, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
        """The time t after T by which a next purchase is more likely than not, or NaN where it never is.

        P(a purchase in (T, T+t]) = P(alive) (1 - ((alpha+T)/(alpha+T+t))^(r+x)) reaches 1/2 only if
        P(alive) > 1/2, at t = (alpha+T) ((1 - 1/(2 P(alive)))^(-1/(r+x)) - 1): the median of the next
        purchase time, which is the "expected next order date" a marketer reads."""
        x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
        alive = self.p_alive(x, t_x, T)
        with np.errstate(divide="ignore", invalid="ignore"):
            t = (self.alpha + T) * np.expm1(-np.log1p(-0.5 / alive) / (self.r + x))
        return np.where(alive > 0.5, t, np.nan)


def _bgnbd_objective(x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> Callable:
    """-mean log-likelihood and its gradient over (log r, log alpha, log a, log b).

    Customers with the same (x, t_x, T) share a term, so they are counted once with a weight: in days, all
    one-time buyers of the same age are one row, which halves the work on a typical shop."""
    from scipy.special import betaln, gammaln, psi

    (x, t_x, T), weight = _distinct_rows(x, t_x, T)
    ux, inv = np.unique(x, return_inverse=True)
    counts = np.bincount(inv, weights=weight)
    n, repeat_u = weight.sum(), ux > 0
    ux1 = np.where(repeat_u, ux - 1, 0.0)  # b + x - 1 only where x > 0

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        r, alpha, a, b = np.exp(theta)
        log_T, log_t = np.log(alpha + T), np.log(alpha + t_x)
        # terms by distinct x: A1 = log[Gamma(r+x) alpha^r / (Gamma(r) B(a,b))], the two beta functions
        a1 = gammaln(r + ux) - gammaln(r) + r * np.log(alpha) - betaln(a, b)
        b2 = betaln(a, b + ux)
        b3 = np.where(repeat_u, betaln(a + 1, b + ux1), -np.inf)
        rx = r + x
        l2 = b2[inv] - rx * log_T
        l3 = b3[inv] - rx * log_t
        mix = np.logaddexp(l2, l3)
        ll = counts @ a1 + weight @ mix
        w3 = np.exp(l3 - mix) * weight  # the weight of the "dropped out after t_x" branch; 0 where x = 0
        w2 = weight - w3
        w3_u = np.bincount(inv, weights=w3, minlength=len(ux))
        w2_u = counts - w3_u
        d_r = counts @ (psi(r + ux) - psi(r) + np.log(alpha)) - (w2 @ log_T + w3 @ log_t)
        d_alpha = n * r / alpha - ((rx * w2) @ (1 / (alpha + T)) + (rx * w3) @ (1 / (alpha + t_x)))
        dig_abx = psi(a + b + ux)
        d_a = -n * (psi(a) - psi(a + b)) + w2_u @ (psi(a) - dig_abx) + w3_u @ (psi(a + 1) - dig_abx)
        dig_b3 = np.where(repeat_u, psi(b + ux1), 0.0)
        d_b = -n * (psi(b) - psi(a + b)) + w2_u @ (psi(b + ux) - dig_abx) + w3_u @ (dig_b3 - dig_abx)
        grad = np.array([r * d_r, alpha * d_alpha, a * d_a, b * d_b])
        return -ll / n, -grad / n

    return objective


def _distinct_rows(*columns: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """The distinct rows of equal-length columns, and how many times each occurs."""
    order = np.lexsort(columns[::-1])
    ordered = [c[order] for c in columns]
    starts = np.flatnonzero(np.r_[True, np.any([np.diff(c) != 0 for c in ordered], axis=0)])
    return [c[starts] for c in ordered], np.diff(np.r_[starts, len(order)]).astype(float)


@dataclass(frozen=True)
class GammaGamma:
    """Gamma-Gamma spend model (Fader & Hardie 2013, "The Gamma-Gamma Model of Monetary Value",
    brucehardie.com/notes/025; Colombo & Jiang 1999). A customer's order values are Gamma(p, nu) around their
    own mean, with nu ~ Gamma(q, gamma) across customers; it assumes spend per order does not depend on how
    often someone buys.
    `gamma` is in the currency of the data."""

    p: float
    q: float
    gamma: float
    log_likelihood: float

    @classmethod
    def fit(cls, x: np.ndarray, zbar: np.ndarray) -> GammaGamma:
        """Maximum likelihood over repeat buyers (x > 0) of the density of their mean repeat spend zbar (eq. 1a):

        f(zbar | p, q, gamma, x) = Gamma(px+q) / (Gamma(px) Gamma(q))
                                   * gamma^q zbar^(px-1) x^(px) / (gamma + x zbar)^(px+q).

        Amounts are divided by their mean while fitting; gamma is scaled back."""
        x, zbar = np.asarray(x, dtype=float), np.asarray(zbar, dtype=float)
        scale = float(zbar.mean()) or 1.0
        columns = (x, zbar / scale)
        theta, mean_ll = _maximise(_gamma_gamma_objective, columns, 3, "spend")
        p, q, gamma = np.exp(theta)
        # the density of zbar in the original currency: each customer's term shifts by -log(scale)
        return cls(float(p), float(q), float(gamma * scale), float(-mean_ll * len(x) - len(x) * np.log(scale)))

    @property
    def population_mean(self) -> float:
        """Expected spend per order of a customer we know nothing about: p gamma / (q - 1) (needs q > 1)."""
        return self.p * self.gamma / (self.q - 1) if self.q > 1 else float("nan")

    def expected_spend(self, x: np.ndarray, zbar: np.ndarray) -> np.ndarray:
        """E[spend per order | x, zbar] = p (gamma + x zbar) / (p x + q - 1) (eq. 5): a weighted average of the
        population mean and the customer's own mean, the weight on their own growing with x.
        Customers without repeat purchases (x = 0) get the population mean."""
        x, zbar = np.asarray(x, dtype=float), np.nan_to_num(np.asarray(zbar, dtype=float))
        return self.p * (self.gamma + x * zbar) / (self.p * x + self.q - 1)


def _gamma_gamma_objective(x: np.ndarray, zbar: np.ndarray) -> Callable:
    """-mean log-likelihood and its gradient over (log p, log q, log gamma)."""
    from scipy.special import gammaln, psi

    ux, counts = np.unique(x, return_counts=True)
    n = len(x)
    log_z, log_x = np.log(zbar), np.log(x)
    sum_xlogz, sum_xlogx, sum_logz = x @ log_z, x @ log_x, log_z.sum()

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        p, q, gamma = np.exp(theta)
        log_g = np.log(gamma + x * zbar)
        pxq = p * x + q
        by_x = gammaln(p * ux + q) - gammaln(p * ux)
        ll = counts @ by_x - n * gammaln(q) + n * q * np.log(gamma)
        ll += p * (sum_xlogz + sum_xlogx) - sum_logz - pxq @ log_g
        dig = psi(p * ux + q)
        d_p = counts @ (ux * (dig - psi(p * ux))) + sum_xlogz + sum_xlogx - x @ log_g
        d_q = counts @ dig - n * psi(q) + n * np.log(gamma) - log_g.sum()
        d_gamma = n * q / gamma - (pxq / (gamma + x * zbar)).sum()
        grad = np.array([p * d_p, q * d_q, gamma * d_gamma])
        return -ll / n, -grad / n

    return objective
