"""A plain-Python reference implementation of the ABS waterfall, written from docs/WATERFALL.md.

One loop over paths, periods and steps. Money is Python integers of cents (§5.11): the inputs
are read as exact fractions of a cent (`fractions.Fraction`), every amount the waterfall pays,
keeps or carries is rounded down to a whole cent as the text says, and the collections'
fraction of a cent is carried as an exact fraction; rates and ratios are Python floats. Money
is reported in currency units (cents / 100). It exists to check `sim.abs` against
the specification: it follows the text of docs/WATERFALL.md (section numbers are given in the
comments) and shares no code with `sim/abs/waterfall.py`, `steps.py` or `triggers.py`. It reads
the deal through `sim.abs.Deal` only for validation and for the deal's lists of steps per state
(`Deal.steps`, the default order when a state gives none).

Covered: fixed coupons, senior fees, sequential and pro-rata principal, reordered priorities of
payments per state, revolving periods with reinvestment (optionally capped by
`replenishment_capacity`), the three trigger types (sticky or not), reserve forms (initial,
target on each basis, floor, cap at the notes, step-downs with or without the no-breach
condition, zero in a call or legal final period), OC targets (the OC built above the closing
ratio never from the reserve), PDL with every `principal_to_interest` rule,
interest on unpaid interest, the clean-up call, the legal final period and the horizon.
Not covered: floating notes and swaps.

Readings chosen where the text leaves room (each is marked "READING" below):

R1 (§5.9, §5.10) A clean-up call may coincide with the legal final period: the call test is
   "not revolving and E_t ≤ call_pct × B₁" in every active period, the legal final included.
R2 (§5.4 `pdl_not_in_debit`) "the ledger is zero" is read as `ledger <= 0` exactly.
R3 (§5.5, §6) `pdl_debit` reports both debits of the period: the defaults at the opening and the
   principal used at the closing. `pdl_balance` is the ledger at the end of the period, after
   the end-of-deal reset of §5.7 step 3 (which names only `interest_shortfall` as still
   reported), so 0 in a call or legal final period.
R4 (§6 `principal_target`) PA with no PDL or in a call or legal final period; PF (= principal
   collections) with a PDL otherwise.
R5 (§2.2) "no trigger is breached this period" is the period's `trigger_breached` flag (any
   trigger in breach after this period's test, stickiness included).
R6 (§3) "no trigger has ever breached on this path" includes this period's test.
"""

from __future__ import annotations

import math
from fractions import Fraction

from sim.abs import Deal

MILLIONTH = Fraction(1, 10**6)
"""§5.11: an amount within a millionth of a cent below a whole cent counts as that cent."""


def _down(x: Fraction | int) -> int:
    """§5.11: `x` cents rounded down to a whole cent."""
    return math.floor(x + MILLIONTH)


def _units(cents: Fraction | int) -> float:
    """Cents as currency units."""
    return float(Fraction(cents) / 100)


def _div(x: float, y: float) -> float:
    """`x / y`, 0 when `y <= 0` (Notation)."""
    return x / y if y > 0 else 0.0


def _clean(v: float) -> float:
    """§5.1: negative amounts down to -0.005 are rounding noise and read as 0."""
    return 0.0 if v < 0 else float(v)


def _allocate(amount: int, balances: list[int], allocation: str) -> list[int]:
    """§5.6: allocate `amount` cents over `balances` (listed order): pro rata, each share
    rounded down to the cent, then the cents left one to a note in listed order; then (and
    sequentially) what remains in listed order."""
    pays = [0] * len(balances)
    rem = amount
    if allocation == "pro_rata":
        total = sum(balances)
        for j, b in enumerate(balances):
            share = min(_down(Fraction(b * amount, total)), b) if total > 0 else 0
            pays[j] = min(share, rem)
            rem -= pays[j]
        for j, b in enumerate(balances):
            extra = min(1, b - pays[j], rem)
            pays[j] += extra
            rem -= extra
    for j, b in enumerate(balances):
        extra = min(b - pays[j], rem)
        pays[j] += extra
        rem -= extra
    return pays


