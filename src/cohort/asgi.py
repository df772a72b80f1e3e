"""ASGI entry point for servers: ``uvicorn cohort.asgi:app``."""

from cohort.app import create_app

app = create_app()
