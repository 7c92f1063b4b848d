"""One period of the ABS waterfall for every Monte Carlo path, in one compiled pass.

:func:`run_period` does what :mod:`sim.abs.waterfall` describes (docs/WATERFALL.md §5):
it opens the period (amounts due, triggers, deal state, call, principal deficiency debits,
available funds), runs the deal's compiled priority of payments and closes the period
(write-downs, the deal's end), one path at a time instead of one numpy statement over all
paths at a time. Each statement is the scalar form of the array statement it replaces, with
the same operands in the same order and no fast-math, down to numpy's handling of signed zeros
(sums over notes start from 0.0 and run from the most senior note; ``np.minimum`` and
``np.maximum`` give their second operand on a tie): the results are bit-identical to the array
form (``tests/test_waterfall_kernel.py`` compares every output's bits with it).

Each phase is a few short loops over the paths rather than one long one: a loop that stores
to many rows at once, or whose body is a long chain of dependent operations, runs several
times slower per path on the processors this was measured on (docs/BENCHMARKS.md).

The priority of payments is data: a program of verb codes (``VERBS``), each step with its
notes and the states in which its principal is split pro rata, run in groups of steps that
apply to the paths of some deal states (``sim.abs.steps.Terms.groups``).

Outputs go to period-major blocks (fields in :mod:`sim.kernels.waterfall_layout`):
``notes_out`` (``NOTE_FIELDS``, periods, notes, paths), ``deal_out`` (``DEAL_FIELDS`` then
``SOURCE_FIELDS``, periods, paths) and ``flags_out`` (``FLAG_FIELDS``, periods, paths).
"""

from __future__ import annotations

from numba import njit

import sim.kernels.cache  # noqa: F401 - before the first @njit(cache=True)
from sim.kernels.waterfall_layout import (
    B_ACC,
    B_AMO,
    B_BREACH,
    B_CALL,
    B_MASK,
    B_PRO,
    B_REV,
    B_USE_PA,
    B_WIND,
    D_AVAIL,
    D_COLL,
    D_DRAW,
    D_ES,
    D_ESG,
    D_FEES_DUE,
    D_FEES_PAID,
    D_POOL_END,
    D_REINV,
    D_REQ,
    D_RESERVE,
    D_RESIDUAL,
    D_SALE,
    D_SWAP_NET,
    D_SWAP_PAID,
    D_SWAP_REC,
    D_TARGET,
    F_ACC,
    F_ACTIVE,
    F_BREACH,
    F_CALL,
    F_FINAL,
    F_REV,
    F_SEQ,
    N_BEGIN,
    N_COUPON,
    N_CREDIT,
    N_DEBIT,
    N_DUE,
    N_END,
    N_PAID,
    N_PDL,
    N_PRIN,
    N_SHORT,
    N_WD,
    O_BASE,
    O_BASIS,
    O_CALL,
    O_CAPACITY,
    O_COMPOUNDING,
    O_FLOATING,
    O_LEGAL_FINAL,
    O_P2I,
    O_PDL,
    O_REVOLVING,
    O_STEP_DOWN_BREACH,
    O_SWAP,
    P_FEE_MONTHLY,
    P_FLOOR,
    P_SWAP_RATE,
    P_TARGET,
    S_AMOUNT,
    S_CASH,
    S_FEE,
    S_GROSS,
    S_PA,
    S_PF,
    S_POOL,
    S_POOL_END,
    S_REM,
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
)


@njit(cache=True, inline="always")
def _min(a: float, b: float) -> float:
    """``np.minimum`` of two finite floats: ``b`` on a tie (the sign of a zero is kept)."""
    return a if a < b else b


@njit(cache=True, inline="always")
def _max(a: float, b: float) -> float:
    """``np.maximum`` of two finite floats: ``b`` on a tie (the sign of a zero is kept)."""
    return a if a > b else b


