"""Repayment models with closed-form answers, for checking the engine against theory.

Two benchmarks replace the borrowers' structural payment decision when
``repayment.model`` names them; the rest of the engine (billing, days past due,
charge-off, the books) runs unchanged, so a match between simulation and theory
checks those rules too.

- ``roll_chain``: delinquency as a Markov chain on the 30-day buckets. An account that
  has missed its last k due dates in a row misses again with a per-bucket probability,
  otherwise pays everything owed (cure to current); with ``close_prob`` a paying account
  closes its line. Solved by the chain's fundamental matrix (Kemeny and Snell, *Finite
  Markov Chains*, 1960, ch. III).
- ``one_factor``: the one-factor Gaussian (Vasicek) model. At each due date one systematic
  factor Z is drawn; each borrower at its first due date defaults with the conditional
  probability ``Phi((Phi^-1(pd) - sqrt(rho) Z) / sqrt(1 - rho))`` and never pays again.
  Across paths the default rate of a large cohort follows the Vasicek distribution
  (Vasicek, "The distribution of loan portfolio value", Risk 15(12), 2002).

Both draw full-length arrays at every due date (common random numbers).
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr, ndtri

from sim.config import RepaymentConfig
from sim.delinquency import months_behind

BENCHMARK_MODELS = ("roll_chain", "one_factor")


def conditional_pd(pd: float, rho: float, z: np.ndarray | float) -> np.ndarray:
    """Default probability given the systematic factor ``z`` (Vasicek 2002, eq. 2).

    ``Phi((Phi^-1(pd) - sqrt(rho) z) / sqrt(1 - rho))``; with ``rho = 0`` it is ``pd``.

    Args:
        pd: unconditional default probability, 0 < pd < 1.
        rho: asset correlation, 0 <= rho < 1.
        z: standard normal factor value(s), any shape.

    Returns:
        Array of probabilities, the shape of ``z``.
    """
    z = np.asarray(z, dtype=float)
    return ndtr((ndtri(pd) - np.sqrt(rho) * z) / np.sqrt(1.0 - rho))


def roll_probability(rep: RepaymentConfig, behind: np.ndarray) -> np.ndarray:
    """Probability of missing this due date for accounts ``behind`` due dates behind."""
    chain = rep.roll_chain
    table = np.array([chain.first_miss, *chain.forward])
    return table[np.minimum(behind, len(chain.forward))]


def benchmark_payments(rep: RepaymentConfig, month: int, oldest: np.ndarray,
                       onboard_month: np.ndarray, owed: np.ndarray,
                       rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Cents each account 0..n-1 pays at ``month``'s due date under a benchmark model.

    Args:
        rep: the repayment section; ``rep.model`` is one of :data:`BENCHMARK_MODELS`.
        month: the due date's month.
        oldest: due month of each account's oldest unpaid bill before paying (-1: none).
        onboard_month: month each account was opened.
        owed: cents owed by each account (billed and unpaid).
        rng: the path's repayment stream.

    Returns:
        (cents paid, accounts whose line closes now), both of shape ``owed.shape``;
        every payment is 0 or all of ``owed``.

    Raises:
        ValueError: ``rep.model`` is not a benchmark model.
    """
    n = owed.shape[0]
    due = owed > 0
    if rep.model == "roll_chain":
        u = rng.random((2, n))
        behind = months_behind(month, oldest)
        miss = due & (u[0] < roll_probability(rep, behind))
        close = due & ~miss & (u[1] < rep.roll_chain.close_prob)
        return np.where(miss, 0, owed), close
    if rep.model == "one_factor":
        z = float(rng.standard_normal())
        draws = rng.random(n)
        first = due & (onboard_month == month - 1)
        pd_z = conditional_pd(rep.one_factor.pd, rep.one_factor.rho, z)
        defaulted = (first & (draws < pd_z)) | (months_behind(month, oldest) > 0)
        return np.where(defaulted, 0, owed), np.zeros(n, dtype=bool)
    raise ValueError(f"repayment.model = {rep.model!r} is not one of {BENCHMARK_MODELS}")
