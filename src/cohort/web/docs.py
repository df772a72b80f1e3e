"""Interactive API docs: Swagger UI from assets inside the package at ``/docs`` (works offline),
and Scalar at ``/docs/scalar``, pinned to one version on its CDN.

The OpenAPI document itself is at ``/docs/openapi.json``.
"""

from __future__ import annotations

from pathlib import Path

from litestar.openapi.plugins import OpenAPIRenderPlugin, ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.router import Router
from litestar.static_files import create_static_files_router

from cohort.web.rate_limits import EXEMPT_OPT_KEY

SWAGGER_UI_VERSION = "5.18.2"
"""The ``swagger-ui-dist`` release in ``docs_assets/swagger-ui`` (see the README there)."""
SCALAR_VERSION = "1.72.1"
ASSETS_PATH = "/docs/assets"
ASSETS_DIR = Path(__file__).resolve().parent / "docs_assets"
NO_FAVICON = "<link rel='icon' href='data:,'>"
"""No icon request at all (Litestar's default icon comes from a CDN, unpinned)."""
SCALAR_CDN = f"https://cdn.jsdelivr.net/npm/@scalar/api-reference@{SCALAR_VERSION}/dist"


def render_plugins() -> list[OpenAPIRenderPlugin]:
    """Swagger UI first: it is the one served at ``/docs`` itself."""
    swagger = f"{ASSETS_PATH}/swagger-ui"
    return [
        SwaggerRenderPlugin(
            version=SWAGGER_UI_VERSION,
            js_url=f"{swagger}/swagger-ui-bundle.js",
            css_url=f"{swagger}/swagger-ui.css",
            standalone_preset_js_url=f"{swagger}/swagger-ui-standalone-preset.js",
            path="/swagger",
            favicon=NO_FAVICON,
        ),
        ScalarRenderPlugin(
            js_url=f"{SCALAR_CDN}/browser/standalone.js",
            css_url=f"{SCALAR_CDN}/style.css",
            path="/scalar",
            favicon=NO_FAVICON,
        ),
    ]


def docs_assets() -> Router:
    return create_static_files_router(
        path=ASSETS_PATH,
        directories=[ASSETS_DIR],
        include_in_schema=False,
        opt={EXEMPT_OPT_KEY: True},
        name="docs_assets",
    )