@njit(cache=True)
def run_period(t, opts, params, xs, terms_k, terms_t, terms_p, monitor, state_k, state_p,
               flags_p, program, out, work):
    """Run period ``t`` (0-based) for every path, updating the state in place.

    Args:
        t: Period index.
        opts: Int options, ``N_OPTIONS`` long (legal final period, revolving months,
            PDL, swap mode 0 none / 1 floating notes / 2 schedule, call, reserve basis code,
            step-down needs no breach, principal-to-interest code, replenishment capacity
            given, any floating note, any compounding note, delinquency given, base given).
        params: Float parameters (senior fee rate / 12, swap fixed rate, reserve target and
            floor shares).
        xs: Inputs shaped (periods, paths): pool balance, interest, principal, recoveries,
            defaults, delinquent balance, base rate, replenishment capacity (the last three
            (1, 1) when absent).
        terms_k: Per-note terms (fixed coupon, floating 0/1, margin, compounding 0/1), (4, notes).
        terms_t: Per-period terms (reserve share, swap notional schedule), (2, periods).
        terms_p: Per-path terms (initial notes, initial pool, call level), (3, paths).
        monitor: The triggers' terms (type code, threshold, sticky 0/1, months; (4, triggers)),
            breach state (triggers, paths) bool, tested values (triggers, paths), excess
            spread by period (periods, paths) and cumulative defaults (paths,); updated.
        state_k: Balance, interest shortfall and PDL per note, (3, notes, paths), updated.
        state_p: Unpaid fees, unpaid swap, reserve, (3, paths), updated.
        flags_p: Active, ever breached, (2, paths), bool, updated.
        program: (verbs, notes per step (steps, notes + 1) with the count first, pro-rata
            states (steps, 3), last principal step, group states (groups, 3), group starts
            (groups + 1,), states in which any step splits principal pro rata (3,)).
        out: ``notes_out``, ``deal_out``, ``flags_out`` (module docstring), breach state
            reported (periods, triggers, paths) bool, tested values reported (same shape).
        work: Work space: floats (N_SCRATCH, paths), bools (N_BOOL_SCRATCH, paths) and
            per-note floats (2, notes, paths).
    """
    notes_out, deal_out, flags_out = out[0], out[1], out[2]
    scratch, bscratch, kscratch = work
    group_states, group_starts = program[4], program[5]
    _amounts_due(t, opts, params, xs, terms_k, terms_t, state_k, flags_p, notes_out, deal_out,
                 scratch, kscratch)
    _triggers(t, xs, terms_p, monitor, flags_p, deal_out, out[3], out[4], bscratch)
    _open(t, opts, xs, terms_p, state_k, state_p, flags_p, program[6], notes_out, deal_out,
          flags_out, scratch, bscratch, kscratch)
    n_groups = group_states.shape[0]
    for g in range(n_groups):
        if not _mask(g, n_groups, group_states, bscratch):
            continue
        for k in range(group_starts[g], group_starts[g + 1]):
            _step(k, t, opts, params, xs[7], terms_t, terms_p, state_k, state_p, flags_p,
                  program, notes_out, deal_out, scratch, bscratch, kscratch)
    _close(t, opts, state_k, state_p, flags_p, notes_out, deal_out, scratch, bscratch)


@njit(cache=True)
def _mask(g, n_groups, group_states, bscratch):
    """Mark in ``bscratch[B_MASK]`` the paths whose state runs group ``g``'s list (all paths
    when there is one list); return whether any does."""
    n_paths = bscratch.shape[1]
    found = False
    for p in range(n_paths):
        m = n_groups == 1
        for s in range(3):
            if group_states[g, s] and bscratch[s, p]:
                m = True
        bscratch[B_MASK, p] = m
        found |= m
    return found


