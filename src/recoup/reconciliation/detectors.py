"""One SQL query per finding kind (SPEC section 4), over the relations and the rc_ working tables.

Every query returns the same columns (FINDING_COLUMNS); the cause, confidence and explanation are
added in Python. Standard SQL only.
"""

from __future__ import annotations

from recoup.reconciliation.steps import CLEARED

FINDING_COLUMNS = (
    "kind", "merchant_id", "terminal_id", "rrn", "related_rrn", "order_no", "charged_minor",
    "expected_minor", "currency", "event_time", "other_time", "note", "payment_count",
)

# The payments of the orders with a gap are read as rc_payments defines them, but from the sales table
# and the few rule 2 links (as steps.ORDER_GAPS does): the orders' filter then applies before any join,
# where through rc_payments every sale would first be joined with the rule 2 links.
_PAYMENT_SUMS = """
WITH gap_links AS (
  SELECT line_no, order_line FROM rc_sale_orders
  WHERE line_no IS NOT NULL AND order_line IN (SELECT order_line FROM rc_order_gaps)
  UNION ALL
  SELECT r.sale_line, r.order_line FROM rc_rule2 r JOIN rc_sale_orders s ON s.line_no = r.sale_line
  WHERE s.order_line IS NULL AND r.order_line IN (SELECT order_line FROM rc_order_gaps)
), gap_payments AS (
  SELECT p.line_no, p.order_line, j.terminal_id, j.rrn, j.txn_time,
         ROW_NUMBER() OVER (PARTITION BY p.order_line
                            ORDER BY j.txn_time DESC, j.rrn DESC, j.amount_minor DESC, j.line_no DESC) AS latest
  FROM gap_links p JOIN journal j ON j.line_no = p.line_no
  WHERE p.line_no NOT IN (SELECT dup_line FROM rc_dups)
), refunds AS (
  SELECT p.order_line, sum(r.ref_amount) AS refunded_minor
  FROM gap_payments p JOIN rc_refs r ON r.target_line = p.line_no
  WHERE r.ref_type = 'REFUND' AND r.ref_status = 'APPROVED'
  GROUP BY p.order_line
)
SELECT CASE WHEN g.paid_minor > g.expected_minor THEN 'OVERCHARGE' ELSE 'UNDERCHARGE' END,
       g.merchant_id, p.terminal_id, p.rrn, CAST(NULL AS VARCHAR), g.order_no, g.paid_minor, g.expected_minor,
       g.currency, p.txn_time, CAST(NULL AS TIMESTAMP), CAST(coalesce(f.refunded_minor, 0) AS VARCHAR), g.payments
FROM rc_order_gaps g
JOIN gap_payments p ON p.order_line = g.order_line AND p.latest = 1
LEFT JOIN refunds f ON f.order_line = g.order_line
WHERE (g.paid_minor > g.expected_minor AND coalesce(f.refunded_minor, 0) < g.paid_minor - g.expected_minor)
   OR (g.paid_minor < g.expected_minor AND g.paid_minor > 0)
"""

_DUPLICATES = """
SELECT 'DUPLICATE_CHARGE', s.merchant_id, s.terminal_id, s.rrn, f.rrn, coalesce(o.order_no, s.order_no),
       s.amount_minor, 0, s.currency, s.txn_time, f.txn_time, f.terminal_id, 0
FROM rc_dups d
JOIN journal s ON s.line_no = d.dup_line
JOIN rc_linked l ON l.line_no = d.dup_line
JOIN journal f ON f.line_no = d.first_line
LEFT JOIN orders o ON o.line_no = l.order_line
"""

# Sales the settlement shows cleared, with the amount cleared (by RRN, or by STAN for lines without)
# and, for a line without RRN, the RRN the settlement cleared it under.
_CLEARED = f"""
cleared_amounts AS (
  SELECT c.line_no, max(s.amount_minor) AS cleared_minor, CAST(NULL AS VARCHAR) AS cleared_rrn
  FROM candidates c JOIN {CLEARED} s ON s.terminal_id = c.terminal_id AND s.rrn = c.rrn
  GROUP BY c.line_no
  UNION ALL
  SELECT p.j_line, max(p.s_amount), min(p.s_rrn) FROM rc_stan_pairs p
  WHERE p.j_line IN (SELECT line_no FROM candidates) GROUP BY p.j_line
)"""

