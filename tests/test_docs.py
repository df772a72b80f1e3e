"""The interactive docs work offline: Swagger UI's assets come from the package; Scalar is pinned."""

from __future__ import annotations

import re

from cohort.web.docs import SCALAR_VERSION
from tests.support.rest import Client


async def test_docs_load_every_asset_from_this_server(client: Client) -> None:
    page = await client.get("/docs")
    assert page.status_code == 200
    assets = [a for a in re.findall(r"""(?:src|href)=['"]([^'"]+)""", page.text) if a != "data:,"]
    assert {a.rsplit("/", 1)[1] for a in assets} >= {
        "swagger-ui-bundle.js",
        "swagger-ui.css",
        "swagger-ui-standalone-preset.js",
    }
    for asset in assets:
        assert asset.startswith("/docs/assets/"), asset  # nothing from a CDN
        fetched = await client.get(asset)
        assert fetched.status_code == 200, asset
        assert len(fetched.content) > 10_000, asset
    assert "cdn." not in page.text


async def test_scalar_is_pinned(client: Client) -> None:
    page = await client.get("/docs/scalar")
    assert page.status_code == 200
    urls = re.findall(r"""(?:src|href)=['"](https://[^'"]+)""", page.text)
    assert urls
    assert all(f"@scalar/api-reference@{SCALAR_VERSION}/" in url for url in urls), urls
    assert "latest" not in page.text
