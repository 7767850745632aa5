"""Build src/jiesu/profiles/beijing.toml from the real reference data in ../shared/reference/beijing.

Run from the repository root:  python tools/build_beijing_profile.py [REFERENCE_DIR]
The generated file is committed; the package never reads ../shared at run time.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

DISTRICT_EN = {
    "110101": "Dongcheng", "110102": "Xicheng", "110105": "Chaoyang", "110106": "Fengtai",
    "110107": "Shijingshan", "110108": "Haidian", "110109": "Mentougou", "110111": "Fangshan",
    "110112": "Tongzhou", "110113": "Shunyi", "110114": "Changping", "110115": "Daxing",
    "110116": "Huairou", "110117": "Pinggu", "110118": "Miyun", "110119": "Yanqing",
}

# An illustrative category taxonomy: Beijing's ~2,000 leaf categories are not published in
# machine-readable form. handler: "street", "district" or a unit id from municipal-units.csv.
CATEGORIES = [
    ("ENV-SANIT", "环境卫生", "Sanitation and litter", "street", None),
    ("ENV-NOISE", "噪声扰民", "Noise nuisance", "street", None),
    ("ENV-POLL", "大气与水污染", "Air and water pollution", "M-STHJ", None),
    ("URB-PARK", "停车管理", "Parking", "street", None),
    ("URB-ILLEGAL", "违法建设", "Illegal construction", "street", None),
    ("URB-ROAD", "道路设施", "Roads and street furniture", "district", None),
    ("URB-GREEN", "园林绿化", "Parks and greening", "district", None),
    ("PROP-MGMT", "物业管理", "Property management", "street", None),
    ("HOUS-POLICY", "住房政策", "Housing policy", "M-ZJW", None),
    ("UTIL-WATER", "供水", "Water supply", "E-WATER", 24),
    ("UTIL-DRAIN", "排水", "Drainage", "E-DRAIN", 24),
    ("UTIL-HEAT", "供暖", "Heating", "E-HEAT", 24),
    ("UTIL-GAS", "燃气", "Gas supply", "E-GAS", 24),
    ("UTIL-POWER", "供电", "Electricity", "E-POWER", 24),
    ("UTIL-TELECOM", "通信", "Telecommunications", "E-TELECOM", 72),
    ("TRAN-BUS", "公交", "Buses", "E-BUS", None),
    ("TRAN-SUBWAY", "地铁", "Subway", "E-SUBWAY", None),
    ("TRAN-TRAFFIC", "交通管理", "Traffic management", "M-JTW", None),
    ("MKT-CONSUMER", "消费维权", "Consumer rights", "M-SCJG", None),
    ("LAB-WAGES", "劳动保障", "Wages and labour", "M-RSJ", None),
    ("HEALTH", "医疗卫生", "Health care", "M-WJW", None),
    ("EDU", "教育", "Education", "M-JW", None),
    ("SOC-ELDER", "养老服务", "Elderly care", "M-MZJ", None),
    ("SOC-INSUR", "医疗保障", "Medical insurance", "M-YBJ", None),
    ("GOV-SERVICE", "政务服务", "Government services", "M-ZWFW", None),
    ("OTHER", "其他", "Other", "district", None),
]


def is_zone(code: str) -> bool:
    """A township-level statistical entry whose 7th digit is 4: a development zone or the airport,
    not a street or township (../shared/reference/beijing/README.md)."""
    return code[6] == "4"


BDA = "110115403"  # 北京经济技术开发区 (经开区)
BDA_EN = "Beijing Economic-Technological Development Area"
BDA_NOTE = (
    "Ranked with the 16 districts: the official reports put 经开区 beside them (\"16区和经开区\" each "
    "make their own 每月一题 plan). Statistically a township-level entry of 大兴 (district = 110115); "
    "its territory here is that entry only, so a case located there (street 110115403) counts for "
    "经开区 and not for 大兴 in the territorial district ranking. The statistical list does not say "
    "which streets or townships 经开区 administers: a city that knows them adds them to territory."
)

UNITS_COMMENT = """\
# Units: the 16 districts and the 349 township-level entries of the statistical division codes
# (National Bureau of Statistics, via ../shared/reference/beijing), then municipal bodies.
# Six entries (7th digit 4) are development zones and the airport, not streets or townships:
# kind = "zone", valid case locations, never in the street ranking: 349 - 6 = 343 streets and
# townships, the number in the official dispatch scope. 北京经济技术开发区 (110115403) is at district
# tier: 16 districts + 经开区 = 17 units in the district ranking."""


