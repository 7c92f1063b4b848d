"""Every behavioural parameter says where its value comes from.

The sections that hold the model's behaviour (income, spending, repayment, recoveries,
education, the collection channels, the legal, hardship, re-ageing and debt-sale rules
and the base rate's process) give each number a field description with its source (a
paper, a filing, a statistic: named, or dated) or the reason it is a modelling choice or
the platform's policy. Switches (booleans) and the benchmark repayment models (roll
chain, one factor, Bernoulli), which exist to be compared with closed forms, are left out.
"""

from __future__ import annotations

import re
import typing

import pytest
from pydantic import BaseModel

from sim import config as C

SECTIONS = {"income": C.IncomeConfig, "spending": C.SpendingConfig,
            "repayment": C.RepaymentConfig, "recovery": C.RecoveryConfig,
            "nudges": C.NudgeConfig, "collections.channels.*": C.ChannelConfig,
            "collections.legal": C.LegalConfig, "collections.hardship": C.HardshipConfig,
            "collections.reage": C.ReageConfig, "collections.debt_sale": C.DebtSaleConfig,
            "macro.base_rate": C.BaseRateConfig}
BENCHMARKS = {"model", "miss_prob", "roll_chain", "one_factor"}
"""repayment keys of the benchmark models, checked against closed forms instead."""
SOURCE = re.compile(r"[Ss]ource|[Mm]odelling choice|[Pp]olicy|\b(19|20)\d\d\b|\bBLS\b|"
                    r"FFIEC|[Ii]llustrative|[Pp]ricing")


def _fields() -> list[tuple[str, str]]:
    out = []
    for section, model in SECTIONS.items():
        for name, field in model.model_fields.items():
            if name in BENCHMARKS and model is C.RepaymentConfig:
                continue
            ann = field.annotation
            if ann is bool or (isinstance(ann, type) and issubclass(ann, BaseModel)):
                continue
            if typing.get_origin(ann) is typing.Literal:
                continue
            out.append((f"{section}.{name}", field.description or ""))
    return out


@pytest.mark.parametrize(("key", "description"), _fields())
def test_a_behavioural_parameter_names_its_source_or_reason(key, description):
    assert SOURCE.search(description), f"{key}: say where its value comes from: {description!r}"


def test_the_sections_are_the_configs_own():
    """The list above follows the config: each section is where a run's config puts it."""
    cfg = C.RunConfig()
    assert isinstance(cfg.income, C.IncomeConfig) and isinstance(cfg.recovery, C.RecoveryConfig)
    assert isinstance(cfg.collections.legal, C.LegalConfig)
    assert isinstance(cfg.collections.channels["human"], C.ChannelConfig)
    assert isinstance(cfg.macro.base_rate, C.BaseRateConfig)
    assert len(_fields()) > 60
