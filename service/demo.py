"""The demo organisation (`jiandu demo`): a city committee with its discipline commission, two district
committees, two departments of the first district, a supervision team, an admin, a process owner and a
supervisor. Chinese names; usernames are pinyin. One password is generated on first load, printed once and kept
in instance/demo-passwords.txt (mode 0600) so a person can find it again.
"""
from __future__ import annotations

import secrets
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import User
from .org import import_org
from .passwords import hash_password


def _unit_staff(code: str, people: list[tuple[str, str, str]]) -> list[dict]:
    return [{"username": u, "name": n, "memberships": [{"unit": code, "role": r}]} for u, n, r in people]


UNITS = [
    {"code": "city", "name": "示例市委", "parent": None},
    {"code": "city-cdi", "name": "示例市纪委监委", "parent": "city"},
    {"code": "district", "name": "示例区委", "parent": "city"},
    {"code": "district-edu", "name": "示例区教育局党组", "parent": "district"},
    {"code": "district-health", "name": "示例区卫生健康局党组", "parent": "district"},
    {"code": "east", "name": "东城区委", "parent": "city"},
]

PEOPLE = (
    _unit_staff("city", [
        ("zhaoguoqiang", "赵国强", "secretary"), ("qianlimin", "钱立民", "member"), ("sunhuiying", "孙慧颖", "member"),
        ("zhouwenbo", "周文博", "member"), ("wushuhua", "吴淑华", "office"), ("zhengzhiyuan", "郑志远", "discipline"),
        ("wangjianhua", "王建华", "organization"),
    ])
    + _unit_staff("city-cdi", [("fenghaiyan", "冯海燕", "staff"), ("chenmingliang", "陈明亮", "staff")])
    + _unit_staff("district", [
        ("lijianguo", "李建国", "secretary"), ("wanghong", "王红", "member"), ("zhangwei", "张伟", "member"),
        ("liuyang", "刘洋", "member"), ("chenjing", "陈静", "member"), ("yangfan", "杨帆", "office"),
        ("huangqiang", "黄强", "discipline"), ("zhoumin", "周敏", "organization"), ("xulei", "徐磊", "legal"),
    ])
    + _unit_staff("district-edu", [
        ("hezhiming", "何志明", "secretary"), ("luoxiaoli", "罗晓丽", "member"), ("gaojun", "高军", "member"),
        ("lintao", "林涛", "member"), ("guoli", "郭丽", "office"), ("majun", "马骏", "discipline"),
        ("songyu", "宋宇", "legal"),
    ])
    + _unit_staff("district-health", [
        ("hufeng", "胡峰", "secretary"), ("zhuhong", "朱红", "member"), ("xiaoning", "肖宁", "member"),
        ("tangwei", "唐伟", "member"), ("caoyan", "曹燕", "office"), ("dengchao", "邓超", "discipline"),
        ("xuefang", "薛芳", "legal"),
    ])
    + _unit_staff("east", [
        ("liangyong", "梁勇", "secretary"), ("hanmei", "韩梅", "member"), ("fengtao", "冯涛", "member"),
        ("yuqing", "余晴", "member"), ("duxiao", "杜晓", "office"), ("panlei", "潘磊", "discipline"),
    ])
)

SPECIAL = [
    {"username": "admin", "name": "系统管理员", "admin": True, "memberships": []},
    {"username": "owner", "name": "流程管理员孟凡", "owner": True, "memberships": [{"unit": "city", "role": "staff"}]},
    {"username": "supervisor", "name": "督查专员蒋涛", "supervises": ["district"],
     "memberships": [{"unit": "city-cdi", "role": "staff"}]},
    {"username": "eastsupervisor", "name": "督查专员白雪", "supervises": ["east"],
     "memberships": [{"unit": "city-cdi", "role": "staff"}]},
]

GROUPS = [{"name": "duodao", "label": "督导组", "members": ["fenghaiyan", "chenmingliang", "wangjianhua"]}]


def organisation(password: str) -> dict:
    # One argon2 hash for the shared demo password: hashing it forty times would only make `jiandu demo` slow.
    shared = {"password_hash": hash_password(password)} if password else {}
    users = [dict(person, **shared) for person in PEOPLE + SPECIAL]
    # The district's discipline lead also supervises the district's subtree; the city's lead the whole city.
    for user in users:
        if user["username"] == "zhengzhiyuan":
            user["supervises"] = ["city"]
        if user["username"] == "huangqiang":
            user["supervises"] = ["district"]
    return {"units": UNITS, "users": users, "groups": GROUPS}


def load(session: Session, instance_path: Path, password: str | None = None) -> tuple[bool, str]:
    """Idempotent. Returns (created_now, password). An existing demo keeps its passwords unless one is given."""
    exists = session.scalar(select(User.id).where(User.username == "admin")) is not None
    secret_file = instance_path / "demo-passwords.txt"
    if exists and password is None:
        known = secret_file.read_text().strip().split()[-1] if secret_file.exists() else "(见首次运行时的输出)"
        spec = organisation("")
        import_org(session, spec)
        return False, known
    password = password or secrets.token_urlsafe(9)
    import_org(session, organisation(password))
    instance_path.mkdir(parents=True, exist_ok=True)
    secret_file.write_text(f"demo password: {password}\n")
    secret_file.chmod(0o600)
    return True, password


ACCOUNTS = [
    ("lijianguo", "李建国", "示例区委 书记"),
    ("wanghong", "王红", "示例区委 班子成员"),
    ("zhangwei", "张伟", "示例区委 班子成员"),
    ("yangfan", "杨帆", "示例区委 办公室"),
    ("huangqiang", "黄强", "示例区委 纪检监察负责人"),
    ("zhengzhiyuan", "郑志远", "示例市委 纪检监察负责人（区委的上级纪委）"),
    ("fenghaiyan", "冯海燕", "督导组"),
    ("supervisor", "蒋涛", "督查专员，督办示例区委及下属单位"),
    ("owner", "孟凡", "流程管理员"),
    ("admin", "系统管理员", "管理员"),
]