def q(value: str) -> str:
    """A TOML basic string (JSON string escaping is valid TOML for these values)."""
    return json.dumps(value, ensure_ascii=False)


def build(ref: Path) -> str:
    with open(ref / "districts.csv", encoding="utf-8") as f:
        districts = list(csv.DictReader(f))
    with open(ref / "streets.csv", encoding="utf-8") as f:
        streets = list(csv.DictReader(f))
    with open(ref / "municipal-units.csv", encoding="utf-8") as f:
        municipal = list(csv.DictReader(f))
    out = [HEADER]
    for c in CATEGORIES:
        code, name, name_en, handler, hours = c
        out.append("[[categories]]")
        out.append(f"code = {q(code)}\nname = {q(name)}\nname_en = {q(name_en)}\nhandler = {q(handler)}")
        if hours is not None:
            out.append(f"time_limit_hours = {hours}")
        out.append("")
    out.append(UNITS_COMMENT)
    zone_ids = [s["code"] for s in streets if is_zone(s["code"])]
    for d in districts:
        out.append("[[units]]")
        out.append(f"id = {q(d['code'])}\nname = {q(d['name'])}\nname_en = {q(DISTRICT_EN[d['code']])}")
        out.append('level = "district"\n')
    for s in streets:
        out.append("[[units]]")
        if s["code"] == BDA:
            # at district tier (official: "16区和经开区"), its territory its own statistical entry
            out.append(f"id = {q(s['code'])}\nname = {q(s['name'])}\nname_en = {q(BDA_EN)}")
            out.append(f'level = "district"\nkind = "zone"\ndistrict = {q(s["district_code"])}')
            out.append(f"territory = [{q(s['code'])}]\nnote = {q(BDA_NOTE)}\n")
        elif is_zone(s["code"]):
            out.append(f"id = {q(s['code'])}\nname = {q(s['name'])}\nlevel = \"street\"\nkind = \"zone\"")
            out.append(f"district = {q(s['district_code'])}\n")
        else:
            out.append(f"id = {q(s['code'])}\nname = {q(s['name'])}\nlevel = \"street\"\ndistrict = {q(s['district_code'])}\n")
    for m in municipal:
        out.append("[[units]]")
        out.append(f"id = {q(m['id'])}\nname = {q(m['name'])}\nname_en = {q(m['name_en'])}\nlevel = {q(m['level'])}\n")
    counts = (len(districts), len(streets), len(zone_ids), len(streets) - len(zone_ids))
    if counts != (16, 349, 6, 343) or BDA not in zone_ids:
        raise SystemExit(f"reference data changed: {counts} districts, entries, zones, streets; "
                         "check the counts stated in the profile and docs/beijing.md")
    return "\n".join(out)


