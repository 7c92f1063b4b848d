"""The due date's payments, one account at a time: who pays, how much, and what it changes.

- :func:`pay_one` / :func:`decide_payments`: the structural payment decision of
  :meth:`sim.agents.borrowers.BorrowerPool.payments` (forgetting, willingness, the cash a
  borrower can put towards the bill, whole bills when partial payments are not taken, and the
  payment's effect on savings and the month's affordable amount);
- :func:`due_date_payments` and :func:`due_date_outcome`: the passes of
  :meth:`sim.agents.platform.Platform.due_date` around the booking of the payments
  (:meth:`sim.ledger.Ledger.pay`) and the limit review: what each account owes, whether it
  is past due, its days past due and the decision (or the payments a benchmark model chose);
  then the outcome (missed, cured, escalation and acceleration ended by a full payment, the
  behaviour score).

The random draws stay numpy draws from the borrower's repayment stream, in the same order,
and the willingness wobble's inverse normal CDF stays ``scipy.special.ndtri`` (taken only for
the accounts that owe something and whose willingness is low enough for a draw to make them
refuse, :meth:`sim.agents.borrowers.BorrowerPool.payment_draws`: for the others it cannot
change the payment);
the kernels do the rest with the same operations in the same order as the array statements
they replace, so that payments, books and scores are bit-identical
(``tests/test_income_payment_kernels.py``). Days past due, being past due and cure are the
rules of :mod:`sim.delinquency`, compiled (:mod:`sim.kernels.rules`).

:func:`pay_one` is inlined into its loops (``inline="always"``) and tests its conditions with
``&`` and ``|`` rather than ``and`` and ``or``: a separate call per account passes each of its
twenty arrays with a reference count taken and released, and the short-circuit branches
compile to more work than the tests themselves; together they made the loop three times
slower than its arithmetic.
"""

from __future__ import annotations

import numpy as np
from numba import njit

import sim.kernels.cache  # noqa: F401 - before the first @njit(cache=True)
from sim.kernels.accounts import cash_for_bill, income_for_bill, spend, whole_bills
from sim.kernels.rules import cured_at_due_date, days_past_due, due_time, past_due


