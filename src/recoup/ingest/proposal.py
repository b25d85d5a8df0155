"""A proposed profile for a file no profile fits: which column holds which SPEC field. Pure.

Each column is scored against each SPEC field by its name (similarity to the field's name and its
Chinese and English aliases) and by the shape of its values (dates, date-times, times, amounts,
12-character RRNs, masked cards, 15-character merchant ids, 8-character terminal ids, type and status
words); the best pairs are taken greedily. A date column and a time column together make a time field.
The user corrects the proposal on the mapping page; `profile_text` writes it as a profile's TOML.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from recoup.transactions.enums import STATUS_ALIASES, TXN_TYPE_ALIASES, normalise_alias
from recoup.transactions.schema import KINDS, FieldKind

ALIASES: dict[str, tuple[str, ...]] = {
    "settle_date": ("清算日期", "结算日期", "对账日期", "settle date"),
    "merchant_id": ("商户号", "商户编号", "商户代码", "mid"),
    "merchant_name": ("商户名称", "门店名称", "商户名"),
    "mcc": ("MCC", "商户类别码", "行业类别", "商户类别"),
    "terminal_id": ("终端号", "终端编号", "终端代码", "设备号", "tid"),
    "txn_time": ("交易时间", "交易日期时间", "time"),
    "created_at": ("下单时间", "创建时间", "订单时间"),
    "txn_type": ("交易类型", "交易代码", "type"),
    "status": ("交易状态", "状态", "应答"),
    "rrn": ("参考号", "检索参考号", "系统参考号", "交易单号"),
    "stan": ("凭证号", "流水号", "系统跟踪号"),
    "auth_code": ("授权码", "授权号"),
    "card": ("卡号", "主账号", "付款卡号", "账号"),
    "amount": ("交易金额", "金额", "订单金额"),
    "expected_amount": ("订单金额", "应收金额", "金额"),
    "fee": ("手续费", "费用"),
    "net_amount": ("结算金额", "清算金额", "入账金额"),
    "currency": ("币种", "货币代码", "货币种类", "币别"),
    "order_no": ("订单号", "商户订单号", "外部订单号"),
    "cashier_id": ("收银员", "操作员"),
    "orig_rrn": ("原交易参考号", "原参考号"),
    "batch_no": ("批次号",),
    "customer_contact": ("联系方式", "手机号"),
}
EXTRA_TYPES = {"付款": "SALE", "消费撤销": "VOID", "退款": "REFUND", "消费冲正": "REVERSAL"}
SHAPES: list[tuple[str, re.Pattern[str]]] = [
    ("datetime", re.compile(r"\d{14}|\d{4}-\d{1,2}-\d{1,2}[ T]\d{1,2}:\d{2}(:\d{2})?")),
    ("date", re.compile(r"\d{8}|\d{4}[-/]\d{1,2}[-/]\d{1,2}")),
    ("time", re.compile(r"\d{6}|\d{1,2}:\d{2}:\d{2}")),
    ("card", re.compile(r"\d{4,9}[*xX]{2,13}\d{2,4}|[*]{4}( ?[*]{4}){2} ?\d{4}")),
    ("amount", re.compile(r"-?\d+\.\d{1,2}")),
]
FIELD_SHAPES = {FieldKind.TIME: "datetime", FieldKind.DATE: "date", FieldKind.CARD: "card",
                FieldKind.AMOUNT: "amount", FieldKind.AMOUNT_OR_ZERO: "amount"}


@dataclass
class Proposal:
    kind: str
    names: list[str]
    columns: dict[str, int | None] = field(default_factory=dict)  # SPEC field -> column index
    time_column: dict[str, int] = field(default_factory=dict)  # a time field's separate time column
    formats: dict[str, str] = field(default_factory=dict)  # date/time field -> format
    time_formats: dict[str, str] = field(default_factory=dict)
    unit: str = "yuan"
    sign: str = "positive"
    prefix: str = ""
    delimiter: str = ","
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # txn_type/status: file word -> SPEC value


def shape_of(values: Sequence[str]) -> str | None:
    """The shape every non-empty value has, if one."""
    seen = [value for value in values if value]
    if not seen:
        return None
    for name, pattern in SHAPES:
        if all(pattern.fullmatch(value) for value in seen):
            return name
    if all(re.fullmatch(r"\w{12}", value) for value in seen):
        return "rrn"
    if _mostly(seen, lambda value: normalise_alias(value) in TXN_TYPE_ALIASES or value in EXTRA_TYPES):
        return "txn_type"
    if _mostly(seen, lambda value: normalise_alias(value) in STATUS_ALIASES):
        return "status"
    return None


def _mostly(seen: list[str], known: Callable[[str], bool]) -> bool:
    """Words most of which are known (the others the file's own: its value map names them)."""
    if any(len(value) > 12 or value.isdigit() for value in seen):
        return False
    return sum(1 for value in seen if known(value)) * 2 > len(seen)


def _name_score(target: str, name: str) -> float:
    options = (target, *ALIASES.get(target, ()))
    lowered = name.strip().lower()
    if any(lowered == option.lower() for option in options):
        return 1.0
    return max(SequenceMatcher(None, lowered, option.lower()).ratio() for option in options) * 0.8


def _shape_score(target: str, kind: str, shape: str | None, values: Sequence[str]) -> float:
    spec = KINDS[kind].field(target)
    wanted = FIELD_SHAPES.get(spec.kind)
    if shape and shape == (wanted or target):
        return 0.6
    if spec.kind is FieldKind.TIME and shape == "date":
        return 0.3  # a date column that a time column may complete
    seen = [value for value in values if value]
    if spec.length and seen and all(len(value) == spec.length for value in seen):
        return 0.4
    return 0.0


def propose(kind: str, names: list[str], samples: list[list[str]]) -> Proposal:
    proposal = Proposal(kind, names)
    columns = [[row[i] if i < len(row) else "" for row in samples] for i in range(len(names))]
    shapes = [shape_of(values) for values in columns]
    scored = sorted(((_name_score(f.name, names[i]) + _shape_score(f.name, kind, shapes[i], columns[i]), f.name, i)
                     for f in KINDS[kind].fields if not f.personal for i in range(len(names))), reverse=True)
    taken = _date_time_pair(proposal, shapes, columns)
    for points, target, index in scored:
        if points < 0.55 or index in taken or target in proposal.columns:
            continue
        proposal.columns[target] = index
        taken.add(index)
    _complete_times(proposal, shapes, columns)
    _units(proposal, columns)
    return proposal


def _date_time_pair(proposal: Proposal, shapes: list[str | None], columns: list[list[str]]) -> set[int]:
    """A time column and the date column just before it make the kind's time field (txn_time, created_at)."""
    target = next((f.name for f in KINDS[proposal.kind].fields if f.kind is FieldKind.TIME), None)
    time_index = next((i for i, shape in enumerate(shapes) if shape == "time"), None)
    if target is None or time_index is None:
        return set()
    date_index = next((i for i in range(time_index - 1, -1, -1) if shapes[i] == "date"), None)
    if date_index is None:
        return set()
    proposal.columns[target], proposal.time_column[target] = date_index, time_index
    proposal.formats[target] = _format_of(columns[date_index], "date")
    proposal.time_formats[target] = _format_of(columns[time_index], "time")
    return {date_index, time_index}


def _complete_times(proposal: Proposal, shapes: list[str | None], columns: list[list[str]]) -> None:
    for target, index in list(proposal.columns.items()):
        if index is None or target in proposal.time_column or \
                KINDS[proposal.kind].field(target).kind is not FieldKind.TIME:
            continue
        proposal.formats[target] = _format_of(columns[index], shapes[index] or "datetime")
    for target, index in proposal.columns.items():
        if index is not None and KINDS[proposal.kind].field(target).kind is FieldKind.DATE:
            proposal.formats[target] = _format_of(columns[index], "date")


def _format_of(values: list[str], shape: str) -> str:
    sample = next((value for value in values if value), "")
    if shape == "time":
        return "HHmmss" if sample.isdigit() else "HH:mm:ss"
    if shape == "date":
        return "yyyyMMdd" if sample.isdigit() else ("yyyy/MM/dd" if "/" in sample else "yyyy-MM-dd")
    if sample.isdigit():
        return "yyyyMMddHHmmss"
    separator = "T" if "T" in sample else " "
    return f"yyyy-MM-dd{separator}HH:mm" + (":ss" if sample.count(":") == 2 else "")


def _units(proposal: Proposal, columns: list[list[str]]) -> None:
    index = proposal.columns.get("amount", proposal.columns.get("expected_amount"))
    if index is None:
        return
    values = [value for value in columns[index] if value]
    if values and all(value.lstrip("-").isdigit() for value in values):
        proposal.unit = "fen"
    if any(value.startswith("-") for value in values):
        proposal.sign = "negative_refunds"


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _value_map(proposal: Proposal, target: str) -> dict[str, str]:
    """The value map written for a type or status column: the page's choices (mapped words only)."""
    if target in proposal.values:
        return {word: code for word, code in proposal.values[target].items() if code}
    return dict(EXTRA_TYPES) if target == "txn_type" else {}


def profile_text(proposal: Proposal, name: str, title: str) -> str:
    """The proposal as a profile (TOML), for parse_profile to check and the tenant to save."""
    lines = [f"name = {_quoted(name)}", f"kind = {_quoted(proposal.kind)}", f"title = {_quoted(title)}", "",
             "[format]", f"delimiter = {_quoted(proposal.delimiter)}", f"strip_prefix = {_quoted(proposal.prefix)}",
             "", "[amounts]", f"unit = {_quoted(proposal.unit)}", f"sign = {_quoted(proposal.sign)}", "", "[columns]"]
    for target, index in proposal.columns.items():
        if index is None:
            continue
        column = _quoted(proposal.names[index])
        if target in proposal.time_column:
            time_name = _quoted(proposal.names[proposal.time_column[target]])
            formats = (f"date_format = {_quoted(proposal.formats[target])}, "
                       f"time_format = {_quoted(proposal.time_formats[target])}")
            lines.append(f"{target} = {{ date = [{column}], time = [{time_name}], {formats} }}")
        elif target in proposal.formats:
            lines.append(f"{target} = {{ names = [{column}], format = {_quoted(proposal.formats[target])} }}")
        elif target in ("txn_type", "status") and _value_map(proposal, target):
            values = ", ".join(f"{_quoted(word)} = {_quoted(code)}"
                               for word, code in _value_map(proposal, target).items())
            lines.append(f"{target} = {{ names = [{column}], values = {{ {values} }} }}")
        else:
            lines.append(f"{target} = [{column}]")
    return "\n".join(lines) + "\n"
