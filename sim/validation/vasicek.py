"""Oracle: the distribution of portfolio default rates under one systematic factor.

The engine runs the benchmark book with ``repayment.model: one_factor``: at the first
due date each path draws a standard normal factor Z and each borrower defaults with
``p(Z) = Phi((Phi^-1(PD) - sqrt(rho) Z) / sqrt(1 - rho))``; defaulters never pay and are
charged off at 180 days. The cohort's default rate across paths is then a binomial
mixture ``P(K = k) = E_Z[Binom(k; n, p(Z))]``, which tends to the Vasicek distribution
``F(x) = Phi((sqrt(1 - rho) Phi^-1(x) - Phi^-1(PD)) / sqrt(rho))`` as n grows (Vasicek,
"The distribution of loan portfolio value", Risk 15(12), 2002). The simulated rates
are compared with the mixture (exact for the finite pool): mean, quantiles and a
Kolmogorov-Smirnov statistic.
"""

from __future__ import annotations

import numpy as np
from scipy import stats
from scipy.special import gammaln, ndtri, xlog1py, xlogy

from sim.agents.benchmark_models import conditional_pd
from sim.montecarlo import run_paths
from sim.validation.books import benchmark_config
from sim.validation.core import Z_ORACLE, Check, Settings, normal_interval, register

PD, RHO = 0.05, 0.15
BORROWERS = 2000
MONTHS = 8  # first due date at month 1, six misses, charged off at month 7
QUANTILES = (0.5, 0.9, 0.99)
ALPHA = 2 * stats.norm.sf(Z_ORACLE)  # false-alarm rate of a 4-SE two-sided check
SOURCE = "Vasicek (2002), finite-pool mixture"


def vasicek_cdf(x: np.ndarray | float, pd: float, rho: float) -> np.ndarray:
    """Large-pool CDF of the default rate (Vasicek 2002, eq. 5).

    ``F(x) = Phi((sqrt(1 - rho) Phi^-1(x) - Phi^-1(pd)) / sqrt(rho))``, for rho > 0.
    """
    x = np.clip(np.asarray(x, dtype=float), 1e-300, 1 - 1e-16)
    return stats.norm.cdf((np.sqrt(1 - rho) * ndtri(x) - ndtri(pd)) / np.sqrt(rho))


class BinomialMixture:
    """Number of defaults K among ``n`` borrowers given one normal factor (exact law).

    ``P(K = k) = integral Binom(k; n, p(z)) phi(z) dz``, by the trapezoid rule on ``nodes``
    points of z in [-9, 9] (the integrand is smooth; the tails beyond hold < 1e-18).
    """

    def __init__(self, n: int, pd: float, rho: float, nodes: int = 1201):
        z = np.linspace(-9.0, 9.0, nodes)
        w = stats.norm.pdf(z)
        w[[0, -1]] /= 2
        w = w / w.sum()
        p = conditional_pd(pd, rho, z)
        k = np.arange(n + 1)
        self.n = n
        # binomial pmf for every (k, z) by logs: xlogy and xlog1py make 0 log 0 = 0
        log_choose = gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1)
        log_pmf = (log_choose[:, None] + xlogy(k[:, None], p[None, :])
                   + xlog1py((n - k)[:, None], -p[None, :]))
        self.pmf = np.exp(log_pmf) @ w
        self.cdf_k = np.cumsum(self.pmf)
        self.cdf_k[-1] = 1.0

    def cdf(self, rate: np.ndarray | float) -> np.ndarray:
        """P(K / n <= rate)."""
        k = np.floor(np.asarray(rate, dtype=float) * self.n + 1e-9).astype(np.int64)
        return np.where(k < 0, 0.0, self.cdf_k[np.clip(k, 0, self.n)])

    def quantile(self, q: float) -> float:
        """Smallest rate k / n with P(K / n <= rate) >= q."""
        return int(np.searchsorted(self.cdf_k, q)) / self.n

    def mean_sd(self) -> tuple[float, float]:
        """Mean and standard deviation of the rate K / n."""
        r = np.arange(self.n + 1) / self.n
        mean = float(self.pmf @ r)
        return mean, float(np.sqrt(self.pmf @ r**2 - mean**2))

    def density(self, rate: float, width: float) -> float:
        """Average density of the rate over ``rate ± width`` (per unit of rate)."""
        lo, hi = self.cdf(rate - width), self.cdf(rate + width)
        return float(hi - lo) / (2 * width)


