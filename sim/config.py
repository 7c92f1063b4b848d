"""Validated run configuration.

A run is described by one YAML file in ``configs/``. It is loaded into :class:`RunConfig`
and its section models (:class:`BookConfig` here, the others in :mod:`sim.config_economy`,
:mod:`sim.config_borrowers`, :mod:`sim.config_credit` and :mod:`sim.config_collections`,
re-exported here), which reject unknown keys, wrong types and out-of-range values with a
message naming the key path, the value given and what is allowed. A file may name a
``base`` file and override only a few keys: scenarios are overrides, never copies.

Units: money is in currency units (the engine books it in integer cents), rates are
fractions (0.05 = 5 %), hazards and probabilities are per month unless the field
says otherwise, durations are in months or days as named.
"""

from __future__ import annotations

import types
from pathlib import Path
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, Field, ValidationError, model_validator

from sim.abs.deal import Deal
from sim.config_base import (  # noqa: F401 - re-exported
    MAX_MONEY,
    PLAN_TERMS,
    FeeTerm,
    NonNeg,
    PlanTerm,
    Prob,
    Weight,
    _Model,
)
from sim.config_borrowers import (  # noqa: F401 - re-exported
    BORROWER_TYPES,
    BorrowerTypesConfig,
    OneFactorConfig,
    RepaymentConfig,
    RollChainConfig,
    SpendingConfig,
)
from sim.config_collections import (  # noqa: F401 - re-exported
    CHANNELS,
    ArrangementsConfig,
    CapsConfig,
    ChannelConfig,
    CollectionsConfig,
    CollectorsConfig,
    DebtSaleConfig,
    EarlyWarningConfig,
    ExperimentConfig,
    HardshipConfig,
    LadderStep,
    LegalConfig,
    NudgeConfig,
    ReageConfig,
    _default_channels,
    _default_ladder,
)
from sim.config_credit import (  # noqa: F401 - re-exported
    BillingConfig,
    CreditLineConfig,
    RecoveryConfig,
    ScoreConfig,
    largest_episode_balance,
)
from sim.config_economy import (  # noqa: F401 - re-exported
    BaseRateConfig,
    IncomeConfig,
    MacroConfig,
    ShockConfig,
)
from sim.configfile import (  # noqa: F401 - re-exported
    ConfigError,
    ConfigWarning,
    deal_file_as_config,
    manifest_as_config,
    merge_over_base,
    read_config_file,
)
from sim.configwords import choices, format_errors, number_text  # noqa: F401 - re-exported

MAX_NAME = 100  # characters of a config name: it is part of a run's folder name
UNNAMED = "unnamed"  # the name of a config built in Python without one
MAX_PATHS = 100_000
MAX_LAUNCH_BORROWERS = 5_000_000
"""Most borrowers a book may onboard at month 0 (``book.initial_borrowers``)."""
MAX_BORROWERS = MAX_LAUNCH_BORROWERS + 1_000_000 * 239  # most borrower slots a book may have
MAX_SEED = 2**63 - 1  # a root seed fits a signed 64-bit integer (manifest, tables)


class BookConfig(_Model):
    """Size and growth of the book of borrowers."""

    initial_borrowers: int = Field(
        20_000, ge=1, le=MAX_LAUNCH_BORROWERS,
        description="Borrowers onboarded at month 0 (count; the book's size is the user's "
        "scenario, not behaviour)."
    )
    new_borrowers_per_month: int = Field(
        500, ge=0, le=1_000_000, description="Borrowers onboarded at the start of each later month."
    )
    horizon_months: int = Field(60, ge=1, le=240, description="Months simulated per path.")


