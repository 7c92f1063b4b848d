"""Compare page figures: two runs on the same axes, and their paired differences."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import plotly.graph_objects as go

from dashboard import theme
from dashboard.aggregate.portfolio import SERIES
from dashboard.figures.common import add_fan, band_words, empty_figure, new_figure
from sim.compare import Pairing, false_discovery_note, significance_text
from sim.metrics import amounts_note, format_metric, is_rate, verdict

METRIC_LABELS = {
    "cumulative_charge_off_rate": "Cumulative charge-off rate",
    "charge_off_rate_with_pipeline": "Charge-off rate with the pipeline",
    "net_loss_rate": "Net loss rate",
    "recovery_rate": "Recovery rate",
    "annualised_charge_off_rate": "Annualised charge-off rate",
    "borrower_default_rate": "Borrower default rate",
    "peak_dpd30_rate": "Peak 30+ dpd rate (month 12 on)",
}


def metric_label(metric: str) -> str:
    """Display name of a per-path metric (``net_loss_rate`` → ``Net loss rate``,
    ``note_pv_loss_senior`` → ``Note PV loss senior``)."""
    if metric.startswith("note_pv_loss_"):
        return f"Note PV loss {metric.removeprefix('note_pv_loss_')}"
    return METRIC_LABELS.get(metric, metric.replace("_", " ").capitalize())


def _fmt(metric: str, value: float, signed: bool = False) -> str:
    """The CLI's number format (:func:`sim.metrics.format_metric`), so that A, B and
    B - A read in the same units on both."""
    return format_metric(metric, value, signed)


def compare_fan(fans_a: pd.DataFrame, fans_b: pd.DataFrame, series: str,
                labels: tuple[str, str] = ("A", "B")) -> go.Figure:
    """One series of two runs on the same axes: medians and bands, 5-95 % or the paths'
    whole range below 20 paths (:func:`~dashboard.figures.common.band_words`), which the
    title names (each run's, when they differ).

    Args:
        fans_a: Fan table of run A.
        fans_b: Fan table of run B.
        series: Column of :data:`~dashboard.aggregate.portfolio.SERIES`.
        labels: Legend names of A and B.
    """
    meta = SERIES[series]
    frames = [fans[fans["series"] == series] for fans in (fans_a, fans_b)]
    band_a, band_b = (band_words(frame) for frame in frames)
    band = f"median and {band_a}" if band_a == band_b else f"median; A: {band_a}, B: {band_b}"
    fig = new_figure(f"{meta.title}: A and B ({band})",
                     "month of the horizon", meta.axis, meta.unit)
    for frame, label, side, dash in ((frames[0], labels[0], "A", None),
                                     (frames[1], labels[1], "B", "dash")):
        if not frame.empty:
            add_fan(fig, frame, label, theme.RUN_COLOURS[side], dash=dash)
    return fig


VERDICT_COLOURS = {"better": theme.POSITIVE, "worse": theme.NEGATIVE, "neutral": theme.NEUTRAL}
VERDICT_NAMES = {
    "better": "B better (significant)",
    "worse": "B worse (significant)",
    "neutral": "not significant, or neither better nor worse",
}
"""Legend entries of the difference chart's colours: better or worse by the metric's
direction (:func:`sim.metrics.verdict`), grey when not judged significant or when the
metric has no better direction (a share such as ``human_contact_share``)."""
VERDICT_CAPTION = ("green: B better, red: B worse (significant, by each metric's better "
                   "direction); grey: not significant or no better direction")


ROW_PX = 24
"""Height of a metric's row on the difference chart (pixels)."""


def difference_chart(comparison: pd.DataFrame, paired: bool = True) -> go.Figure:
    """Difference B - A of each rate metric with its 95 % confidence interval.

    A difference judged significant is green when B is better and red when B is worse,
    by the metric's better direction (:data:`sim.metrics.BETTER`: a fall in a loss rate
    is better, a fall in ``recovery_rate`` worse); grey when it is not significant or
    neither direction of the metric is better (``human_contact_share``). The legend and
    a subtitle say so. Every metric the table shows in percentage points is drawn
    (:func:`sim.metrics.is_rate`); amounts (costs) and counts are left to the table, as
    they do not share the axis.

    Args:
        comparison: :func:`sim.compare.paired_comparison` output (fractions).
        paired: Whether the interval is paired; the title says which it is.
    """
    if comparison.empty:
        return empty_figure("nothing to compare", "Paired differences")
    df = comparison.iloc[::-1]
    df = df[[is_rate(m) for m in df["metric"]]].reset_index(drop=True)
    labels = [metric_label(m) for m in df["metric"]]
    diff = df["difference"].to_numpy() * 100
    verdicts = significant_verdicts(df["metric"], df["difference"], df["significant"])
    kind = "Paired" if paired else "UNPAIRED (Welch)"
    fig = new_figure(f"{kind} difference B - A per metric, with 95 % confidence interval",
                     "B - A (percentage points)", "", unit="",
                     height=max(380, 170 + ROW_PX * len(df)), subtitle=VERDICT_CAPTION)
    high, low = df["ci_high"].to_numpy() * 100 - diff, diff - df["ci_low"].to_numpy() * 100
    for name in ("better", "worse", "neutral"):
        rows = [i for i, v in enumerate(verdicts) if v == name]
        if not rows:
            continue
        fig.add_trace(go.Scatter(
            x=diff[rows], y=[labels[i] for i in rows], mode="markers",
            name=VERDICT_NAMES[name], legendgroup=name,
            marker={"color": VERDICT_COLOURS[name], "size": 10},
            error_x={"type": "data", "symmetric": False, "array": high[rows],
                     "arrayminus": low[rows], "color": theme.INK, "thickness": 1.5},
            hovertemplate="%{y}: %{x:+.3f} pp<extra></extra>",
        ))
    if paired and "unpaired_ci_low" in df:
        fig.add_trace(go.Scatter(
            x=diff, y=labels, mode="markers", name="unpaired 95 % CI (for contrast)",
            marker={"color": "rgba(0,0,0,0)", "size": 1},
            error_x={"type": "data", "symmetric": False,
                     "array": df["unpaired_ci_high"].to_numpy() * 100 - diff,
                     "arrayminus": diff - df["unpaired_ci_low"].to_numpy() * 100,
                     "color": theme.rgba(theme.NEUTRAL, 0.5), "thickness": 6, "width": 0},
            hoverinfo="skip",
        ))
    fig.add_vline(x=0, line={"color": theme.MUTED, "dash": "dot"})
    fig.update_xaxes(ticksuffix=" pp")
    # the traces split the metrics by colour; the axis keeps the table's order and names
    # every row (left to itself, plotly labels every other row of a crowded axis)
    fig.update_yaxes(categoryorder="array", categoryarray=labels, tickmode="array",
                     tickvals=labels)
    fig.update_layout(hovermode="closest", margin={"l": 200})
    return fig


def _judged(value: object) -> bool:
    """True for a difference judged significant (False for no, or not judged)."""
    return value is not None and value == value and bool(value)


def significant_verdicts(metrics: Iterable[str], differences: Iterable[float],
                         significant: Iterable[object]) -> list[str]:
    """The colour key of each difference: its :func:`sim.metrics.verdict` (``"better"``,
    ``"worse"``) where it is judged significant, ``"neutral"`` where not (or not judged)."""
    return [verdict(m, d) if _judged(s) else "neutral"
            for m, d, s in zip(metrics, differences, significant, strict=True)]


def judgement_notes(table: pd.DataFrame) -> list[str]:
    """The caption's sentences on how significance is judged over ``table`` (the false
    discovery rate's note) and on the money rows' units; those that apply."""
    fdr, money = false_discovery_note(table), amounts_note(table["metric"])
    return ([f"{fdr[0].upper()}{fdr[1:]}"] if fdr else []) + (
        [f"Money rows ({money})."] if money else [])


def comparison_rows(comparison: pd.DataFrame) -> list[dict]:
    """Rows of the difference table in the CLI's number format (one format for A, B and
    B - A), with n of each run; ``significant`` is ``n/a`` below the stated path count."""
    rows = []
    for r in comparison.itertuples(index=False):
        m = r.metric
        rows.append({
            "metric": metric_label(m), "A": _fmt(m, r.mean_a), "B": _fmt(m, r.mean_b),
            "n": f"{r.n_a} / {r.n_b}",
            "difference": _fmt(m, r.difference, True),
            "ci": f"[{_fmt(m, r.ci_low, True)}, {_fmt(m, r.ci_high, True)}]",
            "unpaired_ci": f"[{_fmt(m, r.unpaired_ci_low, True)}, "
                           f"{_fmt(m, r.unpaired_ci_high, True)}]",
            "significant": significance_text(r.significant, r.significant_alone, r.p_value,
                                             min(r.n_a, r.n_b)),
        })
    return rows


def comparison_columns(pairing: Pairing) -> list[dict]:
    """Columns of the difference table; the interval column says whether it is paired."""
    columns = [
        {"id": "metric", "name": "metric"},
        {"id": "n", "name": "n (A / B)"},
        {"id": "A", "name": "mean A"},
        {"id": "B", "name": "mean B"},
        {"id": "difference", "name": "B - A"},
        {"id": "ci", "name": pairing.interval_name.replace("95%", "95 %")},
    ]
    if pairing.paired:
        columns.append({"id": "unpaired_ci", "name": "95 % CI (unpaired, for contrast)"})
    return columns + [{"id": "significant", "name": "significant"}]


def caption(comparison: pd.DataFrame, pairing: Pairing) -> str:
    """What the table's intervals are, with n, and how significance is judged."""
    if comparison.empty:
        return ""
    r = comparison.iloc[0]
    fdr = "".join(f" {note}" for note in judgement_notes(comparison))
    if pairing.paired:
        return (f"{int(r['paths'])} paired paths. Intervals are paired t intervals of the "
                "mean path-by-path difference (scipy.stats.ttest_rel); the unpaired one "
                "(Welch) ignores the pairing." + fdr)
    return (f"NOT PAIRED ({'; '.join(pairing.reasons)}): n = {int(r['n_a'])} paths in A, "
            f"{int(r['n_b'])} in B; intervals are Welch's for independent samples "
            "(scipy.stats.ttest_ind, unequal variances)." + fdr)
