"""What several page families share: request parsing, presentation helpers, the header's data.

Views stay thin: they parse the request, call one service function and render. Everything here only shapes what
the service returned for people to read (names, Chinese sentences, labels, deadlines).
"""
from __future__ import annotations

import logging
import re
from datetime import datetime
from urllib.parse import urlsplit

from flask import current_app, request, url_for
from flask_babel import get_locale, gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from service import clock, notifications
from service.inbox import Query
from service.models import User
from service.org import STANDARD_ROLES

from ..db import read_session

log = logging.getLogger("jiandu.web")



def N_(text: str) -> str:
    """Marks a string for the message catalogue; it is translated where it is shown."""
    return text


STATUS_LABELS = {"running": N_("进行中"), "suspended": N_("已挂起"), "completed": N_("已办结"),
                 "cancelled": N_("已撤销"), "error": N_("异常")}
TASK_STATE_LABELS = {"open": N_("待办理"), "completed": N_("已办理"), "cancelled": N_("已取消")}
ROLE_LABELS = {key: name for key, name, _en in STANDARD_ROLES}
# The standard role names and notification kinds come from the service; listed here for the catalogue.
_CATALOGUE = [N_("书记"), N_("副书记"), N_("班子成员"), N_("纪检监察负责人"), N_("组织部门"), N_("办公室"),
              N_("法制审核"), N_("工作人员"), N_("新待办"), N_("催办"), N_("退回"), N_("转办"), N_("委派"),
              N_("委派已办结"), N_("抄送"), N_("即将到期"), N_("已超期"), N_("超期督办"), N_("流程异常"),
              # web/errors.py
              N_("请先登录"), N_("您无权访问此页面"), N_("页面不存在或您无权查看"), N_("不支持该请求方法"),
              N_("上传内容过大"), N_("请求过于频繁"), N_("服务器内部错误"), N_("服务器内部错误，请稍后重试"),
              N_("表单已过期或缺少安全令牌（CSRF），请刷新页面后重试"),
              # service errors a person meets on these pages
              N_("任务不存在或无权查看"), N_("流程实例不存在或无权查看"), N_("流程实例不存在"), N_("该任务已办理"),
              N_("该任务已取消"), N_("流程已挂起，暂不能办理"), N_("流程已结束"), N_("该任务已被他人认领"),
              N_("您不在该任务的候选人中"), N_("只能退回自己认领的任务"), N_("该任务是直接分配给您的，不能放回队列"),
              N_("这不是您的待办任务"), N_("任务状态已变化，请刷新"), N_("流程已被他人更新，请刷新后重试"),
              N_("您不能为该单位发起此流程"), N_("单位不存在"), N_("请选择单位"), N_("标题不能为空"), N_("必填"),
              N_("令牌不存在"), N_("流程变量不合法"),
              # service/forms/validate.py field messages
              N_("表单填写有误"), N_("此项为必填项"), N_("请选择列表中的选项"), N_("必须是数字"), N_("数值超出范围"),
              N_("必须是文本"), N_("必须是布尔值（true 或 false）"), N_("必须是列表"), N_("日期格式不正确"),
              N_("时间格式不正确"), N_("日期时间格式不正确"), N_("文件格式不正确"), N_("包含不允许的字符"),
              N_("格式不正确"), N_("电子邮箱格式不正确"), N_("电话号码格式不正确（须为国际格式，如 +8613800000000）"),
              N_("必须是整数"), N_("提交的数据格式不正确")]
PER_PAGE_CHOICES = (10, 20, 50, 100)


# -- request parsing -------------------------------------------------------------------------------------------------

def list_query() -> Query:
    """The inbox list parameters (page, per_page, sort, order, q, definition, overdue); the service clamps them."""
    args = request.args
    return Query(
        page=args.get("page", 1, type=int) or 1,
        per_page=args.get("per_page", 20, type=int) or 20,
        sort=args.get("sort", ""),
        order=args.get("order", "desc"),
        q=args.get("q", ""),
        definition=args.get("definition", ""),
        overdue=args.get("overdue", "").lower() in ("1", "true", "yes", "on"),
    ).clamp()


