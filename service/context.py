"""The service as one object: settings and database, shared by the CLI, the worker and the web app."""
from __future__ import annotations

from .config import Settings
from .db import Database


class Jiandu:
    def __init__(self, settings: Settings | None = None, **engine_kwargs):
        self.settings = settings or Settings.from_env()
        self.db = Database(self.settings.database_url, **engine_kwargs)

    def close(self) -> None:
        self.db.dispose()
