"""`sim.abs.Waterfall` stepped one period at a time gives what `waterfall_arrays` gives, on
random deals (every term, reordered lists) and random collections."""

import numpy as np
import pytest
from hypothesis import given
from test_waterfall import PROPERTY, collections, deals

from sim.abs import Waterfall, waterfall_arrays

pytestmark = pytest.mark.filterwarnings("ignore::sim.abs.HorizonWarning")  # random deals


@PROPERTY
@given(deal=deals(), coll=collections())
def test_stepping_agrees_with_the_arrays(deal, coll):
    at_once = waterfall_arrays(deal, coll)
    n_paths, n_periods = np.shape(coll["interest"])
    stepped = Waterfall(deal, n_periods, n_paths)
    for t in range(n_periods):
        out = stepped.run_period({k: np.asarray(v)[:, t] for k, v in coll.items()})
        np.testing.assert_array_equal(out["reinvested"], at_once.deal["reinvested"][:, t])
    result = stepped.result()
    for field, value in at_once.notes.items():
        np.testing.assert_array_equal(result.notes[field], value, err_msg=field)
    for field, value in at_once.deal.items():
        np.testing.assert_array_equal(result.deal[field], value, err_msg=field)
    np.testing.assert_array_equal(result.outstanding, at_once.outstanding)
