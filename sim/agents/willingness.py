"""The willingness trait's inverse Beta CDF, and the wobble of a month's willingness.

A borrower's willingness to pay is drawn once, by inverse CDF from a Beta of the config's
mean and concentration (:func:`willingness`): scipy's numerical inversion (UNU.RAN's PINV)
on large books, ``scipy.special.betaincinv`` otherwise, as the function's docstring details
with the measurements behind each constant. :func:`wobble_matters_below` gives the
willingness above which the month's wobble cannot make a borrower refuse a bill.
:class:`sim.agents.borrowers.BorrowerPool` uses both.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable

import numpy as np
from scipy.special import betaincinv, ndtri

WILLINGNESS_U_RESOLUTION = 1e-14
"""The u-error ``|betainc(a, b, x) - u|`` asked of the numerical inversion of the willingness
Beta (:func:`willingness`); at 1e-15 its setup fails."""
PINV_PDF_CALLS = 100_000
"""The densities a setup of the numerical inversion may evaluate before it is given up and
the willingness Beta is inverted by ``betaincinv`` (a setup that succeeds takes 15,000-36,000)."""
PINV_MIN_DRAWS = 100_000
"""The fewest uniforms (borrower slots of a path) for which :func:`willingness` uses the
numerical inversion. Its setup costs each process 0.28 s, and 0.7-1.0 s where scipy.stats is
not yet loaded (a book without early warning); it saves 1.25 microseconds a slot (betaincinv's
0.24 s on the 190,000 slots of a 100k path, 0.024 s on the 19,000 of a 10k one). From
100,000 slots a path repays the setup within 2-8 paths; below it, smaller runs (the shipped
configs' 10k books, a trace, the validation's books) would pay more than they save, and keep
betaincinv's values exactly."""
PINV_ERROR_POINTS = 100_000
"""The equally spaced uniforms on which the setup's own u-error estimate is taken (0.18 s;
on 10,000 the estimate misses more of the error between its points)."""


def willingness(mean: float, concentration: float, u: np.ndarray) -> np.ndarray:
    """Beta(mean * concentration, (1 - mean) * concentration) willingness, by inverse CDF.

    Taking one uniform ``u`` per borrower whatever the parameters (even when the Beta
    degenerates to a point at mean 0 or 1) keeps the traits drawn after willingness the
    same when the willingness parameters change.

    For at least :data:`PINV_MIN_DRAWS` uniforms (a path's borrower slots: those at launch
    and those onboarded over the horizon) the inverse CDF is scipy's numerical inversion
    (UNU.RAN's PINV, ``scipy.stats.sampling.NumericalInversePolynomial`` on
    ``scipy.stats.beta(a, b)``, u-error :data:`WILLINGNESS_U_RESOLUTION`) where it can be set
    up to that resolution (:func:`beta_inverse`); otherwise it is the exact
    ``scipy.special.betaincinv``. The degenerate Betas (``a`` or ``b`` at most 0) are 1 or 0
    whatever ``u``. Both engines call this function on the same number of slots, so they
    choose the same way; a policy comparison runs one book size, so its scenarios do too. The
    inversion is set up once
    per process and parameter pair: for the shipped Beta(38.8, 1.2) (mean 0.97, concentration
    40) 0.28 s (0.1 s the setup, 0.18 s its error estimate), and importing scipy.stats takes
    0.4-0.6 s more where nothing else has; then the 190,000 slots of a 100k path take 0.005 s
    against betaincinv's 0.24 s (scipy 1.17). Against betaincinv the willingness moves by at
    most 1.3e-10 on those 190,000 uniforms (u-error 1.0e-14), and by up to 0.016 in the
    outermost 1e-14 of ``u`` (below 1e-14 or above 1 - 1e-14, where the CDF is within the
    resolution of 0 or 1: a chance of 2e-14 a draw). PINV is used only where

    * there is no pole: ``a >= 1`` and ``b >= 1``. With a pole, over 337 pairs of a grid
      (means 0.001-0.999, concentrations 1-10^4), its setup warned for 90, overflowed for 26
      and ran more than 5 s for 107 (Beta(0.5, 0.5): 31 s inside UNU.RAN); where its own
      estimate passed, the u-error elsewhere reached 1.4e-13 (near the pole);
    * its setup raises no error and no warning (UNU.RAN's warnings are made errors), within
      :data:`PINV_PDF_CALLS` evaluations of the density. Of the grid's 1,119 pairs without a
      pole, 1,075 set up with 15,000-36,000 evaluations; 39 would run on (b near 2 with a
      large a, concentrations above about 2,000 with a high mean: past 1,000,000
      evaluations in 3-8 s) and now fall back in 0.3-0.5 s; 5 warn, 4 of them (b within 0.08
      of 1) after about 5 s inside UNU.RAN, which the budget does not bound;
    * its u-error estimate (``u_error`` on :data:`PINV_ERROR_POINTS` equally spaced
      uniforms) is at most the resolution: 360 of the 1,119 pairs and 99 of 324 random ones,
      the shipped one among them (9.99e-15; Beta(38.8, 1.2) written exactly falls back: the
      shipped mean and concentration give b = 1.2 + 1e-15); off the estimate's points, on
      306,000 other uniforms with both tails, the u-error of those reached 1.1e-14.

    With the same uniforms a higher mean never lowers anyone's willingness: the Beta grows
    stochastically with its mean. That holds exactly (to betaincinv's rounding) where both
    parameter pairs fall back to betaincinv, and up to the resolution where PINV inverts
    either: with u-errors at most ``e``, the higher mean's willingness at ``u`` is at least
    the lower mean's exact inverse at ``u - e`` and the lower mean's at most that inverse at
    ``u + e``. In the same way PINV's inverse grows with ``u`` (measured on a million sorted
    uniforms) except in the outermost 1e-14 of ``u``, where it can fall by up to 3e-6.
    """
    a, b = mean * concentration, (1.0 - mean) * concentration
    if b <= 0.0:
        return np.ones_like(u)
    if a <= 0.0:
        return np.zeros_like(u)
    inverse = beta_inverse(a, b) if u.size >= PINV_MIN_DRAWS else None
    if inverse is None:
        return betaincinv(a, b, u)  # = scipy.stats.beta.ppf, without loading scipy.stats
    return inverse(u)


