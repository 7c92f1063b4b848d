"""Each delinquency rule is written once, in sim.delinquency, and compiled from there.

The numpy engine, the kernels and the reference engine call the rules of
:mod:`sim.delinquency` (the kernels through :mod:`sim.kernels.rules`). These checks read the
source of every other module of ``sim`` (its syntax tree) and fail on the arithmetic of a
rule written out again: a due time from the month's length and the due day, days late or
months behind from a due time or an oldest due month, the buckets' edges, a cure's bucket,
a contractual delinquency, a re-age's oldest bill, a month-end roll state, a charge-off
test or day. Settings (``sim/config*.py``, which validate ``billing.chargeoff_dpd`` against
the other settings) and the analytic oracles of ``sim.validation`` (which state their own
rules, on purpose) are not read for the charge-off checks.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Iterator
from pathlib import Path

import pytest

from sim import delinquency
from sim.kernels import rules

SIM = Path(__file__).resolve().parents[1] / "sim"
RULES = {name: f for name, f in inspect.getmembers(delinquency, inspect.isfunction)
         if f.__module__ == delinquency.__name__ and not name.startswith("_")}
"""The rules: the public functions of :mod:`sim.delinquency`."""


def sources() -> Iterator[tuple[str, ast.Module]]:
    """(path under sim, syntax tree) of every module of ``sim`` but sim/delinquency.py."""
    for path in sorted(SIM.rglob("*.py")):
        if path.name != "delinquency.py" or path.parent != SIM:
            yield str(path.relative_to(SIM)), ast.parse(path.read_text(), str(path))


def names(node: ast.AST) -> set[str]:
    """Every name and attribute an expression reads (``self.config.due_day``: ``self``,
    ``config``, ``due_day``)."""
    found = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            found.add(sub.id)
        elif isinstance(sub, ast.Attribute):
            found.add(sub.attr)
    return found


def operands(node: ast.AST) -> set[str]:
    """The names and attributes an expression computes with itself: those of :func:`names`
    but the arguments of the functions it calls (``f(chargeoff_dpd) + 1`` has none)."""
    found, todo = set(), [node]
    while todo:
        sub = todo.pop()
        if isinstance(sub, ast.Name):
            found.add(sub.id)
        elif isinstance(sub, ast.Attribute):
            found.add(sub.attr)
        if not isinstance(sub, ast.Call):
            todo.extend(ast.iter_child_nodes(sub))
    return found


def called(node: ast.AST) -> str | None:
    """Name of the function a call calls (``np.searchsorted(...)``: ``searchsorted``)."""
    if isinstance(node, ast.Call):
        f = node.func
        return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) \
            else None
    return None


def restated(tree: ast.Module, settings: bool) -> Iterator[tuple[int, str]]:
    """(line, rule) of each piece of rule arithmetic written out in ``tree``; the charge-off
    checks only when ``settings`` is False."""
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name in RULES:
            yield node.lineno, f"a function {node.name} beside sim.delinquency's"
    for node in ast.walk(tree):
        if isinstance(node, ast.Name | ast.Attribute) and "BUCKET_EDGES" in names(node):
            yield node.lineno, "the buckets' edges read (bucket_of, redefaulted)"
        if isinstance(node, ast.BinOp):
            yield from _arithmetic(node, settings)
        if isinstance(node, ast.Compare):
            yield from _comparison(node, settings)
        if called(node) == "days_past_due" and "contract_oldest" in names(node):
            yield node.lineno, "days past due from a re-age's bill (contractual_days_past_due)"
        if isinstance(node, ast.Assign) and any("contract_oldest" in names(t)
                                                for t in node.targets) \
                and isinstance(node.value, ast.IfExp | ast.BoolOp):
            yield node.lineno, "a re-age's oldest bill chosen (contract_oldest_after_reage)"
        if isinstance(node, ast.Subscript) and "cures" in operands(node.value) \
                and isinstance(node.slice, ast.BinOp) and isinstance(node.slice.op, ast.Sub):
            yield node.lineno, "a cure's bucket (delinquent_bucket)"
        if isinstance(node, ast.Return | ast.IfExp) and _picks_a_state(node):
            yield node.lineno, "a month-end state picked (roll_state)"


def _picks_a_state(node: ast.Return | ast.IfExp) -> bool:
    """Whether ``node`` returns ``RE_AGED`` or ``CHARGED_OFF``, or chooses one of them on
    whether an account is open or on its contractual days past due."""
    if isinstance(node, ast.Return):
        values = [node.value]
    elif names(node.test) & {"open_", "is_open", "active", "contractual"}:
        values = [node.body, node.orelse]
    else:
        return False
    return any(isinstance(v, ast.Name) and v.id in ("RE_AGED", "CHARGED_OFF") for v in values)


def _arithmetic(node: ast.BinOp, settings: bool) -> Iterator[tuple[int, str]]:
    sides = (node.left, node.right)
    if isinstance(node.op, ast.Add) and any(
            isinstance(s, ast.BinOp) and isinstance(s.op, ast.Mult)
            and "DAYS_PER_MONTH" in names(s) for s in sides) \
            and any("due_day" in names(s) for s in sides):
        yield node.lineno, "a due time (due_time)"
    if isinstance(node.op, ast.Sub):
        right = node.right
        base = right.value if isinstance(right, ast.Subscript) else right
        ident = base.id if isinstance(base, ast.Name) else \
            base.attr if isinstance(base, ast.Attribute) else ""
        if ident in ("due", "dues", "due_times") or ident.endswith("oldest"):
            yield node.lineno, f"days late or months behind from {ident} (days_late, " \
                               "months_behind)"
        if "bucket_of" in names(node.left) and isinstance(right, ast.Constant):
            yield node.lineno, "a cure's bucket (delinquent_bucket)"
    if not settings and "chargeoff_dpd" in operands(node):
        yield node.lineno, "charge-off arithmetic (charge_off_day, charge_off_months)"


def _comparison(node: ast.Compare, settings: bool) -> Iterator[tuple[int, str]]:
    if not settings and "chargeoff_dpd" in operands(node):
        yield node.lineno, "a charge-off test (charge_off_due)"
    if "reaged_left" in names(node.left) and len(node.ops) == 1 \
            and isinstance(node.ops[0], ast.Gt) \
            and isinstance(node.comparators[0], ast.Constant) \
            and node.comparators[0].value == 0:
        yield node.lineno, "a re-aged plan being repaid (repaying_reage)"


def offenders(path: str, tree: ast.Module) -> list[str]:
    settings = path.startswith(("config", "validation/"))
    return [f"sim/{path}:{line}: {what}" for line, what in sorted(set(restated(tree, settings)))]


def test_no_module_restates_a_delinquency_rule() -> None:
    found = [o for path, tree in sources() for o in offenders(path, tree)]
    assert found == []


@pytest.mark.parametrize(("source", "rule"), [
    ("day = month * DAYS_PER_MONTH + b.account.due_day", "due time"),
    ("d = day - due", "days late"),
    ("behind = month - oldest if 0 <= oldest < month else 0", "months behind"),
    ("behind = np.where(x, month - ledger.oldest[i], 0)", "months behind"),
    ("b = np.searchsorted(BUCKET_EDGES, dpd, side='right')", "edges"),
    ("late = r.dpd >= BUCKET_EDGES[1]", "edges"),
    ("s.cures[bucket_of(dpd) - 1] += 1", "cure's bucket"),
    ("bucket = int(delinquency.bucket_of(dpd)) - 1", "cure's bucket"),
    ("s.cures[bucket - 1] += 1", "cure's bucket"),
    ("c = max(d, days_past_due(day, contract_oldest[i], due_day))", "contractual"),
    ("contract = np.where(self.reaged_left[:n] > 0, self.contract_oldest[:n], -1)",
     "repaid"),
    ("contract_oldest[i] = earlier if earlier >= 0 and now < earlier else now", "oldest bill"),
    ("def f(open_, b, c):\n    if not open_:\n        return CHARGED_OFF\n    return b",
     "month-end state"),
    ("def roll_state(open_, b, c):\n    return b", "beside"),
    ("if open_[i] and days_past_due(day, o, due_day) >= chargeoff_dpd: pass", "charge-off"),
    ("at = (bill.due_day + bill.chargeoff_dpd) % DAYS_PER_MONTH", "charge-off"),
])
def test_a_rule_written_again_is_found(source: str, rule: str) -> None:
    """Each check finds the copy it is there for (the copies these rules replaced)."""
    found = offenders("engine.py", ast.parse(source))
    assert len(found) >= 1 and any(rule in o for o in found), found


def test_every_rule_is_compiled_from_its_own_text() -> None:
    """Each rule has its compiled form in sim.kernels.rules, compiled from the same code."""
    missing = [name for name, rule in RULES.items()
               if getattr(getattr(rules, name, None), "py_func", None) is None
               or getattr(rules, name).py_func.__code__ is not rule.__code__]
    assert missing == []
