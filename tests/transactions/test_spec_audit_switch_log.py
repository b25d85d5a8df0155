"""SPEC 3, ISO 8583 switch log: "0200 requests pair with 0210 responses by terminal, STAN and transmission time
(STANs repeat across terminals); a 0200 with no 0210 is TIMEOUT; response code "00" is APPROVED, any other
DECLINED. Voids, refunds and 0400 reversals name their original in field 90 ..., each with its own STAN and
RRN; a 0400 answered by a 0410 "00" is an approved REVERSAL, one never answered is a REVERSAL in TIMEOUT; an
original not in the log leaves `orig_rrn` empty with a warning. `txn_time` is local time from fields 13 and
12; the year is not in the message: `--year` gives it, and without it a date later than today is taken as
last year's." Imported through `recoup import iso8583` on both engines.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update
from tests.support.cli import run_in_process
from tests.support.factories import OBJECTS, World
from tests.support.switch_logs import iso_bytes, iso_request

from recoup.merchants.models import Merchant
from recoup.transactions.iso8583 import parse_switch_log
from recoup.transactions.models import JournalLine

M_A, T_A = OBJECTS["A"]
T_TWIN = "61027890"  # a second terminal of the same merchant, using the same STANs
SENT = "1012100000"


def request(stan: str, rrn: str, *, terminal: str = T_A, processing: str = "000000", mti: str = "0200",
            original: dict[str, str] | None = None, amount: str = "000000012800") -> dict[str, str]:
    fields = iso_request(**{"3": processing, "4": amount, "11": stan, "37": rrn, "41": terminal, "7": SENT})
    fields["t"] = mti
    if original is not None:
        fields["90"] = original["t"] + original["11"] + original["7"] + "00048021000" + "00000000000"
    return fields


def answer(to: dict[str, str], code: str = "00") -> dict[str, str]:
    response = {"t": "0210" if to["t"] == "0200" else "0410", "7": to["7"], "11": to["11"], "37": to["37"],
                "39": code, "41": to["41"]}
    if code == "00":
        response["38"] = "AUTH01"
    return response


def write_log(path: Path, *messages: dict[str, str]) -> Path:
    path.write_bytes(b"\r\n".join(iso_bytes(message) for message in messages) + b"\r\n")
    return path


def stored(world: World) -> dict[str, tuple[str, str, str, int, str, str]]:
    with world.database.unit_of_work() as session:
        lines = session.execute(select(JournalLine)).scalars().all()
        return {line.rrn: (line.terminal_id, line.txn_type, line.status, line.amount_minor, line.orig_rrn,
                           line.stan) for line in lines}


def test_a_log_of_every_flow_becomes_the_journal_it_describes(
        world: World, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    sale = request("000001", "000000000001")
    twin = request("000001", "000000000009", terminal=T_TWIN, amount="000000050000")  # same STAN and second
    void = request("000002", "000000000002", processing="020000", original=sale)
    refund = request("000003", "000000000003", processing="200000", original=sale, amount="000000002800")
    second = request("000004", "000000000004")
    reversal = request("000005", "000000000005", mti="0400", original=second)
    lost = request("000006", "000000000006")  # never answered
    lost_reversal = request("000007", "000000000007", mti="0400", original=lost)  # never answered either
    stranger = {**sale, "11": "000099", "7": "1011090000"}  # an original from another day's log
    orphan = request("000008", "000000000008", processing="200000", original=stranger)
    log = write_log(tmp_path / "switch.log", sale, twin, answer(twin, "51"), answer(sale), void, answer(void),
                    refund, answer(refund), second, answer(second), reversal, answer(reversal), lost,
                    lost_reversal, orphan, answer(orphan))
    code, out, err = run_in_process(["import", "iso8583", str(log), "--year", "2026"], database_url, monkeypatch,
                                    capsys)
    assert code == 0, err
    assert "9 row(s) imported" in out
    assert "original 0200 STAN 000099 at 1011090000 on terminal 61027889 is not in the log" in out
    assert stored(world) == {
        "000000000001": (T_A, "SALE", "APPROVED", 12800, "", "000001"),
        "000000000009": (T_TWIN, "SALE", "DECLINED", 50000, "", "000001"),
        "000000000002": (T_A, "VOID", "APPROVED", 12800, "000000000001", "000002"),
        "000000000003": (T_A, "REFUND", "APPROVED", 2800, "000000000001", "000003"),
        "000000000004": (T_A, "SALE", "APPROVED", 12800, "", "000004"),
        "000000000005": (T_A, "REVERSAL", "APPROVED", 12800, "000000000004", "000005"),
        "000000000006": (T_A, "SALE", "TIMEOUT", 12800, "", "000006"),
        "000000000007": (T_A, "REVERSAL", "TIMEOUT", 12800, "000000000006", "000007"),
        "000000000008": (T_A, "REFUND", "APPROVED", 12800, "", "000008"),
    }


def test_local_time_is_the_merchants_registered_zone(
        world: World, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Fields 13 and 12 are the merchant's local time: 10:00 in Tokyo is 01:00 UTC, not 02:00."""
    with world.database.unit_of_work() as session:
        session.execute(update(Merchant).where(Merchant.merchant_id == M_A).values(timezone="Asia/Tokyo"))
    sale = request("000001", "000000000001")
    log = write_log(tmp_path / "switch.log", sale, answer(sale))
    code, _, err = run_in_process(["import", "iso8583", str(log), "--year", "2026"], database_url, monkeypatch,
                                  capsys)
    assert code == 0, err
    with world.database.unit_of_work() as session:
        line = session.execute(select(JournalLine)).scalar_one()
        moment = line.txn_time if line.txn_time.tzinfo else line.txn_time.replace(tzinfo=UTC)
        assert (moment, line.local_date) == (datetime(2026, 10, 12, 1, tzinfo=UTC), date(2026, 10, 12))


@pytest.mark.parametrize("today", [date(2026, 6, 15), date(2026, 1, 1), date(2026, 12, 30)])
def test_without_a_year_a_date_later_than_today_is_last_years(today: date) -> None:
    """The rule reads the injected day (the merchant's today), never the machine's clock."""
    later = today + timedelta(days=1)
    earlier = today - timedelta(days=1) if today.timetuple().tm_yday > 1 else today
    rows = {}
    for stan, day in (("000001", later), ("000002", earlier)):
        fields = request(stan, f"0000000000{stan[-2:]}")
        fields["13"] = day.strftime("%m%d")
        fields["7"] = day.strftime("%m%d") + "100000"
        rows[stan] = parse_switch_log([iso_bytes(fields)], year=None, card_key=b"k", today=today).rows[0]["txn_time"]
    assert rows["000001"].startswith(f"{today.year - 1}-{later:%m-%d}T10:00:00")
    assert rows["000002"].startswith(f"{today.year}-{earlier:%m-%d}T10:00:00")


def test_a_bad_message_names_its_line_and_field_and_imports_nothing(
        world: World, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    good = request("000001", "000000000001")
    log = tmp_path / "switch.log"
    log.write_bytes(iso_bytes(good) + b"\n" + iso_bytes(answer(good)) + b"\n" + iso_bytes(good)[:-7] + b"\n")
    code, out, err = run_in_process(["import", "iso8583", str(log), "--year", "2026"], database_url, monkeypatch,
                                    capsys)
    assert code == 1
    assert "line 3, column field" in err
    assert "Traceback" not in err + out
    assert stored(world) == {}
