"""Every email kind renders both parts from its demo data, with escaping, absolute links and inlined CSS."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import jinja2
import msgspec
import pytest

from cohort.mail import (
    EMAIL_KINDS,
    EmailContext,
    EmailRenderer,
    LearnerDigest,
    MentorDigest,
    ReviewReminder,
    SubmissionReminder,
    decode_context,
    local_time_label,
)
from cohort.mail.wording import time_left
from tests.emails.conftest import PUBLIC_BASE_URL

UNSUBSCRIBE = f"{PUBLIC_BASE_URL}/unsubscribe/v1.test-token"
KINDS = list(EMAIL_KINDS)


class HtmlFacts(HTMLParser):
    """What the tests look at in an HTML part: links, <style> contents, inline styles, visible text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.style_blocks: list[str] = []
        self.inline_styles: dict[str, str] = {}  # first element of each class -> its style attribute
        self.text_chunks: list[str] = []
        self._in_style = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "style":
            self._in_style = True
        if tag == "a" and attributes.get("href"):
            self.hrefs.append(attributes["href"] or "")
        key = attributes.get("class") or tag
        if attributes.get("style") and key not in self.inline_styles:
            self.inline_styles[key] = attributes["style"] or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.style_blocks.append(data)
        else:
            self.text_chunks.append(data)

    @property
    def text(self) -> str:
        return " ".join("".join(self.text_chunks).split())


def said_in_both(text: str, facts: HtmlFacts, *phrases: str) -> None:
    """Each phrase reaches the reader in the plain-text part and in the visible text of the HTML."""
    for phrase in phrases:
        assert phrase in text, phrase
        assert phrase in facts.text, phrase


def render(renderer: EmailRenderer, context: EmailContext) -> tuple[str, str, HtmlFacts]:
    rendered = renderer.render(context, unsubscribe_url=UNSUBSCRIBE)
    assert rendered.kind == context.kind
    assert rendered.subject == context.subject
    return rendered.text, rendered.html, HtmlFacts(rendered.html)


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_renders_greeting_footer_and_only_absolute_links(
    renderer: EmailRenderer, kind: str
) -> None:
    context = EMAIL_KINDS[kind].demo()
    text, html, facts = render(renderer, context)

    said_in_both(text, facts, f"Hi {context.recipient_name},", "You are receiving this")
    assert f"Unsubscribe: {UNSUBSCRIBE}" in text
    assert UNSUBSCRIBE in facts.hrefs
    assert f"<title>{context.subject}</title>" in html
    assert facts.hrefs, "every email links somewhere"
    assert all(href.startswith(PUBLIC_BASE_URL + "/") for href in facts.hrefs), facts.hrefs
    text_links = re.findall(r"https?://\S+", text)
    assert text_links
    assert all(link.startswith(PUBLIC_BASE_URL + "/") for link in text_links), text_links
    assert not re.search(r"<(a|p|td|br|strong)\b", text), "the text part carries no markup"
    assert "\n\n\n" not in text


@pytest.mark.parametrize("kind", KINDS)
def test_css_is_inlined_and_only_media_queries_stay_in_a_style_tag(
    renderer: EmailRenderer, kind: str
) -> None:
    _, html, facts = render(renderer, EMAIL_KINDS[kind].demo())

    remaining_css = re.sub(r"@media[^{]*\{(?:[^{}]*\{[^{}]*\})*[^{}]*\}", "", "".join(facts.style_blocks))
    assert remaining_css.strip() == "", remaining_css
    assert "@media" in "".join(facts.style_blocks)
    assert "background-color: #f3f4f6" in facts.inline_styles["body"]
    assert "width: 600px" in facts.inline_styles["container"]
    assert "background-color: #1d4ed8" in facts.inline_styles["button-cell"]
    assert "color: #ffffff" in facts.inline_styles["button"]
    assert 'role="presentation"' in html


def test_submission_reminder_says_what_is_due_when_and_where_to_submit(renderer: EmailRenderer) -> None:
    context = SubmissionReminder.demo()
    text, _, facts = render(renderer, context)

    assert context.subject == "Reminder: URL shortener API is due in 24 hours"
    submit = f"{PUBLIC_BASE_URL}/cohorts/spring/projects/url-shortener/submit"
    assert submit in facts.hrefs
    assert f"Submit your project: {submit}" in text
    said_in_both(
        text,
        facts,
        "URL shortener API is due in 24 hours",
        "Friday 14 March 2025, 17:00 (Europe/Berlin)",
        "Foundations — Spring",
        "README with set-up and test instructions",
        "Late submissions are accepted for 48 hours",
    )


