"""Serves the front-end packages installed by `npm ci` (web/node_modules); no CDN, no copies in git.

Only the distribution folders listed here are reachable, so nothing else under node_modules is exposed.
"""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, send_from_directory

NODE_MODULES = Path(__file__).parent / "node_modules"
ALLOWED = {
    "camunda-bpmn-js": "camunda-bpmn-js/dist",
    "form-js": "@bpmn-io/form-js/dist",
    "bpmn-js-i18n": "bpmn-js-i18n/translations",
    "echarts": "echarts/dist",
}

bp = Blueprint("vendor", __name__)


@bp.get("/vendor/<package>/<path:filename>")
def vendor(package: str, filename: str):
    folder = ALLOWED.get(package)
    if folder is None or not (NODE_MODULES / folder).is_dir():
        abort(404)
    response = send_from_directory(NODE_MODULES / folder, filename, max_age=7 * 24 * 3600)
    return response