def _paid_down(notes: int, pool_end: Fraction, required_oc: int) -> int:
    """§5.2.8: the principal that pays `notes` down to `pool_end` less `required_oc`."""
    return min(_down(max(notes - (pool_end - min(required_oc, pool_end)), Fraction(0))), notes)


def _to_target(notes: int, pool_end: Fraction, target: Fraction, floor: Fraction,
               revolving: bool) -> int:
    """§5.2.8: the principal that leaves the OC at `target` of the pool and at least `floor`
    (cents); in a revolving period on the pool after the purchases it makes."""
    if revolving:
        need = max(notes + floor, notes / (1 - target) if target < 1 else pool_end + notes)
        return min(_down(max(need - pool_end, Fraction(0))), notes)
    return _paid_down(notes, pool_end, _down(max(target * pool_end, floor)))


def _may_spend(P: int, cash: int, drawn: int, keep: int | None) -> int:
    """§5.3: what a principal step may spend of the principal `P` it owes. Without an OC
    target (`keep` None) the cash allows. With one, the part of `P` that keeps the OC at its
    closing ratio (`keep`) may use any cash (the other funds first, the reserve `drawn` last); the
    part above it, the OC built, only the funds other than the reserve that the first part
    left."""
    if keep is None:
        return min(P, cash)
    from_keep = min(P, keep, cash)
    funds = cash - drawn
    return from_keep + min(P - from_keep, max(funds - from_keep, 0))


def _debit_junior_first(amount: int, balances: list[int], ledgers: list[int]) -> list[int]:
    """§5.5: debit `amount` to the ledgers from the most junior note up; returns the debits."""
    debits = [0] * len(balances)
    rem = amount
    for k in reversed(range(len(balances))):
        room = max(balances[k] - ledgers[k], 0)
        d = min(room, rem)
        debits[k] = d
        rem -= d
        if rem <= 0:
            break
    return debits


def run_oracle(deal: Deal | dict, paths: list[dict[str, list[float]]]) -> list[list[dict]]:
    """Run the waterfall of docs/WATERFALL.md on each path.

    Args:
        deal: Deal terms.
        paths: One mapping per path: column name -> list of per-period values (period 1 first).

    Returns:
        For each path a list of per-period records: `notes` (name -> NOTE_FIELDS values), the
        deal-level fields, `triggers` (breach flags) and `trigger_values`, in deal order,
        `reserve_used` (what the steps spent of the reserve drawn) and `reserve_for` (what
        each use spent of it, keyed as the step log names uses: ``pay_fees``,
        ``pay_interest:<note>``, ``clear_pdl:<note>``, ``reinvest``, ``pay_principal``).
    """
    deal = deal if isinstance(deal, Deal) else Deal.model_validate(deal)
    return [_run_path(deal, p) for p in paths]