_DEBITED_BUT_FAILED = f"""
CREATE TABLE rc_debited_but_failed AS
WITH reversals AS (
  SELECT target_line, ref_line, ref_rrn, ref_time,
         ROW_NUMBER() OVER (PARTITION BY target_line ORDER BY ref_time, ref_rrn, ref_line) AS k
  FROM rc_refs WHERE ref_type = 'REVERSAL'
), candidates AS (  -- the failed sales and the reversed ones, each found by a filter on few lines
  SELECT s.* FROM journal s
  WHERE s.txn_type = 'SALE'
    AND s.line_no IN (SELECT line_no FROM journal WHERE txn_type = 'SALE' AND status IN ('FAILED', 'TIMEOUT')
                      UNION ALL SELECT target_line FROM reversals)
    AND s.line_no NOT IN (SELECT j_line FROM rc_unsettled)
    AND NOT EXISTS (SELECT 1 FROM reversals r WHERE r.target_line = s.line_no
                      AND r.ref_line NOT IN (SELECT j_line FROM rc_unsettled))
), {_CLEARED}
SELECT 'DEBITED_BUT_FAILED' AS kind, c.merchant_id, c.terminal_id, coalesce(c.rrn, a.cleared_rrn) AS rrn,
       r.ref_rrn AS related_rrn, c.order_no,
       coalesce(a.cleared_minor, c.amount_minor) AS charged_minor, 0 AS expected_minor, c.currency,
       c.txn_time AS event_time, r.ref_time AS other_time, c.status AS note, 0 AS payment_count
FROM candidates c
LEFT JOIN cleared_amounts a ON a.line_no = c.line_no
LEFT JOIN reversals r ON r.target_line = c.line_no AND r.k = 1
"""

_VOIDED_BUT_SETTLED = f"""
WITH voids AS (
  SELECT v.ref_rrn, v.ref_time, v.target_line FROM rc_refs v
  WHERE v.ref_type = 'VOID' AND v.ref_status = 'APPROVED'
    AND v.ref_line IN (SELECT j_line FROM rc_unsettled)
), candidates AS (
  SELECT s.* FROM journal s
  WHERE s.line_no IN (SELECT target_line FROM voids) AND s.line_no NOT IN (SELECT j_line FROM rc_unsettled)
), {_CLEARED}
SELECT 'VOIDED_BUT_SETTLED', c.merchant_id, c.terminal_id, c.rrn, v.ref_rrn, c.order_no,
       coalesce(a.cleared_minor, c.amount_minor), 0, c.currency, c.txn_time, v.ref_time, CAST(NULL AS VARCHAR), 0
FROM candidates c
JOIN voids v ON v.target_line = c.line_no
LEFT JOIN cleared_amounts a ON a.line_no = c.line_no
"""

_UNSETTLED = """
SELECT 'UNSETTLED', u.j_merchant, u.j_terminal, u.j_rrn, CAST(NULL AS VARCHAR), u.j_order_no, 0, u.j_amount,
       u.j_currency, u.j_time, CAST(NULL AS TIMESTAMP), CAST(NULL AS VARCHAR), 0
FROM rc_unsettled u
JOIN rc_sales s ON s.line_no = u.j_line
WHERE s.in_force
  AND EXISTS (SELECT 1 FROM rc_settled_days d WHERE d.merchant_id = u.j_merchant AND d.local_date = u.j_date)
"""

