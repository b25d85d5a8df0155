"""The engine's preparation steps, in SQL over the relations (see relations.py).

Standard SQL only (joins, window functions, INTERVAL arithmetic, EXTRACT(EPOCH ...)), so the same
text can be transpiled for another engine; the one function beyond it, HASH, only speeds up a
grouping whose result Python checks exactly, so any engine's hash of any width serves. Each step is
a CREATE TABLE (or VIEW) of a working relation prefixed `rc_`; the big ones keep only what later
steps need, the rest hold the few interesting rows.
"""

from __future__ import annotations

from recoup.transactions.enums import DISPUTE_TYPES

SALE_TYPES = "('SALE', 'PREAUTH_COMPLETE')"
# A chargeback or its reversal in the settlement confirms a scheme dispute (docs/disputes.md); it clears
# no transaction of a terminal, so no rule reads it: the rules read CLEARED, not the settlement itself.
CLEARED = f"(SELECT * FROM settlement WHERE txn_type NOT IN ({', '.join(repr(t) for t in DISPUTE_TYPES)}))"


def _half_hour(time: str) -> str:
    """The number of whole half hours since the epoch at `time`."""
    return f"CAST(FLOOR(EXTRACT(EPOCH FROM {time}) / 1800) AS BIGINT)"


# Voids, refunds and reversals (few) first, so that joining them to their sales builds on the few.
UNDOING_LINES = """
CREATE TABLE rc_undoing AS
SELECT line_no, merchant_id, terminal_id, txn_type, status, rrn, txn_time, amount_minor, orig_rrn
FROM journal
WHERE txn_type IN ('VOID', 'REFUND', 'REVERSAL') AND orig_rrn IS NOT NULL
"""

# Each of them with the sale its orig_rrn names (same merchant; the same terminal is preferred when
# an RRN repeats across terminals).
REFS = f"""
CREATE TABLE rc_refs AS
SELECT ref_line, ref_type, ref_status, ref_rrn, ref_time, ref_amount, ref_terminal, target_line
FROM (
  SELECT r.line_no AS ref_line, r.txn_type AS ref_type, r.status AS ref_status, r.rrn AS ref_rrn,
         r.txn_time AS ref_time, r.amount_minor AS ref_amount, r.terminal_id AS ref_terminal,
         t.line_no AS target_line,
         ROW_NUMBER() OVER (
           PARTITION BY r.line_no
           ORDER BY CASE WHEN t.terminal_id = r.terminal_id THEN 0 ELSE 1 END,
                    CASE WHEN t.status = 'APPROVED' THEN 0 ELSE 1 END,
                    t.txn_time, t.terminal_id, t.amount_minor, t.line_no) AS pick
  FROM rc_undoing r
  JOIN journal t ON t.merchant_id = r.merchant_id AND t.rrn = r.orig_rrn
  WHERE t.txn_type IN {SALE_TYPES}
) named
WHERE pick = 1
"""

# Every sale (narrow: the journal keeps the rest) with whether it is in force, whether an approved
# refund names it, the order its order_no links it to (rule 1, sales in force only) and, for a sale
# in force with no approved refund (the only ones duplicates are sought among), a hash of its
# merchant, masked card, amount and currency: grouping that one number finds the repeated ones far
# cheaper than grouping the four columns (a rare collision only adds a candidate, which the exact
# grouping in Python sets apart). One full outer join gives both the sales (line_no set) and the
# orders no sale links to (line_no NULL). The approved voids, reversals and refunds are folded to one
# row per sale they name, so that every sale is looked up once (not once for cancelling, once for
# refunding).
UNDONE = """
SELECT target_line, max(CASE WHEN ref_type IN ('VOID', 'REVERSAL') THEN 1 ELSE 0 END) AS cancelled,
       max(CASE WHEN ref_type = 'REFUND' THEN 1 ELSE 0 END) AS refunded
FROM rc_refs WHERE ref_status = 'APPROVED' GROUP BY target_line
"""
# The sales an approved void or reversal cancels (a sale is in force when approved and not cancelled).
CANCELLED = f"""
SELECT target_line FROM ({UNDONE}) undone WHERE cancelled = 1
"""
SALE_ORDERS = f"""
CREATE TABLE rc_sale_orders AS
WITH sales AS (
  SELECT j.line_no, j.merchant_id, j.order_no, j.amount_minor, j.card_masked, j.currency,
         j.status = 'APPROVED' AND coalesce(undone.cancelled, 0) = 0 AS in_force,
         coalesce(undone.refunded, 0) = 1 AS refunded
  FROM journal j
  LEFT JOIN ({UNDONE}) undone ON undone.target_line = j.line_no
  WHERE j.txn_type IN {SALE_TYPES}
)
SELECT s.line_no, s.amount_minor, s.in_force, s.refunded,
       CASE WHEN s.in_force AND NOT s.refunded AND s.card_masked IS NOT NULL
            THEN hash(s.merchant_id, s.card_masked, s.amount_minor, s.currency) END AS repeat_key,
       o.line_no AS order_line, o.expected_minor AS order_expected
FROM sales s
FULL OUTER JOIN orders o ON o.merchant_id = s.merchant_id AND o.order_no = s.order_no AND s.in_force
"""
SALES = """
CREATE VIEW rc_sales AS
SELECT line_no, amount_minor, in_force, refunded, repeat_key, order_line, order_expected
FROM rc_sale_orders WHERE line_no IS NOT NULL
"""