def safe_target(target: str | None, default: str) -> str:
    """Only local paths may be redirect targets (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target \
            and not urlsplit(target).netloc:
        return target
    return default


# -- presentation ----------------------------------------------------------------------------------------------------

def translate(text: str | None) -> str:
    """gettext for messages that come from the service (errors, labels): a plain string, so Jinja escapes it.
    Field messages with a number in them are matched by pattern; anything else unknown stays as it is."""
    if not text or not isinstance(text, str):
        return text or ""
    translated = _(text)
    if translated != text or str(get_locale() or "zh_CN").startswith("zh"):
        return translated
    for pattern, msgid in _SERVER_PATTERNS:
        match = pattern.match(text)
        if match:
            return _(msgid, n=match.group(1))
    return text


# Messages of service/forms/validate.py that carry a number.
_SERVER_PATTERNS = [(re.compile(p), m) for p, m in (
    (r"^不能少于 (\S+) 个字符$", N_("不能少于 %(n)s 个字符")),
    (r"^不能多于 (\S+) 个字符$", N_("不能多于 %(n)s 个字符")),
    (r"^不能小于 (\S+)$", N_("不能小于 %(n)s")),
    (r"^不能大于 (\S+)$", N_("不能大于 %(n)s")),
    (r"^最多 (\S+) 位小数$", N_("最多 %(n)s 位小数")),
    (r"^必须是 (\S+) 的整数倍$", N_("必须是 %(n)s 的整数倍")),
    (r"^至少需要 (\S+) 项$", N_("至少需要 %(n)s 项")),
    (r"^不能超过 (\S+) 项$", N_("不能超过 %(n)s 项")),
    (r"^该任务已办理（(.+)）$", N_("该任务已办理（%(n)s）")),
    (r"^流程 (\S+) 不存在$", N_("流程 %(n)s 不存在")),
)]


def validation_messages() -> list[tuple[str, str]]:
    """form-js's own (English) validation messages -> the page language, worded like the server's.
    Pairs of (JavaScript regular expression, replacement with $1 for the number)."""
    return [
        (r"^Field is required\.$", _("此项为必填项")),
        (r"^Field must have minimum length of (.+)\.$", _("不能少于 %(n)s 个字符", n="$1")),
        (r"^Field must have maximum length of (.+)\.$", _("不能多于 %(n)s 个字符", n="$1")),
        (r"^Field must have minimum value of (.+)\.$", _("不能小于 %(n)s", n="$1")),
        (r"^Field must have maximum value of (.+)\.$", _("不能大于 %(n)s", n="$1")),
        (r"^Value is not a number\.$", _("必须是数字")),
        (r"^Value is expected to be an integer\.$", _("必须是整数")),
        (r"^Value is expected to have at most (\d+) decimal digits?\.$", _("最多 %(n)s 位小数", n="$1")),
        (r"^Please select a valid value, the two nearest valid values are (.+) and (.+)\.$",
         _("请输入有效的值，最接近的有效值是 %(a)s 和 %(b)s", a="$1", b="$2")),
        (r"^Field must match pattern .*\.$", _("格式不正确")),
        (r"^Field must be a valid email\.$", _("电子邮箱格式不正确")),
        (r"^Field must be a valid\s+international phone number.*$",
         _("电话号码格式不正确（须为国际格式，如 +8613800000000）")),
    ]


def user_names(usernames) -> dict[str, str]:
    wanted = sorted({u for u in usernames if u})
    if not wanted:
        return {}
    return dict(read_session().execute(select(User.username, User.name).where(User.username.in_(wanted))).all())


def name_items(*groups) -> None:
    """A per-member task (one of a multi-instance step) carries its member's username as its item (`mi_item`):
    sets `mi_label` on every row to the person's name, with one query for all the rows of a page. An item that is
    no username (a problem's title, a number) is shown as it is."""
    rows = [row for group in groups for row in (group or []) if isinstance(row, dict) and row.get("mi_item")]
    names = user_names(row["mi_item"] for row in rows)
    for row in rows:
        row["mi_label"] = names.get(row["mi_item"], row["mi_item"])


def due_hint(due: datetime | None, state: str = "open") -> str:
    """A short relative phrase for a deadline: 已超期 3 天 / 剩余 5 小时 / 剩余 2 天."""
    if due is None or state != "open":
        return ""
    seconds = (clock.as_utc(due) - clock.now()).total_seconds()
    if seconds < 0:
        late = -seconds
        if late < 3600:
            return _("已超期")
        if late < 86400:
            return _("已超期 %(n)d 小时", n=int(late // 3600))
        return _("已超期 %(n)d 天", n=int(late // 86400))
    if seconds < 3600:
        return _("不足 1 小时")
    if seconds < 86400:
        return _("剩余 %(n)d 小时", n=int(seconds // 3600))
    return _("剩余 %(n)d 天", n=int(seconds // 86400))


def due_class(item: dict) -> str:
    if item.get("overdue"):
        return "due-overdue"
    if item.get("due_soon"):
        return "due-soon"
    return ""


def holder_text(item: dict) -> str:
    """Who holds a task: the person, or the queue it waits in."""
    if item.get("delegate"):
        return _("%(holder)s（委派给 %(delegate)s）", holder=item.get("assignee") or "", delegate=item["delegate"])
    if item.get("assignee"):
        return item["assignee"]
    if item.get("queue"):
        return item["queue"]
    if item.get("candidates"):
        return "、".join(item["candidates"])
    return _("无人办理")


def optional_link(path: str) -> str | None:
    """A link to a page another part of the app may or may not provide yet (/cases, /processes)."""
    adapter = current_app.url_map.bind("localhost")
    try:
        adapter.match(path, method="GET")
    except HTTPException:
        return None
    except Exception:  # a redirect (RequestRedirect is an HTTPException too) or anything unexpected
        return None
    return path


def lang_url(code: str) -> str:
    view_args = request.view_args or {}
    if not request.endpoint or request.method != "GET":  # error pages, answers to a POST
        return url_for("inbox.index", lang=code) if current_user.is_authenticated else url_for("auth.login", lang=code)
    args = {k: v for k, v in request.args.to_dict(flat=False).items() if k not in view_args and k != "_external"}
    args["lang"] = [code]
    try:
        return url_for(request.endpoint, **view_args, **args)
    except Exception:
        return f"?lang={code}"


def header_context() -> dict:
    """What base.html needs on every page (the bell, the role-dependent links, the language switch)."""
    context = {"locale": str(get_locale() or "zh_CN"), "lang_url": lang_url}
    if not current_user.is_authenticated:
        return context
    try:
        profile = current_user.profile
        context.update(
            unread_notifications=notifications.unread_count(read_session(), current_user.row),
            cases_link=optional_link("/cases") if profile.is_supervisor else None,
            processes_link=optional_link("/processes") if profile.is_owner else None,
        )
    except Exception:  # the header must never turn an error page into a second error
        log.exception("header context failed")
    return context


# -- the timeline as sentences ---------------------------------------------------------------------------------------

def _quoted(name) -> str:
    return f"“{name}”" if name else ""


def timeline_entries(timeline: list[dict], limit: int | None = None) -> list[dict]:
    """Audit events as sentences a person reads ("杨帆 办理了“起草事项”"), newest last."""
    events = timeline[-limit:] if limit else timeline
    people = set()
    for event in events:  # everyone the sentences name, in one query
        people.add(event.get("actor"))
        payload = event.get("payload") or {}
        people.update(payload.get(key) for key in _PERSON_KEYS)
        for key in ("candidates", "users"):
            people.update(payload.get(key) or [])
    names = user_names(p for p in people if isinstance(p, str) and p and p != "system")
    result = []
    for event in events:
        payload = event.get("payload") or {}
        actor = names.get(event.get("actor"), event.get("actor") or "")
        if event.get("actor") in (None, "system"):
            actor = _("系统")
        result.append({"at": event["at"], "kind": event["kind"], "actor": actor,
                       "text": _sentence(event["kind"], actor, payload, names),
                       "tone": _TONES.get(event["kind"], "")})
    return result


_PERSON_KEYS = ("assignee", "to", "from", "user", "to_user", "deputy")
_TONES = {"task.completed": "done", "instance.completed": "done", "task.overdue": "bad", "instance.error": "bad",
          "instance.cancelled": "muted", "task.cancelled": "muted", "instance.started": "start",
          "task.created": "open", "record.sealed": "seal", "task.urged": "urge", "comment.added": "comment",
          "task.sent_back": "bad", "instance.withdrawn": "muted", "task.withdrawn": "muted"}


def _sentence(kind: str, actor: str, payload: dict, names: dict[str, str]) -> str:
    name = payload.get("name") or ""
    if kind == "instance.started":
        return _("%(actor)s 发起了流程", actor=actor)
    if kind == "task.created":
        if payload.get("assignee"):
            who = names.get(payload["assignee"], payload["assignee"])
            return _("%(task)s 送达 %(who)s", task=_quoted(name), who=who)
        candidates = [names.get(c, c) for c in payload.get("candidates") or []]
        if candidates:
            return _("%(task)s 进入待认领队列（%(who)s）", task=_quoted(name), who="、".join(candidates))
        return _("%(task)s 已生成，但没有找到办理人", task=_quoted(name))
    if kind == "task.completed":
        return _("%(actor)s 办理了%(task)s", actor=actor, task=_quoted(name))
    if kind == "task.claimed":
        return _("%(actor)s 认领了%(task)s", actor=actor, task=_quoted(name))
    if kind == "task.unclaimed":
        return _("%(actor)s 将%(task)s退回队列", actor=actor, task=_quoted(name))
    if kind == "task.cancelled":
        return _("%(task)s 已取消", task=_quoted(name))
    if kind == "task.overdue":
        return _("%(task)s 已超期", task=_quoted(name))
    if kind == "task.delegation_returned":
        return _("%(actor)s 完成了委派的%(task)s", actor=actor, task=_quoted(name))
    if kind == "instance.completed":
        return _("流程已办结")
    if kind == "instance.cancelled":
        reason = payload.get("reason")
        return _("%(actor)s 撤销了流程：%(reason)s", actor=actor, reason=reason) if reason \
            else _("%(actor)s 撤销了流程", actor=actor)
    if kind == "instance.suspended":
        return _("%(actor)s 挂起了流程", actor=actor)
    if kind == "instance.resumed":
        return _("%(actor)s 恢复了流程", actor=actor)
    if kind == "instance.error":
        return _("流程运行出错，等待处理")
    if kind == "instance.retried":
        return _("%(actor)s 重试了出错的步骤", actor=actor)
    if kind == "timer.fired":
        return _("定时器到期，流程继续")
    if kind == "record.sealed":
        return _sealed_sentence(actor, payload)
    if kind == "task.urged":
        return _("%(actor)s 催办%(task)s：%(message)s", actor=actor, task=_quoted(name),
                 message=translate(payload.get("message")) or _("请尽快办理"))
    if kind == "task.assignment_retried":  # a supervisor's 重新分配 of a step that had nobody to hold it
        if payload.get("problems"):
            return _("%(actor)s 重新分配“%(task)s”，仍未找到办理人", actor=actor, task=name)
        return _("%(actor)s 重新分配“%(task)s”", actor=actor, task=name)
    admin = _admin_sentence(kind, actor, payload, names)
    if admin:
        return admin
    from .task_actions import sentence  # issue 7: transfer, delegate, send back, withdraw, comments, ...
    return sentence(kind, actor, payload, names) or _("%(actor)s：%(kind)s", actor=actor, kind=kind)


def _admin_sentence(kind: str, actor: str, payload: dict, names: dict[str, str]) -> str | None:
    """Events outside any case (the organisation, tokens, deployments, proxies, sign-ins): worded for the audit
    log all the same."""
    if kind == "org.imported":
        return _("%(actor)s 导入了组织架构", actor=actor)
    if kind == "token.created":
        return _("%(actor)s 创建了 API 令牌“%(name)s”", actor=actor, name=payload.get("name") or "")
    if kind == "token.revoked":
        return _("%(actor)s 吊销了一个 API 令牌", actor=actor)
    if kind == "definition.deployed":
        if payload.get("rollback_of"):
            return _("%(actor)s 将流程 %(key)s 回滚到第 %(old)s 版（发布为第 %(version)s 版）", actor=actor,
                     key=payload.get("key") or "", old=payload["rollback_of"], version=payload.get("version") or "")
        return _("%(actor)s 部署了流程 %(key)s 第 %(version)s 版", actor=actor, key=payload.get("key") or "",
                 version=payload.get("version") or "")
    if kind == "definition.imported":
        return _("%(actor)s 导入了流程 %(key)s（%(file)s）", actor=actor, key=payload.get("key") or "",
                 file=payload.get("file") or "")
    if kind == "form.deployed":
        return _("%(actor)s 部署了表单 %(form)s 第 %(version)s 版", actor=actor, form=payload.get("form") or "",
                 version=payload.get("version") or "")
    if kind == "proxy.set":
        deputy = payload.get("deputy") or ""
        return _("%(actor)s 设置代理人 %(deputy)s（%(from)s 至 %(to)s）", actor=actor,
                 deputy=names.get(deputy, deputy), **{"from": _iso_local(payload.get("from")),
                                                      "to": _iso_local(payload.get("to"))})
    if kind == "proxy.revoked":
        return _("%(actor)s 取消了代理", actor=actor)
    if kind == "user.login":
        return _("%(actor)s 登录", actor=actor)
    return None


def _iso_local(value) -> str:
    try:
        return clock.local(datetime.fromisoformat(value)).strftime("%Y-%m-%d %H:%M")
    except (TypeError, ValueError):
        return str(value or "")


def _sealed_sentence(actor: str, payload: dict) -> str:
    """A `record.sealed` event (service/records.py): what the diagram computed and wrote into the audit chain."""
    record = payload.get("record") or {}
    decision, quorum = record.get("decision_record"), record.get("quorum")
    if isinstance(decision, dict):
        result = decision.get("result") or ""
        return _("%(actor)s 封存了第 %(n)s 次会议的决策纪实，表决结果：%(result)s", actor=actor,
                 n=decision.get("round") or 1, result=_(_RESULTS.get(result, result)) if result else "—")
    if isinstance(quorum, dict):
        should, present = len(quorum.get("should_attend") or []), len(quorum.get("present") or [])
        if quorum.get("met"):
            return _("%(actor)s 核算并封存到会人数：应到 %(should)d 人，实到 %(present)d 人，达到法定人数",
                     actor=actor, should=should, present=present)
        return _("%(actor)s 核算并封存到会人数：应到 %(should)d 人，实到 %(present)d 人，未达到法定人数",
                 actor=actor, should=should, present=present)
    return _("%(actor)s 将%(task)s的结果封存入审计链", actor=actor, task=_quoted(payload.get("name")))


_RESULTS = {"通过": N_("通过"), "缓议": N_("缓议"), "未通过": N_("未通过")}


def role_label(key: str) -> str:
    return _(ROLE_LABELS.get(key, key))