_SETTLEMENT_MISMATCH = """
WITH pairs AS (
  SELECT s_line, j_line, s_merchant, s_terminal, s_rrn, s_time, s_amount, j_amount, s_currency, j_currency,
         coalesce(j_order_no, s_order_no) AS order_no
  FROM rc_js WHERE j_line IS NOT NULL AND s_line IS NOT NULL
  UNION ALL
  SELECT p.s_line, p.j_line, x.s_merchant, x.s_terminal, x.s_rrn, x.s_time, p.s_amount, p.j_amount,
         p.s_currency, p.j_currency, x.s_order_no
  FROM rc_stan_pairs p JOIN rc_js x ON x.s_line = p.s_line AND x.j_line IS NULL
), agreeing AS (
  SELECT m.s_line FROM rc_js m
  JOIN journal j ON j.terminal_id = m.s_terminal AND j.rrn = m.s_rrn
  WHERE m.j_line IS NOT NULL AND j.amount_minor = m.s_amount AND j.currency = m.s_currency
  UNION
  SELECT s_line FROM rc_stan_pairs WHERE j_amount = s_amount AND j_currency = s_currency
), ranked AS (
  SELECT pairs.*, ROW_NUMBER() OVER (PARTITION BY s_line ORDER BY j_amount, j_line) AS k
  FROM pairs WHERE s_currency = j_currency
)
SELECT 'SETTLEMENT_MISMATCH', s_merchant, s_terminal, s_rrn, CAST(NULL AS VARCHAR), order_no, s_amount,
       j_amount, s_currency, s_time, CAST(NULL AS TIMESTAMP), CAST(NULL AS VARCHAR), 0
FROM ranked WHERE k = 1 AND s_line NOT IN (SELECT s_line FROM agreeing)
"""

_UNKNOWN_SETTLEMENT = """
SELECT 'UNKNOWN_SETTLEMENT', s_merchant, s_terminal, s_rrn, CAST(NULL AS VARCHAR), s_order_no, s_amount, 0,
       s_currency, s_time, CAST(NULL AS TIMESTAMP), s_type, 0
FROM rc_js WHERE j_line IS NULL AND s_line NOT IN (SELECT s_line FROM rc_stan_pairs)
"""

_REFUND_NOT_SETTLED = """
SELECT 'REFUND_NOT_SETTLED', u.j_merchant, u.j_terminal, u.j_rrn, u.j_orig_rrn, u.j_order_no, 0, u.j_amount,
       u.j_currency, u.j_time, CAST(NULL AS TIMESTAMP), CAST(NULL AS VARCHAR), 0
FROM rc_unsettled u
WHERE u.j_type = 'REFUND' AND u.j_status = 'APPROVED'
  AND EXISTS (SELECT 1 FROM rc_settled_days d WHERE d.merchant_id = u.j_merchant AND d.local_date = u.j_date)
"""

_OVER_REFUND = """
WITH running AS (
  SELECT r.*, sum(r.ref_amount) OVER (PARTITION BY r.target_line
                                      ORDER BY r.ref_time, r.ref_rrn, r.ref_amount, r.ref_line
                                      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cumulative
  FROM rc_refs r WHERE r.ref_status = 'APPROVED' AND r.ref_type IN ('VOID', 'REFUND')
), past AS (
  SELECT running.*, s.amount_minor AS sale_minor,
         ROW_NUMBER() OVER (PARTITION BY running.target_line
                            ORDER BY running.ref_time, running.ref_rrn, running.ref_amount, running.ref_line) AS k
  FROM running JOIN journal s ON s.line_no = running.target_line
  WHERE running.cumulative > s.amount_minor
)
SELECT 'OVER_REFUND', s.merchant_id, p.ref_terminal, p.ref_rrn, s.rrn, s.order_no, p.cumulative, s.amount_minor,
       s.currency, p.ref_time, s.txn_time, p.ref_type, 0
FROM past p JOIN journal s ON s.line_no = p.target_line
WHERE p.k = 1
"""

