"""Chinese first, English second; dates always shown in Asia/Shanghai.

The message catalogues are compiled from the committed .po files when the app starts (if the .mo is missing or
older), so a fresh clone needs no separate build step.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, request, session

from service import clock

LANGUAGES = {"zh_CN": "中文", "en": "English"}
TRANSLATIONS = Path(__file__).parent / "translations"


def compile_catalogues() -> None:
    for po_path in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as handle:
            catalog = read_po(handle)
        with mo_path.open("wb") as handle:
            write_mo(handle, catalog)


def select_locale() -> str:
    choice = request.args.get("lang") or session.get("lang")
    if choice in LANGUAGES:
        session["lang"] = choice
        return choice
    return "zh_CN"


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    return clock.local(value).strftime(fmt)


def iso(value: datetime | None) -> str | None:
    return clock.as_utc(value).isoformat() if value else None


def install(app: Flask) -> None:
    compile_catalogues()
    app.jinja_env.filters["localtime"] = local_time
    app.jinja_env.filters["localdate"] = lambda v: local_time(v, "%Y-%m-%d")
    app.jinja_env.globals["LANGUAGES"] = LANGUAGES