# Journal and settlement side by side on terminal + RRN, keeping only the rows that matter:
# a side without the other, or amounts or currencies that differ.
JOURNAL_SETTLEMENT = f"""
CREATE TABLE rc_js AS
WITH pairs AS (  -- keys and amounts only: a small hash table; the other columns for the few rows after
  SELECT j.line_no AS j_line, s.line_no AS s_line
  FROM journal j
  FULL OUTER JOIN {CLEARED} s ON s.terminal_id = j.terminal_id AND s.rrn = j.rrn
  WHERE j.line_no IS NULL OR s.line_no IS NULL
     OR j.amount_minor <> s.amount_minor OR j.currency <> s.currency
)
SELECT p.j_line, j.merchant_id AS j_merchant, j.terminal_id AS j_terminal, j.txn_time AS j_time,
       j.local_date AS j_date, j.txn_type AS j_type, j.status AS j_status, j.amount_minor AS j_amount,
       j.currency AS j_currency, j.rrn AS j_rrn, j.stan AS j_stan, j.order_no AS j_order_no,
       j.orig_rrn AS j_orig_rrn,
       p.s_line, s.merchant_id AS s_merchant, s.terminal_id AS s_terminal, s.txn_time AS s_time,
       s.txn_type AS s_type, s.rrn AS s_rrn, s.amount_minor AS s_amount, s.currency AS s_currency,
       s.stan AS s_stan, s.order_no AS s_order_no
FROM pairs p
LEFT JOIN journal j ON j.line_no = p.j_line
LEFT JOIN settlement s ON s.line_no = p.s_line
"""

# A FAILED or TIMEOUT journal line without RRN and a settlement line with no journal line are the
# same transaction when terminal and STAN are equal and the times within 5 minutes (inclusive). The
# settlement columns of SPEC section 3 hold no STAN: where a settlement line carries none, the equal
# amount stands in for it, and each side then pairs once only, with the nearest in time.
STAN_PAIRS = """
CREATE TABLE rc_stan_pairs AS
WITH pairs AS (
  SELECT j.j_line, s.s_line, j.j_amount, s.s_amount, j.j_currency, s.s_currency, s.s_rrn, j.j_time,
         j.j_stan, j.j_order_no, s.s_stan IS NULL AS without_stan,
         abs(EXTRACT(EPOCH FROM s.s_time) - EXTRACT(EPOCH FROM j.j_time)) AS apart
  FROM rc_js j
  JOIN rc_js s ON s.s_terminal = j.j_terminal
  WHERE j.s_line IS NULL AND j.j_rrn IS NULL AND j.j_status IN ('FAILED', 'TIMEOUT')
    AND s.j_line IS NULL
    AND s.s_time BETWEEN j.j_time - INTERVAL '5' MINUTE AND j.j_time + INTERVAL '5' MINUTE
    AND (s.s_stan = j.j_stan
         OR (s.s_stan IS NULL AND s.s_amount = j.j_amount AND s.s_currency = j.j_currency))
), ranked AS (
  SELECT pairs.*,
         ROW_NUMBER() OVER (PARTITION BY s_line ORDER BY apart, j_time, j_stan, j_order_no, j_line) AS for_line,
         ROW_NUMBER() OVER (PARTITION BY j_line ORDER BY apart, s_rrn, s_line) AS for_sale
  FROM pairs WHERE without_stan
)
SELECT j_line, s_line, j_amount, s_amount, j_currency, s_currency, s_rrn FROM pairs WHERE NOT without_stan
UNION ALL
SELECT j_line, s_line, j_amount, s_amount, j_currency, s_currency, s_rrn FROM ranked
WHERE for_line = 1 AND for_sale = 1
"""

