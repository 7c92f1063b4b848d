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


def test_the_stepped_state_is_read_by_the_layouts_rows():
    """`Waterfall.state` after a period: its reserve and the collections' fraction of a cent
    carried (cents) are the period's reserve balance and ``rounding_carried``, in the
    layout's rows of a block of ``N_PATH_STATE`` rows."""
    from sim.config import read_yaml
    from sim.kernels import waterfall_layout as lay

    stepped = Waterfall(read_yaml("configs/deals/baitiao_2015.yaml"), 3, 2)
    out = stepped.run_period({"pool_balance_begin": 1e6, "interest": 20000.004,
                              "principal": 5e4, "recoveries": 100.0, "defaults": 3000.0,
                              "delinquent_balance": 1e4})
    state = stepped.state
    assert state is not None and state.paths.shape == (lay.N_PATH_STATE, 2)
    np.testing.assert_array_equal(state.reserve / 100.0, out["reserve_balance"])
    np.testing.assert_allclose(state.paths[lay.Z_CARRY] / 100.0, out["rounding_carried"])
    assert (out["rounding_carried"] > 0).all()
    np.testing.assert_array_equal(state.unpaid_fees, 0.0)  # the fees were paid in full


@PROPERTY
@given(deal=deals(), coll=collections())
def test_a_path_of_plain_numbers_steps_as_its_arrays(deal, coll):
    """One path fed plain floats (the vehicle's months; loaded without arrays) runs bit for
    bit as the same path fed arrays, negative rounding noise and -0.0 included."""
    coll = {k: np.asarray(v, dtype=float)[:1] for k, v in coll.items()}
    coll["interest"][0, 0] = -0.004  # noise, read as zero
    coll["principal"][0, -1] = -0.0
    n_periods = coll["interest"].shape[1]
    floats, arrays = Waterfall(deal, n_periods), Waterfall(deal, n_periods)
    for t in range(n_periods):
        a = floats.run_period({k: float(v[0, t]) for k, v in coll.items()})
        b = arrays.run_period({k: v[:, t] for k, v in coll.items()})
        for k in a:
            np.testing.assert_array_equal(a[k], b[k], err_msg=k)
    for got, want in ((floats.result().notes, arrays.result().notes),
                      (floats.result().deal, arrays.result().deal)):
        for field, value in want.items():
            assert np.array_equal(got[field], value) and np.array_equal(
                np.signbit(got[field]), np.signbit(value)), field


@pytest.mark.parametrize(("value", "message"), [(float("nan"), "NaN or infinite"),
                                                (-1.0, "must be >= 0")])
def test_a_path_of_plain_numbers_is_checked_as_arrays_are(value, message):
    from sim.config import read_yaml

    inputs = {"pool_balance_begin": 1e6, "interest": 2e4, "principal": 5e4, "recoveries": 100.0,
              "defaults": value, "delinquent_balance": 1e4}
    with pytest.raises(ValueError, match=message):
        Waterfall(read_yaml("configs/deals/baitiao_2015.yaml"), 3).run_period(inputs)
    with pytest.raises(ValueError, match="lack column"):
        Waterfall(read_yaml("configs/deals/baitiao_2015.yaml"), 3).run_period(
            {"pool_balance_begin": 1e6})
