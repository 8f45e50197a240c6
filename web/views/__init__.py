"""Page blueprints, one module per page family (DESIGN.md sections 10 and 11).

| route | permission |
|---|---|
| `GET /`, `GET /inbox/<todo|done|started|cc>` | signed in; the user's own lists |
| `GET /tasks/<id>` | signed in; the task's case visible to the user, else 404 |
| `POST /tasks/<id>/complete` (JSON) | the task is the user's to work on (403), visible (404), still open (409) |
| `POST /tasks/<id>/claim`, `/unclaim` | queue member of the task / its current holder |
| `GET /start`, `POST /start/<key>` | signed in; only processes and units the user may start for (403) |
| `GET /instances/<id>`, `GET /instances/<id>/diagram.bpmn` | instance visible to the user, else 404 |
| `GET /profile`, `POST /profile/tokens`, `POST /profile/tokens/<id>/revoke` | signed in; own tokens only |
| `GET /notifications`, `POST /notifications/read` | signed in; own notifications only |

Every POST needs the CSRF token (form field `csrf_token` or header `X-CSRFToken`).
"""
from __future__ import annotations

from flask import Flask
from jinja2 import pass_context

from . import common, inbox as inbox_views, instances, notifications, profile, start, tasks

inbox = inbox_views.bp


def register(app: Flask) -> None:
    for blueprint in (inbox_views.bp, tasks.bp, start.bp, instances.bp, profile.bp, notifications.bp):
        app.register_blueprint(blueprint)
    from . import processes; app.register_blueprint(processes.bp)  # noqa: E702  (issue 5: /processes, editor)
    from . import task_actions; task_actions.install(app)  # noqa: E702  (issue 7: the approval operations)
    from . import supervision; supervision.register(app)  # noqa: E702  (issue 6: cases, dashboard, problems, exports)
    app.context_processor(common.header_context)
    app.jinja_env.globals["validation_messages"] = common.validation_messages
    app.jinja_env.filters.update(
        tr=at_render(common.translate),
        due_hint=at_render(common.due_hint),
        due_class=common.due_class,
        holder=at_render(common.holder_text),
        status_label=at_render(lambda s: common.translate(common.STATUS_LABELS.get(s, s))),
        task_state_label=at_render(lambda s: common.translate(common.TASK_STATE_LABELS.get(s, s))),
    )


def at_render(function):
    """A filter that Jinja runs each time the page renders. Jinja folds a plain filter applied to a literal
    (`'进行中' | tr`) into the compiled template, in the language of whichever page compiled it first; one that
    takes the template context is never folded."""
    @pass_context
    def run(_context, value, *args, **kwargs):
        return function(value, *args, **kwargs)
    run.__name__ = getattr(function, "__name__", "filter")
    return run