@njit(cache=True, inline="always")
def pay_one(i: int, owed: int, u_forget: float, z: float, delinquent: bool, month: int,
            rules: tuple, kind: np.ndarray, autopay: np.ndarray, willingness: np.ndarray,
            escalated: np.ndarray, reminded: np.ndarray, effect: np.ndarray,
            arrangement_until: np.ndarray, plan_channel: np.ndarray,
            channel_stretch: np.ndarray, savings: np.ndarray,
            permanent: np.ndarray, disposable: np.ndarray) -> tuple[int, float, bool]:
    """Cents borrower ``i`` pays against ``owed`` at ``month``'s due date; book the payment on
    the borrower's savings and affordable amount (:func:`sim.kernels.accounts.spend`) and
    clear the reminder flag. Returns (the payment, the share of savings it was made at, and
    whether it is still to be cut to whole bills).

    A payment that whole bills cut (no partial payments, ``by_whole_bills``, and less cash
    than is owed) is returned uncut and unbooked, with the flag set: :func:`cut_to_whole_bills`
    cuts and books it after the loop over the accounts. A call in the loop that took the
    bills' arrays would take and release a reference to each for every account, even where
    it is never made (8.7 of the 10.6 ms the due date's payments of 175,000 accounts took).

    ``rules``: (forget_prob, disorganised_forget_prob, nudges.forget_reduction,
    early_warning.reminder_effect, willingness_wobble_sd, max_cash_share,
    income.other_debt_limit_months, partial_payments, whole bills (when partial payments are
    not taken: pay the most in whole bills, oldest first, :func:`cut_to_whole_bills`; else
    all or nothing), the types disorganised,
    unwilling and first-payment
    defaulter, the borrowers' month (an arrangement lasting to it or later is running),
    whether an arrangement's ``stretch`` is capped by ``disposable``, whether a current
    account's bill can be paid from ``disposable``).
    ``u_forget`` is the borrower's forgetting uniform, ``z`` the standard normal
    of the willingness wobble, ``effect`` the share of the
    education effect left (:meth:`BorrowerPool.nudge_effect`), ``delinquent`` whether an
    overdue bill was unpaid before the due date.

    A borrower forgets (unless on autopay) with the type's chance, cut by education and by a
    reminder; refuses when willingness plus the wobble is below 0.5, when unwilling with an
    overdue bill and not escalated, or when a first-payment defaulter; otherwise pays the
    smaller of ``owed`` and the cash for the bill (:func:`sim.kernels.accounts.cash_for_bill`
    at the share ``max_cash_share``, all of it when reminded, plus the stretch of the
    arrangement's channel, ``channel_stretch[plan_channel]``, while it lasts), or, on a
    current account without a running arrangement when ``from_income``
    (``repayment.current_bill_from_income``), the month's income less essentials if that is
    more (:func:`sim.kernels.accounts.income_for_bill`).
    """
    (forget_prob, disorganised_prob, forget_reduction, reminder_effect, wobble_sd,
     max_cash_share, other_debt, partial, by_whole_bills, disorganised, unwilling,
     first_payment_default, pool_month, within_income, from_income) = rules
    k = kind[i]
    was_reminded = reminded[i]
    reminded[i] = False
    forget = disorganised_prob if k == disorganised else forget_prob
    forget = forget * (1.0 - forget_reduction * effect[i])
    forget *= (1.0 - reminder_effect) if was_reminded else 1.0
    # bitwise, not short-circuit: the compiled branches cost more than the tests
    forgot = (not autopay[i]) & (u_forget < forget)
    refuses = ((willingness[i] + wobble_sd * z < 0.5)
               | ((k == unwilling) & delinquent & (not escalated[i]))
               | (k == first_payment_default))
    in_plan = arrangement_until[i] >= pool_month
    plan = channel_stretch[plan_channel[i]] if in_plan else 0.0
    share = 1.0 if was_reminded else max_cash_share
    saved, income, affordable = savings[i], permanent[i], disposable[i]
    capacity = cash_for_bill(share, plan, saved, income, affordable, other_debt, within_income)
    if from_income and not delinquent and not in_plan:
        capacity = max(capacity, income_for_bill(saved, income, affordable, other_debt))
    pay = min(owed, capacity)
    cut = False
    if not partial and by_whole_bills:
        cut = pay < owed
    elif not partial:
        pay = owed if capacity >= owed else 0
    if forgot | refuses:
        pay, cut = 0, False
    # written whether or not the payment is left to the cut (then as they were): inlined into
    # a loop, a write into the arrays under a branch takes and releases a reference to each
    # for every account
    spent, left = spend(pay, share, saved, affordable)
    savings[i] = saved if cut else spent
    disposable[i] = affordable if cut else left
    return pay, share, cut


@njit(cache=True, inline="always")
def pay_into(i: int, k: int, owed: int, u_forget: float, z: float, delinquent: bool,
             month: int, rules: tuple, kind: np.ndarray, autopay: np.ndarray,
             willingness: np.ndarray, escalated: np.ndarray, reminded: np.ndarray,
             effect: np.ndarray, arrangement_until: np.ndarray, plan_channel: np.ndarray,
             channel_stretch: np.ndarray, savings: np.ndarray, permanent: np.ndarray,
             disposable: np.ndarray, paid: np.ndarray, share: np.ndarray,
             who: np.ndarray) -> int:
    """:func:`pay_one` of borrower ``i`` (its arguments ``owed`` .. ``disposable``) into
    ``paid[i]`` (int64 cents), in a loop whose payments left to whole bills are cut after it
    (:func:`cut_to_whole_bills`): ``share[k]`` and ``who[k]`` (shape >= k + 1 each) take the
    payment's share of savings and ``i``, kept for the cut. Returns the next ``k``: ``k + 1``
    when the payment is left to the cut, else ``k``."""
    paid[i], share[k], cut = pay_one(
        i, owed, u_forget, z, delinquent, month, rules, kind, autopay, willingness, escalated,
        reminded, effect, arrangement_until, plan_channel, channel_stretch, savings, permanent,
        disposable)
    who[k] = i
    return k + cut


