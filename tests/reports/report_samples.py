"""Summaries built by hand for the tests of the report's outputs (charts, XLSX, PDF, CSV)."""

from __future__ import annotations

from datetime import date, timedelta

from recoup.reports.summary import AgeRow, CauseRow, DayRow, Funnel, KindRow, RateRow, Summary, Totals

MERCHANT_NAME = "湖滨便利店"
HOSTILE = '<script>alert("x")</script> & =HYPERLINK("http://evil.example")'


def sample_summary(*, days: int = 10, currency: str = "CNY", terminal: str = "61020001") -> Summary:
    first = date(2026, 3, 1)
    by_day = [DayRow(first + timedelta(days=n), findings=n % 4 + 1, difference_minor=(n + 1) * 12_345)
              for n in range(days)]
    return Summary(
        tenant_id=1, merchant_ids=("898301054110001",), date_from=first, date_to=first + timedelta(days=days - 1),
        currency=currency,
        totals=Totals(findings=25, cases=12, amount_at_stake_minor=1_234_567, amount_recovered_minor=617_283,
                      recovery_rate=0.5, cases_recovered=6, recovery_rate_by_count=0.5,
                      median_hours_to_recovery=30.5, p90_hours_to_recovery=100.0, open_past_deadline=2,
                      fees_lost_minor=3_210, transactions=10_000),
        previous=Totals(findings=20, cases=10, amount_at_stake_minor=1_000_000, amount_recovered_minor=250_000,
                        recovery_rate=0.25, cases_recovered=3, recovery_rate_by_count=0.3,
                        open_past_deadline=1, fees_lost_minor=1_000, transactions=9_000),
        by_kind=[KindRow("OVERCHARGE", 15, 8, 900_000, 500_000), KindRow("DUPLICATE_CHARGE", 10, 4, 334_567, 117_283)],
        by_cause=[CauseRow("EXTRA_DIGIT", 9, 700_000), CauseRow("", 6, 200_000)],
        by_day=by_day,
        worst_terminals=[RateRow(terminal, "898301054110001", 240, 3, 12.5, merchant_name=MERCHANT_NAME)],
        worst_cashiers=[RateRow("C007", "898301054110002", 500, 4, 8.0)],  # a merchant with no name on file
        funnel=Funnel(found=25, cased=12, acted=9, recovered=6),
        ageing=[AgeRow("0-2d", 3), AgeRow("3-7d", 2), AgeRow("8-30d", 1), AgeRow(">30d", 0)],
    )