@njit(cache=True)
def _amounts_due(t, opts, params, xs, terms_k, terms_t, state_k, flags_p, notes_out, deal_out,
                 scratch, kscratch):
    """Coupons, interest due, fee, net swap and excess spread of every path (§5.2, §4);
    inputs read as zero on paths whose deal has ended (the base rate is not).

    Each pass over the paths is short, so that the processor overlaps many paths.
    """
    n_notes, n_paths = state_k.shape[1], state_k.shape[2]
    x_pool, x_interest, x_base = xs[0], xs[1], xs[6]
    act = flags_p[0]
    pool, gross, isum = scratch[S_POOL], scratch[S_GROSS], scratch[S_TOTAL]
    fee = scratch[S_FEE]
    fee_rate = params[P_FEE_MONTHLY]
    for p in range(n_paths):
        pool[p] = x_pool[t, p] if act[p] else 0.0
        fee[p] = fee_rate * pool[p]
        gross[p] = (x_interest[t, p] if act[p] else 0.0) - fee[p]
    for k in range(n_notes):
        _interest_due(t, k, opts, terms_k, x_base, state_k, notes_out, isum, kscratch)
    for p in range(n_paths):
        gross[p] = gross[p] - isum[p]
    swap = scratch[S_SWAP]
    if opts[O_SWAP]:
        for p in range(n_paths):
            base = x_base[t, p] if opts[O_BASE] else 0.0
            swap[p] = _swap_net(t, p, opts[O_SWAP], base, act[p], params, terms_k, terms_t,
                                state_k)
            gross[p] = gross[p] - swap[p]
    else:
        swap[:] = 0.0
    _excess_spread(t, xs[3], xs[4], act, pool, gross, deal_out)


@njit(cache=True)
def _interest_due(t, k, opts, terms_k, x_base, state_k, notes_out, isum, kscratch):
    """Note ``k``'s coupon and interest due on every path; its interest added to ``isum``."""
    balance, shortfall, due, coupon_out = state_k[0, k], state_k[1, k], kscratch[0, k], \
        notes_out[N_COUPON, t, k]
    fixed = not (opts[O_FLOATING] and terms_k[1, k] != 0.0)
    compounding = terms_k[3, k] if opts[O_COMPOUNDING] else 0.0
    for p in range(balance.shape[0]):
        coupon = terms_k[0, k] if fixed else _max(x_base[t, p] + terms_k[2, k], 0.0)
        monthly = coupon / 12.0
        interest = monthly * balance[p]
        amount = interest + shortfall[p]
        if opts[O_COMPOUNDING]:
            amount = amount + compounding * monthly * shortfall[p]
        due[p] = amount
        coupon_out[p] = coupon
        isum[p] = (0.0 if k == 0 else isum[p]) + interest


@njit(cache=True)
def _excess_spread(t, x_recoveries, x_defaults, act, pool, gross, deal_out):
    """Annualised excess spread before and after losses, 0 where the pool is empty (§4)."""
    es, es_gross = deal_out[D_ES, t], deal_out[D_ESG, t]
    for p in range(pool.shape[0]):
        loss = (x_defaults[t, p] - x_recoveries[t, p]) if act[p] else 0.0
        net = gross[p] - loss
        es_gross[p] = gross[p] / pool[p] * 12.0 if pool[p] > 0 else 0.0
        es[p] = net / pool[p] * 12.0 if pool[p] > 0 else 0.0


@njit(cache=True, inline="always")
def _swap_net(t, p, mode, base, act, params, terms_k, terms_t, state_k):
    """Net swap amount on path ``p``, positive when the vehicle pays (``Terms.swap_net``)."""
    if mode == 1:
        notional = 0.0
        for k in range(state_k.shape[1]):
            if terms_k[1, k] != 0.0:
                notional = notional + state_k[0, k, p]
    else:
        notional = terms_t[1, t]
    return notional * (params[P_SWAP_RATE] - base) / 12.0 * (1.0 if act else 0.0)


