"""Supervision exports: the filtered case list as CSV and XLSX, and one case's full record (纪实) as a printable
page and as a Word document.

| route | permission |
|---|---|
| `GET /cases/export.csv`, `GET /cases/export.xlsx` | supervisors and admins (403); the same filters as `/cases`, only the supervised subtrees |
| `GET /cases/<id>/record`, `GET /cases/<id>/record.docx` | supervisors and admins; the case in the user's subtrees (404) |
"""
from __future__ import annotations

import io
import re
from datetime import datetime

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt, RGBColor
from flask import Response, render_template, stream_with_context
from flask_babel import gettext as _
from flask_login import current_user

from service import case_view, cases, clock, exports

from ..db import close_read, read_session, service
from .common import STATUS_LABELS, holder_text, name_items, translate
from .supervision import timeline_with_data
from .supervision_common import bp, case_filters, duration, supervisor_required

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


# -- the case list -----------------------------------------------------------------------------------------------------

def _headers() -> list[str]:
    return [_("案号"), _("案件标题"), _("流程"), _("版本"), _("单位"), _("状态"), _("当前环节"), _("办理人 / 队列"),
            _("最近期限"), _("是否超期"), _("发起人"), _("发起时间"), _("结束时间"), _("历时（天）")]


WIDTHS = [14, 40, 22, 6, 20, 8, 24, 24, 17, 8, 10, 17, 17, 10]


def _row(item: dict) -> list:
    open_tasks = item.get("open_tasks") or []
    dues = [t["due_at"] for t in open_tasks if t.get("due_at")]
    return [item.get("case_no") or "", item["title"], item.get("definition_name") or item["definition"],
            item["version"], item["unit"], _status(item["status"]),
            "、".join(dict.fromkeys(t["name"] for t in open_tasks)),
            "、".join(dict.fromkeys(holder_text(t) for t in open_tasks)), min(dues) if dues else None,
            _("是") if item.get("overdue") else _("否"), item.get("started_by") or "", item["started_at"],
            item.get("ended_at"), round(item["elapsed_seconds"] / 86400, 1)]


def _filename(extension: str) -> str:
    stamp = clock.local(clock.now()).strftime("%Y%m%d-%H%M")
    return f"cases-{stamp}.{extension}"


@bp.get("/cases/export.csv")
@supervisor_required
def export_csv():
    """Streamed, so 100,000 rows never sit in memory. The rows are read in a session of the stream's own, closed
    when the stream ends; the request's session is closed before the first byte, so no transaction stays open
    (and holds locks) for as long as a slow client takes to download."""
    actor, filters = current_user.row, case_filters(paged=False)
    cases.list_statements(read_session(), actor, filters)  # bad filters answer 422 before any byte is sent
    close_read()

    def rows():
        with service().db.read() as session:
            for item in cases.iter_cases(session, actor, filters):
                yield _row(item)

    body = stream_with_context(exports.csv_chunks(_headers(), rows()))
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{_filename("csv")}"'
    return response


