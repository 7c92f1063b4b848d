"""Implied ratings of notes from simulated losses, with the uncertainty a finite run leaves.

A rating agency's expected-loss scale says how much a note of each rating may lose on average
over its life: Moody's idealised cumulative expected-loss rates, by rating and horizon. A note's
implied rating is the best rating whose rate at the note's weighted-average life is at least
the note's expected loss. A Monte Carlo run estimates that expected loss from N paths, so the
rating is only as sharp as the run: a run of N paths cannot tell losses rarer than about 1 / N
from none, and an Aaa (a few in a million at five years) needs hundreds of thousands of paths
before a run can show it. `rating_assessment` reports the range of ratings consistent with the
run, and says when the run is too small to give one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

__all__ = [
    "BELOW_TABLE",
    "HORIZONS",
    "IDEALISED_EL",
    "IDEALISED_EL_5Y",
    "RatingAssessment",
    "idealised_el",
    "implied_rating",
    "rating_assessment",
]

HORIZONS = np.arange(1.0, 11.0)
"""Horizons of `IDEALISED_EL`, in years (1 to 10)."""

_PCT = {  # cumulative expected loss, per cent of par, horizons 1..10 years
    "Aaa": (0.000028, 0.00011, 0.00039, 0.00099, 0.0016, 0.0022, 0.00286, 0.00363, 0.00451,
            0.0055),
    "Aa1": (0.000314, 0.00165, 0.0055, 0.01155, 0.01705, 0.0231, 0.0297, 0.03685, 0.0451, 0.055),
    "Aa2": (0.000748, 0.0044, 0.0143, 0.02585, 0.0374, 0.04895, 0.06105, 0.07425, 0.0902, 0.11),
    "Aa3": (0.001661, 0.01045, 0.03245, 0.05555, 0.0814, 0.10615, 0.13255, 0.16225, 0.19745,
            0.242),
    "A1": (0.003196, 0.02035, 0.05775, 0.099, 0.136125, 0.1738, 0.2134, 0.2574, 0.30965, 0.374),
    "A2": (0.005995, 0.0385, 0.09845, 0.158675, 0.202675, 0.25355, 0.307725, 0.36795, 0.439725,
           0.528),
    "A3": (0.021395, 0.0825, 0.161975, 0.2519, 0.339625, 0.428725, 0.52525, 0.62315, 0.749375,
           0.88),
    "Baa1": (0.0495, 0.154, 0.297, 0.418, 0.559625, 0.688875, 0.823625, 0.97075, 1.148125,
             1.342),
    "Baa2": (0.0935, 0.2585, 0.4565, 0.6325, 0.804375, 0.977625, 1.170125, 1.376375, 1.617,
             1.859),
    "Baa3": (0.231, 0.5775, 0.9405, 1.309, 1.6775, 2.035, 2.398, 2.761, 3.113, 3.355),
    "Ba1": (0.4785, 1.111, 1.7215, 2.31, 2.904, 3.4375, 3.883, 4.3395, 4.7905, 5.06),
    "Ba2": (0.858, 1.9085, 2.849, 3.74, 4.6255, 5.3735, 5.885, 6.413, 6.9575, 7.26),
    "Ba3": (1.5455, 3.0305, 4.3285, 5.3845, 6.523, 7.4195, 8.041, 8.6405, 9.1905, 9.526),
    "B1": (2.574, 4.609, 6.369, 7.6175, 8.866, 9.8395, 10.5215, 11.1265, 11.682, 12.078),
    "B2": (3.938, 6.4185, 8.5525, 9.9715, 11.3905, 12.4575, 13.2055, 13.8325, 14.421, 14.96),
    "B3": (6.391, 9.1355, 11.5665, 13.222, 14.8775, 16.06, 17.0995, 17.941, 18.678, 19.393),
}

IDEALISED_EL: dict[str, np.ndarray] = {r: np.asarray(v) / 100.0 for r, v in _PCT.items()}
"""Moody's idealised cumulative expected-loss rates, fractions of par, for horizons of 1 to 10
years (`HORIZONS`), Aaa to B3.