@njit(cache=True)
def _triggers(t, xs, terms_p, monitor, flags_p, deal_out, trig_out, trig_values_out, bscratch):
    """Update every trigger on every path (``TriggerMonitor``); mark breached paths."""
    trig, trig_state, trig_values, es_history, cum_defaults = monitor
    x_defaults, act, breach = xs[4], flags_p[0], bscratch[B_BREACH]
    es = deal_out[D_ES, t]
    for p in range(act.shape[0]):
        cum_defaults[p] += x_defaults[t, p] if act[p] else 0.0
        es_history[t, p] = es[p]
        breach[p] = False
    for j in range(trig.shape[1]):
        values = trig_values[j]
        kind = int(trig[0, j])
        if kind == 0:
            _ratio(cum_defaults, terms_p[1], values)
        elif kind == 1:
            _delinquency_ratio(t, xs[5], xs[0], act, values)
        else:
            _rolling_mean(es_history, max(0, t + 1 - int(trig[3, j])), t + 1, values)
        threshold, sticky, state = trig[1, j], trig[2, j] != 0.0, trig_state[j]
        out, values_out = trig_out[t, j], trig_values_out[t, j]
        for p in range(act.shape[0]):
            cond = values[p] < threshold if kind == 2 else values[p] > threshold
            hit = (state[p] | cond) if sticky else cond
            state[p] = hit
            breach[p] = breach[p] | hit
            out[p] = hit & act[p]
        for p in range(act.shape[0]):
            values_out[p] = values[p] if act[p] else 0.0
    ever = flags_p[1]
    for p in range(act.shape[0]):
        breach[p] = breach[p] & act[p]
        ever[p] = ever[p] | breach[p]


@njit(cache=True)
def _rolling_mean(history, start, stop, out):
    """Mean of ``history[start:stop]`` over its first axis, summed from ``start`` on."""
    for p in range(out.shape[0]):
        out[p] = 0.0 + history[start, p]
    for i in range(start + 1, stop):
        row = history[i]
        for p in range(out.shape[0]):
            out[p] += row[p]
    n = stop - start
    for p in range(out.shape[0]):
        out[p] = out[p] / n


@njit(cache=True)
def _ratio(num, den, out):
    """``num / den`` where ``den`` is positive, else 0 (``safe_ratio``)."""
    for p in range(out.shape[0]):
        out[p] = num[p] / den[p] if den[p] > 0 else 0.0


@njit(cache=True)
def _delinquency_ratio(t, x_delinquent, x_pool, act, out):
    """Delinquent balance over the period's pool balance (0 on ended deals)."""
    for p in range(out.shape[0]):
        pool = x_pool[t, p] if act[p] else 0.0
        delinquent = x_delinquent[t, p] if act[p] else 0.0
        out[p] = delinquent / pool if pool > 0 else 0.0


@njit(cache=True)
def _open(t, opts, xs, terms_p, state_k, state_p, flags_p, union, notes_out, deal_out,
          flags_out, scratch, bscratch, kscratch):
    """Deal state (§3), call, PDL debits and available funds of every path (§5.2)."""
    n_notes, n_paths = state_k.shape[1], state_k.shape[2]
    final = t == opts[O_LEGAL_FINAL] - 1
    _deal_states(t, opts, final, xs, terms_p, flags_p, union, flags_out, scratch, bscratch)
    total = scratch[S_TOTAL]
    for k in range(n_notes):
        balance, begin, due, due_out = state_k[0, k], notes_out[N_BEGIN, t, k], kscratch[0, k], \
            notes_out[N_DUE, t, k]
        for p in range(n_paths):
            total[p] = (0.0 if k == 0 else total[p]) + balance[p]
            begin[p] = balance[p]
            due_out[p] = due[p]
    _available(t, opts, xs, flags_p[0], state_p, deal_out, scratch, bscratch)
    if opts[O_PDL]:
        for p in range(n_paths):
            defaults = xs[4][t, p] if flags_p[0, p] else 0.0
            _debit_pdl(t, p, defaults, state_k, notes_out, False)
            _eligible(p, opts[O_P2I], state_k, kscratch)