@njit(cache=True)
def cut_to_whole_bills(month: int, who: np.ndarray, share: np.ndarray, paid: np.ndarray,
                       savings: np.ndarray, disposable: np.ndarray, current: np.ndarray,
                       row: np.ndarray, arrears: np.ndarray, rows: np.ndarray) -> None:
    """Cut the payments ``paid`` (cents, by account) of the accounts ``who`` (shape (k,)) that
    :func:`pay_one` left to it to the most they can pay in whole bills, oldest first
    (:func:`sim.kernels.accounts.whole_bills`, from the bills ``current`` .. ``rows`` of
    :mod:`sim.kernels.bills`), and book each on the borrower's savings and affordable amount
    at its ``share`` (shape (k,)). Each account's arithmetic is the same, in the same order,
    as if it were done in :func:`pay_one`'s loop: nothing there reads another account."""
    for t in range(who.shape[0]):
        i = who[t]
        pay = whole_bills(month, i, paid[i], current, row, arrears, rows)
        paid[i] = pay
        savings[i], disposable[i] = spend(pay, share[t], savings[i], disposable[i])


@njit(cache=True, inline="always")
def nothing_owed(i: int, reminded: np.ndarray) -> int:
    """:func:`pay_one` of a borrower who owes nothing: 0, and the reminder flag cleared (the
    payment of 0 leaves savings and the affordable amount as they are)."""
    reminded[i] = False
    return 0