@functools.lru_cache(maxsize=16)
def beta_inverse(a: float, b: float) -> Callable[[np.ndarray], np.ndarray] | None:
    """The numerical inverse CDF of Beta(``a``, ``b``) to :data:`WILLINGNESS_U_RESOLUTION`
    (PINV's ``ppf``), or None where it cannot be set up to it (see :func:`willingness`: a
    pole, an error or warning, more than :data:`PINV_PDF_CALLS` densities, or an error
    estimate above the resolution). The setup is deterministic: the same pair gives the same
    inverse in every process, so the cache (per process) changes no result.

    scipy.stats (about 0.5 s of imports) is loaded here, on the first call, not when the
    module is.
    """
    if a < 1.0 or b < 1.0:
        return None
    from scipy.stats import beta
    from scipy.stats.sampling import NumericalInversePolynomial

    class BudgetedBeta(type(beta)):  # type: ignore[misc]  # scipy.stats.beta's class
        """scipy's Beta, counting its density's evaluations: past the setup's budget it
        answers 0, which ends the setup at once (an exception raised in the density is kept
        by scipy until UNU.RAN returns, up to 8 s later), and the setup is then discarded."""

        calls = 0

        def _pdf(self, x: float, a: float, b: float) -> float:
            self.calls += 1
            return 0.0 if self.calls > PINV_PDF_CALLS else super()._pdf(x, a, b)

    frozen = BudgetedBeta(a=0.0, b=1.0, name="beta")(a, b)
    # the mode (where a > 1 and b > 1) tells PINV where the mass is: without it the setup
    # of Beta(97, 3) runs on
    mode = (a - 1.0) / (a + b - 2.0) if a > 1.0 and b > 1.0 else None
    centre = a / (a + b) if mode is None else mode
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            inverse = NumericalInversePolynomial(frozen, mode=mode, center=centre,
                                                 u_resolution=WILLINGNESS_U_RESOLUTION)
            error = inverse.u_error(PINV_ERROR_POINTS).max_error
    except (ArithmeticError, RuntimeError, ValueError, Warning):
        return None
    if frozen.dist.calls > PINV_PDF_CALLS or not error <= WILLINGNESS_U_RESOLUTION:
        return None
    return inverse.ppf


WOBBLE_U_MIN = 1e-12
"""The willingness wobble's uniform is clipped to ``[WOBBLE_U_MIN, 1 - WOBBLE_U_MIN]`` before
its inverse normal CDF (so the normal is finite: at least ``ndtri(WOBBLE_U_MIN)``, -7.03)."""


def wobble_matters_below(wobble_sd: float) -> float:
    """The willingness below which the month's wobble (s.d. ``wobble_sd`` > 0) can make a
    borrower refuse a bill: ``0.5 - wobble_sd * ndtri(WOBBLE_U_MIN)`` plus a margin of
    1e-9, far above the rounding of ``willingness + wobble_sd * z``. At or above it,
    ``willingness + wobble_sd * z >= 0.5`` for every draw, so the wobble's normal need not
    be computed (:meth:`BorrowerPool.payment_draws`)."""
    return 0.5 - wobble_sd * float(ndtri(WOBBLE_U_MIN)) + 1e-9