class RunConfig(_Model):
    """Everything one run needs."""

    name: str = Field(UNNAMED, min_length=1, max_length=MAX_NAME,
                      description="Name shown in reports; part of each run's folder name. "
                      "A config file without one takes its file's name (b.yaml: b); a config "
                      "built in Python without one is 'unnamed', or 'unnamed-<scenario>' when "
                      "macro.scenario is not 'baseline' (unnamed-recession).")
    description: str = Field("", description="What this configuration represents.")
    paths: int = Field(100, ge=1, le=MAX_PATHS, description="Default number of Monte Carlo paths.")
    seed: int = Field(20261122, ge=0, le=MAX_SEED, description="Default root seed.")
    book: BookConfig = BookConfig()
    macro: MacroConfig = MacroConfig()
    income: IncomeConfig = IncomeConfig()
    spending: SpendingConfig = SpendingConfig()
    repayment: RepaymentConfig = RepaymentConfig()
    score: ScoreConfig = ScoreConfig()
    credit_line: CreditLineConfig = CreditLineConfig()
    billing: BillingConfig = BillingConfig()
    recovery: RecoveryConfig = RecoveryConfig()
    collections: CollectionsConfig = CollectionsConfig()
    early_warning: EarlyWarningConfig = EarlyWarningConfig()
    nudges: NudgeConfig = NudgeConfig()
    experiment: ExperimentConfig = ExperimentConfig()
    deal: Deal | None = Field(
        None, description="Securitisation of the receivables (sim.abs.Deal, notes sized as "
        "shares of the cut-off pool); a mapping or a YAML file name."
    )

    @model_validator(mode="before")
    @classmethod
    def _name_when_none(cls, data: Any) -> Any:
        # Before validation, so that the derived name is checked like a written one.
        if not isinstance(data, dict) or "name" in data:
            return data
        macro = data.get("macro")
        scenario = (macro.get("scenario") if isinstance(macro, dict)
                    else getattr(macro, "scenario", None))
        return {**data, "name": default_name(scenario)}

    @model_validator(mode="after")
    def _deal_fits(self) -> RunConfig:
        if self.deal is None:
            return self
        deal, horizon = self.deal, self.book.horizon_months
        if not deal.share_sized:
            raise ValueError("deal.notes: give each note a size (its share of the cut-off "
                             "pool, 0 to 1), not a balance: the pool is only known at the cut-off")
        if deal.cutoff_month >= horizon:
            raise ValueError(
                f"deal.cutoff_month = {deal.cutoff_month} must be before the end of the "
                f"horizon (book.horizon_months = {horizon}); lengthen the horizon, or run "
                f"without the deal (--deal none, or deal: null in the config)")
        if deal.cutoff_month + deal.revolving_months >= horizon:
            raise ValueError(
                f"deal.revolving_months = {deal.revolving_months} after deal.cutoff_month = "
                f"{deal.cutoff_month} leaves no month to amortise before the end of the horizon "
                f"(book.horizon_months = {horizon}); shorten the revolving period or lengthen "
                f"the horizon, or run without the deal (--deal none, or deal: null in the "
                f"config)")
        return self

    @model_validator(mode="after")
    def _balances_fit_ledger(self) -> RunConfig:
        top = largest_episode_balance(self.credit_line, self.billing)
        from sim.ledger import MAX_ACCOUNT_CENTS  # the ledger's cells are int32 cents

        if top * 100.0 > MAX_ACCOUNT_CENTS:
            raise ValueError(
                f"credit_line.max_limit = {self.credit_line.max_limit:g} with these fees "
                f"(billing.instalment_fee up to {max(self.billing.instalment_fee.values()):g} "
                f"a month, billing.late_fee_daily = {self.billing.late_fee_daily:g}) lets a "
                f"balance reach {top:,.0f} before charge-off; the ledger holds at most "
                f"{MAX_ACCOUNT_CENTS / 100:,.2f} per account: lower max_limit or the fees")
        return self

    @property
    def capacity(self) -> int:
        """Borrower slots over the whole horizon (initial plus all onboarded later)."""
        return self.borrowers_by(self.book.horizon_months)

    def borrowers_by(self, months: int) -> int:
        """Borrowers onboarded in the first ``months`` months: those at launch and those
        added in each later month (:attr:`capacity` over a horizon of ``months``)."""
        return self.book.initial_borrowers + self.book.new_borrowers_per_month * (months - 1)


