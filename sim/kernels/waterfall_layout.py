"""The layout of the compiled waterfall's arrays (:mod:`sim.kernels.waterfall`), without numba.

The output fields in their block order, the codes of verbs, trigger types, reserve bases and
principal-to-interest rules, and the rows of the option, parameter and work arrays; the
waterfall (:mod:`sim.abs.steps`) builds its arrays from these so that both read one layout.
"""

from __future__ import annotations

NOTE_FIELDS = (
    "balance_begin",
    "coupon",
    "interest_due",
    "interest_paid",
    "interest_shortfall",
    "principal_paid",
    "writedown",
    "balance_end",
    "pdl_debit",
    "pdl_credit",
    "pdl_balance",
)
DEAL_FIELDS = (
    "available",
    "fees_due",
    "fees_paid",
    "swap_net",
    "swap_paid",
    "sale_proceeds",
    "principal_target",
    "reinvested",
    "reserve_requirement",
    "reserve_balance",
    "residual",
    "excess_spread",
    "excess_spread_gross",
    "pool_balance_end",
    "call_top_up",
    "rounding_carried",
)
SOURCE_FIELDS = ("collections", "swap_receipt", "reserve_draw")
RESERVE_FIELDS = ("reserve_used", "reserve_fees", "reserve_swap", "reserve_reinvest",
                  "reserve_principal")
"""What the reserve drawn into the period's funds paid (docs/WATERFALL.md §5.3): in all, then
senior fees, the net swap, receivables bought and principal; in the deal block after
``SOURCE_FIELDS``. Written in currency units, and only where not 0: the reserve pays in few
periods, and rows never written cost no memory."""
NOTE_RESERVE_FIELDS = ("reserve_interest", "reserve_pdl")
"""What the reserve paid of each note's interest and of the credit to its PDL: in the note
block after ``NOTE_FIELDS``, written as ``RESERVE_FIELDS`` are."""
FLAG_FIELDS = ("revolving", "accelerated", "sequential", "trigger_breached", "call_exercised",
               "legal_final", "active")
VERBS = ("pay_fees", "pay_swap", "pay_interest", "clear_pdl", "reinvest", "pay_principal",
         "fund_reserve", "pay_residual")
"""Verb codes of the program, by position."""
TRIGGER_TYPES = ("cumulative_default_ratio", "delinquency_ratio", "excess_spread",
                 "cumulative_net_loss_ratio")
BASES = ("initial_notes", "current_pool", "initial_pool")
"""Reserve bases, by code."""
PRINCIPAL_TO_INTEREST = ("most_senior", "pdl_not_in_debit", "all", "none")
"""Rules for which notes' interest principal funds may pay, by code."""

# note fields
N_BEGIN, N_COUPON, N_DUE, N_PAID, N_SHORT, N_PRIN, N_WD, N_END, N_DEBIT, N_CREDIT, N_PDL = range(11)
N_RES_INT, N_RES_PDL = range(11, 13)
# deal fields, then sources
(D_AVAIL, D_FEES_DUE, D_FEES_PAID, D_SWAP_NET, D_SWAP_PAID, D_SALE, D_TARGET, D_REINV,
 D_REQ, D_RESERVE, D_RESIDUAL, D_ES, D_ESG, D_POOL_END, D_TOP_UP, D_ROUND, D_COLL, D_SWAP_REC,
 D_DRAW) = range(19)
D_USED, D_RES_FEES, D_RES_SWAP, D_RES_REINV, D_RES_PRIN = range(19, 24)
F_REV, F_ACC, F_SEQ, F_BREACH, F_CALL, F_FINAL, F_ACTIVE = range(7)
V_FEES, V_SWAP, V_INTEREST, V_CLEAR, V_REINVEST, V_PRINCIPAL, V_RESERVE, V_RESIDUAL = range(8)
# per-path state rows (float): unpaid fees, unpaid swap, reserve, the sub-cent remainders
# carried of the collections, of principal funds and of the PDL's debit for defaults
Z_FEES, Z_SWAP, Z_RESERVE, Z_CARRY, Z_PF_CARRY, Z_DEFAULT_CARRY = range(6)
N_PATH_STATE = 6
CENT_TOLERANCE = 1e-6
"""Cents: an amount within a millionth of a cent below a whole cent rounds down to that cent
(docs/WATERFALL.md §5.11): the binary form of a rate such as 0.15 / 12 puts an exact product a
few units in the last place below the cent it is (0.15 / 12 x 10,000 cents is
124.99999999999999)."""
# options (int64 array)
(O_LEGAL_FINAL, O_REVOLVING, O_PDL, O_SWAP, O_CALL, O_BASIS, O_STEP_DOWN_BREACH, O_P2I,
 O_CAPACITY, O_FLOATING, O_COMPOUNDING, O_DELINQUENCY, O_BASE, O_OC, O_CALL_PAR) = range(15)
N_OPTIONS = 15
# parameters (float64 array)
P_FEE_MONTHLY, P_SWAP_RATE, P_TARGET, P_FLOOR, P_OC_TARGET, P_OC_FLOOR = range(6)
N_PARAMS = 6
# per-path terms (float rows)
T_NOTES, T_POOL, T_CALL, T_OC = range(4)
# per-path scratch (float rows); S_DRAW, the reserve drawn into the period's cash that no
# step has yet spent (the last revenue spent, 0 once fund_reserve ran); with an OC target
# S_KEEP, the principal amount left that keeping the OC at closing would give; S_RES_PRIN,
# the principal the reserve has paid so far in the period
(S_CASH, S_PF, S_PA, S_USED, S_FEE, S_SWAP, S_POOL_END, S_AMOUNT, S_TOTAL, S_REM, S_POOL,
 S_GROSS, S_DRAW, S_KEEP, S_RES_PRIN) = range(15)
N_SCRATCH = 15
# per-path scratch (bool rows): the three deal states first, in STATES order; B_MASK: the
# paths whose state runs the list being run
B_REV, B_AMO, B_ACC, B_USE_PA, B_WIND, B_BREACH, B_MASK, B_PRO, B_CALL = range(9)
N_BOOL_SCRATCH = 9


