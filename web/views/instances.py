"""The instance page (where a case stands) and its diagram.

Permission: signed in and allowed to see the instance (started it, took part, was copied, supervises its unit, or
admin); anyone else gets 404 with no data. The diagram has the same permission as the page.

Results a diagram seals into the audit chain (`record.sealed`, service/records.py: the "三重一大" decision record
with every view and its reasons word for word, a quorum, a hearing record) are shown on the page as the record a
person reads, each with its event's hash and the state of the case's chain (service.audit.verify_chain).
"""
from __future__ import annotations

import re

from flask import Blueprint, Response, render_template
from flask_babel import gettext as _
from flask_login import current_user, login_required

from service import access, audit, details, records
from service.models import ProcessDefinition

from ..db import read_session
from .common import N_, name_items, timeline_entries, translate, user_names

bp = Blueprint("instances", __name__)


@bp.get("/instances/<int:instance_id>")
@login_required
def show(instance_id: int):
    case = details.instance_detail(read_session(), current_user.row, instance_id, with_path=True)
    name_items(case["open_tasks"], case["completed_tasks"], case["cancelled_tasks"])
    return render_template("instance.html", case=case, timeline=timeline_entries(case["timeline"]),
                           sealed=sealed_records(case))


@bp.get("/instances/<int:instance_id>/diagram.bpmn")
@login_required
def diagram(instance_id: int):
    session = read_session()
    instance = access.visible_instance(session, current_user.row, instance_id)
    xml = session.get(ProcessDefinition, instance.definition_id).bpmn_xml
    response = Response(xml, mimetype="application/xml")
    # Data for the viewer, never a document: opened directly it may not run anything.
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    filename = re.sub(r"[^A-Za-z0-9_.-]", "_", instance.definition_key) or "diagram"
    response.headers["Content-Disposition"] = f'inline; filename="{filename}.bpmn"'
    return response


# -- sealed records (决策纪实 / 会议记录) ----------------------------------------------------------------------------

# The words of the decision record are the diagram's own (md_member_opinion, compute_result); shown in the page
# language, while each reason stays exactly as its member typed it.
VIEW_LABELS = {"同意": N_("同意"), "不同意": N_("不同意"), "保留意见": N_("保留意见"), "缓议": N_("缓议")}
VIEW_TONES = {"同意": "agree", "不同意": "oppose", "保留意见": "reserve", "缓议": "defer"}
RESULT_LABELS = {"通过": N_("通过"), "缓议": N_("缓议"), "未通过": N_("未通过")}
RESULT_TONES = {"通过": "pass", "缓议": "defer", "未通过": "fail"}
COUNT_LABELS = {"应到": N_("应到"), "实到": N_("实到"), "同意": N_("同意"), "不同意": N_("不同意"),
                "保留意见": N_("保留意见"), "缓议": N_("缓议")}
ASSESSMENT_LABELS = {"履职到位": N_("履职到位"), "存在不足": N_("存在不足")}


def sealed_records(case: dict) -> dict | None:
    """Every `record.sealed` event of the case, shaped for _sealed_records.html; None when there is none."""
    events = [e for e in case.get("timeline") or [] if e["kind"] == records.EVENT]
    if not events:
        return None
    report = audit.verify_chain(read_session(), audit.chain_for(case["id"]))
    names = user_names(_usernames(events))
    shaped = []
    for event in events:
        record = (event.get("payload") or {}).get("record") or {}
        item = {"seq": event["seq"], "hash": event["hash"], "at": event["at"], "element_id": event["element_id"],
                "name": (event.get("payload") or {}).get("name") or event["element_id"],
                "verified": report.ok or (report.broken_seq is not None and event["seq"] < report.broken_seq)}
        if isinstance(record.get("decision_record"), dict):
            item.update(_decision(record["decision_record"], names))
        elif isinstance(record.get("quorum"), dict):
            item.update(_quorum(record["quorum"], names))
        elif isinstance(record.get("hearing_record"), dict):
            item.update(_hearing(record["hearing_record"], names))
        else:
            item.update(type="other", fields=[(key, _plain(value)) for key, value in record.items()])
        shaped.append(item)
    chain = {"ok": report.ok, "events": report.events, "broken_seq": report.broken_seq,
             "reason": translate(report.reason)}
    return {"records": shaped, "chain": chain}


def _usernames(events) -> set[str]:
    found = set()
    for event in events:
        record = (event.get("payload") or {}).get("record") or {}
        for part in record.values():
            if not isinstance(part, dict):
                continue
            for key in ("should_attend", "present", "absent", "recusals", "short_members"):
                found.update(u for u in part.get(key) or [] if isinstance(u, str))
            chair = part.get("secretary_view")
            if isinstance(chair, dict):
                found.update(u for u in chair.get("usernames") or [] if isinstance(u, str))
    return found