def test_optional_parts_disappear_when_absent(renderer: EmailRenderer) -> None:
    bare = msgspec.structs.replace(SubmissionReminder.demo(), checklist=(), late_policy=None)
    text, _, facts = render(renderer, bare)
    for part in (text, facts.text):
        assert "Before you submit" not in part
        assert "Late submissions" not in part

    anonymous = msgspec.structs.replace(ReviewReminder.demo(), author_name=None, rubric_url=None)
    text, _, facts = render(renderer, anonymous)
    for part in (text, facts.text):
        assert "a fellow learner" in part
        assert "Kofi" not in part
        assert "rubric" not in part.lower()


def test_review_reminder_names_the_author_and_links_review_and_rubric(renderer: EmailRenderer) -> None:
    text, _, facts = render(renderer, ReviewReminder.demo())
    assert "Kofi Mensah's submission" in text
    assert "Kofi Mensah\u2019s submission" in facts.text
    for path in ("/cohorts/spring/reviews/7f3c2a", "/cohorts/spring/projects/library-catalogue/rubric"):
        assert PUBLIC_BASE_URL + path in facts.hrefs
        assert PUBLIC_BASE_URL + path in text


def test_learner_digest_shows_every_section(renderer: EmailRenderer) -> None:
    context = LearnerDigest.demo()
    text, _, facts = render(renderer, context)

    assert context.subject == (
        "Foundations — Spring, week of 10 March: 1 project due, 1 review to do, 1 new lesson, new feedback"
    )
    for heading in ("Projects due", "Reviews to do", "Feedback on your work", "New lessons", "Coming up"):
        assert heading in facts.text
        assert heading.upper() in text
    assert "Next steps from Maya Chen" in facts.text
    assert "Library catalogue CLI: submitted, was due" in text
    assert "Submitted · was due" in facts.text
    assert "URL shortener API: due Friday 14 March 2025, 17:00 (Europe/Berlin)" in text
    assert "reviewed by Priya Nair" in text
    assert "Next: add tests for the search edge cases" in text
    assert "Authentication and authorization: opens Monday 17 March 2025, 10:00 (Europe/Berlin)" in text
    for lesson in context.lessons_upcoming:  # not released yet: named, never linked
        assert not any(lesson.title.lower().replace(" ", "-") in href for href in facts.hrefs)
    assert f"{PUBLIC_BASE_URL}/cohorts/spring/lessons/5" in facts.hrefs


def test_learner_digest_leaves_out_empty_sections(renderer: EmailRenderer) -> None:
    quiet = LearnerDigest(
        recipient_name="Sam",
        cohort_name="ProDev — Cohort 1",
        period_label="week of 10 March",
        dashboard_url="/cohorts/cohort-1",
        lessons_released=LearnerDigest.demo().lessons_released,
    )
    assert quiet.has_news
    assert quiet.subject == "ProDev — Cohort 1, week of 10 March: 1 new lesson"
    text, _, facts = render(renderer, quiet)
    for heading in ("Projects due", "Reviews to do", "Feedback on your work", "Coming up", "Next steps"):
        assert heading not in facts.text
        assert heading.upper() not in text
    assert "Building APIs with Litestar" in text
    empty = msgspec.structs.replace(quiet, lessons_released=())
    assert not empty.has_news


def test_mentor_digest_lists_each_mentee_with_reasons(renderer: EmailRenderer) -> None:
    context = MentorDigest.demo()
    text, _, facts = render(renderer, context)

    assert context.subject == "Mentoring, week of 10 March: 2 mentees need your attention"
    said_in_both(
        text,
        facts,
        "2 mentees need your attention",
        "Missed the deadline for Library catalogue CLI",
        "Two reviews overdue.",
        "3 other mentees are on track",
    )
    assert "Kofi Mensah (Foundations — Spring)" in text
    assert "Last check-in: Wednesday 26 February 2025, 00:00 (Asia/Singapore)" in text
    assert "Noor Haddad (ProDev — Cohort 1)\nNo check-in yet" in text
    assert f"{PUBLIC_BASE_URL}/mentoring/mentees/noor-learner" in facts.hrefs

    calm = msgspec.structs.replace(context, mentees_at_risk=())
    assert calm.subject == "Mentoring, week of 10 March: all your mentees are on track"
    text, _, facts = render(renderer, calm)
    assert "All your mentees are on track" in facts.text
    assert "Kofi" not in text


