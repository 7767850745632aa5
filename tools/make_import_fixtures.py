"""Build the import fixtures in fixtures/import/ (hand-made, no personal data): a NYC 311 CSV in
both time layouts, an Open311 GeoReport v2 JSON array with notes[], and a Chinese 12345 work-order
export as XLSX and as GB18030 CSV. Run: python tools/make_import_fixtures.py

Columns a mapping must never read hold the marker SECRET (and a made-up number), so tests can
check that none of it reaches any output.
"""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "fixtures" / "import"
SECRET = "SECRET"
FAKE_PHONE = "138-0000-0000"

# ---------------------------------------------------------------- NYC 311

NYC_COLUMNS = [
    "Unique Key", "Created Date", "Closed Date", "Agency", "Agency Name", "Complaint Type", "Descriptor",
    "Location Type", "Incident Zip", "Incident Address", "Street Name", "City", "Status", "Due Date",
    "Resolution Description", "Resolution Action Updated Date", "Community Board", "Borough",
    "Open Data Channel Type", "Latitude", "Longitude", "Location",
]
# key, created, closed, agency, complaint, status, due, resolution updated, board, borough, channel
NYC_ROWS = [
    ("30000001", "01/05/2015 08:15:00 AM", "01/05/2015 11:45:00 AM", "NYPD", "Noise - Residential", "Closed",
     "01/05/2015 04:15:00 PM", "01/05/2015 11:45:00 AM", "01 BROOKLYN", "BROOKLYN", "PHONE"),
    ("30000002", "01/06/2015 09:00:00 PM", "01/09/2015 10:00:00 AM", "DSNY", "Dirty Conditions", "Closed",
     "01/08/2015 09:00:00 PM", "01/09/2015 10:00:00 AM", "03 MANHATTAN", "MANHATTAN", "ONLINE"),
    ("30000003", "02/10/2015 07:30:00 AM", "", "HPD", "HEAT/HOT WATER", "Open",
     "02/12/2015 07:30:00 AM", "", "12 BRONX", "BRONX", "PHONE"),
    ("30000004", "03/08/2015 02:30:00 AM", "03/08/2015 06:00:00 AM", "NYPD", "Noise - Street/Sidewalk", "Closed",
     "03/08/2015 10:30:00 AM", "03/08/2015 06:00:00 AM", "01 BROOKLYN", "BROOKLYN", "MOBILE"),  # nonexistent 02:30
    ("30000005", "11/01/2015 01:30:00 AM", "11/01/2015 03:00:00 AM", "NYPD", "Noise - Residential", "Closed",
     "11/01/2015 09:30:00 AM", "11/01/2015 03:00:00 AM", "05 QUEENS", "QUEENS", "PHONE"),  # ambiguous 01:30
    ("30000006", "04/01/2015 10:00:00 AM", "", "DOT", "Street Condition", "Assigned",
     "", "04/02/2015 09:00:00 AM", "05 QUEENS", "QUEENS", "UNKNOWN"),  # no due date: 168 h
    ("30000007", "04/02/2015 10:00:00 AM", "", "DOT", "Street Light Condition", "Pending",
     "04/20/2015 10:00:00 AM", "", "0 Unspecified", "Unspecified", "OTHER"),
    ("30000008", "05/01/2015 12:00:00 PM", "04/30/2015 12:00:00 PM", "DEP", "Water System", "Closed",
     "05/03/2015 12:00:00 PM", "", "02 STATEN ISLAND", "STATEN ISLAND", "PHONE"),  # closed before created
    ("30000009", "05/02/2015 12:00:00 PM", "", "DEP", "Water System", "Closed",
     "05/04/2015 12:00:00 PM", "05/05/2015 08:00:00 AM", "02 STATEN ISLAND", "STATEN ISLAND", "ONLINE"),
    ("30000010", "06/15/2015 03:45:00 PM", "06/16/2015 09:00:00 AM", "DSNY", "Missed Collection", "Unspecified",
     "06/17/2015 03:45:00 PM", "", "03 MANHATTAN", "MANHATTAN", "Fax"),  # unknown status and channel
    ("30000011", "2015-13-45 10:00:00", "", "DSNY", "Missed Collection", "Open",
     "", "", "03 MANHATTAN", "MANHATTAN", "PHONE"),  # unreadable Created Date: rejected
    ("", "07/01/2015 10:00:00 AM", "", "DSNY", "Missed Collection", "Open",
     "", "", "03 MANHATTAN", "MANHATTAN", "PHONE"),  # no key: rejected
    ("30000013", "07/02/2015 10:00:00 AM", "07/10/2015 10:00:00 AM", "HPD", "PLUMBING", "Closed",
     "07/05/2015 10:00:00 AM", "07/10/2015 10:00:00 AM", "12 BRONX", "BRONX", "MOBILE"),  # closed late
    ("30000014", "07/03/2015 10:00:00 AM", "", "", "Illegal Parking", "Open",
     "", "", "01 BROOKLYN", "BROOKLYN", "PHONE"),  # no agency: not dispatched
]