@njit(cache=True)
def _deal_states(t, opts, final, xs, terms_p, flags_p, union, flags_out, scratch, bscratch):
    """Revolving, amortising and accelerated paths, the call and the wind-up (§3, §5.9)."""
    x_pool, x_principal, x_defaults = xs[0], xs[2], xs[4]
    act, ever, pool_end = flags_p[0], flags_p[1], scratch[S_POOL_END]
    rev, amo, acc, wind = bscratch[B_REV], bscratch[B_AMO], bscratch[B_ACC], bscratch[B_WIND]
    breach, use_pa, call_level = bscratch[B_BREACH], bscratch[B_USE_PA], terms_p[2]
    call = bscratch[B_CALL]
    has_call, revolving = opts[O_CALL] != 0, not final and t < opts[O_REVOLVING]
    f_rev, f_acc, f_seq = flags_out[F_REV, t], flags_out[F_ACC, t], flags_out[F_SEQ, t]
    f_call, f_final = flags_out[F_CALL, t], flags_out[F_FINAL, t]
    f_breach, f_active = flags_out[F_BREACH, t], flags_out[F_ACTIVE, t]
    pdl = opts[O_PDL] != 0
    for p in range(act.shape[0]):  # & and | rather than and/or: no branches
        a = act[p]
        r = a & (not ever[p]) & revolving
        x = breach[p] & (not r)
        end = _max(((x_pool[t, p] - x_principal[t, p]) - x_defaults[t, p]) if a else 0.0, 0.0)
        called = has_call & a & (not r) & (end <= call_level[p])
        w = (called | final) & a
        rev[p], acc[p], amo[p], wind[p], pool_end[p] = r, x, (not r) & (not x), w, end
        use_pa[p] = w | (not pdl)
        pro_rata = (union[0] & r) | (union[1] & (not r) & (not x)) | (union[2] & x)
        call[p] = called
        f_seq[p] = (not pro_rata) | w
    # copies in loops of their own: a loop storing to many rows at once is slow
    _copy_bool(rev, f_rev)
    _copy_bool(acc, f_acc)
    _copy_bool(call, f_call)
    _copy_bool(breach, f_breach)
    _copy_bool(act, f_active)
    for p in range(act.shape[0]):
        f_final[p] = wind[p] & final


@njit(cache=True)
def _copy_bool(src, out):
    """``out[:] = src`` for boolean rows."""
    for p in range(src.shape[0]):
        out[p] = src[p]


@njit(cache=True)
def _copy(src, out):
    """``out[:] = src`` for float rows."""
    for p in range(src.shape[0]):
        out[p] = src[p]


@njit(cache=True)
def _available(t, opts, xs, act, state_p, deal_out, scratch, bscratch):
    """Principal amount, available funds and their sources on every path (§5.2)."""
    x_interest, x_principal, x_recoveries = xs[1], xs[2], xs[3]
    pdl, wind, use_pa, call = opts[O_PDL] != 0, bscratch[B_WIND], bscratch[B_USE_PA], \
        bscratch[B_CALL]
    total, pool_end, swap = scratch[S_TOTAL], scratch[S_POOL_END], scratch[S_SWAP]
    cash, pf, pa, used = scratch[S_CASH], scratch[S_PF], scratch[S_PA], scratch[S_USED]
    available, target = deal_out[D_AVAIL, t], deal_out[D_TARGET, t]
    collected, drawn = deal_out[D_COLL, t], deal_out[D_DRAW, t]
    for p in range(act.shape[0]):
        pa[p] = total[p] if wind[p] else _min(_max(total[p] - pool_end[p], 0.0), total[p])
    for p in range(act.shape[0]):
        principal = x_principal[t, p] if act[p] else 0.0
        collections = ((x_interest[t, p] + principal) + x_recoveries[t, p]) if act[p] else 0.0
        sale = pool_end[p] if call[p] else 0.0
        reserve = state_p[2, p]
        cash[p] = collections + _max(-swap[p], 0.0) + sale + reserve
        state_p[2, p] = 0.0
        pf[p] = (0.0 if use_pa[p] else principal) if pdl else 0.0
        collected[p], drawn[p] = collections, reserve
    used[:] = 0.0
    _copy(cash, available)
    if pdl:
        for p in range(act.shape[0]):
            target[p] = pa[p] if use_pa[p] else pf[p]
    else:
        _copy(pa, target)
    if opts[O_SWAP]:
        for p in range(act.shape[0]):
            deal_out[D_SWAP_REC, t, p] = _max(-swap[p], 0.0)
            deal_out[D_SWAP_NET, t, p] = swap[p]
    if opts[O_CALL]:
        for p in range(act.shape[0]):
            deal_out[D_SALE, t, p] = pool_end[p] if call[p] else 0.0


