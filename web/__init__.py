"""The Flask app: thin views over the service (DESIGN.md sections 10 and 11)."""
from __future__ import annotations

import os

from flask import Flask

from service.config import Settings, secret_key
from service.context import Jiandu

from . import errors, i18n, security
from .extensions import babel, csrf, login_manager
from .ratelimit import FailedLoginLimiter


def create_app(settings: Settings | None = None, *, jiandu: Jiandu | None = None, testing: bool = False,
               secure_cookies: bool | None = None) -> Flask:
    jd = jiandu or Jiandu(settings)
    app = Flask(__name__, instance_path=str(jd.settings.instance_path))
    if secure_cookies is None:
        secure_cookies = os.environ.get("JIANDU_SECURE_COOKIES", "1") != "0"
    app.config.update(
        SECRET_KEY=secret_key(jd.settings.instance_path),
        TESTING=testing,
        SESSION_COOKIE_NAME="jiandu_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure_cookies,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SECURE=secure_cookies,
        MAX_CONTENT_LENGTH=jd.settings.attachment_max_bytes + 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,
        BABEL_DEFAULT_LOCALE="zh_CN",
        BABEL_DEFAULT_TIMEZONE="Asia/Shanghai",
        BABEL_TRANSLATION_DIRECTORIES=str(i18n.TRANSLATIONS),
        JSON_AS_ASCII=False,
    )
    app.json.ensure_ascii = False
    app.extensions["jiandu"] = jd
    app.extensions["login_limiter"] = FailedLoginLimiter()

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    i18n.install(app)
    security.install(app)
    errors.install(app)

    from . import principal  # noqa: F401  (registers the user loader)
    from .db import close_read
    app.teardown_appcontext(close_read)

    from .assets import bp as vendor_bp
    from .auth import bp as auth_bp
    from .api import bp as api_bp
    from .api import routes as _api_routes  # noqa: F401  (registers the API views)
    from .views import register as register_views

    app.register_blueprint(vendor_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(api_bp)
    register_views(app)
    return app