def _run_path(deal: Deal, coll: dict[str, list[float]]) -> list[dict]:  # noqa: C901 - one loop, as the spec reads
    names = [n.name for n in deal.notes]
    n_notes = len(names)
    T = len(coll["interest"])
    # §5.1 cleaned inputs, then in exact cents (§5.11); ratios read the cleaned floats
    col = {k: [_clean(v) for v in vs] for k, vs in coll.items()}
    cents = {k: [Fraction(v) * 100 for v in vs] for k, vs in col.items()}
    B1f = col["pool_balance_begin"][0]
    B1 = cents["pool_balance_begin"][0]
    # §2.1: a share-sized deal is sized on the path's first pool_balance_begin; §5.11: each
    # note's original balance rounded down to the cent
    exact = ([Fraction(n.size) * B1 for n in deal.notes] if deal.share_sized
             else [Fraction(b) * 100 for b in deal.note_balances()])
    original = [_down(x) for x in exact]
    N0 = sum(original)
    L = deal.legal_final_period if deal.legal_final_period is not None else T  # §5.1
    coupons = [n.coupon for n in deal.notes]  # fixed notes only
    index = {name: k for k, name in enumerate(names)}
    res = deal.reserve

    N = list(original)
    S = [0] * n_notes
    F = 0
    PDL = [0] * n_notes
    Z = _down(Fraction(res.initial_pct) * N0)  # §5.2: reserve at closing
    carry = Fraction(0)  # §5.11: the collections' fraction of a cent brought forward
    carry_P = Fraction(0)  # §5.11: principal funds' own fraction (with a PDL)
    carry_D = Fraction(0)  # §5.11: the defaults' fraction the PDL is not yet debited
    active = True
    ever_breached = False
    breached_prev = [False] * len(deal.triggers)
    es_history: list[float] = []
    cum_defaults = 0.0
    cum_net_losses = 0.0
    out: list[dict] = []

    for t in range(1, T + 1):
        rec = _zero_record(names, len(deal.triggers))
        if not active:
            out.append(rec)
            continue
        i = t - 1
        B = cents["pool_balance_begin"][i]
        interest = cents["interest"][i]
        principal = cents["principal"][i]
        recoveries = cents["recoveries"][i]
        defaults = cents["defaults"][i]
        E = max(Fraction(0), B - principal - defaults)  # §5.1

        # §5.2.1-2 amounts due, each rounded down to the cent (§5.11)
        N_begin = list(N)
        i_k = [_down(Fraction(coupons[k]) / 12 * N[k]) for k in range(n_notes)]
        due = [i_k[k] + S[k] + (_down(Fraction(coupons[k]) / 12 * S[k])
                                if deal.notes[k].interest_on_shortfall else 0)
               for k in range(n_notes)]
        f = _down(Fraction(deal.senior_fee_rate) / 12 * B)
        fees_due = f + F

        # §4 excess spread (no swap: w = 0)
        margin = interest - f - sum(i_k)
        es_gross = _div(float(margin * 12), float(B))
        es = _div(float((margin - (defaults - recoveries)) * 12), float(B))
        es_history.append(es)
        cum_defaults += col["defaults"][i]
        cum_net_losses += col["defaults"][i] - col["recoveries"][i]

        # §4 triggers, in deal order
        breached = []
        values = []
        for j, trig in enumerate(deal.triggers):
            if trig.type == "cumulative_default_ratio":
                value = _div(cum_defaults, B1f)
                test = value > trig.threshold
            elif trig.type == "cumulative_net_loss_ratio":
                value = _div(cum_net_losses, B1f)
                test = value > trig.threshold
            elif trig.type == "delinquency_ratio":
                value = _div(col["delinquent_balance"][i], col["pool_balance_begin"][i])
                test = value > trig.threshold
            else:
                window = es_history[max(1, t - trig.months + 1) - 1: t]
                value = sum(window) / len(window)
                test = value < trig.threshold
            state = test or (trig.sticky and breached_prev[j])
            breached.append(state)
            values.append(value)
        breached_prev = breached
        any_breach = any(breached)
        ever_breached = ever_breached or any_breach  # READING R6

        # §3 state, §5.9 call, §5.10 legal final
        legal_final = t == L
        revolving = t <= deal.revolving_months and not ever_breached and not legal_final
        accelerated = (not revolving) and any_breach
        state = "revolving" if revolving else ("accelerated" if accelerated else "amortising")
        call = (deal.clean_up_call is not None and not revolving
                and E <= Fraction(deal.clean_up_call.call_pct) * B1)  # READING R1
        ending = call or legal_final

        # §5.2.5 PDL debits of defaults (rounded down to the cent)
        pdl_debit = [0] * n_notes
        if deal.pdl:
            raw_D = defaults + carry_D
            debit_D = _down(raw_D)
            carry_D = Fraction(0) if ending else max(raw_D - debit_D, Fraction(0))
            pdl_debit = _debit_junior_first(debit_D, N, PDL)
            PDL = [PDL[k] + pdl_debit[k] for k in range(n_notes)]
        pdl_credit = [0] * n_notes

        # §5.2.6-8, §5.11 available funds, principal funds, principal amount
        raw = interest + principal + recoveries + carry
        collected = _down(raw)
        carried = max(raw - collected, Fraction(0))  # released to the holder when it ends
        carry = Fraction(0) if ending else carried
        price = _down(E) if call else 0
        sale = price
        if call and deal.clean_up_call.price == "notes_at_par":  # §5.9: notes and interest due
            sale = max(price, sum(N) + sum(due))
        available = collected + sale + Z
        cash = available
        drawn = Z  # §5.3: the reserve drawn, the last cash any step spends
        PF = 0
        if deal.pdl and not ending:  # principal's fractions add up to cents of PF (§5.11)
            raw_P = principal + carry_P
            PF = _down(raw_P)
            carry_P = max(raw_P - PF, Fraction(0))
        elif ending:
            carry_P = Fraction(0)
        total_N = sum(N)

        # §5.2.8: the notes are paid down to the pool less its required OC
        oc_terms = deal.overcollateralisation
        gap = B1 - sum(exact)  # the OC at closing; under half a cent it is the sizes' rounding
        closing_oc = _down(gap) if gap >= Fraction(1, 2) else 0
        if ending:
            PA = total_N
        elif oc_terms is not None:
            PA = _to_target(total_N, E, Fraction(oc_terms.target_pct),
                            Fraction(oc_terms.floor_pct) * B1, revolving)
        else:
            PA = _paid_down(total_N, E, closing_oc)
        # §5.3: with a target, the reserve may fund only the principal keeping the OC at its
        # closing ratio (`keep`: the target and its floor no higher than the OC at closing's
        # share of the first pool); the OC built above it comes from the other funds
        keep = None  # in a call or legal final period everything is due: K = PA
        if oc_terms is not None and not ending:
            ratio = Fraction(closing_oc) / B1 if B1 > 0 else Fraction(0)
            keep = _to_target(
                total_N, E, min(Fraction(oc_terms.target_pct), ratio),
                min(Fraction(oc_terms.floor_pct) * B1, Fraction(closing_oc)), revolving)
        use_PF = deal.pdl and not ending  # P = PF (PDL) or PA (§5.3)
        principal_target = PF if use_PF else PA  # READING R4
        principal_used = 0

        # §5.4 eligibility of each note's interest for principal funds
        if not deal.pdl:
            eligible = [True] * n_notes
        elif deal.principal_to_interest == "all":
            eligible = [True] * n_notes
        elif deal.principal_to_interest == "none":
            eligible = [False] * n_notes
        elif deal.principal_to_interest == "pdl_not_in_debit":
            eligible = [PDL[k] <= 0 for k in range(n_notes)]  # READING R2
        else:
            senior = next((k for k in range(n_notes) if N_begin[k] > 0 or S[k] > 0), None)
            eligible = [k == senior for k in range(n_notes)]

        def revenue() -> int:
            return max(cash - PF, 0)  # noqa: B023 - cash and PF of this period

        # §5.3: the reserve is the last revenue spent, until fund_reserve takes back what is
        # left of it; with a PDL, principal funds above the other funds take it at once
        reserve_left = min(Z, revenue())
        reserve_for = {"pay_principal": Z - reserve_left}

        def reserve_spent(use: str) -> None:
            """What the step just run (`use`, as the step log names it) spent of the reserve."""
            nonlocal reserve_left
            now = min(reserve_left, revenue())
            reserve_for[use] = reserve_for.get(use, 0) + reserve_left - now  # noqa: B023
            reserve_left = now

        def pay(due: int, may_use_principal: bool) -> int:
            nonlocal cash, PF, principal_used, drawn
            rev = revenue()
            paid = min(max(due, 0), cash if may_use_principal else rev)
            from_principal = max(paid - rev, 0)
            PF = max(PF - from_principal, 0)
            principal_used += from_principal
            cash -= paid
            drawn = min(drawn, cash)  # the other funds are spent first
            return paid

        def spent_on_principal(total: int) -> None:
            nonlocal cash, drawn, keep
            cash -= total
            drawn = min(drawn, cash)
            if keep is not None:
                keep = max(keep - total, 0)

        steps = deal.steps(state)
        last_principal = max(j for j, s in enumerate(steps) if s.verb == "pay_principal")
        interest_paid = [0] * n_notes
        principal_paid = [0] * n_notes
        reserve_used = 0
        fees_paid = 0
        reinvested = 0
        requirement = 0
        residual = 0
        for j, step in enumerate(steps):
            verb = str(step.verb)
            if verb == "pay_fees":
                fees_paid = pay(fees_due, True)
                F = fees_due - fees_paid
                reserve_spent(verb)
            elif verb == "pay_interest":
                for name in step.notes:
                    k = index[name]
                    paid = pay(due[k], eligible[k])
                    interest_paid[k] += paid
                    S[k] = due[k] - paid
                    reserve_spent(f"{verb}:{name}")
            elif verb == "clear_pdl":
                if not ending:
                    for name in step.notes:
                        k = index[name]
                        credit = min(PDL[k], revenue())
                        PDL[k] -= credit
                        PF += credit
                        pdl_credit[k] += credit
                        reserve_spent(f"{verb}:{name}")
            elif verb == "reinvest":
                if revolving:
                    P = PF if use_PF else PA
                    amount = _may_spend(P, cash, drawn, keep)
                    if "replenishment_capacity" in cents:  # §5.11: whole cents of capacity
                        amount = min(amount, _down(cents["replenishment_capacity"][i]))
                    amount = max(amount, 0)
                    reinvested += amount
                    spent_on_principal(amount)
                    if use_PF:
                        PF = max(PF - amount, 0)
                    else:
                        PA = max(PA - amount, 0)
                    reserve_spent(verb)
            elif verb == "pay_principal":
                P = PF if use_PF else PA
                # §5.3: turbo, all the cash left
                amount = max(cash if step.turbo else _may_spend(P, cash, drawn, keep), 0)
                allocation = "sequential" if ending else (step.allocation or deal.principal)
                ks = [index[name] for name in step.notes]
                pays = _allocate(amount, [N[k] for k in ks], allocation)
                total = 0
                for k, p in zip(ks, pays, strict=True):
                    N[k] -= p
                    principal_paid[k] += p
                    total += p
                spent_on_principal(total)
                if use_PF:
                    PF = max(PF - total, 0)
                else:
                    PA = max(PA - total, 0)
                reserve_spent(verb)  # one use: every principal step, all notes
                if j == last_principal:
                    PF = 0
            elif verb == "fund_reserve":
                requirement = _requirement(deal, t, any_breach, ending, N0, B1, E + reinvested,
                                           sum(N))
                # principal never funds the reserve: PF with a PDL, else the PA still owed
                # that a later principal step may spend
                reserve_used = available - collected - sale - reserve_left
                reserve_left = 0
                Z = min(requirement, revenue() if deal.pdl
                        else max(cash - _may_spend(PA, cash, drawn, keep), 0))
                cash -= Z
                drawn = 0  # the reserve has taken back what it holds
            elif verb == "pay_residual":
                residual = cash
                cash = 0
            else:  # pragma: no cover - swaps are out of scope
                raise NotImplementedError(verb)
        assert cash == 0 and min(N) >= 0  # §5.8: every cent is paid out, exactly

        # §5.7 closing
        if deal.pdl:
            used = _debit_junior_first(principal_used, N, PDL)  # balances after principal
            PDL = [min(PDL[k] + used[k], N[k]) for k in range(n_notes)]
            pdl_debit = [pdl_debit[k] + used[k] for k in range(n_notes)]  # READING R3
        writedown = [N[k] if ending else 0 for k in range(n_notes)]
        shortfall = list(S)
        if ending:
            N = [0] * n_notes
            S = [0] * n_notes
            F = 0
            PDL = [0] * n_notes
            active = False
        pdl_balance = list(PDL)

        u = _units
        for k, name in enumerate(names):
            rec["notes"][name] = {
                "balance_begin": u(N_begin[k]), "coupon": coupons[k],
                "interest_due": u(due[k]), "interest_paid": u(interest_paid[k]),
                "interest_shortfall": u(shortfall[k]), "principal_paid": u(principal_paid[k]),
                "writedown": u(writedown[k]),
                "balance_end": u(N_begin[k] - principal_paid[k] - writedown[k]),
                "pdl_debit": u(pdl_debit[k]), "pdl_credit": u(pdl_credit[k]),
                "pdl_balance": u(pdl_balance[k]),
            }
        rec.update(
            available=u(available), fees_due=u(fees_due), fees_paid=u(fees_paid),
            sale_proceeds=u(sale), principal_target=u(principal_target),
            reinvested=u(reinvested), reserve_requirement=u(requirement),
            reserve_balance=u(Z), residual=u(residual), collections=u(collected),
            reserve_draw=u(available - collected - sale), rounding_carried=u(carried),
            excess_spread=es, excess_spread_gross=es_gross,
            pool_balance_end=u(E + reinvested - (E if call else 0)), revolving=revolving,
            call_top_up=u(sale - price) if call and deal.clean_up_call.price == "notes_at_par"
            else 0.0,
            accelerated=accelerated, trigger_breached=any_breach, call_exercised=call,
            legal_final=legal_final, active=True, triggers=breached, trigger_values=values,
            reserve_used=u(reserve_used), reserve_for={k: u(v) for k, v in reserve_for.items()},
        )
        out.append(rec)
    return out


