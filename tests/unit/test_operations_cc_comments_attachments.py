"""抄送, 留言 and attachments: who may do them, what others then see, what the chain records."""
from __future__ import annotations

import io
import zipfile

import pytest

from service import access, audit, inbox
from service.errors import Conflict, Forbidden, NotFound, ValidationFailed
from service.models import ProcessInstance
from service.operations import attachments, cc, comments, filetypes
from tests.support import complete, start, task_named, user
from tests.unit.ops_support import (DRAFT, MEMBERS, act, case_at_secretary, chain_ok, core, kinds,  # noqa: F401
                                    last_event, notes)

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def can_view(jd, username, case_id) -> bool:
    with jd.db.read() as session:
        return access.can_view_instance(session, user(jd, username), session.get(ProcessInstance, case_id))


def docx_bytes() -> bytes:
    import docx
    document = docx.Document()
    document.add_paragraph("会议纪要")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# -- 抄送 -------------------------------------------------------------------------------------------------------------

def test_copied_people_read_the_case_and_find_it_under_cc(core):
    case = case_at_secretary(core)
    approve = task_named(core, case.id, "secretary_approve").id
    assert not can_view(core, "zhoumin", case.id)
    added = act(core, cc.copy_to, "lijianguo", approve, ["zhoumin", "xulei"], "请知悉")
    assert [u.username for u in added] == ["zhoumin", "xulei"]
    assert can_view(core, "zhoumin", case.id) and can_view(core, "xulei", case.id)
    with core.db.read() as session:
        listed = inbox.cc(session, user(core, "zhoumin"))
    assert [item["id"] for item in listed.items] == [case.id]
    assert notes(core, "zhoumin", "instance.cc") == ["李建国 抄送给您：采购审批（书记审批）：请知悉"]
    event = last_event(core, case.id, "instance.cc")
    assert event["actor"] == "lijianguo" and event["payload"]["users"] == ["zhoumin", "xulei"]

    assert act(core, cc.copy_to, "yangfan", approve, ["zhoumin"]) == []  # already copied: nothing new
    assert kinds(core, case.id).count("instance.cc") == 1
    with pytest.raises(Forbidden):  # copied people read; they do not copy others
        act(core, cc.copy_to, "zhoumin", approve, ["chenjing"])
    assert chain_ok(core, case.id)


def test_cc_refusals(core):
    case = start(core, "yangfan", "core_flow", data=MEMBERS)
    draft = task_named(core, case.id, "draft").id
    with pytest.raises(NotFound):
        act(core, cc.copy_to, "hezhiming", draft, ["zhoumin"])
    with pytest.raises(ValidationFailed):
        act(core, cc.copy_to, "yangfan", draft, [])
    with pytest.raises(ValidationFailed) as unknown:
        act(core, cc.copy_to, "yangfan", draft, ["zhoumin", "nobody"])
    assert "nobody" in unknown.value.details["users"]
    complete(core, "yangfan", draft, DRAFT)
    with pytest.raises(Conflict):
        act(core, cc.copy_to, "yangfan", draft, ["zhoumin"])
    assert "instance.cc" not in kinds(core, case.id)


# -- 留言 -------------------------------------------------------------------------------------------------------------

def test_comments_on_a_task_and_on_the_case_are_in_the_timeline(core):
    case = case_at_secretary(core)
    approve = task_named(core, case.id, "secretary_approve").id
    on_task = act(core, comments.add_to_task, "lijianguo", approve, "  报价单请附上  ")
    on_case = act(core, comments.add_to_instance, "supervisor", case.id, "督办：本周内办结")
    assert on_task.text == "报价单请附上" and on_task.task_id == approve and on_case.task_id is None
    with core.db.read() as session:
        listed = comments.for_instance(session, user(core, "yangfan"), case.id)
        timeline = audit.timeline(session, case.id)
    assert [(c["author"], c["text"], c["task_name"]) for c in listed] == [
        ("李建国", "报价单请附上", "书记审批"), ("督查专员蒋涛", "督办：本周内办结", None)]
    added = [e for e in timeline if e["kind"] == "comment.added"]
    assert [(e["actor"], e["payload"]["text"]) for e in added] == [("lijianguo", "报价单请附上"),
                                                                    ("supervisor", "督办：本周内办结")]
    assert notes(core, "yangfan", "comment.added") == ["李建国 在“书记审批”留言（采购审批）：报价单请附上",
                                                       "督查专员蒋涛 在案件留言（采购审批）：督办：本周内办结"]
    assert notes(core, "lijianguo", "comment.added") == ["督查专员蒋涛 在案件留言（采购审批）：督办：本周内办结"]
    complete(core, "lijianguo", approve, {"decision": "同意"})
    act(core, comments.add_to_task, "yangfan", approve, "已补充")  # the record stays open for remarks
    assert chain_ok(core, case.id)


