"""Turn a typed email context into a subject, a plain-text part and an HTML part with inlined CSS.

One Jinja ``Environment`` per renderer: HTML templates are autoescaped, text templates are not (a
``<`` in a project title must read as ``<`` in plain text), and a misspelt variable fails loudly
(``StrictUndefined``) instead of mailing a blank. Every link goes through the ``absolute_url`` filter,
which is the only place that knows the public base URL and the only schemes a link may have.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import css_inline
import msgspec
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from cohort.config import asset_dir
from cohort.mail.templates import EmailContext
from cohort.mail.wording import plural, time_left

_ABSOLUTE_SCHEMES = ("https://", "http://")
_BLANK_RUNS = re.compile(r"\n{3,}")


def default_emails_dir() -> Path:
    """The bundled templates: ``emails/`` at the repository root, or the installed package's copy.

    ``Settings.emails_dir`` (``COHORT_EMAILS_DIR``) defaults to the same folder; prefer it where
    settings are at hand.
    """
    return asset_dir("emails")


class RenderedEmail(msgspec.Struct, frozen=True, kw_only=True):
    kind: str
    subject: str
    text: str
    html: str


class EmailRenderer:
    """Renders every kind from the templates in ``emails_dir``; links resolve against ``public_base_url``."""

    def __init__(self, emails_dir: Path, *, public_base_url: str) -> None:
        if not public_base_url.startswith(_ABSOLUTE_SCHEMES):
            msg = f"public_base_url must be an absolute http(s) URL, got {public_base_url!r}"
            raise ValueError(msg)
        self.public_base_url = public_base_url.rstrip("/")
        self.environment = Environment(
            loader=FileSystemLoader(emails_dir),
            autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            auto_reload=False,
        )
        self.environment.filters.update(self._filters())
        # @media rules cannot live in style attributes, so they stay in a <style> tag; all else is inlined.
        self._inliner = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)

    def _filters(self) -> dict[str, Callable[..., Any]]:
        """Every filter the templates may use, registered in this one place."""
        return {"absolute_url": self.absolute_url, "plural": plural, "time_left": time_left}

    def absolute_url(self, link: str) -> str:
        """``/path`` becomes ``<public_base_url>/path``; ``http(s)://`` links pass; anything else is refused.

        Refusing other forms keeps ``javascript:`` or protocol-relative (``//host``) links out of mail.
        """
        if link.startswith(_ABSOLUTE_SCHEMES):
            return link
        if link.startswith("/") and not link.startswith("//"):
            return self.public_base_url + link
        msg = f"an email link must be a site path or an http(s) URL, got {link!r}"
        raise ValueError(msg)

    def render(self, context: EmailContext, *, unsubscribe_url: str) -> RenderedEmail:
        """Render both parts; the subject is one line whatever the data holds."""
        subject = " ".join(context.subject.split())
        variables = {
            **msgspec.structs.asdict(context),
            "subject": subject,
            "unsubscribe_url": unsubscribe_url,
        }
        text = self.environment.get_template(f"{context.kind}.txt.j2").render(variables)
        html = self.environment.get_template(f"{context.kind}.html.j2").render(variables)
        return RenderedEmail(
            kind=context.kind,
            subject=subject,
            text=_BLANK_RUNS.sub("\n\n", text).strip() + "\n",
            html=self._inliner.inline(html),
        )