def _requirement(deal: Deal, t: int, any_breach: bool, ending: bool, N0: int, B1: Fraction,
                 current_pool: Fraction, notes_outstanding: int) -> int:
    """§2.2: the reserve requirement when `fund_reserve` runs, rounded down to the cent."""
    res = deal.reserve
    if ending:
        return 0
    pct = res.target_pct
    if not (res.step_down_needs_no_breach and any_breach):  # READING R5
        for sd in res.step_downs:
            if sd.from_period <= t:
                pct = sd.target_pct
    base = {"initial_notes": N0, "current_pool": current_pool, "initial_pool": B1}[res.basis]
    form = _down(max(Fraction(pct) * base, Fraction(res.floor_pct) * B1))
    return min(form, notes_outstanding)


def _zero_record(names: list[str], n_triggers: int) -> dict:
    """An inactive period: every output 0, flags false (§5.1)."""
    note = dict.fromkeys(("balance_begin", "coupon", "interest_due", "interest_paid",
                          "interest_shortfall", "principal_paid", "writedown", "balance_end",
                          "pdl_debit", "pdl_credit", "pdl_balance"), 0.0)
    rec = {"notes": {name: dict(note) for name in names}}
    rec.update(dict.fromkeys(("available", "fees_due", "fees_paid", "sale_proceeds",
                              "principal_target", "reinvested", "reserve_requirement",
                              "reserve_balance", "residual", "excess_spread",
                              "excess_spread_gross", "pool_balance_end", "call_top_up",
                              "collections", "reserve_draw", "rounding_carried"), 0.0))
    rec.update(dict.fromkeys(("revolving", "accelerated", "trigger_breached", "call_exercised",
                              "legal_final", "active"), False))
    rec["triggers"] = [False] * n_triggers
    rec["trigger_values"] = [0.0] * n_triggers
    rec["reserve_used"] = 0.0
    rec["reserve_for"] = {}
    return rec