@njit(cache=True)
def _debit_pdl(t, p, amount, state_k, notes_out, add):
    """Debit ``amount`` to the ledgers from the most junior note up (``_debit_pdl``) and record
    the debits (added to the period's earlier debits when ``add``)."""
    rem = amount
    for k in range(state_k.shape[1] - 1, -1, -1):
        room = _max(state_k[0, k, p] - state_k[2, k, p], 0.0)
        debit = _min(room, rem)
        if k > 0:
            rem = _max(rem - debit, 0.0)
        state_k[2, k, p] = state_k[2, k, p] + debit
        if add:
            notes_out[N_DEBIT, t, k, p] += debit
        else:
            notes_out[N_DEBIT, t, k, p] = debit


@njit(cache=True)
def _eligible(p, rule, state_k, kscratch):
    """Whose interest principal funds may pay (§5.4), into ``kscratch[1]`` (1.0 or 0.0)."""
    n_notes = state_k.shape[1]
    first = -1
    for k in range(n_notes):
        if rule == 2:
            ok = True
        elif rule == 3:
            ok = False
        elif rule == 1:
            ok = state_k[2, k, p] <= 0.0
        else:
            ok = False
            if first < 0 and (state_k[0, k, p] > 0.0 or state_k[1, k, p] > 0.0):
                first = k
                ok = True
        kscratch[1, k, p] = 1.0 if ok else 0.0


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
def _spend_principal(p, amount, pdl, scratch, bscratch):
    """Take ``amount`` out of cash and the principal amount (``spend_principal``)."""
    scratch[S_CASH, p] = _max(scratch[S_CASH, p] - amount, 0.0)
    if not pdl:
        scratch[S_PA, p] = scratch[S_PA, p] - amount
    elif bscratch[B_USE_PA, p]:
        scratch[S_PA, p] = scratch[S_PA, p] - amount
    else:
        scratch[S_PF, p] = _max(scratch[S_PF, p] - amount, 0.0)


@njit(cache=True)
def _step(k, t, opts, params, x_capacity, terms_t, terms_p, state_k, state_p, flags_p, program,
          notes_out, deal_out, scratch, bscratch, kscratch):
    """Run step ``k`` of the program on every path (on the paths outside ``B_MASK`` it pays
    nothing and records nothing, as the array form's ``ctx.keep``)."""
    verb = program[0][k]
    pdl = opts[O_PDL] != 0
    if verb == V_FEES or verb == V_SWAP:
        _pay_senior(t, verb == V_FEES, pdl, state_p, deal_out, scratch, bscratch)
    elif verb == V_INTEREST or verb == V_CLEAR:
        for i in range(program[1][k, 0]):
            note = program[1][k, i + 1]
            if verb == V_INTEREST:
                _pay_interest(t, note, pdl, state_k, notes_out, scratch, bscratch, kscratch)
            else:
                _clear_pdl(t, note, pdl, state_k, notes_out, scratch, bscratch)
    elif verb == V_REINVEST:
        _reinvest(t, opts, x_capacity, flags_p, deal_out, scratch, bscratch)
    elif verb == V_PRINCIPAL:
        _pay_principal(k, t, pdl, program, state_k, notes_out, scratch, bscratch, kscratch)
    elif verb == V_RESERVE:
        _fund_reserve(t, opts, params, terms_t, terms_p, state_k, state_p, flags_p, deal_out,
                      scratch, bscratch)
    else:  # pay_residual
        for p in range(scratch.shape[1]):
            if bscratch[B_MASK, p]:
                deal_out[D_RESIDUAL, t, p] = scratch[S_CASH, p]
                scratch[S_CASH, p] = 0.0


