"""Warnings about sources that do not fit together (currencies, date ranges, unknown merchants).

These never change findings; they tell the user why some comparisons were not made or why some
absences were not judged, so nothing is silently mismatched.
"""

from __future__ import annotations

from datetime import date

import duckdb

from recoup.transactions.duck import row, scalar


def _currency_warnings(con: duckdb.DuckDBPyConnection) -> list[str]:
    found = []
    differing = row(con, "SELECT count(*), min(s_rrn) FROM rc_js WHERE j_line IS NOT NULL AND s_line IS NOT NULL "
                         "AND j_currency <> s_currency")
    if differing and differing[0]:
        found.append(f"{differing[0]} settlement line(s) in another currency than their journal line "
                     f"(e.g. RRN {differing[1]}): their amounts were not compared")
    journal = {value for (value,) in con.execute("SELECT DISTINCT currency FROM rc_journal_days").fetchall()}
    settled = {value for (value,) in con.execute("SELECT DISTINCT currency FROM rc_settled_days").fetchall()}
    if journal and settled and journal != settled:
        found.append(f"the journal is in {', '.join(sorted(journal))} but the settlement in "
                     f"{', '.join(sorted(settled))}")
    return found


def _span(con: duckdb.DuckDBPyConnection, days: str) -> tuple[date | None, date | None]:
    first, last = row(con, f"SELECT min(local_date), max(local_date) FROM {days}") or (None, None)
    return first, last


def _date_warnings(con: duckdb.DuckDBPyConnection) -> list[str]:
    journal, settled = _span(con, "rc_journal_days"), _span(con, "rc_settled_days")
    if None in journal or None in settled or journal == settled:
        return []
    return [f"the journal runs {journal[0]} to {journal[1]} but the settlement {settled[0]} to {settled[1]}: "
            "unsettled sales and refunds are judged only on days the settlement covers"]


def _merchant_warnings(con: duckdb.DuckDBPyConnection) -> list[str]:
    unknown = scalar(con, """
        SELECT count(*) FROM (SELECT merchant_id FROM rc_journal_days
                              UNION SELECT merchant_id FROM rc_settled_days) seen
        WHERE merchant_id NOT IN (SELECT merchant_id FROM merchants)""")
    if not unknown:
        return []
    return [f"{unknown} merchant(s) not in the merchant registry: their MCC is not checked and their "
            "times without offset are read in the default time zone"]


def source_warnings(con: duckdb.DuckDBPyConnection, *, with_merchants: bool) -> list[str]:
    found = _currency_warnings(con) + _date_warnings(con)
    if with_merchants:
        found += _merchant_warnings(con)
    return found
