"""API views (placeholder until the API lands)."""
from __future__ import annotations

from flask import jsonify

from . import bp


@bp.get("/openapi.json")
def openapi():
    return jsonify({"openapi": "3.0.3", "info": {"title": "Jiandu", "version": "1"}, "paths": {}})