def test_html_escapes_markup_from_data_while_text_keeps_it_verbatim(renderer: EmailRenderer) -> None:
    title = '<script>alert("owned")</script> & <b>Co</b>'
    context = msgspec.structs.replace(SubmissionReminder.demo(), project_title=title)
    rendered = renderer.render(context, unsubscribe_url=UNSUBSCRIBE)

    assert "<script>" not in rendered.html
    assert "<b>Co</b>" not in rendered.html
    assert "&lt;script&gt;alert(" in rendered.html
    assert "&amp; &lt;b&gt;Co&lt;/b&gt;" in rendered.html
    assert title in HtmlFacts(rendered.html).text  # what the reader sees is the title, as typed
    assert f'Your project "{title}"' in rendered.text
    assert rendered.subject == f"Reminder: {title} is due in 24 hours"


def test_subject_is_one_line_whatever_the_data(renderer: EmailRenderer) -> None:
    context = msgspec.structs.replace(SubmissionReminder.demo(), project_title="Bad\r\nBcc: x@evil.example")
    assert renderer.render(context, unsubscribe_url=UNSUBSCRIBE).subject == (
        "Reminder: Bad Bcc: x@evil.example is due in 24 hours"
    )


@pytest.mark.parametrize(
    "link", ["javascript:alert(1)", "//evil.example/x", "relative/path", "data:text/html,x"]
)
def test_links_that_are_not_site_paths_or_http_urls_are_refused(renderer: EmailRenderer, link: str) -> None:
    context = msgspec.structs.replace(SubmissionReminder.demo(), submit_url=link)
    with pytest.raises(ValueError, match="email link"):
        renderer.render(context, unsubscribe_url=UNSUBSCRIBE)


def test_absolute_links_to_other_sites_pass_through(renderer: EmailRenderer) -> None:
    repo = "https://github.com/lena/url-shortener"
    context = msgspec.structs.replace(SubmissionReminder.demo(), project_url=repo)
    assert repo in HtmlFacts(renderer.render(context, unsubscribe_url=UNSUBSCRIBE).html).hrefs


def test_public_base_url_must_be_absolute(emails_dir_copy: Path) -> None:
    with pytest.raises(ValueError, match="public_base_url"):
        EmailRenderer(emails_dir_copy, public_base_url="cohort.example.org")
    trailing = EmailRenderer(emails_dir_copy, public_base_url="https://cohort.example.org/")
    assert trailing.absolute_url("/x") == "https://cohort.example.org/x"


def test_a_missing_variable_fails_instead_of_rendering_blank(emails_dir_copy: Path) -> None:
    template = emails_dir_copy / "submission_reminder.txt.j2"
    template.write_text(
        template.read_text().replace("{{ cohort_name }}", "{{ cohort_title }}"), encoding="utf-8"
    )
    renderer = EmailRenderer(emails_dir_copy, public_base_url=PUBLIC_BASE_URL)
    with pytest.raises(jinja2.UndefinedError, match="cohort_title"):
        renderer.render(SubmissionReminder.demo(), unsubscribe_url=UNSUBSCRIBE)


@pytest.mark.parametrize("kind", KINDS)
def test_contexts_survive_a_json_round_trip_tagged_by_kind(kind: str) -> None:
    context = EMAIL_KINDS[kind].demo()
    payload = msgspec.json.encode(context)
    assert msgspec.json.decode(payload)["kind"] == kind
    assert decode_context(payload) == context


def test_wording_of_time_left() -> None:
    assert [time_left(h) for h in (0, 1, 2, 47, 48, 71, 72)] == [
        "less than an hour",
        "1 hour",
        "2 hours",
        "47 hours",
        "2 days",
        "2 days",
        "3 days",
    ]


def test_local_time_label_uses_the_recipients_zone_and_daylight_saving() -> None:
    before_dst = datetime(2025, 3, 28, 16, 0, tzinfo=UTC)
    after_dst = datetime(2025, 3, 31, 16, 0, tzinfo=UTC)
    assert local_time_label(before_dst, "Europe/Berlin") == "Friday 28 March 2025, 17:00 (Europe/Berlin)"
    assert local_time_label(after_dst, "Europe/Berlin") == "Monday 31 March 2025, 18:00 (Europe/Berlin)"
    assert local_time_label(after_dst, "Asia/Kolkata") == "Monday 31 March 2025, 21:30 (Asia/Kolkata)"
    with pytest.raises(ValueError, match="aware"):
        local_time_label(datetime(2025, 3, 31, 16, 0), "Europe/Berlin")
