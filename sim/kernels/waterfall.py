"""One period of the ABS waterfall for every Monte Carlo path, in one compiled pass.

:func:`run_period` does what :mod:`sim.abs.waterfall` describes (docs/WATERFALL.md §5):
it opens the period (amounts due, triggers, deal state, call, principal deficiency debits,
available funds), runs the deal's compiled priority of payments and closes the period
(write-downs, the deal's end), in compiled loops over the paths instead of numpy statements
over all paths. Each statement is the scalar form of the array statement it replaces, with
the same operands in the same order and no fast-math, down to numpy's handling of signed zeros
(sums over notes start from 0.0 and run from the most senior note; ``np.minimum`` and
``np.maximum`` give their second operand on a tie): the results are bit-identical to the array
form (``tests/test_waterfall_kernel.py`` holds the digests of its outputs). Names in double
backquotes in the docstrings below (``_open_period``, ``PeriodContext.pay``...) are the
array form's, in ``sim/abs`` as of commit bf98d09.

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
    B_REV,
    B_USE_PA,
    B_WIND,
    D_AVAIL,
    D_COLL,
    D_DRAW,
    D_ES,
    D_ESG,
    D_POOL_END,
    D_REINV,
    D_ROUND,
    D_SALE,
    D_SWAP_NET,
    D_SWAP_PAID,
    D_SWAP_REC,
    D_TARGET,
    D_TOP_UP,
    F_ACC,
    F_ACTIVE,
    F_BREACH,
    F_CALL,
    F_FINAL,
    F_REV,
    F_SEQ,
    N_BEGIN,
    N_COUPON,
    N_DEBIT,
    N_DUE,
    N_END,
    N_PDL,
    N_WD,
    O_BASE,
    O_CALL,
    O_CALL_PAR,
    O_COMPOUNDING,
    O_FLOATING,
    O_LEGAL_FINAL,
    O_OC,
    O_P2I,
    O_PDL,
    O_REVOLVING,
    O_SWAP,
    P_FEE_MONTHLY,
    P_OC_FLOOR,
    P_OC_TARGET,
    P_SWAP_RATE,
    S_CASH,
    S_DRAW,
    S_FEE,
    S_GROSS,
    S_KEEP,
    S_PA,
    S_PF,
    S_POOL,
    S_POOL_END,
    S_RES_PRIN,
    S_SWAP,
    S_TOTAL,
    S_USED,
    T_OC,
    T_POOL,
    Z_CARRY,
    Z_DEFAULT_CARRY,
    Z_FEES,
    Z_PF_CARRY,
    Z_RESERVE,
    Z_SWAP,
)
from sim.kernels.waterfall_steps import _floor_cent, _max, _min, run_step
from sim.kernels.waterfall_triggers import update_triggers


@njit(cache=True)
def run_period(t, opts, params, xs, terms_k, terms_t, terms_p, monitor, state_k, state_p,
               flags_p, program, out, work):
    """Run period ``t`` (0-based) for every path, updating the state in place.

    Args:
        t: Period index.
        opts: Int options, ``N_OPTIONS`` long (legal final period, revolving months,
            PDL, swap mode 0 none / 1 floating notes / 2 schedule, call, reserve basis code,
            step-down needs no breach, principal-to-interest code, replenishment capacity
            given, any floating note, any compounding note, delinquency given, base given,
            OC target given).
        params: Float parameters (senior fee rate / 12, swap fixed rate, reserve target and
            floor shares, OC target and floor shares).
        xs: Inputs shaped (periods, paths): pool balance, interest, principal, recoveries,
            defaults, delinquent balance (cents), base rate (annual), replenishment capacity
            (cents) (the last three (1, 1) when absent).
        terms_k: Per-note terms (fixed coupon, floating 0/1, margin, compounding 0/1), (4, notes).
        terms_t: Per-period terms (reserve share, swap notional schedule in cents),
            (2, periods).
        terms_p: Per-path terms (initial notes, initial pool, call level, overcollateral-
            isation at closing), cents, (4, paths).
        monitor: The triggers' terms (type code, threshold, sticky 0/1, months; (4, triggers)),
            breach state (triggers, paths) bool, tested values (triggers, paths), excess
            spread by period (periods, paths), cumulative defaults and cumulative net losses
            (defaults less recoveries) (paths,); updated.
        state_k: Balance, interest shortfall and PDL per note, (3, notes, paths), whole cents,
            updated.
        state_p: Unpaid fees, unpaid swap, reserve, and the sub-cent remainders carried of
            the collections, the principal funds and the defaults (rows ``Z_FEES`` to
            ``Z_DEFAULT_CARRY``; ``N_PATH_STATE``, paths), cents, updated.
        flags_p: Active, ever breached, (2, paths), bool, updated.
        program: (verbs, notes per step (steps, notes + 1) with the count first, pro-rata
            states (steps, 3), last principal step, group states (groups, 3), group starts
            (groups + 1,), states in which any step splits principal pro rata (3,), turbo
            states (steps, 3)).
        out: ``notes_out``, ``deal_out``, ``flags_out`` (module docstring; money in currency
            units once the period has run), breach state reported (periods, triggers, paths)
            bool, tested values reported (same shape).
        work: Work space: floats (N_SCRATCH, paths), bools (N_BOOL_SCRATCH, paths) and
            per-note floats (3, notes, paths): interest due, eligibility, payments.
    """
    notes_out, deal_out, flags_out = out[0], out[1], out[2]
    scratch, bscratch, kscratch = work
    group_states, group_starts = program[4], program[5]
    _amounts_due(t, opts, params, xs, terms_k, terms_t, state_k, flags_p, notes_out, deal_out,
                 scratch, kscratch)
    update_triggers(t, xs, terms_p, monitor, flags_p, deal_out, out[3], out[4], bscratch)
    _open(t, opts, params, xs, terms_p, state_k, state_p, flags_p, program[6], notes_out,
          deal_out, flags_out, scratch, bscratch, kscratch)
    n_groups = group_states.shape[0]
    for g in range(n_groups):
        if not _mask(g, n_groups, group_states, bscratch):
            continue
        for k in range(group_starts[g], group_starts[g + 1]):
            run_step(k, t, opts, params, xs[7], terms_t, terms_p, state_k, state_p, flags_p,
                  program, notes_out, deal_out, scratch, bscratch, kscratch)
    _close(t, opts, state_k, state_p, flags_p, notes_out, deal_out, scratch, bscratch)
    _to_units(t, opts, notes_out, deal_out)


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
        fee[p] = _floor_cent(fee_rate * pool[p])
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
        interest = _floor_cent(monthly * balance[p])
        amount = interest + shortfall[p]
        if opts[O_COMPOUNDING]:
            amount = amount + _floor_cent(compounding * monthly * shortfall[p])
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
    net = notional * (params[P_SWAP_RATE] - base) / 12.0 * (1.0 if act else 0.0)
    return _floor_cent(net) if net >= 0.0 else -_floor_cent(-net)  # whole cents, towards 0


@njit(cache=True)
def _open(t, opts, params, xs, terms_p, state_k, state_p, flags_p, union, notes_out, deal_out,
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
    _available(t, opts, params, xs, terms_p, flags_p[0], state_p, deal_out, scratch, bscratch,
               kscratch)
    if opts[O_PDL]:
        wind = bscratch[B_WIND]
        for p in range(n_paths):
            # the defaults' fractions of a cent add up to cents of debit (§5.11)
            raw = (xs[4][t, p] + state_p[Z_DEFAULT_CARRY, p]) if flags_p[0, p] else 0.0
            defaults = _floor_carry(raw, state_p, Z_DEFAULT_CARRY, p, wind[p])[0]
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


@njit(cache=True, inline="always")
def _principal_amount(target_given, revolving, target, floor, first_pool, closing_oc, notes,
                      pool_end):
    """The principal amount of a path outside a wind-up (§5.2.8): the notes paid down to the
    pool at the period's end less its required overcollateralisation (the deal's target, or
    the OC at closing). In a revolving period a target is on the pool after the purchases the
    amount makes: the pool must be the notes over (1 - target), and the notes plus the
    floor. Cents, rounded down to the cent (the OC target too)."""
    if target_given and revolving:
        need = notes + floor * first_pool
        need = _max(need, notes / (1.0 - target) if target < 1.0 else pool_end + notes)
        return _min(_floor_cent(_max(need - pool_end, 0.0)), notes)
    oc = _floor_cent(_max(target * pool_end, floor * first_pool)) if target_given else closing_oc
    backing = pool_end - _min(oc, pool_end)
    return _min(_floor_cent(_max(notes - backing, 0.0)), notes)


@njit(cache=True, inline="always")
def _at_most_closing(share, first_pool, closing_oc):
    """``share`` of a pool, or the OC at closing's share of the first pool if that is less
    (the closing ratio, §5.3)."""
    return share if share * first_pool <= closing_oc else closing_oc / first_pool


@njit(cache=True)
def _principal_amounts(opts, params, terms_p, scratch, bscratch):
    """The principal amount of every path (§5.2.8), the whole note balance on a wind-up;
    with an OC target also ``K``, the principal amount of the same
    target and floor each capped at the closing ratio (the OC at closing over the first
    pool), the two that bound what the principal steps may spend (``_oc_limit``, §5.3). A
    target and floor at or below the closing ratio give ``K`` = PA."""
    total, pool_end, pa, wind = scratch[S_TOTAL], scratch[S_POOL_END], scratch[S_PA], \
        bscratch[B_WIND]
    target, floor = params[P_OC_TARGET], params[P_OC_FLOOR]
    for p in range(pa.shape[0]):
        pa[p] = total[p] if wind[p] else _principal_amount(
            opts[O_OC] != 0, bscratch[B_REV, p], target, floor, terms_p[T_POOL, p],
            terms_p[T_OC, p], total[p], pool_end[p])
    if opts[O_OC]:  # the reserve funds no OC built above the closing ratio
        keep = scratch[S_KEEP]
        for p in range(pa.shape[0]):
            first, closing = terms_p[T_POOL, p], terms_p[T_OC, p]
            keep[p] = total[p] if wind[p] else _principal_amount(
                True, bscratch[B_REV, p], _at_most_closing(target, first, closing),
                _at_most_closing(floor, first, closing), first, closing, total[p],
                pool_end[p])


@njit(cache=True, inline="always")
def _floor_carry(raw, state_p, z, p, wind):
    """``raw`` cents rounded down to a whole cent, the fraction of a cent left over carried
    to the next period in ``state_p[z, p]`` (released, 0, when the deal winds up, ``wind``)
    (§5.11). Returns the whole cents and the fraction left."""
    cents = _floor_cent(raw)
    left = _max(raw - cents, 0.0)
    state_p[z, p] = 0.0 if wind else left
    return cents, left


@njit(cache=True)
def _available(t, opts, params, xs, terms_p, act, state_p, deal_out, scratch, bscratch,
               kscratch):
    """Principal amount, available funds and their sources on every path (§5.2): the notes
    are paid down to the pool less its required overcollateralisation (the OC target's, or
    the OC at closing when the deal sets none; ``_principal_amounts``). Collections, with the
    fraction of a cent brought forward, are rounded down to the cent, and the fraction left is
    carried to the next period (released when the deal ends); so are principal funds and sale
    proceeds (§5.11)."""
    x_interest, x_principal, x_recoveries = xs[1], xs[2], xs[3]
    pdl, wind, use_pa, call = opts[O_PDL] != 0, bscratch[B_WIND], bscratch[B_USE_PA], \
        bscratch[B_CALL]
    total, pool_end, swap = scratch[S_TOTAL], scratch[S_POOL_END], scratch[S_SWAP]
    cash, pf, pa, used = scratch[S_CASH], scratch[S_PF], scratch[S_PA], scratch[S_USED]
    available, principal_target = deal_out[D_AVAIL, t], deal_out[D_TARGET, t]
    collected, drawn = deal_out[D_COLL, t], deal_out[D_DRAW, t]
    _principal_amounts(opts, params, terms_p, scratch, bscratch)
    carried = deal_out[D_ROUND, t]
    for p in range(act.shape[0]):
        principal = x_principal[t, p] if act[p] else 0.0
        raw = ((x_interest[t, p] + principal) + x_recoveries[t, p]) if act[p] else 0.0
        raw = raw + state_p[Z_CARRY, p]  # with the fraction of a cent brought forward
        collections, left = _floor_carry(raw, state_p, Z_CARRY, p, wind[p])
        carried[p] = left  # released to the residual holder when the deal ends (wind)
        price = _floor_cent(pool_end[p]) if call[p] else 0.0
        sale = price
        if call[p] and opts[O_CALL_PAR]:  # at least the notes and the interest due on them
            sale = _max(sale, total[p] + kscratch[0, :, p].sum())
            deal_out[D_TOP_UP, t, p] = sale - price  # what the originator adds
        if opts[O_CALL]:
            deal_out[D_SALE, t, p] = sale
        reserve = state_p[Z_RESERVE, p]
        cash[p] = collections + _max(-swap[p], 0.0) + sale + reserve
        state_p[Z_RESERVE, p] = 0.0
        pf[p] = 0.0
        if pdl and not use_pa[p]:  # principal's fractions add up to cents of PF (§5.11)
            raw = principal + state_p[Z_PF_CARRY, p]
            pf[p] = _floor_carry(raw, state_p, Z_PF_CARRY, p, wind[p])[0]
        elif wind[p]:  # a wind-up uses PA (``use_pa``): its carry is released here
            state_p[Z_PF_CARRY, p] = 0.0
        collected[p], drawn[p] = collections, reserve
    used[:] = 0.0
    _reserve_drawn(t, pdl, deal_out, scratch)
    _copy(cash, available)
    if pdl:
        for p in range(act.shape[0]):
            principal_target[p] = pa[p] if use_pa[p] else pf[p]
    else:
        _copy(pa, principal_target)
    if opts[O_SWAP]:
        for p in range(act.shape[0]):
            deal_out[D_SWAP_REC, t, p] = _max(-swap[p], 0.0)
            deal_out[D_SWAP_NET, t, p] = swap[p]


@njit(cache=True)
def _reserve_drawn(t, pdl, deal_out, scratch):
    """The reserve's part of the cash, ``S_DRAW``, the last revenue any step spends (§5.3):
    the reserve drawn, or with a PDL the revenue if that is less (principal funds rounded
    from their own fraction of a cent may exceed the other funds by a cent: the principal
    steps spend that much of the reserve, the first of ``S_RES_PRIN``)."""
    drawn, draw, spent = deal_out[D_DRAW, t], scratch[S_DRAW], scratch[S_RES_PRIN]
    if not pdl:
        _copy(drawn, draw)
        spent[:] = 0.0
        return
    cash, pf = scratch[S_CASH], scratch[S_PF]
    for p in range(draw.shape[0]):
        draw[p] = _min(drawn[p], _max(cash[p] - pf[p], 0.0))
        spent[p] = drawn[p] - draw[p]


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


@njit(cache=True)
def _close(t, opts, state_k, state_p, flags_p, notes_out, deal_out, scratch, bscratch):
    """Debit principal used for revenue items, write off and end the deal on a wind-up (§5.7)."""
    pdl = opts[O_PDL] != 0
    n_notes, n_paths = state_k.shape[1], state_k.shape[2]
    if pdl:
        for p in range(n_paths):
            _debit_pdl(t, p, scratch[S_USED, p], state_k, notes_out, True)
    act, wind = flags_p[0], bscratch[B_WIND]
    pool_end, reinvested, call = scratch[S_POOL_END], deal_out[D_REINV, t], bscratch[B_CALL]
    out = deal_out[D_POOL_END, t]
    ending = False
    for p in range(n_paths):
        end = pool_end[p] + reinvested[p] - (pool_end[p] if call[p] else 0.0)  # the pool sold
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
            state_p[Z_FEES, p] = 0.0
            state_p[Z_SWAP, p] = 0.0
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
def _to_units(t, opts, notes_out, deal_out):
    """Period ``t``'s money outputs from cents to currency units (cents / 100, the nearest
    float to the decimal amount), leaving out the fields the deal never fills (ledgers without
    a PDL, swap without a swap, call without a call), which are 0, and the reserve's uses,
    written in currency units."""
    n_notes = notes_out.shape[2]
    last = N_PDL + 1 if opts[O_PDL] else N_DEBIT  # the ledgers come last
    for f in range(last):
        if f == N_COUPON:
            continue
        for k in range(n_notes):
            _divide(notes_out[f, t, k])
    for f in range(D_DRAW + 1):  # the reserve's uses are written in currency units
        if f == D_ES or f == D_ESG:
            continue
        if (f == D_SWAP_NET or f == D_SWAP_PAID or f == D_SWAP_REC) and not opts[O_SWAP]:
            continue
        if (f == D_SALE or f == D_TOP_UP) and not opts[O_CALL]:
            continue
        _divide(deal_out[f, t])


@njit(cache=True)
def _divide(row):
    """``row /= 100`` (cents to currency units)."""
    for p in range(row.shape[0]):
        row[p] = row[p] / 100.0


@njit(cache=True)
def period_major(src, out, floor, scale):
    """Copy ``src`` (paths, periods) times ``scale`` into ``out`` (periods, paths), negative
    values read as zero when ``floor`` (``np.maximum(src.T, 0.0) * scale``); in blocks of
    paths, so that both sides are read and written a cache line at a time."""
    n_paths, n_periods = src.shape
    for lo in range(0, n_paths, 64):
        hi = min(lo + 64, n_paths)
        for t in range(n_periods):
            row = out[t]
            for p in range(lo, hi):
                x = src[p, t]
                row[p] = ((x if x > 0.0 else 0.0) if floor else x) * scale