@bp.get("/cases/export.xlsx")
@supervisor_required
def export_xlsx():
    items = cases.iter_cases(read_session(), current_user.row, case_filters(paged=False))
    data = exports.xlsx_bytes(_headers(), (_row(item) for item in items), sheet=_("案件"), widths=WIDTHS)
    response = Response(data, mimetype=XLSX_TYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{_filename("xlsx")}"'
    return response


# -- one case's record -------------------------------------------------------------------------------------------------

@bp.get("/cases/<int:instance_id>/record")
@supervisor_required
def record(instance_id: int):
    view = case_view.case_view(read_session(), current_user.row, instance_id)
    name_items(view.get("opinions"))
    return render_template("record.html", case=view, timeline=timeline_with_data(view),
                           printed_at=clock.now(), printed_by=current_user.name)


@bp.get("/cases/<int:instance_id>/record.docx")
@supervisor_required
def record_docx(instance_id: int):
    view = case_view.case_view(read_session(), current_user.row, instance_id)
    name_items(view.get("opinions"))
    data = _docx(view, timeline_with_data(view))
    response = Response(data, mimetype=DOCX_TYPE)
    safe = re.sub(r"[^A-Za-z0-9_-]", "_", view.get("case_no") or str(view["id"]))
    response.headers["Content-Disposition"] = f'attachment; filename="record-{safe}.docx"'
    return response


def _local(value: datetime | None) -> str:
    return clock.local(value).strftime("%Y-%m-%d %H:%M") if value else "—"


def _docx(view: dict, timeline: list[dict]) -> bytes:
    """The record as a Word document: facts, opinions word for word, the timeline, documents, the chain."""
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name, style.font.size = "SimSun", Pt(10.5)
    style.element.rPr.rFonts.set("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia", "宋体")
    title = doc.add_heading(_("案件全程纪实"), level=0)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_paragraph(view["title"]).alignment = WD_ALIGN_PARAGRAPH.CENTER

    doc.add_heading(_("基本情况"), level=1)
    facts = [(_("流程"), f'{view["definition_name"]}（v{view["version"]}）'), (_("单位"), view["unit"]),
             (_("案号"), view.get("case_no") or "—"), (_("状态"), _status(view["status"])),
             (_("发起人"), view.get("started_by") or _("系统")), (_("发起时间"), _local(view["started_at"])),
             (_("结束时间"), _local(view.get("ended_at"))), (_("历时"), duration(view["elapsed_seconds"]))]
    _table(doc, None, facts)

    doc.add_heading(_("各环节意见（原文）"), level=1)
    if not view["opinions"]:
        doc.add_paragraph(_("没有提交的意见或数据。"))
    for opinion in view["opinions"]:
        head = doc.add_paragraph()
        head.add_run(opinion["name"] + (f"（{opinion.get('mi_label') or opinion['mi_item']}）" if opinion.get("mi_item") else "")).bold = True
        head.add_run(f"　{opinion.get('by') or ''}　{_local(opinion['at'])}")
        for field in opinion["fields"]:
            _field(doc, field)

    doc.add_heading(_("办理经过"), level=1)
    for entry in timeline:
        line = doc.add_paragraph(style="List Number")
        line.add_run(_local(entry["at"]) + "　").bold = True
        line.add_run(entry["text"])
        for field in entry["fields"]:
            _field(doc, field)

    doc.add_heading(_("文书与附件"), level=1)
    if view["attachments"]:
        _table(doc, [_("文件名"), _("上传人"), _("时间"), _("大小"), "SHA-256"],
               [(a["filename"], a["uploader"], _local(a["created_at"]), str(a["size"]), a["sha256"])
                for a in view["attachments"]])
    else:
        doc.add_paragraph(_("无附件。"))

    doc.add_heading(_("审计链"), level=1)
    verification = view["verification"]
    verdict = doc.add_paragraph()
    run = verdict.add_run(_("校验通过：共 %(n)d 条记录，未发现篡改。", n=verification["events"]) if verification["ok"]
                          else _("校验失败：%(reason)s", reason=translate(verification["reason"])))
    run.bold = True
    run.font.color.rgb = RGBColor(0x1E, 0x7F, 0x45) if verification["ok"] else RGBColor(0xD0, 0x31, 0x2D)
    _table(doc, ["#", _("时间"), _("事件"), _("哈希")],
           [(str(e["seq"]), _local(e["at"]), e["kind"], e["hash"]) for e in view["timeline"]], small=True)
    doc.add_paragraph(_("生成时间：%(at)s", at=_local(clock.now())))
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _status(status: str) -> str:
    return translate(STATUS_LABELS.get(status, status))


def _field(doc, field: dict) -> None:
    paragraph = doc.add_paragraph()
    paragraph.paragraph_format.left_indent = Pt(18)
    paragraph.add_run(field["label"] + "：").bold = True
    lines = field["text"].split("\n")
    for n, line in enumerate(lines):
        if n:
            paragraph.add_run().add_break()
        paragraph.add_run(line)


def _table(doc, headers, rows, *, small: bool = False) -> None:
    table = doc.add_table(rows=0, cols=len(rows[0]) if rows else len(headers or [1]))
    table.style = "Table Grid"
    if headers:
        cells = table.add_row().cells
        for cell, text in zip(cells, headers):
            cell.text = ""
            cell.paragraphs[0].add_run(str(text)).bold = True
    for row in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row):
            cell.text = str(text)
            if small:
                for run in cell.paragraphs[0].runs:
                    run.font.size = Pt(7.5)