def _iso(text: str) -> str:
    if not text:
        return ""
    try:
        return datetime.strptime(text, "%m/%d/%Y %I:%M:%S %p").strftime("%Y-%m-%dT%H:%M:%S.000")
    except ValueError:
        return text


def nyc(path: Path, iso: bool) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(NYC_COLUMNS)
        for key, created, closed, agency, complaint, status, due, updated, board, borough, channel in NYC_ROWS:
            t = _iso if iso else (lambda s: s)
            rec = dict.fromkeys(NYC_COLUMNS, "")
            rec.update({
                "Unique Key": key, "Created Date": t(created), "Closed Date": t(closed), "Agency": agency,
                "Agency Name": f"{agency} agency" if agency else "", "Complaint Type": complaint,
                "Descriptor": f"{SECRET} detail", "Location Type": "RESIDENTIAL BUILDING", "Incident Zip": "11201",
                "Incident Address": f"1 {SECRET} STREET", "Street Name": f"{SECRET} STREET", "City": "NEW YORK",
                "Status": status, "Due Date": t(due), "Resolution Description": f"{SECRET} call {FAKE_PHONE}",
                "Resolution Action Updated Date": t(updated), "Community Board": board, "Borough": borough,
                "Open Data Channel Type": channel, "Latitude": "40.7", "Longitude": "-73.9",
                "Location": f"({SECRET})",
            })
            w.writerow([rec[c] for c in NYC_COLUMNS])


# ---------------------------------------------------------------- Open311 GeoReport v2