def deep_merge(base: dict, override: dict) -> dict:
    """Return ``base`` with ``override`` merged in, recursively for nested mappings."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def read_yaml(path: Path) -> dict:
    """Read a YAML config, resolving ``base:`` and ``deal:`` files (relative to the file).

    Limits, merge rules and errors: :mod:`sim.configfile`. Raises :class:`ConfigError`.
    """
    return read_config_file(Path(path), RunConfig)


def read_deal_yaml(path: Path) -> dict:
    """Read a deal file (``deal:`` of a config, or ``--deal``), resolving its ``base:``."""
    return read_config_file(Path(path), Deal)


# named macro scenarios (used through sim.scenarios, which simulates their paths)
SCENARIOS: dict[str, ShockConfig] = {
    # no deterministic shock: unemployment wanders around its long-run rate
    "baseline": ShockConfig(start_month=0, peak_increase=0.0),
    # a moderate recession: +4 points within 9 months of month 6, 6 months at the peak
    # (close to the 2001 and 1990-91 US recessions' rise in unemployment)
    "recession": ShockConfig(
        start_month=6, peak_increase=0.04, ramp_months=9, hold_months=6, recovery_months=24
    ),
    # a severe recession: +8 points, the size of the 2008-09 rise in the US and Spain's first year
    "severe_recession": ShockConfig(
        start_month=6, peak_increase=0.08, ramp_months=12, hold_months=9, recovery_months=36
    ),
}


def default_name(scenario: object) -> str:
    """The name of a config that gives none (one built in Python; a file takes its stem).

    ``'unnamed'``, with the macro scenario when it is a named one other than the steady
    economy: ``'unnamed-recession'``. Never the name of a shipped config, so that a run of a
    recession or of a policy variant is not reported as the baseline.
    """
    if isinstance(scenario, str) and scenario in SCENARIOS and scenario != "baseline":
        return f"{UNNAMED}-{scenario}"
    return UNNAMED


def apply_scenario(config: RunConfig, source: str = "config") -> RunConfig:
    """Fill ``macro.shock`` from the named scenario when the config gives none."""
    name = config.macro.scenario
    if name not in SCENARIOS:
        raise ConfigError(
            f"{source}: invalid configuration\n  macro.scenario = {name!r}: unknown scenario; "
            f"allowed: {', '.join(sorted(SCENARIOS))}"
        )
    if config.macro.shock is not None:
        return config
    macro = config.macro.model_copy(update={"shock": SCENARIOS[name]})
    return config.model_copy(update={"macro": macro})


def validate_config(data: dict, source: str = "config") -> RunConfig:
    """Validate a mapping into a :class:`RunConfig`, raising :class:`ConfigError`."""
    try:
        config = RunConfig.model_validate(data)
    except ValidationError as err:
        raise ConfigError(deal_file_as_config(data, RunConfig, source)
                          or manifest_as_config(data, source)
                          or format_errors(err, source, RunConfig)) from None
    return apply_scenario(config, source)


def load_config(source: str | Path | dict | RunConfig) -> RunConfig:
    """Load a config from a YAML path, a mapping or an existing model."""
    if isinstance(source, RunConfig):
        return source
    if isinstance(source, dict):
        return validate_config(source)
    path = Path(source)
    return validate_config(read_yaml(path), str(path))


def with_book_size(config: RunConfig, borrowers: int, months: int | None = None) -> RunConfig:
    """``config`` with ``borrowers`` at launch and new borrowers per month in the config's
    ratio to its launch book (rounded down); ``months`` replaces the horizon when given.

    Raises:
        ConfigError: the sizes or months do not make a valid config (the message names
            the key).
    """
    ratio = config.book.new_borrowers_per_month / config.book.initial_borrowers
    book: dict[str, int] = {"initial_borrowers": borrowers,
                            "new_borrowers_per_month": int(borrowers * ratio)}
    if months is not None:
        book["horizon_months"] = months
    return with_overrides(config, {"book": book})


def scaled_collectors(collectors: CollectorsConfig, share: float) -> dict[str, int | float]:
    """The human collection team of a book ``share`` times the config's, as overrides of
    ``collections.collectors``: each collector makes ``share`` of their calls a day (to the
    nearest whole call, at least one) and costs the same share of a month's pay (the ratio
    of the calls kept, so the cost of a call is unchanged). The team's capacity and cost per
    account then stay those of the full book; the number of collectors is left as it is.

    A book shrunk without this keeps the full book's team: at a tenth of the book, ten times
    the calls a day per account in arrears (no queue for a call) and ten times the
    collector cost per account.

    Args:
        collectors: the full book's team.
        share: the book's size as a share of the config's, in (0, 1].

    Returns:
        ``{"calls_per_day": int, "monthly_cost": float}``; empty when ``share`` is 1, or the
        team makes no calls (no collectors, or no calls a day).

    Raises:
        ValueError: ``share`` outside (0, 1].
    """
    if not 0.0 < share <= 1.0:
        raise ValueError(f"share = {share!r}: give a book share in (0, 1]")
    calls = collectors.calls_per_day
    if share == 1.0 or calls == 0 or collectors.count == 0:
        return {}
    kept = max(1, round(calls * share))
    return {"calls_per_day": kept, "monthly_cost": collectors.monthly_cost * kept / calls}


def scaled_book(config: RunConfig, share: float) -> dict[str, int | float]:
    """A book ``share`` times ``config``'s, as overrides by dotted key: the borrowers at
    launch (to the nearest whole borrower, at least one) and added each month (to the
    nearest whole borrower), and the human collectors' day with them
    (:func:`scaled_collectors`), so that the team's calls and cost per account stay those
    of the full book. The dashboard's Launch page (its book size) and ``creditsim run
    --book-share`` both run this.

    Args:
        config: the full book's config.
        share: the book's size as a share of the config's, in (0, 1].

    Returns:
        ``{"book.initial_borrowers": int, "book.new_borrowers_per_month": int}`` and, when
        the team makes calls and ``share`` is below 1, ``collections.collectors.calls_per_day``
        and ``collections.collectors.monthly_cost``.

    Raises:
        ValueError: ``share`` outside (0, 1].
    """
    team = scaled_collectors(config.collections.collectors, share)  # checks the share
    book = config.book
    return {"book.initial_borrowers": max(1, round(book.initial_borrowers * share)),
            "book.new_borrowers_per_month": round(book.new_borrowers_per_month * share),
            **{f"collections.collectors.{key}": value for key, value in team.items()}}


def with_overrides(config: RunConfig, overrides: dict) -> RunConfig:
    """A copy of ``config`` with nested ``overrides`` applied and validated.

    Sections merge and every other value replaces, as over a ``base:`` file
    (:func:`sim.configfile.merge_over_base`): ``{"spending": {"plan_mix": {12: 1.0}}}``
    means every purchase on a 12-month plan. A config without a name of its own (see
    :func:`default_name`) takes the name of its new scenario.
    """
    data = config.model_dump()
    if config.name == default_name(config.macro.scenario):
        del data["name"]  # an unnamed config is named again after its (new) scenario
    merged = merge_over_base(data, overrides, RunConfig, warn=False)
    return validate_config(merged, config.name)


def _field_rows(model: type[BaseModel], prefix: str) -> list[tuple[str, str, str]]:
    rows = []
    for name, field in model.model_fields.items():
        path = f"{prefix}{name}"
        ann = field.annotation
        sub = next((a for a in (getattr(ann, "__args__", None) or (ann,))
                    if isinstance(a, type) and issubclass(a, BaseModel)), None)
        if sub is not None and not str(ann).startswith(("list", "dict")):
            rows += _field_rows(sub, f"{path}.")
            continue
        default = None if field.is_required() else field.get_default(call_default_factory=True)
        item = next((a for a in getattr(ann, "__args__", ())
                     if isinstance(a, type) and issubclass(a, BaseModel)), None)
        if item is not None:  # a list or mapping of models: document one item's keys
            is_list = get_origin(ann) is list
            limits = _limits(field.metadata, ("min_length", "max_length"))
            rows.append((path, "(list)" if is_list else "(mapping)", (field.description or "")
                         + (f" [{', '.join(limits)}]" if limits else "")))
            rows += _field_rows(item, f"{path}[]." if is_list else f"{path}.<name>.")
            continue
        if field.is_required():
            default = "(required)"
        elif isinstance(default, BaseModel):
            default = "(see below)"
        elif isinstance(default, list | dict):
            default = "(list)" if isinstance(default, list) else "(mapping)"
        limits = _limits(field.metadata) + _item_limits(ann)
        allowed = choices(ann)
        if allowed:
            limits.append(f"one of: {', '.join(allowed)}")
        text = (field.description or "") + (f" [{', '.join(limits)}]" if limits else "")
        rows.append((path, default if default == "(required)" else repr(default), text))
    return rows


def _limits(metadata: list, keys: tuple = ("ge", "gt", "le", "lt", "max_length")) -> list[str]:
    return [f"{k} {number_text(getattr(m, k))}" for m in metadata for k in keys
            if getattr(m, k, None) is not None]


def _item_limits(ann: Any) -> list[str]:
    """Bounds of a list's items or of a mapping's keys and values (also of an optional one,
    ``dict[...] | None``), for the reference."""
    optional = [a for a in get_args(ann) if a is not type(None)]
    if get_origin(ann) in (Union, types.UnionType) and len(optional) == 1:
        ann = optional[0]
    args = get_args(ann) if get_origin(ann) in (list, dict) else ()
    names = ("items",) if len(args) == 1 else ("keys", "values")
    out = []
    for name, arg in zip(names, args, strict=False):
        inner = [m for x in getattr(arg, "__metadata__", ())
                 for m in (x, *getattr(x, "metadata", []))]
        if inner and _limits(inner):
            out.append(f"{name} {' '.join(_limits(inner))}")
    return out


def config_reference() -> str:
    """Every config key with its default, allowed range and meaning, as a Markdown table."""
    lines = ["| key | default | meaning [allowed] |", "|---|---|---|"]
    for path, default, text in _field_rows(RunConfig, ""):
        lines.append(f"| `{path}` | `{default}` | {text.replace('|', '/')} |")
    return "\n".join(lines) + "\n"
