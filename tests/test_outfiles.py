"""Output files named by --csv and --xlsx: refused before any work, in one line, exit 2."""

from __future__ import annotations

import os

import pytest

from sim.cli import main
from sim.outfiles import check_output_file, write_failed


def test_a_file_in_an_existing_folder_passes(tmp_path, monkeypatch):
    check_output_file(tmp_path / "a.csv", "--csv")
    check_output_file(None, "--csv")  # the option not given
    monkeypatch.chdir(tmp_path)
    check_output_file("b.xlsx", "--xlsx")  # a bare name: the current folder


@pytest.mark.parametrize(("name", "needle"), [
    ("missing/a.csv", "no folder"),
    (".", "is a folder; give a file name, e.g. "),
])
def test_a_file_that_cannot_be_written_is_refused(tmp_path, name, needle):
    with pytest.raises(ValueError, match=needle) as info:
        check_output_file(tmp_path / name, "--csv")
    assert str(info.value).startswith("--csv ")


@pytest.mark.parametrize(("name", "option", "suffix"), [
    ("x.csv", "--xlsx", ".xlsx"), ("x.xlsx", "--csv", ".csv"), ("x", "--csv", ".csv")])
def test_a_name_of_another_format_is_refused(tmp_path, name, option, suffix):
    with pytest.raises(ValueError) as info:
        check_output_file(tmp_path / name, option, suffix)
    assert str(info.value) == (f"{option} {tmp_path / name}: the file name must end in {suffix} "
                               f"(the file is written in that format), e.g. x{suffix}")


def test_the_suffix_is_matched_in_any_case(tmp_path):
    check_output_file(tmp_path / "REPORT.XLSX", "--xlsx", ".xlsx")


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write to any folder")
def test_a_read_only_folder_is_refused(tmp_path):
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(ValueError, match="cannot write there"):
            check_output_file(tmp_path / "a.csv", "--csv")
    finally:
        tmp_path.chmod(0o700)


def test_a_failed_write_is_one_line():
    err = write_failed("--xlsx", "x.xlsx", OSError(28, "No space left on device"))
    assert str(err) == "--xlsx x.xlsx: cannot be written: No space left on device"


@pytest.mark.parametrize(("option", "name", "suffix"), [("--xlsx", "x.csv", ".xlsx"),
                                                      ("--csv", "x.xlsx", ".csv")])
def test_deal_report_refuses_a_name_of_the_other_format(tmp_path, capsys, option, name, suffix):
    """Excel under a .csv name (or CSV under .xlsx) is refused before the run is read."""
    assert main(["deal-report", "no_such_run", option, str(tmp_path / name)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert err == (f"error: {option} {tmp_path / name}: the file name must end in {suffix} "
                   f"(the file is written in that format), e.g. x{suffix}")
    assert not (tmp_path / name).exists()


@pytest.mark.parametrize("argv", [
    ["deal-report", "no_such_run", "--xlsx", "{missing}/r.xlsx"],
    ["deal-report", "no_such_run", "--csv", "{missing}/r.csv"],
    ["breakeven", "baseline", "--only", "multiple", "--csv", "{missing}/be.csv"],
])
def test_commands_refuse_the_file_before_any_work(tmp_path, capsys, argv):
    """deal-report refuses the file before reading the run, breakeven before its search."""
    argv = [a.format(missing=tmp_path / "missing") for a in argv]
    assert main(argv) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert err.startswith("error: --") and "no folder" in err and "Traceback" not in err


def test_breakeven_csv_rounds_float_noise_and_keeps_its_unit_named_columns(tmp_path):
    """`breakeven --csv` writes :meth:`BreakevenResult.export` (a column per unit, the unit
    in its header) as the other exports write floats (10 significant digits); pandas reads
    numbers back."""
    import numpy as np
    import pandas as pd

    from sim.breakeven import BreakevenResult
    from sim.exports import write_csv

    per_path = pd.DataFrame({"stress": ["multiple", "shock"], "path": [0, 0],
                             "note": ["senior", "senior"],
                             "breakeven": [2.3500000000000005, 0.0425],
                             "loses_unstressed": [False, False], "monotone": [True, True],
                             "defaults": [0.0266000000000001, np.nan],
                             "base_defaults": [0.021, np.nan]})
    result = BreakevenResult(per_path, pd.DataFrame(), paths=1, seed=0)
    (file,) = write_csv(result.export("tiny", "creditsim breakeven tiny"), tmp_path / "be.csv")
    text = file.read_text()
    assert "2.35," in text and "2.3500000000000005" not in text and "inf" not in text
    back = pd.read_csv(file)
    assert back.columns[3] == "breakeven multiple (times the base case)"
    assert back.columns[4] == "breakeven unemployment rise (fraction)"
    assert back.iloc[0, 3] == 2.35 and back.iloc[1, 4] == 0.0425
    assert back.loc[0, "cumulative defaults at the breakeven (fraction)"] == 0.0266
    assert per_path["breakeven"][0] == 2.3500000000000005  # the result unchanged