Source: Moody's Investors Service, idealised cumulative expected-loss rates (the "Moody's
idealized expected loss table"), published in its structured-finance rating methodologies, e.g.
"The Binomial Expansion Method Applied to CBO/CLO Analysis" (1996) and "Moody's Approach to
Rating Multisector CDOs" (2000, appendix), and used for structured-finance ratings since.
Every entry is the idealised default probability of the same table set times a 55 % loss
severity. Transcribed here; check against the current Moody's publication before relying on a
rating derived from them. The table stops at B3: worse is `BELOW_TABLE`.

Not yet checked against a public copy of the table itself (none was found). Moody's CLO rating
factors (Aaa 1, Aa1 10, Aa2 20, Aa3 40, A1 70, A2 120, A3 180, Baa1 260, Baa2 360, Baa3 610, Ba1
940, Ba2 1350, Ba3 1766, B1 2220, B2 2720, B3 3490; "Moody's Global Approach to Rating
Collateralized Loan Obligations") are no check of it: they are a separate scale, and 0.0055 %
times the factor matches the 10-year column for Aaa, Aa1, Aa2, Baa3 and B2 only (A2: 0.66 %
against 0.528 %). The 10-year column here is the one commonly reproduced with the table (Aaa
0.0055 % to B3 19.393 %); verifying every horizon against Moody's own publication is open work.
"""

IDEALISED_EL_5Y: dict[str, float] = {r: float(v[4]) for r, v in IDEALISED_EL.items()}
"""The 5-year column of `IDEALISED_EL`."""

BELOW_TABLE = "below B3"
RATINGS = (*IDEALISED_EL, BELOW_TABLE)
"""Rating symbols, best first, ending with `BELOW_TABLE`."""


def idealised_el(rating: str, wal_years: float) -> float:
    """The idealised expected loss of ``rating`` at a weighted-average life of ``wal_years``.

    Linear interpolation between the yearly horizons of `IDEALISED_EL`; a WAL below one year
    uses the one-year rate and one above ten years the ten-year rate (the table's ends).

    Args:
        rating: A key of `IDEALISED_EL`, or `BELOW_TABLE` (whose limit is 1.0: the whole note).
        wal_years: The note's weighted-average life, years.

    Returns:
        Expected loss as a fraction of the note's original balance.

    Raises:
        ValueError: If the rating is not in the table or the WAL is not a finite number >= 0.
    """
    if rating == BELOW_TABLE:
        return 1.0
    if rating not in IDEALISED_EL:
        raise ValueError(f"unknown rating {rating!r}; allowed: {', '.join(RATINGS)}")
    if not (math.isfinite(wal_years) and wal_years >= 0):
        raise ValueError(f"WAL must be a finite number of years >= 0, got {wal_years}")
    return float(np.interp(wal_years, HORIZONS, IDEALISED_EL[rating]))


def implied_rating(expected_loss: float, wal_years: float = 5.0) -> str:
    """Best rating whose idealised expected loss at ``wal_years`` is at least ``expected_loss``.

    Args:
        expected_loss: Expected loss as a fraction of the original balance (0.001 = 0.1 %).
        wal_years: The note's weighted-average life in years (see `idealised_el`).

    Returns:
        A Moody's-style symbol from `IDEALISED_EL`, or `BELOW_TABLE`.
    """
    for rating in IDEALISED_EL:
        if expected_loss <= idealised_el(rating, wal_years):
            return rating
    return BELOW_TABLE


@dataclass(frozen=True)
class RatingAssessment:
    """One note's implied rating and how sure a run of ``paths`` paths can be of it.

    Attributes:
        paths: Paths in the run.
        expected_loss: Mean loss over paths, fraction of the note's original balance.
        el_low, el_high: Interval for the expected loss (see `rating_assessment`).
        prob_loss: Share of paths with a loss; ``prob_low``, ``prob_high`` its Wilson interval.
        horizon_years: The WAL the idealised table was read at.
        rating: Implied rating of ``expected_loss``.
        best, worst: Implied ratings of ``el_low`` and ``el_high``: the range consistent with
            the run.
        resolution: Smallest expected loss the run can tell from zero.
        resolved: Whether ``resolution`` is at most the idealised loss of ``rating``.
        paths_needed: Paths a run needs to resolve ``rating`` (0 when resolved).
    """

    paths: int
    expected_loss: float
    el_low: float
    el_high: float
    prob_loss: float
    prob_low: float
    prob_high: float
    horizon_years: float
    rating: str
    best: str
    worst: str
    resolution: float
    resolved: bool
    paths_needed: int

    @property
    def label(self) -> str:
        """The rating as a report shows it: ``A2``, ``A2 (Aa3 to Baa1)`` or, when the run is too
        small, ``n/a: needs >= K paths (Aaa to A3)``."""
        span = "" if self.best == self.worst else f" ({self.best} to {self.worst})"
        if not self.resolved:
            return f"n/a: needs >= {self.paths_needed:,} paths{span}"
        return f"{self.rating}{span}"


def _t_interval(loss: np.ndarray, confidence: float) -> tuple[float, float]:
    n = loss.size
    if n < 2:
        return 0.0, 1.0
    mean = float(loss.mean())
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1) * loss.std(ddof=1) / math.sqrt(n))
    return max(0.0, mean - half), min(1.0, mean + half)


def rating_assessment(loss_pct: ArrayLike, any_loss: ArrayLike, wal_years: float,
                      confidence: float = 0.95) -> RatingAssessment:
    """A note's implied rating at its WAL, with intervals and whether the run resolves it.

    - Expected loss: the mean of ``loss_pct`` (the present-value loss `sim.abs.loss.pv_loss`
      that the idealised table is calibrated to) with a Student t interval; the upper end is
      raised to at least the Wilson upper bound of P(loss) times the mean loss of the paths
      that lost (100 % when none did), because a run in which few or no paths lost cannot show
      that losses are rarer than about 1 / N; the lower end is raised to at least the Wilson
      lower bound of P(loss) times the smallest loss of the paths that lost, because a run in
      which some paths lost shows that losses are at least about that common and, read as
      the run shows them, about that large (a t interval of a few losing paths reaches below
      0 and, cut there, would allow Aaa to a note losing on 2 of 12 paths). A path that
      does not count as losing may still show a small loss (interest paid late): the t
      interval includes it, the Wilson bounds leave it out, so both ends stay conservative.
    - P(loss): share of paths with a loss and its Wilson score interval
      (``scipy.stats.binomtest(...).proportion_ci(method="wilson")``).
    - Resolution: the Wilson upper bound of P(loss) when no path loses,
      ``z**2 / (N + z**2)``, times that severity; the rating is resolved when this is at most
      the rating's idealised expected loss at the WAL. Otherwise the run needs
      ``K = ceil(z**2 * (severity / limit - 1))`` paths to resolve it.

    Args:
        loss_pct: Loss per path, fraction of the note's original balance, shape (paths,):
            the present-value loss (``pv_loss_pct`` of `sim.abs.note_metrics`).
        any_loss: Whether each path lost (a writedown or unpaid interest of more than a
            cent), shape (paths,).
        wal_years: The note's WAL in years; NaN (no principal ever paid) reads the table at
            ten years, its longest horizon.
        confidence: Level of both intervals (0.95 = 95 %).

    Returns:
        A `RatingAssessment`.

    Raises:
        ValueError: If there are no paths, the arrays differ in length or ``confidence`` is
            not strictly between 0 and 1.
    """
    loss = np.asarray(loss_pct, dtype=float)
    hit = np.asarray(any_loss, dtype=bool)
    if loss.size == 0 or loss.shape != hit.shape:
        raise ValueError(f"need one loss and one any_loss per path, got {loss.shape} and "
                         f"{hit.shape}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    n, k = loss.size, int(hit.sum())
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
    severity = float(loss[hit].mean()) if k else 1.0
    t_low, t_high = _t_interval(loss, confidence)
    el = float(loss.mean())
    el_high = min(1.0, max(t_high, float(ci.high) * severity))
    el_low = max(t_low, float(ci.low) * float(loss[hit].min())) if k else t_low
    horizon = 10.0 if not math.isfinite(wal_years) else float(wal_years)
    rating = implied_rating(el, horizon)
    resolution = z * z / (n + z * z) * severity
    limit = idealised_el(rating, horizon)
    resolved = resolution <= limit
    needed = 0 if resolved else math.ceil(z * z * (severity / limit - 1.0))
    return RatingAssessment(
        paths=n, expected_loss=el, el_low=el_low, el_high=el_high, prob_loss=k / n,
        prob_low=float(ci.low), prob_high=float(ci.high), horizon_years=horizon, rating=rating,
        best=implied_rating(el_low, horizon), worst=implied_rating(el_high, horizon),
        resolution=resolution, resolved=resolved, paths_needed=needed,
    )
