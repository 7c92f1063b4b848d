"""The Portfolio page's headline cards: each says what its metric is and in what unit."""

from __future__ import annotations

from types import SimpleNamespace

from dashboard.figures.compare import metric_label
from dashboard.pages import portfolio
from sim.metrics import KEY_METRICS, metric_definition, unit_text


def _parts(card) -> dict[str, str]:  # noqa: ANN001 - a Dash html.Div
    return {child.className: child.children for child in card.children}


def test_each_headline_card_carries_its_definition_and_unit(small_run):
    """Issue example: 'Cumulative charge-off rate 0.477 %' beside 'Annualised charge-off rate
    2.477 %' and 'Borrower default rate 10.646 %' said nothing of their denominators, and
    'Collection cost 904,886' not that it is each path's total over the horizon."""
    cards = portfolio._kpis(SimpleNamespace(paths=small_run.paths))
    shown = [m for m in KEY_METRICS if m in small_run.paths]
    assert len(cards) == len(shown) == len(KEY_METRICS)
    for card, metric in zip(cards, shown, strict=True):
        parts, definition = _parts(card), metric_definition(metric)
        assert parts["kpi-label"] == metric_label(metric)
        assert parts["kpi-def"] == definition.formula
        assert parts["kpi-unit"] == unit_text(metric)
        assert definition.text in card.title  # the whole of README's words on hover
    by_metric = {m: _parts(c) for m, c in zip(shown, cards, strict=True)}
    assert by_metric["cumulative_charge_off_rate"]["kpi-def"] == "charge-offs / new purchases"
    assert by_metric["annualised_charge_off_rate"]["kpi-def"] == (
        "charge-offs / mean receivables x 12 / months")
    assert by_metric["borrower_default_rate"]["kpi-def"] == (
        "accounts charged off / borrowers onboarded")
    assert by_metric["collection_cost"]["kpi-unit"] == (
        "currency units, each path's total over the horizon")
    assert by_metric["recovery_rate"]["kpi-unit"].startswith("%")