# Journal lines with no settlement line (any type or status).
UNSETTLED = """
CREATE TABLE rc_unsettled AS
SELECT * FROM rc_js
WHERE s_line IS NULL AND j_line NOT IN (SELECT j_line FROM rc_stan_pairs)
"""

# What each source holds per merchant, merchant-local day and currency: the days the settlement
# and the orders cover (absences are judged only on those), and the facts behind source warnings. The
# settlement's days are told apart by MCC too: the MCCs each merchant's lines carry (for MCC_MISMATCH).
JOURNAL_DAYS = """
CREATE TABLE rc_journal_days AS
SELECT merchant_id, local_date, currency, count(*) AS lines FROM journal GROUP BY merchant_id, local_date, currency
"""
SETTLED_DAYS = f"""
CREATE TABLE rc_settled_days AS
SELECT merchant_id, local_date, currency, mcc, count(*) AS lines FROM {CLEARED} s
GROUP BY merchant_id, local_date, currency, mcc
"""
ORDERED_DAYS = """
CREATE TABLE rc_ordered_days AS
SELECT merchant_id, local_date, currency, count(*) AS lines FROM orders GROUP BY merchant_id, local_date, currency
"""

# Orders no sale links to by rule 1 (the only ones rule 2 may link, and the unpaid ones after it).
FREE_ORDERS = """
CREATE TABLE rc_free_orders AS
SELECT o.line_no, o.order_no, o.merchant_id, o.terminal_id, o.created_at, o.expected_minor, o.currency
FROM orders o
WHERE o.line_no IN (SELECT order_line FROM rc_sale_orders WHERE line_no IS NULL)
"""

# Rule 2 candidates: sales in force without order_no and orders no sale links to yet, same
# merchant (and terminal where the order names one), created within 30 minutes either way.
# Both sides carry their half hour since the epoch, so the join is on equal keys (a pair within
# 30 minutes lies in the same or a neighbouring half hour) instead of comparing every sale of a
# merchant with every order of that merchant.
LINK_CANDIDATES = f"""
WITH loose AS (  -- sales in force without order_no, read straight from the few journal lines without one
  SELECT j.line_no, j.merchant_id, j.terminal_id, j.currency, j.amount_minor, j.txn_time, j.rrn,
         {_half_hour("j.txn_time")} AS half_hour
  FROM journal j
  WHERE j.order_no IS NULL AND j.txn_type IN {SALE_TYPES} AND j.status = 'APPROVED'
    AND j.line_no NOT IN ({CANCELLED})
), free AS (
  SELECT o.line_no, o.merchant_id, o.terminal_id, o.currency, o.expected_minor, o.created_at, o.order_no,
         {_half_hour("o.created_at")} AS half_hour
  FROM rc_free_orders o
), nearby (step) AS (VALUES (-1), (0), (1))
SELECT s.line_no, o.line_no, s.amount_minor, o.expected_minor, s.txn_time, o.created_at, s.rrn, o.order_no
FROM loose s
CROSS JOIN nearby n
JOIN free o ON o.merchant_id = s.merchant_id AND o.currency = s.currency AND o.half_hour = s.half_hour + n.step
 AND o.created_at BETWEEN s.txn_time - INTERVAL '30' MINUTE AND s.txn_time + INTERVAL '30' MINUTE
WHERE o.terminal_id IS NULL OR o.terminal_id = s.terminal_id
"""
RULE2_TABLE = "CREATE TABLE rc_rule2 (sale_line BIGINT, order_line BIGINT, order_expected BIGINT)"

# Sales as linked by both rules (narrow, like rc_sales; rule 2 links carry their order's amount).
LINKED_SALES = """
CREATE VIEW rc_linked AS
SELECT s.line_no, s.amount_minor, s.in_force, s.refunded, s.repeat_key,
       coalesce(s.order_line, r.order_line) AS order_line,
       coalesce(s.order_expected, r.order_expected) AS order_expected
FROM rc_sales s
LEFT JOIN rc_rule2 r ON r.sale_line = s.line_no
"""

