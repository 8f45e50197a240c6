"""Page blueprints, one module per page family."""
from __future__ import annotations

from flask import Blueprint, Flask, redirect, url_for
from flask_login import login_required

inbox = Blueprint("inbox", __name__)


@inbox.get("/")
@login_required
def index():
    return "Jiandu 监督"


def register(app: Flask) -> None:
    app.register_blueprint(inbox)
