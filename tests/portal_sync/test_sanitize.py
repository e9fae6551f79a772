"""Remote HTML is reduced to a small allow-list before it can reach a page."""

from __future__ import annotations

import pytest

from portal_sync.sanitize import clean_html, plain_text


@pytest.mark.parametrize(
    "dirty",
    [
        '<p>Hi<script>alert("x")</script></p>',
        "<p>Hi<style>body{display:none}</style></p>",
        '<p>Hi<iframe src="https://evil.example"></iframe></p>',
        '<p onclick="steal()">Hi</p>',
        '<p>Hi<img src="x" onerror="steal()"></p>',
        "<p>Hi<svg><script>alert(1)</script></svg></p>",
        "<p>Hi<!-- <script>alert(1)</script> --></p>",
    ],
)
def test_scripts_styles_frames_and_handlers_are_removed(dirty: str) -> None:
    cleaned = clean_html(dirty)
    assert cleaned == "<p>Hi</p>"


def test_allowed_tags_are_kept() -> None:
    html = (
        "<h2>T</h2><h3>U</h3><h4>V</h4><p>a<br>b <strong>c</strong> <em>d</em></p>"
        "<ul><li>x</li></ul><ol><li>y</li></ol><blockquote>q</blockquote>"
    )
    assert clean_html(html) == html


def test_other_tags_keep_their_text_only() -> None:
    assert clean_html('<div class="x"><h1>Title</h1><span style="color:red">red</span></div>') == "Titlered"


def test_links_keep_safe_addresses_and_get_noopener() -> None:
    cleaned = clean_html('<a href="https://example.org/a" target="_blank" title="t">A</a>')
    assert cleaned == '<a href="https://example.org/a" rel="noopener noreferrer">A</a>'
    assert 'href="mailto:info@example.org"' in clean_html('<a href="mailto:info@example.org">m</a>')


@pytest.mark.parametrize("href", ["javascript:alert(1)", "data:text/html,<script>x</script>", "vbscript:x", "ftp://x"])
def test_links_to_other_schemes_lose_their_address(href: str) -> None:
    cleaned = clean_html(f'<a href="{href}">A</a>')
    assert "href" not in cleaned
    assert "script" not in cleaned.lower() or "<script" not in cleaned.lower()


def test_empty_input() -> None:
    assert clean_html("") == ""
    assert plain_text("") == ""


def test_plain_text_drops_markup_and_script_text_and_unescapes() -> None:
    assert plain_text("<p>Caf&eacute; &amp; <b>bar</b></p><script>alert(1)</script>\n\n  open") == "Café & bar open"


def test_plain_text_is_cut_with_an_ellipsis() -> None:
    assert plain_text("<p>one two three four</p>", max_len=9) == "one two…"
    assert plain_text("<p>short</p>", max_len=9) == "short"
