"""The steps of the compiled waterfall period: what each verb of the priority of payments
pays and records, for every path (:func:`run_step`, called by
:func:`sim.kernels.waterfall.run_period`).

As in :mod:`sim.kernels.waterfall`, each statement is the scalar form of the array statement
it replaces (names in double backquotes are the array form's, in ``sim/abs`` as of commit
bf98d09), and ``B_MASK`` marks the paths whose state runs the list being
run: on the others a step pays nothing and records nothing, as the array form's
``ctx.keep``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

import sim.kernels.cache  # noqa: F401 - before the first @njit(cache=True)
from sim.kernels.waterfall_layout import (
    B_ACC,
    B_AMO,
    B_BREACH,
    B_MASK,
    B_PRO,
    B_REV,
    B_USE_PA,
    B_WIND,
    D_DRAW,
    D_FEES_DUE,
    D_FEES_PAID,
    D_REINV,
    D_REQ,
    D_RES_FEES,
    D_RES_PRIN,
    D_RES_REINV,
    D_RES_SWAP,
    D_RESERVE,
    D_RESIDUAL,
    D_SWAP_PAID,
    D_USED,
    N_CREDIT,
    N_PAID,
    N_PRIN,
    N_RES_INT,
    N_RES_PDL,
    N_SHORT,
    O_BASIS,
    O_CAPACITY,
    O_OC,
    O_PDL,
    O_STEP_DOWN_BREACH,
    P_FLOOR,
    P_TARGET,
    S_AMOUNT,
    S_CASH,
    S_DRAW,
    S_FEE,
    S_KEEP,
    S_PA,
    S_PF,
    S_POOL_END,
    S_REM,
    S_RES_PRIN,
    S_SWAP,
    S_TOTAL,
    S_USED,
    V_CLEAR,
    V_FEES,
    V_INTEREST,
    V_PRINCIPAL,
    V_REINVEST,
    V_RESERVE,
    V_SWAP,
    Z_FEES,
    Z_RESERVE,
    Z_SWAP,
)
from sim.kernels.waterfall_layout import CENT_TOLERANCE as _TOL


@njit(cache=True, inline="always")
def _min(a: float, b: float) -> float:
    """``np.minimum`` of two finite floats: ``b`` on a tie (the sign of a zero is kept)."""
    return a if a < b else b


@njit(cache=True, inline="always")
def _max(a: float, b: float) -> float:
    """``np.maximum`` of two finite floats: ``b`` on a tie (the sign of a zero is kept)."""
    return a if a > b else b


@njit(cache=True, inline="always")
def _floor_cent(x: float) -> float:
    """``x`` cents rounded down to a whole cent, an amount within ``CENT_TOLERANCE`` below a
    cent counting as that cent (docs/WATERFALL.md §5.11)."""
    return np.floor(x + _TOL)


@njit(cache=True, inline="always")
def _pay(p, due, may_use_principal, pdl, scratch):
    """Pay ``due`` from the cash left (``PeriodContext.pay``); return the amount paid."""
    cash = scratch[S_CASH, p]
    if not pdl:
        paid = _min(due, cash)
        scratch[S_CASH, p] = cash - paid
        return paid
    revenue = _max(cash - scratch[S_PF, p], 0.0)
    limit = cash if may_use_principal else revenue
    paid = _min(due, limit)
    from_pf = _max(paid - revenue, 0.0)
    scratch[S_PF, p] = _max(scratch[S_PF, p] - from_pf, 0.0)
    scratch[S_USED, p] = scratch[S_USED, p] + from_pf
    scratch[S_CASH, p] = cash - paid
    return paid


@njit(cache=True, inline="always")
def _principal_available(p, pdl, scratch, bscratch):
    """What a reinvest or pay_principal step may spend, before the cash limit."""
    if not pdl:
        return _max(scratch[S_PA, p], 0.0)
    return _max(scratch[S_PA, p] if bscratch[B_USE_PA, p] else scratch[S_PF, p], 0.0)


@njit(cache=True, inline="always")
def _oc_limit(p, scratch):
    """With an OC target, what the principal steps may still spend on path ``p`` (§5.3): the
    cash other than the reserve drawn (which is spent last), or the principal amount left that
    keeping the OC at closing would give, whichever is larger; so the reserve covers that
    amount (and the fees and interest) but never the OC built above the OC at closing."""
    cash = scratch[S_CASH, p]
    return _max(cash - _min(scratch[S_DRAW, p], cash), scratch[S_KEEP, p])


@njit(cache=True, inline="always")
def _spend_principal(p, amount, pdl, oc, scratch, bscratch):
    """Take ``amount`` out of cash and the principal amount (``spend_principal``), and with an
    OC target (``oc``) out of the amount that keeps the OC at closing."""
    scratch[S_CASH, p] = _max(scratch[S_CASH, p] - amount, 0.0)
    if oc:
        scratch[S_KEEP, p] = _max(scratch[S_KEEP, p] - amount, 0.0)
    if not pdl or bscratch[B_USE_PA, p]:  # to no less than 0: a turbo step pays beyond it
        scratch[S_PA, p] = _max(scratch[S_PA, p] - amount, 0.0)
    else:
        scratch[S_PF, p] = _max(scratch[S_PF, p] - amount, 0.0)


@njit(cache=True)
def run_step(k, t, opts, params, x_capacity, terms_t, terms_p, state_k, state_p, flags_p, program,
          notes_out, deal_out, scratch, bscratch, kscratch):
    """Run step ``k`` of the program on every path (on the paths outside ``B_MASK`` it pays
    nothing and records nothing, as the array form's ``ctx.keep``), and record what it spent
    of the reserve drawn (``_reserve_spent``: passes of their own, which cost less than the
    same statements in the steps' loops, measured on the bench's deal)."""
    verb = program[0][k]
    pdl = opts[O_PDL] != 0
    if verb == V_FEES or verb == V_SWAP:
        _pay_senior(t, verb == V_FEES, pdl, state_p, deal_out, scratch, bscratch)
        _reserve_spent(pdl, scratch, deal_out[D_RES_FEES if verb == V_FEES else D_RES_SWAP, t],
                       True)
    elif verb == V_INTEREST or verb == V_CLEAR:
        for i in range(program[1][k, 0]):
            note = program[1][k, i + 1]
            if verb == V_INTEREST:
                _pay_interest(t, note, pdl, state_k, notes_out, scratch, bscratch, kscratch)
                _reserve_spent(pdl, scratch, notes_out[N_RES_INT, t, note], True)
            else:
                _clear_pdl(t, note, pdl, state_k, notes_out, scratch, bscratch)
                _reserve_spent(pdl, scratch, notes_out[N_RES_PDL, t, note], True)
    elif verb == V_REINVEST:
        if _reinvest(t, opts, x_capacity, flags_p, deal_out, scratch, bscratch):
            _reserve_spent(pdl, scratch, deal_out[D_RES_REINV, t], True)
    elif verb == V_PRINCIPAL:
        _pay_principal(k, t, pdl, opts[O_OC] != 0, program, state_k, notes_out, scratch,
                       bscratch, kscratch)
        # after the list's last principal step the principal funds left are revenue, but
        # not the reserve's: its part is taken from principal funds first, so it fell only
        # where principal funds ran out (they are 0 then)
        _reserve_spent(pdl, scratch, scratch[S_RES_PRIN], False)
    elif verb == V_RESERVE:
        _reserve_used(t, deal_out, scratch, bscratch)
        _fund_reserve(t, opts, params, terms_t, terms_p, state_k, state_p, flags_p, deal_out,
                      scratch, bscratch)
    else:  # pay_residual
        for p in range(scratch.shape[1]):
            if bscratch[B_MASK, p]:
                deal_out[D_RESIDUAL, t, p] = scratch[S_CASH, p]
                scratch[S_CASH, p] = 0.0


@njit(cache=True)
def _reserve_spent(pdl, scratch, out, units):
    """What of the reserve drawn the step just run spent, on every path (§5.3), into ``out``:
    in currency units and only where not 0 (``units``, ``RESERVE_FIELDS``), or added in
    cents. The reserve is the last revenue spent (all cash is revenue without a PDL or in a
    wind-up), so the part of it left, ``S_DRAW``, is at most the revenue left; once
    ``fund_reserve`` has run it is 0. Stores nothing where the reserve did not pay (most
    paths and periods): on the paths the step did not run, the revenue is as it was."""
    draw, cash, pf = scratch[S_DRAW], scratch[S_CASH], scratch[S_PF]
    if not _below(pdl, draw, cash, pf):
        return
    for p in range(draw.shape[0]):
        revenue = _max(cash[p] - pf[p], 0.0) if pdl else cash[p]
        left = draw[p]
        if revenue < left:
            draw[p] = revenue
            if units:
                out[p] = (left - revenue) / 100.0
            else:
                out[p] += left - revenue


@njit(cache=True)
def _below(pdl, draw, cash, pf):
    """Whether the revenue is below the reserve's part left on any path: a first pass that
    only reads (and the processor runs several paths at once), since it seldom is."""
    n = 0
    if pdl:
        for p in range(draw.shape[0]):
            n += (cash[p] - pf[p]) < draw[p]
    else:
        for p in range(draw.shape[0]):
            n += cash[p] < draw[p]
    return n > 0


@njit(cache=True)
def _reserve_used(t, deal_out, scratch, bscratch):
    """Before ``fund_reserve``: record what the steps spent of the reserve drawn, in all
    (``D_USED``) and on principal (``D_RES_PRIN``), in currency units where not 0."""
    drawn, draw, principal = deal_out[D_DRAW, t], scratch[S_DRAW], scratch[S_RES_PRIN]
    used, paid = deal_out[D_USED, t], deal_out[D_RES_PRIN, t]
    for p in range(draw.shape[0]):
        if bscratch[B_MASK, p] and drawn[p] != draw[p]:
            used[p] = (drawn[p] - draw[p]) / 100.0
            if principal[p] != 0.0:
                paid[p] = principal[p] / 100.0


@njit(cache=True)
def _pay_senior(t, fees, pdl, state_p, deal_out, scratch, bscratch):
    """pay_fees (``fees``) or pay_swap on every path: this period's amount plus arrears."""
    row = Z_FEES if fees else Z_SWAP
    for p in range(scratch.shape[1]):
        m = bscratch[B_MASK, p]
        current = scratch[S_FEE, p] if fees else _max(scratch[S_SWAP, p], 0.0)
        due = current + state_p[row, p]
        paid = _pay(p, due if m else 0.0, True, pdl, scratch)
        if m:
            state_p[row, p] = due - paid
            if fees:
                deal_out[D_FEES_DUE, t, p], deal_out[D_FEES_PAID, t, p] = due, paid
            else:
                deal_out[D_SWAP_PAID, t, p] = paid


@njit(cache=True)
def _pay_interest(t, note, pdl, state_k, notes_out, scratch, bscratch, kscratch):
    """pay_interest for one note on every path; the unpaid part is carried forward."""
    for p in range(scratch.shape[1]):
        m = bscratch[B_MASK, p]
        due = kscratch[0, note, p]
        may = kscratch[1, note, p] != 0.0 if pdl else True
        paid = _pay(p, due if m else 0.0, may, pdl, scratch)
        short = due - paid
        if m:
            state_k[1, note, p] = short
            notes_out[N_PAID, t, note, p], notes_out[N_SHORT, t, note, p] = paid, short


@njit(cache=True)
def _clear_pdl(t, note, pdl, state_k, notes_out, scratch, bscratch):
    """clear_pdl for one note on every path: revenue credits the note's ledger."""
    for p in range(scratch.shape[1]):
        m = bscratch[B_MASK, p]
        cash = scratch[S_CASH, p]
        revenue = _max(cash - scratch[S_PF, p], 0.0) if pdl else cash
        credit = 0.0 if bscratch[B_USE_PA, p] else _min(state_k[2, note, p], revenue)
        if not m:
            credit = 0.0
        state_k[2, note, p] = state_k[2, note, p] - credit
        scratch[S_PF, p] = scratch[S_PF, p] + credit
        if m:
            notes_out[N_CREDIT, t, note, p] = credit


@njit(cache=True)
def _reinvest(t, opts, x_capacity, flags_p, deal_out, scratch, bscratch):
    """reinvest on every revolving path (nothing at all when no path revolves); return
    whether any path revolves."""
    n_paths = scratch.shape[1]
    revolving = False
    for p in range(n_paths):
        revolving |= bscratch[B_REV, p]
    if not revolving:
        return False
    pdl, oc = opts[O_PDL] != 0, opts[O_OC] != 0
    for p in range(n_paths):
        amount = _min(_principal_available(p, pdl, scratch, bscratch), scratch[S_CASH, p])
        if oc:
            amount = _min(amount, _oc_limit(p, scratch))
        if opts[O_CAPACITY]:
            amount = _min(amount, _floor_cent(x_capacity[t, p]) if flags_p[0, p] else 0.0)
        if not (bscratch[B_REV, p] and bscratch[B_MASK, p]):
            amount = 0.0
        _spend_principal(p, amount, pdl, oc, scratch, bscratch)
        deal_out[D_REINV, t, p] += amount
    return True


@njit(cache=True)
def _pay_principal(k, t, pdl, oc, program, state_k, notes_out, scratch, bscratch, kscratch):
    """pay_principal step ``k`` on every path: pro rata on the paths whose state says so
    (outside a wind-up), sequentially elsewhere (``_pay_principal`` and ``_allocate``); the
    principal amount (with an OC target, ``oc``, no more than ``_oc_limit``), or all the cash
    left where the step is turbo in the path's state.

    Each pass over the paths is short, so that the processor overlaps many paths.
    """
    step_notes, pro_states, last, turbo = program[1], program[2], program[3][k], program[7]
    n, n_paths = step_notes[k, 0], scratch.shape[1]
    amount, total, rem = scratch[S_AMOUNT], scratch[S_TOTAL], scratch[S_REM]
    pays, pro = kscratch[2], bscratch[B_PRO]
    for p in range(n_paths):
        all_cash = ((turbo[k, 0] and bscratch[B_REV, p]) or (turbo[k, 1] and bscratch[B_AMO, p])
                    or (turbo[k, 2] and bscratch[B_ACC, p]))
        cap = scratch[S_CASH, p] if all_cash else _min(
            _principal_available(p, pdl, scratch, bscratch), scratch[S_CASH, p])
        if oc and not all_cash:
            cap = _min(cap, _oc_limit(p, scratch))
        amount[p] = cap if bscratch[B_MASK, p] else 0.0
        rem[p] = amount[p]
        pro[p] = ((pro_states[k, 0] and bscratch[B_REV, p])
                  or (pro_states[k, 1] and bscratch[B_AMO, p])
                  or (pro_states[k, 2] and bscratch[B_ACC, p])) and not bscratch[B_WIND, p]
    _split(k, step_notes, state_k, amount, total, rem, pays, pro)
    for i in range(n):
        note = step_notes[k, i + 1]
        balance, pay, paid = state_k[0, note], pays[i], notes_out[N_PRIN, t, note]
        for p in range(n_paths):
            balance[p] = balance[p] - pay[p]
            total[p] = (0.0 if i == 0 else total[p]) + pay[p]
            paid[p] += pay[p]
    for p in range(n_paths):
        _spend_principal(p, total[p], pdl, oc, scratch, bscratch)
        if last and pdl and bscratch[B_MASK, p]:  # principal funds left become revenue
            scratch[S_PF, p] = 0.0


@njit(cache=True)
def _split(k, step_notes, state_k, amount, total, rem, pays, pro):
    """Split ``amount`` cents over step ``k``'s notes into ``pays`` (§5.6): where ``pro``, each
    note's pro-rata share rounded down to the cent, then the cents the rounding leaves one to
    a note in listed order, then anything left (nothing, unless a note is capped at its
    balance) in listed order; elsewhere sequentially. ``total`` and ``rem`` are work rows."""
    n, n_paths = step_notes[k, 0], amount.shape[0]
    for i in range(n):
        balance = state_k[0, step_notes[k, i + 1]]
        for p in range(n_paths):
            total[p] = (0.0 if i == 0 else total[p]) + balance[p]
    for p in range(n_paths):  # total becomes the pro-rata fraction
        total[p] = amount[p] / total[p] if total[p] > 0 else 0.0
    for i in range(n):  # selects, not branches: which paths split pro rata is data
        balance, pay = state_k[0, step_notes[k, i + 1]], pays[i]
        for p in range(n_paths):
            b, r = balance[p], rem[p]
            share = _min(_floor_cent(b * total[p]), b) if pro[p] else b
            paid = _min(share, r)
            pay[p] = paid
            rem[p] = r - paid
    for one in (1.0, 0.0):  # a cent each in listed order, then what is left (0.0: no cap)
        for i in range(n):
            balance, pay = state_k[0, step_notes[k, i + 1]], pays[i]
            for p in range(n_paths):
                b, r, paid = balance[p], rem[p], pay[p]
                room = b - paid
                if one > 0.0:
                    room = _min(one, room)
                extra = _min(room, r) if pro[p] else 0.0
                rem[p] = r - extra
                pay[p] = paid + extra


@njit(cache=True)
def _fund_reserve(t, opts, params, terms_t, terms_p, state_k, state_p, flags_p, deal_out,
                  scratch, bscratch):
    """fund_reserve on every path: the cash that is not principal fills the reserve up to
    its requirement (§2.2, §5.3); with an OC target, the principal kept back is what a later
    principal step may spend (``_oc_limit``), and the reserve drawn is returned."""
    basis, n_paths = opts[O_BASIS], scratch.shape[1]
    total, required = scratch[S_TOTAL], scratch[S_AMOUNT]
    for k in range(state_k.shape[1]):
        balance = state_k[0, k]
        for p in range(n_paths):
            total[p] = (0.0 if k == 0 else total[p]) + balance[p]
    for p in range(n_paths):
        pct = terms_t[0, t]
        if opts[O_STEP_DOWN_BREACH] and bscratch[B_BREACH, p]:
            pct = params[P_TARGET]
        if basis == 1:
            base = scratch[S_POOL_END, p] + deal_out[D_REINV, t, p]
        else:
            base = terms_p[0, p] if basis == 0 else terms_p[1, p]
        form = _floor_cent(_max(pct * base, params[P_FLOOR] * terms_p[1, p]))
        none = bscratch[B_WIND, p] | (not flags_p[0, p])
        required[p] = 0.0 if none else _min(form, total[p])
    for p in range(n_paths):
        m = bscratch[B_MASK, p]
        cash = scratch[S_CASH, p]
        # principal never funds the reserve: with a PDL, the principal funds; without one,
        # the principal amount the notes are still owed (§5.3)
        kept = scratch[S_PF, p] if opts[O_PDL] else _max(scratch[S_PA, p], 0.0)
        if opts[O_OC]:
            kept = _min(kept, _oc_limit(p, scratch))
        fill = _min(required[p], _max(cash - kept, 0.0)) if m else 0.0
        scratch[S_CASH, p] = cash - fill
        if m:
            scratch[S_DRAW, p] = 0.0
            state_p[Z_RESERVE, p] = fill
            deal_out[D_REQ, t, p], deal_out[D_RESERVE, t, p] = required[p], fill