# The merchants and MCCs the settlement days show against another registered MCC come first (few, and
# usually none): only their settlement lines are then read, and none at all when there are none.
_MCC_MISMATCH = f"""
WITH switched AS (
  SELECT DISTINCT d.merchant_id, d.mcc FROM rc_settled_days d JOIN merchants m ON m.merchant_id = d.merchant_id
  WHERE d.mcc IS NOT NULL AND m.mcc IS NOT NULL AND d.mcc <> m.mcc
)
SELECT 'MCC_MISMATCH', s.merchant_id, s.terminal_id, s.rrn, CAST(NULL AS VARCHAR), s.order_no, s.amount_minor,
       s.amount_minor, s.currency, s.txn_time, CAST(NULL AS TIMESTAMP), s.mcc || '/' || m.mcc, 0
FROM {CLEARED} s
JOIN switched w ON w.merchant_id = s.merchant_id AND w.mcc = s.mcc
JOIN merchants m ON m.merchant_id = s.merchant_id
WHERE s.mcc IS NOT NULL AND m.mcc IS NOT NULL AND s.mcc <> m.mcc
"""

# Sales in force that link to no order by either rule (as rc_linked tells), read from the sales table:
# the few without a rule 1 order are then looked up among the rule 2 links, not every sale.
_UNMATCHED_CHARGE = """
WITH loose AS (
  SELECT s.line_no FROM rc_sale_orders s
  WHERE s.line_no IS NOT NULL AND s.in_force AND s.order_line IS NULL
    AND s.line_no NOT IN (SELECT sale_line FROM rc_rule2) AND s.line_no NOT IN (SELECT dup_line FROM rc_dups)
)
SELECT 'UNMATCHED_CHARGE', s.merchant_id, s.terminal_id, s.rrn, CAST(NULL AS VARCHAR), s.order_no, s.amount_minor,
       0, s.currency, s.txn_time, CAST(NULL AS TIMESTAMP), CAST(NULL AS VARCHAR), 0
FROM loose JOIN journal s ON s.line_no = loose.line_no
WHERE EXISTS (SELECT 1 FROM rc_ordered_days d WHERE d.merchant_id = s.merchant_id AND d.local_date = s.local_date)
"""

_UNPAID_ORDER = """
SELECT 'UNPAID_ORDER', o.merchant_id, o.terminal_id, CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), o.order_no, 0,
       o.expected_minor, o.currency, o.created_at, CAST(NULL AS TIMESTAMP), CAST(NULL AS VARCHAR), 0
FROM rc_free_orders o
WHERE NOT EXISTS (SELECT 1 FROM rc_rule2 r WHERE r.order_line = o.line_no)
  AND NOT EXISTS (SELECT 1 FROM rc_debited_but_failed d
                  WHERE d.merchant_id = o.merchant_id AND d.order_no = o.order_no)
"""

DEBITED_BUT_FAILED_TABLE = _DEBITED_BUT_FAILED
DEBITED_BUT_FAILED = f"SELECT {', '.join(FINDING_COLUMNS)} FROM rc_debited_but_failed"

# (label, query) in the order they run, by the phase whose relations they read (see
# steps.SETTLEMENT_STEPS); MCC_MISMATCH only with a merchant registry.
SETTLEMENT_DETECTORS: tuple[tuple[str, str], ...] = (
    ("debited but failed", DEBITED_BUT_FAILED),
    ("voided but settled", _VOIDED_BUT_SETTLED),
    ("settlement mismatches", _SETTLEMENT_MISMATCH),
    ("unknown settlement lines", _UNKNOWN_SETTLEMENT),
    ("refunds not settled", _REFUND_NOT_SETTLED),
    ("over-refunds", _OVER_REFUND),
)
ORDER_DETECTORS: tuple[tuple[str, str], ...] = (
    ("over- and undercharges", _PAYMENT_SUMS),
    ("duplicate charges", _DUPLICATES),
    ("unsettled sales", _UNSETTLED),
    ("unmatched charges", _UNMATCHED_CHARGE),
    ("unpaid orders", _UNPAID_ORDER),
)
MCC_DETECTOR = ("MCC mismatches", _MCC_MISMATCH)