@njit(cache=True)
def decide_payments(month: int, owed: np.ndarray, u: np.ndarray, z: np.ndarray,
                    delinquent: np.ndarray, rules: tuple, kind: np.ndarray,
                    autopay: np.ndarray, willingness: np.ndarray, escalated: np.ndarray,
                    reminded: np.ndarray, effect: np.ndarray, arrangement_until: np.ndarray,
                    plan_channel: np.ndarray, channel_stretch: np.ndarray,
                    savings: np.ndarray, permanent: np.ndarray,
                    disposable: np.ndarray, current: np.ndarray, row: np.ndarray,
                    arrears: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """:func:`pay_one` of borrowers 0..n-1 (n: ``owed``'s length), int64 cents.

    ``u``: (2, >= n) uniforms (forgetting, the wobble's); ``z``: the wobble's standard
    normals of the borrowers that owe something (``owed > 0``), in order; ``delinquent``:
    (n,) bool.
    """
    n = owed.shape[0]
    paid = np.empty(n, dtype=np.int64)
    who, share = np.empty(n, dtype=np.int64), np.empty(n)
    j = k = 0
    for i in range(n):
        if owed[i] <= 0:
            paid[i] = nothing_owed(i, reminded)
            continue
        k = pay_into(i, k, owed[i], u[0, i], z[j], delinquent[i], month, rules, kind, autopay,
                     willingness, escalated, reminded, effect, arrangement_until, plan_channel,
                     channel_stretch, savings, permanent, disposable, paid, share, who)
        j += 1
    cut_to_whole_bills(month, who[:k], share[:k], paid, savings, disposable, current, row,
                       arrears, rows)
    return paid


@njit(cache=True)
def due_date_payments(month: int, n: int, due_day: int, decide: bool, given: np.ndarray,
                      u_forget: np.random.Generator, u_wobble: np.random.Generator,
                      near_below: float, z_far: float, rules: tuple, kind: np.ndarray,
                      autopay: np.ndarray, willingness: np.ndarray, escalated: np.ndarray,
                      reminded: np.ndarray, effect: np.ndarray, arrangement_until: np.ndarray,
                      plan_channel: np.ndarray, channel_stretch: np.ndarray,
                      savings: np.ndarray, permanent: np.ndarray,
                      disposable: np.ndarray, current: np.ndarray, row: np.ndarray,
                      arrears: np.ndarray, rows: np.ndarray,
                      oldest: np.ndarray, unpaid: np.ndarray) -> tuple:
    """What accounts 0..n-1 owe and pay at ``month``'s due date, before it is booked, but for
    the borrowers whose wobble's normal is still to be taken (:func:`settle_near`).

    Args:
        month, n, due_day: the due date's month, the accounts, the day of the month bills
            fall due.
        decide: the borrowers decide (:func:`pay_one`, with ``rules`` and the borrowers'
            arrays ``kind`` .. ``disposable`` as in :func:`decide_payments`, and whole bills
            from the bills ``current`` .. ``rows``); else they pay ``given`` (cents, (n,)),
            the payments of another repayment model, and nothing is drawn.
        u_forget, u_wobble: generators at the first forgetting uniform and the first wobble
            uniform (one ``random()`` each per borrower, in order: the rows of numpy's
            ``random((2, n))``).
        near_below, z_far: a borrower who owes something with a willingness below
            ``near_below`` is left to :func:`settle_near` (its payment 0 here, its uniforms
            returned); the others decide with the normal ``z_far`` (``+inf`` where no
            draw can make them refuse; see
            :meth:`sim.agents.borrowers.BorrowerPool.payment_draws`).
        oldest, unpaid: the ledger's oldest unpaid due month and unpaid cents per account.

    Returns:
        (owed: cents billed and unpaid, int64; past due before the payment, bool; days past
        due just before it, int64; paid, int64 cents), each of shape (n,); then the accounts
        left to :func:`settle_near` (int64, in order) and their uniforms ((2, k): forgetting,
        the wobble's).
    """
    today = due_time(month, due_day)
    owed = np.empty(n, dtype=np.int64)  # written in the loop: no pass of its own
    late = np.empty(n, dtype=np.bool_)
    dpd = np.empty(n, dtype=np.int64)
    paid = given.copy() if not decide else np.empty(n, dtype=np.int64)
    m = n if decide else 0
    who, share = np.empty(m, dtype=np.int64), np.empty(m)
    near, near_u = np.empty(m, dtype=np.int64), np.empty((2, m))
    k = j = 0
    for i in range(n):
        owed[i] = unpaid[i]
        due = owed[i]  # int64
        o = oldest[i]
        was_late = past_due(today, o, due_day)
        late[i] = was_late
        dpd[i] = days_past_due(today, o, due_day)
        if not decide:
            continue
        u0, u1 = u_forget.random(), u_wobble.random()
        if due <= 0:
            paid[i] = nothing_owed(i, reminded)
        elif willingness[i] < near_below:
            paid[i] = 0
            near[j], near_u[0, j], near_u[1, j] = i, u0, u1
            j += 1
        else:
            k = pay_into(i, k, due, u0, z_far, was_late, month, rules, kind, autopay,
                         willingness, escalated, reminded, effect, arrangement_until,
                         plan_channel, channel_stretch, savings, permanent, disposable, paid,
                         share, who)
    cut_to_whole_bills(month, who[:k], share[:k], paid, savings, disposable, current, row,
                       arrears, rows)
    return owed, late, dpd, paid, near[:j].copy(), near_u[:, :j].copy()


@njit(cache=True)
def settle_near(month: int, near: np.ndarray, u_forget: np.ndarray, z: np.ndarray,
                owed: np.ndarray, late: np.ndarray, paid: np.ndarray, rules: tuple,
                kind: np.ndarray, autopay: np.ndarray, willingness: np.ndarray,
                escalated: np.ndarray, reminded: np.ndarray, effect: np.ndarray,
                arrangement_until: np.ndarray, plan_channel: np.ndarray,
                channel_stretch: np.ndarray, savings: np.ndarray, permanent: np.ndarray,
                disposable: np.ndarray, current: np.ndarray, row: np.ndarray,
                arrears: np.ndarray, rows: np.ndarray) -> None:
    """The payments (into ``paid``) of the accounts ``near`` (int64, ascending) that
    :func:`due_date_payments` left, with their wobble's normals ``z``: :func:`pay_one` and
    the cut to whole bills, the same arithmetic as in its loop (nothing there reads another
    account). ``u_forget``: their forgetting uniforms."""
    k = near.shape[0]
    who, share = np.empty(k, dtype=np.int64), np.empty(k)
    c = 0
    for t in range(k):
        i = near[t]
        c = pay_into(i, c, owed[i], u_forget[t], z[t], late[i], month, rules, kind, autopay,
                     willingness, escalated, reminded, effect, arrangement_until, plan_channel,
                     channel_stretch, savings, permanent, disposable, paid, share, who)
    cut_to_whole_bills(month, who[:c], share[:c], paid, savings, disposable, current, row,
                       arrears, rows)


@njit(cache=True)
def due_date_outcome(owed: np.ndarray, paid: np.ndarray, late: np.ndarray,
                     score_rules: tuple, score: np.ndarray, escalated: np.ndarray,
                     accelerated: np.ndarray) -> tuple:
    """The outcome of a due date's payments ``paid`` against ``owed`` (cents) of accounts
    0..n-1 (n: ``owed``'s length), ``late`` those past due before it.

    Per account: missed, something is left unpaid; cured, past due before and nothing left
    (:func:`cured_at_due_date`); escalation (``escalated``) and acceleration
    (``accelerated``) end when nothing is left; the behaviour ``score`` gains
    ``on_time_gain`` for a bill paid on time (owed, nothing left, not past due before), loses
    ``missed_loss`` for a miss and gains ``cure_gain`` for a cure, within the scale.
    ``score_rules``: (on_time_gain, missed_loss, cure_gain, lowest, highest score).

    Returns:
        (missed, cured, clean: paid on time or nothing owed, what the limit review counts as a
        clean month (bool), the score before the due date (float64)), each of shape (n,).
    """
    n = owed.shape[0]
    missed = np.empty(n, dtype=np.bool_)
    cured = np.empty(n, dtype=np.bool_)
    clean = np.empty(n, dtype=np.bool_)
    before = np.empty(n)  # written in the loop: no copy pass of its own
    for i in range(n):
        s = score[i]
        before[i] = s
        miss = owed[i] - paid[i] > 0
        missed[i] = miss
        escalated[i] = escalated[i] and miss  # escalation lasts while the account is late
        accelerated[i] = accelerated[i] and miss  # a terminated balance paid in full ends it
        cure = cured_at_due_date(late[i], miss)
        cured[i] = cure
        on_time = owed[i] > 0 and not miss
        clean[i] = on_time or owed[i] == 0
        score[i] = moved_score(s, on_time and not cure, miss, cure, score_rules)
    return missed, cured, clean, before


@njit(cache=True)
def moved_score(score: float, on_time: bool, missed: bool, cured: bool,
                score_rules: tuple) -> float:
    """A behaviour score after a due date: ``on_time_gain`` more for a bill paid on time (not
    a cure), ``missed_loss`` less for a miss, ``cure_gain`` more for a cure, kept within the
    scale. ``score_rules``: (on_time_gain, missed_loss, cure_gain, lowest, highest score)."""
    on_time_gain, missed_loss, cure_gain, lowest, highest = score_rules
    delta = (on_time_gain * (1.0 if on_time else 0.0) - missed_loss * (1.0 if missed else 0.0)
             + cure_gain * (1.0 if cured else 0.0))
    return min(max(score + delta, lowest), highest)


@njit(cache=True)
def update_scores(score: np.ndarray, on_time: np.ndarray, missed: np.ndarray,
                  cured: np.ndarray, score_rules: tuple) -> None:
    """:func:`moved_score` of scores 0..n-1 (n: ``missed``'s length), in place."""
    for i in range(missed.shape[0]):
        score[i] = moved_score(score[i], on_time[i], missed[i], cured[i], score_rules)
