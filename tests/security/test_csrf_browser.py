"""The CSRF attack as a browser performs it: a signed-in instructor visits a page on another port
of the same host (same site, so the ``SameSite=Lax`` cookie goes along), and that page tries to
create an instructor membership, a lesson and a GraphQL rename with simple (preflight-free)
requests. Headless Chromium; the database must be unchanged afterwards."""

from __future__ import annotations

import dataclasses
import json

from sqlalchemy.ext.asyncio import AsyncEngine

from cohort.config import Settings
from tests.support.browser import StaticSite, chromium
from tests.support.db import snapshot
from tests.support.fake_github import FakeGitHub, GitHubAccount
from tests.support.live import LiveServer, free_port
from tests.support.world import World

ATTACK = """<!doctype html>
<html><body>
<iframe name="sink" id="sink"></iframe>
<form id="form" method="POST" target="sink" action="{api}/api/v1/cohorts/{cohort}/memberships">
  <input name="role" value="instructor"><input name="user_id" value="{outsider}">
</form>
<script>
const api = {api_json};
async function forge(name, path, contentType, body) {{
  try {{
    const answer = await fetch(api + path, {{
      method: "POST", mode: "no-cors", credentials: "include",
      headers: {{"Content-Type": contentType}}, body: body,
    }});
    return name + ":" + answer.type;
  }} catch (error) {{
    return name + ":failed";
  }}
}}
async function attack() {{
  const outcomes = [];
  outcomes.push(await forge("membership", {members_path}, "text/plain", {membership}));
  outcomes.push(await forge("lesson", {lessons_path}, "text/plain", {lesson}));
  outcomes.push(await forge("lesson-form", {lessons_path}, "application/x-www-form-urlencoded",
                            "position=7&title=Forged&release_at=2030-01-01T09:00:00Z"));
  outcomes.push(await forge("graphql", "/graphql", "text/plain", {graphql}));
  await new Promise((resolve) => {{
    document.getElementById("sink").onload = resolve;
    document.getElementById("form").submit();
  }});
  outcomes.push("form:submitted");
  window.outcomes = outcomes;
}}
attack();
</script>
</body></html>
"""


FORGED_LESSON = {"position": 7, "title": "Forged", "release_at": "2030-01-01T09:00:00Z"}


def attack_page(api: str, world: World) -> str:
    cohort = world.cohort_a.id
    outsider = str(world.users["outsider"].id)
    rename = 'mutation($id: ID!) { updateCohort(input: {id: $id, name: "Forged"}) { __typename } }'
    return ATTACK.format(
        api=api,
        api_json=json.dumps(api),
        cohort=cohort,
        outsider=outsider,
        members_path=json.dumps(f"/api/v1/cohorts/{cohort}/memberships"),
        lessons_path=json.dumps(f"/api/v1/cohorts/{cohort}/lessons"),
        membership=json.dumps(json.dumps({"role": "instructor", "user_id": outsider})),
        lesson=json.dumps(
            json.dumps({"position": 7, "title": "Forged", "release_at": "2030-01-01T09:00:00Z"})
        ),
        graphql=json.dumps(json.dumps({"query": rename, "variables": {"id": str(cohort)}})),
    )


async def test_a_page_on_another_port_cannot_write_with_the_cookie(
    settings: Settings, world: World, fake_github: FakeGitHub, engine: AsyncEngine
) -> None:
    port = free_port()
    api = f"http://127.0.0.1:{port}"
    server = LiveServer(dataclasses.replace(settings, public_base_url=api), port=port).start()
    instructor = world.users["instructor"]
    assert instructor.github_id is not None
    fake_github.browser_account = GitHubAccount(id=instructor.github_id, login=instructor.login)
    try:
        async with chromium() as page:
            await page.goto(f"{api}/auth/github/login")
            signed_in = f"location.href === {json.dumps(api + '/api/v1/me')} && document.body.innerText"
            assert '"login":"instructor"' in (await page.wait_for(signed_in)).replace(" ", "")

            # the control: from a page of the API's own origin (the docs, whose CSP allows requests to
            # 'self'; JSON answers forbid everything) the same browser and cookie do write
            await page.goto(f"{api}/docs")
            await page.wait_for("document.readyState === 'complete'")
            control = json.dumps({"position": 8, "title": "Ours", "release_at": "2030-01-01T09:00:00Z"})
            status = await page.evaluate(
                f"fetch('/api/v1/cohorts/{world.cohort_a.id}/lessons', {{method: 'POST', "
                f"credentials: 'include', headers: {{'Content-Type': 'application/json'}}, "
                f"body: {json.dumps(control)}}}).then((answer) => answer.status)"
            )
            assert status == 201

            before = await snapshot(engine)
            with StaticSite(attack_page(api, world)) as site:
                assert site.url.startswith("http://127.0.0.1:")
                assert not site.url.startswith(api)
                await page.goto(site.url)
                outcomes = await page.wait_for("window.outcomes")
            assert outcomes == [
                "membership:opaque",  # each request reached the API and was answered
                "lesson:opaque",
                "lesson-form:opaque",
                "graphql:opaque",
                "form:submitted",
            ]
            assert await snapshot(engine) == before

            await page.goto(f"{api}/api/v1/me")
            assert '"login":"instructor"' in (await page.wait_for(signed_in)).replace(" ", "")
    finally:
        server.stop()
