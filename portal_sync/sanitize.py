"""Remote HTML made safe before it is stored: a small allow-list of tags (nh3, the Rust ammonia
sanitiser), links only to http, https and mailto, never a script, a style or an event handler.
Pages may render `ContentItem.body` with |safe only because it went through `clean_html`."""

from __future__ import annotations

import html as html_lib
import re

import nh3

ALLOWED_TAGS = {"p", "br", "ul", "ol", "li", "strong", "em", "a", "h2", "h3", "h4", "blockquote"}
# "*": no attribute on every tag (ammonia would keep lang and title by default).
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {"a": {"href"}, "*": set()}
ALLOWED_SCHEMES = {"http", "https", "mailto"}
# Tags whose content is dropped with them (the text of a script is not text for a reader).
DROPPED_WITH_CONTENT = {"script", "style", "iframe", "object", "embed", "template", "noscript", "svg", "math"}

_SPACES = re.compile(r"\s+")

# Built once: configuring the sanitiser again for every call was most of its cost (a pull cleans
# three or four texts per record).
_HTML = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    clean_content_tags=DROPPED_WITH_CONTENT,
    attributes=ALLOWED_ATTRIBUTES,
    url_schemes=ALLOWED_SCHEMES,
    link_rel="noopener noreferrer",
    strip_comments=True,
)
_TEXT = nh3.Cleaner(tags=set(), clean_content_tags=DROPPED_WITH_CONTENT, strip_comments=True)


def clean_html(html: str) -> str:
    """`html` reduced to the allow-list; links get rel="noopener noreferrer"."""
    if not html:
        return ""
    return _HTML.clean(html).strip()


def plain_text(html: str, max_len: int | None = None) -> str:
    """The readable text of `html`, spaces collapsed, cut at `max_len` characters with an ellipsis."""
    if not html:
        return ""
    text = _TEXT.clean(html)
    text = _SPACES.sub(" ", html_lib.unescape(text)).strip()
    if max_len is not None and len(text) > max_len:
        text = text[: max(max_len - 1, 0)].rstrip() + "…"
    return text