HEADER = '''# jiesu city profile: Beijing (北京市) — the built-in default.
#
# Generated by tools/build_beijing_profile.py from ../shared/reference/beijing (official division codes).
# What is FACT here: the districts and township-level units with their codes; the names of the
# municipal departments and enterprises; the request kinds; the monthly three-rate assessment and
# its four classes; 343 streets and townships in the ranking (the 349 statistical entries less six
# zones) and 经开区 beside the 16 districts (see docs/beijing.md). Every table marked `illustrative = true` holds a setting that Beijing has NOT
# published (weights, time limits, thresholds, class size rules, the category taxonomy): jiesu's
# defaults come from practitioners' material and must not be read as Beijing's official rules.

profile_version = 1

[city]
id = "beijing"
name = "北京市"
name_en = "Beijing"
timezone = "Asia/Shanghai"
language = "zh"
sources = [
  "Regulations of Beijing Municipality on Handling Citizens' Requests Promptly (北京市接诉即办工作条例), 2021-09-24",
  "Statistical division codes (统计用区划代码), township level, via modood/Administrative-divisions-of-China@57a0aa9",
]

[time_limits]
illustrative = true
note = "The regulation gives no numbers; these commonly quoted limits are settings. Hours by request type; a category's time_limit_hours overrides."
consultation = 24
help = 168
complaint = 168
report = 168
suggestion = 360
other = 168

[scoring]
illustrative = true
note = "Weights, the basically-satisfied weight and the minimum volume are not published by Beijing; values from practitioners' material."
response_method = "callback"          # "callback": contacted answer; "timestamp": first_contact_at - dispatched_at <= response_hours
basically_satisfied_weight = 0.9
weight_set = "practitioner"
min_scored = 5                        # groups with fewer scored cases are shown but not ranked
exclusion_reasons = ["objection_upheld", "unreasonable", "duplicate", "other"]  # excluded=true with these reasons is removed (核减)

[scoring.response_hours]              # used only with response_method = "timestamp"
consultation = 24
help = 24
complaint = 24
report = 24
suggestion = 48
other = 24

[scoring.weight_sets.practitioner]
response = 0.1
resolution = 0.5
satisfaction = 0.4

[scoring.weight_sets.zhungeer]
note = "Zhunge'er Banner's published weights (response 30 %, resolution 35 %, satisfaction 35 %)."
response = 0.3
resolution = 0.35
satisfaction = 0.35

[ranking]
illustrative = true
note = "The four classes are official; the size of each class beyond 'ten' and tie rules are settings."
class_size = 10
levels = ["street", "district", "department", "enterprise"]
governance_per_residents = 10000      # used only for units with a population
exclusive_classes = false             # a unit may be in several classes (e.g. improving and governance)

[ranking.class_sizes]                 # illustrative: ten streets per class is the published practice;
street = 10                           # the sizes for districts, departments and enterprises are not published
district = 3
department = 5
enterprise = 5

[analysis]
illustrative = true
note = "Settings of jiesu topics and jiesu warn. Beijing publishes none: the 10 % decline is a reported outcome, not a rule; the candidate weights are jiesu's."
decline_threshold = 0.1               # topics track: fell = down by more than 10 % month on month
top_n = 10                            # topics candidates: persistence = months among the 10 largest categories
top_streets = 3

[analysis.candidate_weights]
volume = 0.3
spread = 0.25
persistence = 0.15
unresolved = 0.15
dissatisfied = 0.1
repeats = 0.05

[warn]
illustrative = true
note = "未诉先办 early warning: how Beijing detects a surge is not published; this is the Farrington-flexible threshold (docs/analysis.md)."
alpha = 0.001
baseline = "recent"                   # or "seasonal" once several years of data exist
recent_periods = 12
years = 3
half_window = 1
min_baseline = 4
min_count = 5

# The 每月一题 registry. ILLUSTRATIVE examples: the themes echo the kind of problem the 2021 list
# named, but the codes, the grouping and the mapping onto jiesu's illustrative categories are not
# Beijing's; a city lists its own problems here.
[[topics]]
code = "EX-PROP"
theme = "住房与物业"
name = "物业服务管理"
name_en = "Property management"
categories = ["PROP-MGMT"]
lead = "M-ZJW"
co_units = ["M-CGW"]
start = "2024-01"
illustrative = true

[[topics]]
code = "EX-PARK"
theme = "交通出行"
name = "停车管理"
name_en = "Parking"
categories = ["URB-PARK"]
lead = "M-JTW"
co_units = ["M-GAJ"]
start = "2024-01"
illustrative = true

[[topics]]
code = "EX-HEAT"
theme = "市政服务"
name = "冬季供暖"
name_en = "Winter heating"
categories = ["UTIL-HEAT"]
lead = "M-CGW"
co_units = ["E-HEAT"]
start = "2024-01"
illustrative = true

[[topics]]
code = "EX-NOISE"
theme = "生态环境"
name = "噪声扰民"
name_en = "Noise nuisance"
categories = ["ENV-NOISE"]
lead = "M-STHJ"
start = "2024-01"
illustrative = true

[zones]
illustrative = true
note = "Beijing does not publish how the five zones other than 经开区 (110115404, 110115405, 110115406, 110116400, 110118400) are handled and assessed. jiesu's default: they are case locations, not ranked on their own; a case of a street-handled category located in one goes to the district it lies in (as the regulation does when no street is clear but the district is), and every case located there counts in that district's territorial ranking. dispatch = \\"zone\\" sends such cases to the zone's own unit instead (at street tier, still never in the street ranking)."
dispatch = "district"                 # who handles a street-tier case located in a zone below district tier: "district" or "zone"

'''

if __name__ == "__main__":
    ref = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / ".." / "shared" / "reference" / "beijing"
    target = Path(__file__).resolve().parents[1] / "src" / "jiesu" / "profiles" / "beijing.toml"
    target.write_text(build(ref), encoding="utf-8")
    print(f"wrote {target}")