@njit(cache=True)
def _pay_senior(t, fees, pdl, state_p, deal_out, scratch, bscratch):
    """pay_fees (``fees``) or pay_swap on every path: this period's amount plus arrears."""
    row = 0 if fees else 1
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
    """reinvest on every revolving path (nothing at all when no path revolves)."""
    n_paths = scratch.shape[1]
    revolving = False
    for p in range(n_paths):
        revolving |= bscratch[B_REV, p]
    if not revolving:
        return
    pdl = opts[O_PDL] != 0
    for p in range(n_paths):
        amount = _min(_principal_available(p, pdl, scratch, bscratch), scratch[S_CASH, p])
        if opts[O_CAPACITY]:
            amount = _min(amount, x_capacity[t, p] if flags_p[0, p] else 0.0)
        if not (bscratch[B_REV, p] and bscratch[B_MASK, p]):
            amount = 0.0
        _spend_principal(p, amount, pdl, scratch, bscratch)
        deal_out[D_REINV, t, p] += amount


@njit(cache=True)
def _pay_principal(k, t, pdl, program, state_k, notes_out, scratch, bscratch, kscratch):
    """pay_principal step ``k`` on every path: pro rata on the paths whose state says so
    (outside a wind-up), sequentially elsewhere (``_pay_principal`` and ``_allocate``).

    Each pass over the paths is short, so that the processor overlaps many paths.
    """
    step_notes, pro_states, last = program[1], program[2], program[3][k]
    n, n_paths = step_notes[k, 0], scratch.shape[1]
    amount, total, rem = scratch[S_AMOUNT], scratch[S_TOTAL], scratch[S_REM]
    pays, pro = kscratch[2], bscratch[B_PRO]
    for p in range(n_paths):
        cap = _min(_principal_available(p, pdl, scratch, bscratch), scratch[S_CASH, p])
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
        _spend_principal(p, total[p], pdl, scratch, bscratch)
        if last and pdl and bscratch[B_MASK, p]:  # principal funds left become revenue
            scratch[S_PF, p] = 0.0


@njit(cache=True)
def _split(k, step_notes, state_k, amount, total, rem, pays, pro):
    """Split ``amount`` over step ``k``'s notes into ``pays``: pro rata where ``pro``, the
    excess over a note's balance to the rest in listed order (``allocate_pro_rata``), else
    sequentially (``allocate_sequential``); ``total`` and ``rem`` are work rows."""
    n, n_paths = step_notes[k, 0], amount.shape[0]
    for i in range(n):
        balance = state_k[0, step_notes[k, i + 1]]
        for p in range(n_paths):
            total[p] = (0.0 if i == 0 else total[p]) + balance[p]
    for p in range(n_paths):  # total becomes the pro-rata fraction
        total[p] = amount[p] / total[p] if total[p] > 0 else 0.0
    for i in range(n):  # selects, not branches: which paths split pro rata is data
        balance, pay = state_k[0, step_notes[k, i + 1]], pays[i]
        keep_rest = i < n - 1
        for p in range(n_paths):
            b, pr, r = balance[p], pro[p], rem[p]
            share = _min(b * total[p], b) if pr else b
            paid = _min(share, r)
            pay[p] = paid
            rem[p] = _max(r - paid, 0.0) if (pr | keep_rest) else r
    for i in range(n):  # what the pro-rata shares leave goes in listed order
        balance, pay = state_k[0, step_notes[k, i + 1]], pays[i]
        keep_rest = i < n - 1
        for p in range(n_paths):
            b, pr, r, paid = balance[p], pro[p], rem[p], pay[p]
            extra = _min(b - paid, r)
            rem[p] = _max(r - extra, 0.0) if (pr & keep_rest) else r
            pay[p] = _min(paid + extra, b) if pr else paid


