"""``OPTIONS`` answers with every method of its path.

Litestar adds an ``OPTIONS`` handler when it first builds a path's route and keeps it when more
handlers join the path (a controller's ``GET`` and ``POST`` on ``/api/v1/programs`` arrive one at a
time), so its ``Allow`` header listed only the methods known at that moment (``OPTIONS, POST``).
Rebinding each of those handlers to its path's final route makes ``Allow`` complete.
"""

from __future__ import annotations

from litestar import Litestar
from litestar.routes import HTTPRoute


def answer_options_with_every_method(app: Litestar) -> Litestar:
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if handler.handler_name != "options_handler":
                continue
            for cell in handler.fn.__closure__ or ():
                if isinstance(cell.cell_contents, HTTPRoute):
                    cell.cell_contents = route
    return app