def open311(path: Path) -> None:
    def note(kind: str, when: str) -> dict:
        return {"type": kind, "datetime": when, "summary": f"{kind} note", "description": f"{SECRET} crew text"}

    base = {"description": f"{SECRET} pothole in front of my house, call {FAKE_PHONE}", "address": f"1 {SECRET} Ave",
            "lat": 41.88, "long": -87.63, "media_url": f"http://example.org/{SECRET}.jpg", "zipcode": "60601"}
    records = [
        {**base, "service_request_id": "SR15-00000001", "status": "closed", "status_notes": "Request completed",
         "service_code": "4fd3b167e750846744000005", "service_name": "Pothole in Street",
         "agency_responsible": "Streets and Sanitation", "requested_datetime": "2015-06-01T09:00:00-05:00",
         "updated_datetime": "2015-06-03T12:00:00-05:00", "expected_datetime": "2015-06-08T09:00:00-05:00",
         "notes": [note("opened", "2015-06-01T09:00:00-05:00"), note("closed", "2015-06-03T11:30:00-05:00")]},
        {**base, "service_request_id": "SR15-00000002", "status": "open", "status_notes": None,
         "service_code": "4fd3b167e750846744000005", "service_name": "Pothole in Street",
         "agency_responsible": "Streets and Sanitation", "requested_datetime": "2015-06-02T14:00:00Z",
         "updated_datetime": "2015-06-02T15:00:00Z", "expected_datetime": None,
         "notes": [note("opened", "2015-06-02T14:00:00Z")]},
        {**base, "service_request_id": "SR15-00000003", "status": "closed", "status_notes": None,
         "service_code": "4ffa9cad6018277d4000007b", "service_name": "Graffiti Removal",
         "agency_responsible": "Streets and Sanitation", "requested_datetime": "2015-06-03T08:00:00-05:00",
         "updated_datetime": "2015-06-04T08:00:00-05:00", "expected_datetime": "2015-06-05T08:00:00-05:00"},
        {**base, "service_request_id": "SR15-00000004", "status": "closed", "status_notes": "closed",
         "service_code": "4ffa9cad6018277d4000007b", "service_name": "Graffiti Removal",
         "agency_responsible": None, "requested_datetime": "2015-06-04T08:00:00-05:00",
         "updated_datetime": "2015-06-04T09:00:00-05:00", "expected_datetime": None},
        {**base, "service_request_id": "SR15-00000005", "status": "open", "status_notes": "in_progress",
         "service_code": "4fd3b656e750846c53000004", "service_name": "Tree Trim",
         "agency_responsible": "Forestry", "requested_datetime": "2015-06-05T10:00:00+00:00",
         "updated_datetime": "2015-06-06T10:00:00+00:00", "expected_datetime": "2015-06-20T10:00:00+00:00",
         "notes": [note("dispatched", "2015-06-05T11:00:00+00:00"), note("first_contact", "2015-06-06T10:00:00+00:00")]},
        {**base, "service_request_id": "SR15-00000006", "status": "closed", "status_notes": None,
         "service_code": "4fd3b656e750846c53000004", "service_name": "Tree Trim", "agency_responsible": "Forestry",
         "requested_datetime": "2015-06-06T10:00:00", "updated_datetime": "2015-06-07T10:00:00",
         "expected_datetime": "2015-06-09T10:00:00"},  # no offset: read as UTC (the mapping's zone)
        {**base, "service_request_id": "SR15-00000007", "status": "closed", "status_notes": None,
         "service_code": "4fd3b656e750846c53000004", "service_name": "Tree Trim", "agency_responsible": "Forestry",
         "requested_datetime": "June 7th", "updated_datetime": None, "expected_datetime": None},  # rejected
        "not a request",  # not an object: counted
    ]
    path.write_text(json.dumps(records, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


# ---------------------------------------------------------------- Chinese 12345 work orders

CN_COLUMNS = ["工单编号", "受理时间", "来电人", "联系电话", "来电渠道", "诉求类型", "问题分类", "诉求内容", "详细地址",
              "所属区", "所属街道", "承办单位", "派单时间", "办理时限", "办结时间", "办理结果", "回访时间", "是否联系",
              "是否解决", "满意度"]
# id, received, channel, kind, category, district, street, unit, dispatched, limit, closed, callback,
# contacted, resolved, satisfaction
CN_ROWS = [
    ("GD202403010001", "2024-03-01 08:30:00", "12345热线", "投诉", "噪声扰民", "东城区", "东华门街道", "东华门街道",
     "2024-03-01 09:00:00", "7", "2024-03-03 17:00:00", "2024-03-09 10:00:00", "是", "是", "满意"),
    ("GD202403010002", "2024-03-01 09:15:00", "网站", "求助", "供水", "西城区", "什刹海街道", "北京市自来水集团有限责任公司",
     "2024-03-01 09:30:00", "24小时", "2024-03-01 20:00:00", "2024-03-03 10:00:00", "是", "是", "基本满意"),
    ("GD202403010003", "2024-03-01 10:00:00", "微信", "咨询", "政策咨询", "", "", "",
     "", "", "2024-03-01 10:05:00", "", "", "", ""),  # answered on the spot
    ("GD202403020004", "2024-03-02 14:20:00", "12345热线", "投诉", "市容环境", "朝阳区", "三里屯街道", "三里屯街道",
     "2024-03-02 14:40:00", "7天", "2024-03-12 09:00:00", "2024-03-13 10:00:00", "是", "否", "不满意"),  # late
    ("GD202403020005", "2024/03/02 16:05", "APP", "建议", "交通管理", "海淀区", "中关村街道", "北京市交通委员会",
     "2024/03/02 16:30", "15", "", "", "", "", ""),  # open, another time layout
    ("GD202403030006", "2024-03-03 11:00:00", "12345热线", "举报", "市容环境", "东城区", "景山街道", "东城区",
     "2024-03-03 11:20:00", "15个工作日", "", "", "", "", ""),  # working days: no deadline, rejected
    ("GD202403030007", "2024-02-30 10:00:00", "12345热线", "投诉", "噪声扰民", "东城区", "东华门街道", "东华门街道",
     "2024-03-03 10:20:00", "7", "", "", "", "", ""),  # no such day: rejected
    ("GD202403040008", "2024-03-04 08:00:00", "短信", "求助", "物业管理", "朝阳区", "三里屯街道", "三里屯街道",
     "2024-03-04 08:10:00", "7", "2024-03-06 18:00:00", "2024-03-12 09:00:00", "是", "是", "一般"),  # unknown word
    ("GD202403040009", "2024-03-04 09:00:00", "邮件", "其他", "物业管理", "西城区", "什刹海街道", "什刹海街道",
     "", "7", "2024-03-05 12:00:00", "2024-03-12 09:30:00", "否", "否", "不满意"),  # no dispatch time
    ("GD202403050010", "2024-03-05 20:00:00", "小程序", "投诉", "供水", "海淀区", "中关村街道", "北京市自来水集团有限责任公司",
     "2024-03-05 20:10:00", "24小时", "2024-03-06 08:00:00", "2024-03-08 10:00:00", "已联系", "已解决", "满意"),
]


def _cn_records() -> list[dict[str, str]]:
    out = []
    for row in CN_ROWS:
        (cid, received, channel, kind, category, district, street, unit, dispatched, limit, closed, callback,
         contacted, resolved, satisfaction) = row
        rec = dict.fromkeys(CN_COLUMNS, "")
        rec.update({
            "工单编号": cid, "受理时间": received, "来电人": f"{SECRET}某某", "联系电话": FAKE_PHONE,
            "来电渠道": channel, "诉求类型": kind, "问题分类": category, "诉求内容": f"{SECRET} 楼下噪声，电话{FAKE_PHONE}",
            "详细地址": f"{SECRET}路1号", "所属区": district, "所属街道": street, "承办单位": unit,
            "派单时间": dispatched, "办理时限": limit, "办结时间": closed, "办理结果": f"{SECRET} 已处理",
            "回访时间": callback, "是否联系": contacted, "是否解决": resolved, "满意度": satisfaction,
        })
        out.append(rec)
    return out


def cn_csv(path: Path) -> None:
    with open(path, "w", encoding="gb18030", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(CN_COLUMNS)
        for rec in _cn_records():
            w.writerow([rec[c] for c in CN_COLUMNS])


def cn_xlsx(path: Path) -> None:
    """The same work orders as a workbook: times as real Excel date cells, the limit in days a number."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "工单"
    ws.append(CN_COLUMNS)
    for rec in _cn_records():
        row = []
        for c in CN_COLUMNS:
            v: object = rec[c]
            if c in ("受理时间", "派单时间", "办结时间", "回访时间") and v:
                for layout in ("%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M"):
                    try:
                        v = datetime.strptime(str(v), layout)
                        break
                    except ValueError:
                        continue
            elif c == "办理时限" and str(v).isdigit():
                v = int(str(v))
            row.append(v if v != "" else None)
        ws.append(row)
    wb.properties.created = datetime(2024, 3, 31)  # stable bytes
    wb.properties.modified = datetime(2024, 3, 31)
    wb.save(path)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    nyc(OUT / "nyc-311.csv", iso=False)
    nyc(OUT / "nyc-311-iso.csv", iso=True)
    open311(OUT / "open311.json")
    cn_csv(OUT / "cn-12345-gb18030.csv")
    cn_xlsx(OUT / "cn-12345.xlsx")


if __name__ == "__main__":
    main()