@njit(cache=True)
def _fund_reserve(t, opts, params, terms_t, terms_p, state_k, state_p, flags_p, deal_out,
                  scratch, bscratch):
    """fund_reserve on every path: revenue fills the reserve up to its requirement (§2.2)."""
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
        form = _max(pct * base, params[P_FLOOR] * terms_p[1, p])
        none = bscratch[B_WIND, p] | (not flags_p[0, p])
        required[p] = 0.0 if none else _min(form, total[p])
    for p in range(n_paths):
        m = bscratch[B_MASK, p]
        cash = scratch[S_CASH, p]
        revenue = _max(cash - scratch[S_PF, p], 0.0) if opts[O_PDL] else cash
        fill = _min(required[p], revenue) if m else 0.0
        scratch[S_CASH, p] = cash - fill
        if m:
            state_p[2, p] = fill
            deal_out[D_REQ, t, p], deal_out[D_RESERVE, t, p] = required[p], fill


@njit(cache=True)
def _close(t, opts, state_k, state_p, flags_p, notes_out, deal_out, scratch, bscratch):
    """Debit principal used for revenue items, write off and end the deal on a wind-up (§5.7)."""
    pdl = opts[O_PDL] != 0
    n_notes, n_paths = state_k.shape[1], state_k.shape[2]
    if pdl:
        for p in range(n_paths):
            _debit_pdl(t, p, scratch[S_USED, p], state_k, notes_out, True)
    act, wind = flags_p[0], bscratch[B_WIND]
    pool_end, reinvested, sale = scratch[S_POOL_END], deal_out[D_REINV, t], deal_out[D_SALE, t]
    out = deal_out[D_POOL_END, t]
    ending = False
    for p in range(n_paths):
        end = pool_end[p] + reinvested[p] - sale[p]
        out[p] = end if act[p] else 0.0
        ending |= wind[p]
    for k in range(n_notes):
        balance, ledger = state_k[0, k], state_k[2, k]
        if ending:
            _write_down(balance, notes_out[N_WD, t, k], wind)
        _copy(balance, notes_out[N_END, t, k])
        if pdl:
            ledger_out = notes_out[N_PDL, t, k]
            for p in range(n_paths):
                ledger[p] = _min(ledger[p], balance[p])
                ledger_out[p] = ledger[p]
    if ending:
        _end_deals(wind, state_k, state_p, act)


@njit(cache=True)
def _end_deals(wind, state_k, state_p, act):
    """Clear what the ended deals carry forward (arrears, ledgers) and mark them ended."""
    for p in range(act.shape[0]):
        if wind[p]:
            for k in range(state_k.shape[1]):
                state_k[1, k, p] = 0.0
                state_k[2, k, p] = 0.0
            state_p[0, p] = 0.0
            state_p[1, p] = 0.0
            act[p] = False


@njit(cache=True)
def _write_down(balance, writedown, wind):
    """Write the balance off where the deal winds up."""
    for p in range(balance.shape[0]):
        if wind[p]:
            written = balance[p]
            balance[p] = balance[p] - written
            writedown[p] = written


@njit(cache=True)
def period_major(src, out, floor):
    """Copy ``src`` (paths, periods) into ``out`` (periods, paths), negative values read as
    zero when ``floor`` (``np.maximum(src.T, 0.0)``); in blocks of paths, so that both sides
    are read and written a cache line at a time."""
    n_paths, n_periods = src.shape
    for lo in range(0, n_paths, 64):
        hi = min(lo + 64, n_paths)
        for t in range(n_periods):
            row = out[t]
            for p in range(lo, hi):
                x = src[p, t]
                row[p] = (x if x > 0.0 else 0.0) if floor else x
