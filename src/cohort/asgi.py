"""ASGI entry point for servers: ``uvicorn cohort.asgi:app``."""

from cohort.app import create_app
from cohort.web.heap import freeze_start_up_objects

app = create_app()
# served processes only: tests build many apps in one process and must not freeze each one's objects
app.on_startup.append(freeze_start_up_objects)
