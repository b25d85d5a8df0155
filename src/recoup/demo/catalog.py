"""Reference data the generator draws from: cities, trades, terminal models, card BINs, people."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class City:
    name: str
    region_code: str  # the 4-digit area code inside a UnionPay merchant id
    tenant: str
    districts: tuple[str, ...]


@dataclass(frozen=True)
class Trade:
    """A kind of merchant: its registered MCC, how it names itself, what it charges, where it takes cards."""

    mcc: str
    suffixes: tuple[str, ...]
    brands: tuple[str, ...]
    min_minor: int
    max_minor: int
    round_share: float  # share of amounts in whole yuan
    fee_bp: int  # acquirer fee in basis points
    locations: tuple[str, ...]
    order_prefixes: tuple[str, ...]


@dataclass(frozen=True)
class TerminalModel:
    name: str
    serial_prefix: str
    firmwares: tuple[str, ...]


CITIES: tuple[City, ...] = (
    City("南京市", "3010", "ACQ-EAST", ("玄武区", "秦淮区", "建邺区", "鼓楼区", "江宁区")),
    City("苏州市", "3050", "ACQ-EAST", ("姑苏区", "工业园区", "吴中区", "相城区")),
    City("上海市", "2900", "ACQ-EAST", ("浦东新区", "黄浦区", "徐汇区", "静安区")),
    City("杭州市", "3310", "ACQ-EAST", ("西湖区", "上城区", "滨江区", "拱墅区")),
    City("北京市", "1000", "ACQ-NORTH", ("朝阳区", "海淀区", "东城区", "西城区")),
    City("西安市", "7910", "ACQ-NORTH", ("雁塔区", "碑林区", "未央区", "莲湖区")),
    City("天津市", "1100", "ACQ-NORTH", ("和平区", "河西区", "南开区")),
    City("深圳市", "5840", "ACQ-SOUTH", ("南山区", "福田区", "罗湖区", "宝安区")),
    City("广州市", "5810", "ACQ-SOUTH", ("天河区", "越秀区", "海珠区", "番禺区")),
    City("成都市", "6510", "ACQ-WEST", ("武侯区", "锦江区", "青羊区", "高新区")),
    City("重庆市", "6530", "ACQ-WEST", ("渝中区", "江北区", "南岸区")),
    City("武汉市", "5210", "ACQ-CENTRAL", ("江汉区", "武昌区", "洪山区")),
)

_CHECKOUTS = ("一楼收银台1号", "一楼收银台2号", "二楼收银台", "出口收银台", "自助收银区", "服务台")

TRADES: tuple[Trade, ...] = (
    Trade("5411", ("超市", "生活超市", "购物广场"), ("安康", "金百合", "江南春", "佳家", "百姓", "惠民", "华润万家"),
          590, 68_000, 0.35, 38, _CHECKOUTS, ("NO", "SM")),
    Trade("5812", ("餐厅", "酒家", "火锅", "面馆"), ("明珠", "老街", "海棠", "食为天", "蜀香", "粤味轩"),
          2_500, 120_000, 0.55, 60, ("前台收银", "大厅收银台", "包间区", "外卖窗口"), ("D", "T")),
    Trade("7011", ("酒店", "宾馆", "大酒店"), ("一品", "悦来", "云栖", "东方", "锦华"),
          19_800, 480_000, 0.7, 60, ("前台", "大堂吧", "行政酒廊", "餐饮部收银"), ("", "H")),
    Trade("5541", ("加油站",), ("华通", "顺达", "长运"),
          5_000, 60_000, 0.8, 38, ("加油岛1号", "加油岛3号", "便利店收银台"), ("G",)),
    Trade("5912", ("大药房", "药店"), ("仁和", "同济", "康宁", "益丰"),
          850, 45_000, 0.3, 38, ("收银台", "医保窗口"), ("YF",)),
    Trade("5311", ("百货", "商场"), ("新世纪", "金鹰", "银泰"),
          3_900, 350_000, 0.45, 60, ("一楼化妆品区", "三楼女装区", "五楼家电区", "总服务台"), ("BH",)),
    Trade("5499", ("便利店",), ("快客", "邻家", "好德", "美宜佳"),
          300, 9_800, 0.25, 38, ("收银台",), ("CV",)),
)

# Categories a terminal is switched to when it "jumps" its MCC (跳码): cheap or free of fees.
JUMP_MCCS: tuple[str, ...] = ("9402", "8062", "8211", "5331")

TERMINAL_MODELS: tuple[TerminalModel, ...] = (
    TerminalModel("Newland ME31", "NE", ("NL-1.9.4", "NL-1.9.6")),
    TerminalModel("Newland N910", "NE", ("NL-3.1.7",)),
    TerminalModel("Landi E350", "LA", ("E350-2.1.9", "E350-2.2.0")),
    TerminalModel("Landi A8", "LA", ("A8-3.0.2",)),
    TerminalModel("Centerm K9", "CE", ("K9-5.0.2", "K9-5.1.0")),
    TerminalModel("PAX S920", "PA", ("V1.12.3",)),
    TerminalModel("PAX A920", "PA", ("PayDroid-8.1.2",)),
)

# Issuer BINs of cards common in China (debit and credit), as the first six digits of a PAN.
CARD_BINS: tuple[str, ...] = (
    "621700", "622848", "622588", "621483", "622202", "621226", "622908", "628288", "625807",
    "620522", "621661", "622700", "623668", "622262", "621799", "622609", "625965", "622150",
)

SURNAMES: tuple[str, ...] = (
    "wang", "li", "zhang", "liu", "chen", "yang", "huang", "zhao", "wu", "zhou", "xu", "sun", "ma",
    "zhu", "hu", "guo", "he", "lin", "gao", "luo",
)
GIVEN_NAMES: tuple[str, ...] = (
    "wei", "fang", "min", "jing", "lei", "jun", "yang", "yan", "jie", "tao", "ming", "chao", "xiuying",
    "hui", "yi", "ning", "hao", "yu", "xin", "qiang",
)
MAIL_DOMAINS: tuple[str, ...] = ("qq.com", "163.com", "126.com", "outlook.com", "foxmail.com", "sina.com")
MOBILE_PREFIXES: tuple[str, ...] = (
    "130", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155", "158", "159",
    "177", "180", "182", "186", "187", "188", "189", "191", "199",
)

# Relative weight of each opening hour from 08:00 to 20:00 (lunch and dinner peaks).
HOUR_WEIGHTS: tuple[int, ...] = (3, 4, 5, 6, 9, 8, 5, 4, 5, 6, 8, 7, 4)
FIRST_HOUR = 8