def default_rates(settings: Settings, paths: int, overrides: dict | None = None,
                  name: str = "vasicek") -> np.ndarray:
    """Cohort default rate (charged off / borrowers) of each of ``paths`` engine paths."""
    config = benchmark_config(
        {"model": "one_factor", "one_factor": {"pd": PD, "rho": RHO}},
        {"initial_borrowers": BORROWERS, "new_borrowers_per_month": 0,
         "horizon_months": MONTHS}, overrides)
    results = run_paths(config, paths, settings.seed_for(name), settings.workers)
    return np.array([r.monthly["charged_off_accounts"].sum() for r in results]) / BORROWERS


def vasicek_rows(settings: Settings, paths: int, overrides: dict | None = None,
                 name: str = "vasicek") -> list[Check]:
    """Compare the engine's default-rate distribution with the binomial mixture.

    ``overrides`` change the simulated book only (the exact side keeps PD and rho).
    """
    rates = default_rates(settings, paths, overrides, name)
    law = BinomialMixture(BORROWERS, PD, RHO)
    mean, sd = law.mean_sd()
    se = sd / np.sqrt(paths)
    est = float(rates.mean())
    rows = [Check(f"{name}.mean_rate", "oracle", SOURCE + ": E = PD", est,
                  *normal_interval(est, se), mean, Z_ORACLE * se,
                  note=f"Mean over {paths} paths of the cohort's default rate ({BORROWERS:,} "
                       f"borrowers, PD {PD:g}, rho {RHO:g}); SE = the mixture's s.d. / "
                       f"sqrt(paths). The factor is drawn per path at the first due date.",
                  fmt=".4f")]
    for q in QUANTILES:
        rows.append(_quantile_row(rates, law, q, name))
    rows.append(_ks_row(rates, law, name))
    return rows


def _quantile_row(rates: np.ndarray, law: BinomialMixture, q: float, name: str) -> Check:
    paths = rates.size
    target = law.quantile(q)
    est = float(np.quantile(rates, q, method="inverted_cdf"))
    s = np.sqrt(q * (1 - q) / paths)
    density = law.density(target, max(4.0 / law.n, 0.1 * target))
    se = s / density
    return Check(
        f"{name}.rate_q{round(q * 100)}", "oracle", SOURCE + f": {q:.0%} quantile", est,
        *normal_interval(est, se), target, Z_ORACLE * se + 1.0 / law.n,
        note=f"Sample quantile over {paths} paths; SE = sqrt(q(1-q)/paths) / density at the "
             f"exact quantile (asymptotic order statistic), plus one borrower's step "
             f"(1/{law.n}).",
        fmt=".4f")


def _ks_row(rates: np.ndarray, law: BinomialMixture, name: str) -> Check:
    res = stats.kstest(rates, law.cdf)
    critical = float(stats.kstwo.ppf(1 - ALPHA, rates.size))
    return Check(
        f"{name}.ks_statistic", "oracle", SOURCE + ": Kolmogorov-Smirnov",
        float(res.statistic), float("nan"), float("nan"), 0.0, critical,
        comparison="at_most",
        note=f"sup |F_paths - F_mixture| over {rates.size} paths (p-value {res.pvalue:.3g}); "
             f"fails above the critical value at alpha = {ALPHA:.1e} (the 4-SE false-alarm "
             f"rate; conservative for a discrete law).",
        fmt=".4f")


@register("vasicek", "oracle", quick=True, paths=(150, 1000))
def vasicek_check(settings: Settings, paths: int) -> list[Check]:
    """One-factor Gaussian defaults: mean, quantiles and KS vs the Vasicek binomial mixture."""
    return vasicek_rows(settings, paths)
