"""Write the SPEC sample data sets (native layout) out in each shipped statement style, text and XLSX.

    .venv/bin/python -m tests.support.statement_styles SAMPLE_FOLDER OUT_FOLDER

Settlement in every style (allinpay-statement: GB18030, CRLF, a title line, negative refunds;
check-file-fen: pipe, fen, yyyyMMddHHmmss, trailing `|`; wallet-bill: backticks, summary lines),
the journal in the pos-journal style. Cards are written masked (first six, last four) only.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Callable
from pathlib import Path

REFUND_LIKE = {"REFUND", "VOID", "REVERSAL"}
ALLINPAY_TYPES = {"SALE": "消费", "VOID": "撤销", "REFUND": "退货", "REVERSAL": "冲正",
                  "PREAUTH": "预授权", "PREAUTH_COMPLETE": "预授权完成"}
CHECK_CODES = {"SALE": "S01", "VOID": "S02", "REFUND": "S03", "REVERSAL": "S04", "PREAUTH": "S05",
               "PREAUTH_COMPLETE": "S06"}
WALLET_TYPES = {"SALE": "付款", "REFUND": "退款", "VOID": "撤销", "REVERSAL": "冲正"}
STATUS_WORDS = {"APPROVED": "成功", "DECLINED": "拒绝", "FAILED": "失败", "TIMEOUT": "超时"}
Table = tuple[list[str], list[list[str]], list[list[str]]]  # header, rows, lines around (title / summary)


def read_native(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def masked(card: str) -> str:
    if not card or "*" in card:
        return card
    return card[:6] + "*" * (len(card) - 10) + card[-4:]


def _date_time(moment: str) -> tuple[str, str]:
    return moment[:10], moment[11:19]


def _fen(amount: str) -> str:
    whole, _, cents = amount.partition(".")
    return str(int(whole) * 100 + int((cents + "00")[:2]))


def _signed(amount: str, row: dict[str, str]) -> str:
    return f"-{amount}" if row["txn_type"] in REFUND_LIKE and amount and float(amount) != 0 else amount


def allinpay_settlement(rows: list[dict[str, str]]) -> Table:
    header = ["清算日期", "商户号", "商户名称", "MCC", "终端号", "交易日期", "交易时间", "交易类型", "参考号",
              "卡号", "交易金额", "手续费", "结算金额", "订单号"]
    body = []
    for row in rows:
        day, clock = _date_time(row["txn_time"])
        body.append([row["settle_date"], row["merchant_id"], row["merchant_name"], row["mcc"], row["terminal_id"],
                     day, clock, ALLINPAY_TYPES[row["txn_type"]], row["rrn"], masked(row["card"]),
                     _signed(row["amount"], row), _signed(row["fee"], row), _signed(row["net_amount"], row),
                     row["order_no"]])
    return header, body, [["通联支付商户对账单"], ["导出时间：2026-10-16 09:00:00"]]


def check_file_settlement(rows: list[dict[str, str]]) -> Table:
    header = ["清算日期", "商户代码", "商户名称", "商户类别", "终端代码", "交易时间", "交易代码", "检索参考号",
              "主账号", "交易金额", "手续费", "清算金额", "货币代码", "订单号"]
    body = [[row["settle_date"].replace("-", ""), row["merchant_id"], row["merchant_name"], row["mcc"],
             row["terminal_id"], row["txn_time"][:19].replace("-", "").replace("T", "").replace(":", ""),
             CHECK_CODES[row["txn_type"]], row["rrn"], masked(row["card"]), _fen(row["amount"]), _fen(row["fee"]),
             _fen(row["net_amount"]), "156" if row["currency"] == "CNY" else row["currency"], row["order_no"]]
            for row in rows]
    return header, body, []


def wallet_settlement(rows: list[dict[str, str]]) -> Table:
    header = ["交易时间", "商户号", "商户名称", "行业类别", "设备号", "交易单号", "商户订单号", "交易类型", "付款卡号",
              "订单金额", "手续费", "结算金额", "货币种类", "结算日期"]
    body = [[row["txn_time"][:19].replace("T", " "), row["merchant_id"], row["merchant_name"], row["mcc"],
             row["terminal_id"], row["rrn"], row["order_no"], WALLET_TYPES[row["txn_type"]], masked(row["card"]),
             row["amount"], row["fee"], row["net_amount"], row["currency"], row["settle_date"]] for row in rows]
    total = sum(int(_fen(row["amount"])) for row in rows)
    fees = sum(int(_fen(row["fee"])) for row in rows)
    summary = [["总交易单数", "总交易额", "总手续费"],
               [str(len(rows)), f"{total // 100}.{total % 100:02d}", f"{fees // 100}.{fees % 100:02d}"]]
    return header, body, summary


def pos_journal(rows: list[dict[str, str]]) -> Table:
    header = ["商户号", "终端号", "交易日期", "交易时间", "交易类型", "交易状态", "交易金额", "币种", "参考号",
              "凭证号", "授权码", "卡号", "订单号", "收银员", "原交易参考号", "批次号"]
    body = []
    for row in rows:
        day, clock = _date_time(row["txn_time"])
        body.append([row["merchant_id"], row["terminal_id"], day, clock, ALLINPAY_TYPES[row["txn_type"]],
                     STATUS_WORDS[row["status"]], row["amount"], row["currency"], row["rrn"], row["stan"],
                     row["auth_code"], masked(row["card"]), row["order_no"], row["cashier_id"], row["orig_rrn"],
                     row["batch_no"]])
    return header, body, [["POS交易流水"]]


STYLES: dict[str, tuple[str, Callable[[list[dict[str, str]]], Table]]] = {
    "allinpay-statement": ("settlement", allinpay_settlement),
    "check-file-fen": ("settlement", check_file_settlement),
    "wallet-bill": ("settlement", wallet_settlement),
    "pos-journal": ("journal", pos_journal),
}


def write_text(style: str, table: Table, path: Path) -> Path:
    header, body, around = table
    if style == "check-file-fen":
        text = "".join("|".join(cells) + "|\n" for cells in [header, *body])
        path.write_text(text, encoding="utf-8")
    elif style == "wallet-bill":
        lines = [",".join(f"`{cell}" for cell in cells) for cells in [header, *body]]
        lines += [",".join(around[0]), ",".join(f"`{cell}" for cell in around[1])]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    else:
        with path.open("w", encoding="gb18030" if style == "allinpay-statement" else "utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\r\n")
            writer.writerows([*around, header, *body])
    return path


def write_xlsx(style: str, table: Table, path: Path) -> Path:
    import openpyxl

    header, body, around = table
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append([f"{style} 导出"])
    for cells in [header, *body]:
        sheet.append(cells)  # text cells, as statement exports keep long numbers
    if style == "wallet-bill":
        for cells in around:
            sheet.append(cells)
    book.save(path)
    return path


def write_style(style: str, source: Path, folder: Path, *, xlsx: bool = False, limit: int | None = None,
                merchant: str | None = None) -> Path:
    """The `kind` file of the native data set in `source` written at `folder` in `style`."""
    kind, make = STYLES[style]
    rows = [row for row in read_native(source / f"{kind}.csv") if merchant in (None, row["merchant_id"])][:limit]
    folder.mkdir(parents=True, exist_ok=True)
    table = make(rows)
    if xlsx:
        return write_xlsx(style, table, folder / f"{style}.xlsx")
    suffix = ".txt" if style == "check-file-fen" else ".csv"
    return write_text(style, table, folder / f"{style}{suffix}")


if __name__ == "__main__":  # the fixtures: SAMPLES OUT [MERCHANT [LINES]]
    source_folder, out_folder = Path(sys.argv[1]), Path(sys.argv[2])
    only = sys.argv[3] if len(sys.argv) > 3 else None
    lines = int(sys.argv[4]) if len(sys.argv) > 4 else None
    for name in STYLES:
        for as_xlsx in (False, True):
            print(write_style(name, source_folder, out_folder, xlsx=as_xlsx, merchant=only, limit=lines))  # noqa: T201
