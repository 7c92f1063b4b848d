"""Whole-number options read a number as a config file does: ``1e3`` and ``2.0`` are whole
numbers, ``1.5`` and ``1e-3`` are not, and a refusal never contradicts itself."""

from __future__ import annotations

import argparse
import math

import pytest

from sim.argtypes import ArgumentParser, parse_number, whole_number


@pytest.mark.parametrize(("text", "value"), [
    ("12", 12), ("-5", -5), (" 7 ", 7), ("1e3", 1000), ("1E3", 1000), ("+3e0", 3), ("2.0", 2),
    ("1.5e1", 15), ("-0.0", 0), ("9223372036854775807.0", 2**63 - 1),
    ("1e18", 10**18),  # exact, where a float would be too
])
def test_a_whole_number_however_written_is_an_int(text, value):
    got = parse_number(text)
    assert got == value and type(got) is int


@pytest.mark.parametrize("text", ["1.5", "1e-3", "1.0000000000000001", "nan", "inf", "1e9999"])
def test_a_number_that_is_not_whole_is_a_float(text):
    assert type(parse_number(text)) is float


@pytest.mark.parametrize("text", ["", "abc", "1e", "1e3x", "0x10", "1" * 2000, "sNaN", "-snan"])
def test_text_that_is_no_number_is_none(text):
    assert parse_number(text) is None


def test_a_huge_exponent_is_not_written_out():
    assert math.isinf(parse_number("1e999999999"))  # not a billion-digit int


def test_whole_number_options_take_exponents_and_refuse_fractions():
    path = whole_number(0, "a path number")
    assert path("1e1") == 10 and path("3.0") == 3
    for bad, says in (("1.5", "'1.5' is not a whole number"),
                      ("1e-3", "'1e-3' is not a whole number"),
                      ("-1e0", "-1 is not allowed; give a path number >= 0")):
        with pytest.raises(argparse.ArgumentTypeError, match=says):
            path(bad)


def test_the_dashboard_port_takes_a_whole_number_however_written():
    from dashboard.cli import _port

    assert _port("8.05e3") == 8050
    with pytest.raises(argparse.ArgumentTypeError, match="'80.5' is not a port number"):
        _port("80.5")


@pytest.mark.parametrize("text", ["-5", "-1e3", "-2.5E1", "-.5", "-1_000", "-inf"])
def test_the_parser_reads_a_negative_number_after_an_option_as_its_value(text):
    parser = ArgumentParser()
    parser.add_argument("--x")
    parser.add_argument("-q", action="store_true")
    assert parser.parse_args(["--x", text]).x == text
    sub = parser.add_subparsers(dest="command").add_parser("go")  # of the parent's class
    sub.add_argument("--y")
    assert parser.parse_args(["go", "--y", text]).y == text


@pytest.mark.parametrize("text", ["-q", "--x", "-e3", "--5", "-"])
def test_an_option_is_still_an_option(text):
    assert not ArgumentParser()._negative_number_matcher.match(text)