# Duplicate candidates: sales in force with no approved refund that share merchant, masked card,
# amount and currency with another such sale (by repeat_key; Python groups them exactly, in
# 10-minute windows), with the order each links to by either rule (as rc_linked). Read from the
# sales table itself, not through rc_linked: only the few candidates are joined to the rule 2 links.
# Only sales whose repeat_key also holds two sales within 10 minutes of each other go to Python: a
# duplicate needs a sale within 10 minutes after its group's first, so a key whose sales in time order
# are all more than 10 minutes apart has none (at 10 million generated lines: 97,106 candidates of
# 47,704 repeated keys, none a duplicate). A repeat_key shared by two partitions only keeps more.
DUPLICATE_CANDIDATES = """
WITH repeated AS (
  SELECT repeat_key FROM rc_sale_orders WHERE repeat_key IS NOT NULL GROUP BY repeat_key HAVING count(*) > 1
), candidates AS (
  SELECT s.line_no, s.repeat_key, coalesce(s.order_line, r.order_line) AS order_line
  FROM rc_sale_orders s
  LEFT JOIN rc_rule2 r ON r.sale_line = s.line_no
  WHERE s.repeat_key IN (SELECT repeat_key FROM repeated)
), timed AS (
  SELECT j.line_no, j.merchant_id, j.card_masked, CAST(j.card_token AS VARCHAR) AS card_token, j.amount_minor,
         j.currency, j.txn_time, j.rrn, c.order_line, c.repeat_key,
         j.txn_time <= LAG(j.txn_time) OVER (PARTITION BY c.repeat_key ORDER BY j.txn_time)
                       + INTERVAL '10' MINUTE AS near_previous
  FROM candidates c
  JOIN journal j ON j.line_no = c.line_no
)
SELECT j.line_no, j.merchant_id, j.card_masked, j.card_token, j.amount_minor, j.currency, j.txn_time, j.rrn,
       j.order_line
FROM timed j
WHERE j.repeat_key IN (SELECT repeat_key FROM timed WHERE near_previous)
"""
DUPLICATES_TABLE = "CREATE TABLE rc_dups (dup_line BIGINT, first_line BIGINT)"

# An order's payments: the sales linked to it that are not duplicates.
PAYMENTS = """
CREATE VIEW rc_payments AS
SELECT l.* FROM rc_linked l
WHERE l.order_line IS NOT NULL AND l.line_no NOT IN (SELECT dup_line FROM rc_dups)
"""

# Orders whose payments do not add up to the expected amount. The payments are read as rc_payments
# defines them, but from the sales table itself plus the few rule 2 links (a sale with a rule 1
# order takes no rule 2 link), which spares a join of every sale with the rule 2 links.
ORDER_GAPS = """
CREATE TABLE rc_order_gaps AS
SELECT o.line_no AS order_line, o.order_no, o.merchant_id, o.terminal_id AS order_terminal,
       o.expected_minor, o.currency, paid.paid_minor, paid.payments
FROM (SELECT order_line, CAST(sum(amount_minor) AS BIGINT) AS paid_minor, count(*) AS payments,
             max(order_expected) AS expected_minor
      FROM (SELECT line_no, order_line, amount_minor, order_expected FROM rc_sale_orders
            WHERE line_no IS NOT NULL AND order_line IS NOT NULL
            UNION ALL
            SELECT s.line_no, r.order_line, s.amount_minor, r.order_expected
            FROM rc_rule2 r JOIN rc_sale_orders s ON s.line_no = r.sale_line AND s.order_line IS NULL) linked
      WHERE line_no NOT IN (SELECT dup_line FROM rc_dups)
      GROUP BY order_line) paid
JOIN orders o ON o.line_no = paid.order_line
WHERE paid.paid_minor <> paid.expected_minor
"""

# The two phases of preparation: the first reads journal and settlement (and merchants), the
# second journal and orders, so a caller short of memory may load the orders only after dropping
# the settlement (service.py). Each is (label, SQL) in the order they run.
SETTLEMENT_STEPS: tuple[tuple[str, str], ...] = (
    ("voids, refunds and reversals", UNDOING_LINES),
    ("the sales they name", REFS),
    ("journal against settlement", JOURNAL_SETTLEMENT),
    ("lines without RRN", STAN_PAIRS),
    ("unsettled lines", UNSETTLED),
    ("days of the journal", JOURNAL_DAYS),
    ("days of the settlement", SETTLED_DAYS),
)
ORDER_STEPS: tuple[tuple[str, str], ...] = (
    ("sales", SALE_ORDERS),
    ("sales in force", SALES),
    ("days of the orders", ORDERED_DAYS),
    ("orders without a sale", FREE_ORDERS),
)
