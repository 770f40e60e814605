"""The clustering core: fit KMeans for one k, score it, sweep a range of k (also used by bench.segments).

Up to KMEANS_LIMIT customers: exact KMeans (several initialisations). Above: MiniBatchKMeans on a
fixed-seed fit sample, polished by Lloyd, everyone assigned, so a million customers take seconds.
The silhouette (quadratic in n) is exact up to SILHOUETTE_SAMPLE customers and on a fixed-seed
sample above; inertia is always on everyone; Calinski-Harabasz and Davies-Bouldin on everyone up
to FIT_SAMPLE and on the fit sample above. Every result says which method was used. Segments are
numbered 1..k from the largest down, so "segment 1" is stable to talk about. scikit-learn and
threadpoolctl are imported in the functions that fit and score: they take ~1.5 s, which every CLI
command would otherwise pay.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from storage.errors import UserError

if TYPE_CHECKING:
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits

KMEANS_LIMIT = 50_000  # above this, MiniBatchKMeans
SILHOUETTE_SAMPLE = 3_000  # exact silhouette up to this many customers, a fixed-seed sample above
FIT_SAMPLE = 100_000  # big data: centres are learnt from at most this many, then everyone is assigned
PROPOSALS = 4  # big data: MiniBatchKMeans starts compared per fit
PROPOSAL_SAMPLE = 20_000  # ... each on at most this many customers
STABILITY_SAMPLE = 100_000  # the second-seed fit for the stability check uses at most this many
MIN_PER_SEGMENT = 5
AUTO_K_MAX = 10
K_LIMIT = 30
TOP_ITEMS = 3
MAX_SEED = 2**31 - 2  # scikit-learn takes seeds below 2**32; the stability check uses seed + 1


@dataclass(frozen=True)
class Method:
    minibatch: bool
    silhouette_sample: int | None  # None = exact

    @classmethod
    def for_size(cls, n: int) -> Method:
        return cls(minibatch=n > KMEANS_LIMIT, silhouette_sample=SILHOUETTE_SAMPLE if n > SILHOUETTE_SAMPLE else None)

    @property
    def name(self) -> str:
        return "minibatch" if self.minibatch else "kmeans"

    @staticmethod
    def threads() -> threadpool_limits:
        """One BLAS/OpenMP thread: on a shared 2-core machine, spin-waiting threads made fits 6-10x slower
        (measured: MiniBatchKMeans on 200k, 0.9 s with one thread, 6.4 s with two)."""
        from threadpoolctl import threadpool_limits

        return threadpool_limits(1)

    def describe(self, n: int) -> str:
        algo = f"KMeans on all {n:,} customers"
        if self.minibatch:
            algo = f"best of {PROPOSALS} MiniBatchKMeans starts + Lloyd polish " + (
                f"on a fixed sample of {FIT_SAMPLE:,}, every customer assigned" if n > FIT_SAMPLE else f"on all {n:,}"
            )
        sil = (
            "exact silhouette"
            if self.silhouette_sample is None
            else f"silhouette on a fixed sample of {self.silhouette_sample:,}"
        )
        if self.minibatch and n > FIT_SAMPLE:
            sil += ", Calinski-Harabasz and Davies-Bouldin on the fit sample"
        return f"{algo}, {sil}"


def sample_rows(n: int, size: int, seed: int) -> np.ndarray | slice:
    """A fixed-seed sample of row positions (sorted), or every row when there are few enough."""
    if n <= size:
        return slice(None)
    return np.sort(np.random.default_rng(seed).choice(n, size, replace=False))


def fit(matrix: np.ndarray, k: int, seed: int, method: Method) -> tuple[np.ndarray, float, Any]:
    """Labels (0-based), inertia on everyone, and the fitted model.

    Big data: on a fixed-seed sample of at most FIT_SAMPLE (MiniBatchKMeans' cost grows with n even at a
    fixed number of steps), the best of several MiniBatchKMeans starts is polished by Lloyd iterations,
    and every customer goes to the nearest centre."""
    from sklearn.cluster import KMeans
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.metrics import pairwise_distances_argmin_min

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if method.minibatch:
            train = matrix[sample_rows(len(matrix), FIT_SAMPLE, seed)]
            model = KMeans(n_clusters=k, init=_best_start(train, k, seed), n_init=1, max_iter=100).fit(train)
            labels, distances = pairwise_distances_argmin_min(matrix, model.cluster_centers_)
            inertia = float(np.square(distances).sum())
        else:
            model = KMeans(n_clusters=k, n_init=4, random_state=seed).fit(matrix)
            labels, inertia = model.labels_, float(model.inertia_)
    if len(np.unique(labels)) < k:
        raise UserError(
            f"The customers have fewer than {k} distinct feature combinations, so {k} segments cannot be formed.",
            hint="Ask for fewer segments or use more features.",
        )
    return labels, inertia, model


def _best_start(train: np.ndarray, k: int, seed: int) -> np.ndarray:
    """Centres to polish: PROPOSALS MiniBatchKMeans runs on a small sample, each given ten Lloyd steps; the
    lowest inertia wins. Why several: from a single start, the polished centres sat in a poorer local
    optimum for k >= 7 on the demo shop, 0.02-0.03 silhouette below full KMeans; with four, within 0.015,
    for about 10% more CPU in the 100k sweep (bench.segments measures both)."""
    from sklearn.cluster import KMeans, MiniBatchKMeans

    small = train[sample_rows(len(train), PROPOSAL_SAMPLE, seed)]

    def trial(start: int) -> KMeans:
        proposal = MiniBatchKMeans(n_clusters=k, batch_size=4096, n_init=1, random_state=start).fit(small)
        return KMeans(n_clusters=k, init=proposal.cluster_centers_, n_init=1, max_iter=10).fit(small)

    starts = np.random.SeedSequence(seed).generate_state(PROPOSALS)
    return min((trial(int(start)) for start in starts), key=lambda model: model.inertia_).cluster_centers_


def score(matrix: np.ndarray, labels: np.ndarray, seed: int, method: Method) -> dict[str, float]:
    """Silhouette (exact, or on a fixed sample); Calinski-Harabasz and Davies-Bouldin on the fit sample."""
    from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score

    rows = sample_rows(len(matrix), FIT_SAMPLE, seed) if method.minibatch else slice(None)
    return {
        "silhouette": float(silhouette_score(matrix, labels, sample_size=method.silhouette_sample, random_state=seed)),
        "calinski_harabasz": float(calinski_harabasz_score(matrix[rows], labels[rows])),
        "davies_bouldin": float(davies_bouldin_score(matrix[rows], labels[rows])),
    }


def sweep_matrix(matrix: np.ndarray, ks: range, seed: int, method: Method, advance=lambda step=1: None) -> pd.DataFrame:
    """The metric table: one row per k."""
    rows = []
    with method.threads():
        for k in ks:
            labels, inertia, _ = fit(matrix, k, seed, method)
            rows.append({"k": k, "inertia": inertia, **score(matrix, labels, seed, method)})
            advance(1)
    return pd.DataFrame(rows)


def require_enough(n: int, k: int) -> None:
    if n < MIN_PER_SEGMENT * k:
        most = n // MIN_PER_SEGMENT
        raise UserError(
            f"Only {n:,} usable customer{'s' if n != 1 else ''}: too few for {k} segments "
            f"(at least {MIN_PER_SEGMENT} per segment).",
            hint=f"Ask for at most {most} segments, or add or un-quarantine customers."
            if most >= 2  # one segment is no segmentation: say how many customers it takes instead
            else f"Segmenting needs at least {2 * MIN_PER_SEGMENT} usable customers: add or un-quarantine some.",
        )


def number_by_size(raw: np.ndarray, k: int) -> np.ndarray:
    """Renumber clusters 1..k, largest first, so numbers mean the same thing across seeds."""
    counts = np.bincount(raw, minlength=k)
    rank = np.empty(k, dtype=np.int32)
    rank[np.argsort(-counts, kind="stable")] = np.arange(1, k + 1, dtype=np.int32)
    return rank[raw]


def stability(matrix: np.ndarray, labels: np.ndarray, k: int, seed: int, method: Method) -> float:
    """ARI between this fit and one with another seed (on a fixed sample when n is big)."""
    from sklearn.metrics import adjusted_rand_score

    rows = np.arange(len(matrix))
    if len(matrix) > STABILITY_SAMPLE:
        rows = np.random.default_rng(seed).choice(len(matrix), STABILITY_SAMPLE, replace=False)
    other, _, _ = fit(matrix[rows], k, seed + 1, method)
    return float(adjusted_rand_score(labels[rows], other))