def test_comment_refusals(core):
    case = case_at_secretary(core)
    approve = task_named(core, case.id, "secretary_approve").id
    with pytest.raises(NotFound):
        act(core, comments.add_to_task, "hezhiming", approve, "看看")
    with pytest.raises(NotFound):
        act(core, comments.add_to_instance, "hezhiming", case.id, "看看")
    for bad in ("", "   ", "字" * 2001):
        with pytest.raises(ValidationFailed):
            act(core, comments.add_to_task, "lijianguo", approve, bad)
    assert "comment.added" not in kinds(core, case.id)


# -- attachments -----------------------------------------------------------------------------------------------------

def test_an_attachment_is_stored_checked_and_readable_by_who_sees_the_case(core):
    case = case_at_secretary(core)
    approve = task_named(core, case.id, "secretary_approve").id
    row = act(core, attachments.add, "lijianguo", approve, "C:\\Users\\li\\报价单.PDF", PDF)
    assert (row.filename, row.content_type, row.size) == ("报价单.pdf", "application/pdf", len(PDF))
    office = act(core, attachments.add, "lijianguo", approve, "纪要.docx", docx_bytes())
    assert office.content_type.endswith("wordprocessingml.document")
    with core.db.read() as session:
        assert attachments.get(session, user(core, "yangfan"), row.id).content == PDF
        assert attachments.get(session, user(core, "supervisor"), row.id).sha256 == row.sha256
        with pytest.raises(NotFound):
            attachments.get(session, user(core, "hezhiming"), row.id)
        with pytest.raises(NotFound):
            attachments.get(session, user(core, "yangfan"), 999999)
        listed = attachments.for_instance(session, user(core, "yangfan"), case.id)
    assert [(a["filename"], a["uploader"], a["task_name"]) for a in listed] == [
        ("报价单.pdf", "李建国", "书记审批"), ("纪要.docx", "李建国", "书记审批")]
    event = last_event(core, case.id, "attachment.added")
    assert event["payload"]["filename"] == "纪要.docx" and event["payload"]["sha256"] == office.sha256
    assert chain_ok(core, case.id)


@pytest.mark.parametrize("name, content", [
    ("page.pdf", b"<html><script>alert(1)</script></html>"),   # not what the name says
    ("tool.exe", b"MZ\x90\x00"),                                # not on the list
    ("noextension", PDF),
    ("notes.docx", b"PK\x03\x04 not really a zip"),
    ("archive.docx", None),                                     # a zip, but not a Word document
    ("photo.jpg", PNG),
    ("binary.txt", b"abc\x00def"),
    ("empty.pdf", b""),
])
def test_attachments_of_the_wrong_type_are_refused(core, name, content):
    if content is None:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            archive.writestr("readme.txt", "hello")
        content = out.getvalue()
    case = case_at_secretary(core)
    with pytest.raises(ValidationFailed) as refused:
        act(core, attachments.add, "lijianguo", task_named(core, case.id, "secretary_approve").id, name, content)
    assert "file" in refused.value.details
    assert "attachment.added" not in kinds(core, case.id)


def test_attachment_size_and_permission_limits(core):
    case = case_at_secretary(core)
    approve = task_named(core, case.id, "secretary_approve").id
    with pytest.raises(ValidationFailed):
        act(core, attachments.add, "lijianguo", approve, "big.pdf", PDF + b"0" * 2048, max_bytes=1024)
    act(core, attachments.add, "lijianguo", approve, "ok.pdf", PDF, max_bytes=1024)
    act(core, attachments.add, "yangfan", approve, "initiator.txt", "补充说明".encode("gb18030"))
    with pytest.raises(NotFound):
        act(core, attachments.add, "hezhiming", approve, "x.pdf", PDF)
    with pytest.raises(Forbidden):  # sees the case, does not work on the task
        act(core, attachments.add, "supervisor", approve, "x.pdf", PDF)
    complete(core, "lijianguo", approve, {"decision": "同意"})
    with pytest.raises(Conflict):
        act(core, attachments.add, "lijianguo", approve, "late.pdf", PDF)


@pytest.mark.parametrize("raw, clean", [
    ("../../etc/passwd.txt", "passwd.txt"),
    ("..\\..\\boot.ini.txt", "boot.ini.txt"),
    ("报告\u202egnp.exe.pdf", "报告gnp.exe.pdf"),   # a right-to-left override would show "...fdp.exe"
    ('a<b>:"c|d?.pdf', "a_b___c_d_.pdf"),
    ("   .pdf", "附件.pdf"),
    ("x" * 300 + ".PDF", "x" * 120 + ".pdf"),
    ("line\nbreak.txt", "linebreak.txt"),
])
def test_filenames_are_sanitised(raw, clean):
    assert filetypes.safe_filename(raw) == clean
