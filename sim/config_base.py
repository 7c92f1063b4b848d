"""The base model and bounded value types shared by every config section.

Each section model derives from ``_Model``, a strict model (:mod:`sim.strict`) that also
validates its defaults. ``Prob``, ``NonNeg`` and ``Weight`` bound a key's numbers;
``PLAN_TERMS`` are the plans a purchase may take (0: in full at the next statement),
``PlanTerm`` and ``FeeTerm`` the terms a key may name for a plan and for a plan's fee; and
``MAX_MONEY`` caps any amount a key gives. :mod:`sim.config` re-exports them all.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field

from sim.strict import StrictModel

Prob = Annotated[float, Field(ge=0.0, le=1.0)]
NonNeg = Annotated[float, Field(ge=0.0)]
Weight = Annotated[float, Field(ge=0.0, le=1000.0)]  # a relative weight, normalised by its sum
PLAN_TERMS = (0, 3, 6, 12)  # 0 = pay in full at the next statement
PlanTerm = Annotated[int, Field(ge=0, le=12)]
FeeTerm = Annotated[int, Field(ge=3, le=12)]
MAX_MONEY = 10_000_000.0  # currency units: the largest limit, balance or cost a key may give


class _Model(StrictModel):
    model_config = ConfigDict(validate_default=True)