def _people(usernames, names: dict[str, str]) -> list[dict]:
    return [{"username": u, "name": names.get(u, u)} for u in usernames or [] if isinstance(u, str)]


def _view(view: str | None, reasons) -> dict:
    return {"view": view or "", "label": _(VIEW_LABELS[view]) if view in VIEW_LABELS else (view or "—"),
            "tone": VIEW_TONES.get(view, ""), "reasons": reasons if isinstance(reasons, str) else ""}


def _count(counts: dict, key: str) -> int:
    value = counts.get(key)
    return value if isinstance(value, int) else 0


def _decision(record: dict, names: dict[str, str]) -> dict:
    counts = record.get("counts") if isinstance(record.get("counts"), dict) else {}
    chair = record.get("secretary_view") if isinstance(record.get("secretary_view"), dict) else None
    secretary = None
    if chair:
        secretary = {**_view(chair.get("view"), chair.get("reasons")),
                     "people": _people(chair.get("usernames"), names)}
    views = [{**_view(v.get("view"), v.get("reasons")), "username": v.get("username"),
              "name": v.get("name") or names.get(v.get("username"), v.get("username") or "")}
             for v in record.get("member_views") or [] if isinstance(v, dict)]
    result = record.get("result")
    return {
        "type": "decision", "round": record.get("round"), "item_title": record.get("item_title"),
        "category": record.get("category"), "meeting_date": record.get("meeting_date"),
        "quorum_rule": record.get("quorum_rule"),
        "should_attend": _people(record.get("should_attend"), names),
        "present": _people(record.get("present"), names), "absent": _people(record.get("absent"), names),
        "recusals": _people(record.get("recusals"), names), "absent_notes": record.get("absent_notes") or "",
        "views": views, "secretary": secretary,
        "counts": [{"key": key, "label": _(label), "value": _count(counts, key)}
                   for key, label in COUNT_LABELS.items() if key in counts],
        "result": result, "result_label": _(RESULT_LABELS[result]) if result in RESULT_LABELS else (result or "—"),
        "result_tone": RESULT_TONES.get(result, ""), "explanation": _explanation(result, counts),
    }


def _explanation(result: str | None, counts: dict) -> str:
    """Why the computed result is what it is, by the rule of the diagram's "计算表决结果" step."""
    agree, oppose, defer = _count(counts, "同意"), _count(counts, "不同意"), _count(counts, "缓议")
    should = _count(counts, "应到")
    if result == "通过":
        return _("同意 %(agree)d 人，超过应到会成员 %(should)d 人的半数，形成决定。", agree=agree, should=should)
    if result == "缓议" and defer > oppose:
        return _("同意 %(agree)d 人，未超过应到会成员 %(should)d 人的半数；请求缓议 %(defer)d 人多于不同意 "
                 "%(oppose)d 人，暂缓决策，另行安排会议。", agree=agree, should=should, defer=defer, oppose=oppose)
    if result == "缓议":
        return _("同意 %(agree)d 人，未超过应到会成员 %(should)d 人的半数；同意不少于不同意（%(oppose)d 人），"
                 "意见分歧较大，暂缓决策，另行安排会议。", agree=agree, should=should, oppose=oppose)
    if result == "未通过":
        return _("同意 %(agree)d 人，未超过应到会成员 %(should)d 人的半数；不同意 %(oppose)d 人多于同意和缓议，"
                 "事项未通过。", agree=agree, should=should, oppose=oppose)
    return ""


def _quorum(record: dict, names: dict[str, str]) -> dict:
    should = _people(record.get("should_attend"), names)
    present = _people(record.get("present"), names)
    return {"type": "quorum", "round": record.get("round"), "meeting_date": record.get("meeting_date"),
            "rule": record.get("rule"), "met": bool(record.get("met")), "should_attend": should, "present": present,
            "absent": [p for p in should if p["username"] not in {q["username"] for q in present}],
            "recusals": _people(record.get("recusals"), names)}


def _hearing(record: dict, names: dict[str, str]) -> dict:
    members = [{"name": m.get("name") or names.get(m.get("username"), m.get("username") or ""),
                "hearing_date": m.get("hearing_date"), "comments": m.get("comments") or "",
                "assessment": _(ASSESSMENT_LABELS[m["assessment"]]) if m.get("assessment") in ASSESSMENT_LABELS
                else (m.get("assessment") or "—"), "short": m.get("assessment") == "存在不足"}
               for m in record.get("members") or [] if isinstance(m, dict)]
    return {"type": "hearing", "period": record.get("period"), "unit": record.get("unit"), "members": members}


def _plain(value) -> str:
    if isinstance(value, (list, tuple)):
        return "、".join(_plain(v) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{k}：{_plain(v)}" for k, v in value.items())
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("是") if value else _("否")
    return str(value)
