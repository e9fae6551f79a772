"""Browser tests: Playwright (sync API) driving Debian's chromium against pytest-django's live server.

Every page a test opens is watched: a Content-Security-Policy violation, a script error or a console error
fails the test, because each of them means something the visitor sees is broken."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from allauth.mfa.utils import decrypt
from django.conf import settings
from django.test import Client

# Playwright's sync API runs an event loop in this thread; Django's ORM refuses that unless told it is fine.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
MISSING = "Chromium is missing: apt-get install chromium"

# Forward CSP violations, which Chromium reports as events, to the console where the test collects them.
CSP_LISTENER = """
document.addEventListener('securitypolicyviolation', (e) => {
  console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber}`);
});
"""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Every test in this folder is a browser test with a live server (data restored after each flush).
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.django_db(transaction=True, serialized_rollback=True))


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("AIPIM_REQUIRE_E2E") == "1":
            pytest.fail(MISSING)
        pytest.skip(MISSING)
    return {"executable_path": CHROMIUM, "args": CHROMIUM_ARGS, "headless": True}


@dataclass
class BrowserProblems:
    """What went wrong in the browser while a test ran."""

    csp: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    scripts: list[str] = field(default_factory=list)
    # Console errors a test expects (e.g. the 429 of the lockout page), as substrings.
    expected: list[str] = field(default_factory=list)

    def unexpected_console(self) -> list[str]:
        return [m for m in self.console if not any(e in m for e in self.expected)]

    def assert_clean(self) -> None:
        assert self.csp == [], f"CSP violations: {self.csp}"
        assert self.scripts == [], f"script errors: {self.scripts}"
        assert self.unexpected_console() == [], f"console errors: {self.unexpected_console()}"


@pytest.fixture
def browser_problems() -> BrowserProblems:
    return BrowserProblems()


@pytest.fixture
def new_page(browser, live_server, browser_problems) -> Iterator[Callable[..., Any]]:
    """new_page(language="it", width=1280, user=None) -> a Playwright page on the live server.

    With `user`, the page starts logged in (session made by Django's test client, past the second factor);
    the login journey itself is tested through the forms in test_journeys.py."""
    contexts = []

    def make(language: str = "it", width: int = 1280, user: Any = None) -> Any:
        context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": 900})
        contexts.append(context)
        cookies = [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
        if user is not None:
            client = Client()
            client.force_login(user)
            session = client.cookies[settings.SESSION_COOKIE_NAME].value
            cookies.append({"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url})
        context.add_cookies(cookies)
        page = context.new_page()
        page.add_init_script(CSP_LISTENER)

        def on_console(message: Any) -> None:
            if message.type == "error":
                target = browser_problems.csp if message.text.startswith("CSP violation") else browser_problems.console
                target.append(message.text)

        page.on("console", on_console)
        page.on("pageerror", lambda error: browser_problems.scripts.append(str(error)))
        return page

    yield make
    for context in contexts:
        context.close()
    browser_problems.assert_clean()


# Seconds a code must still be valid for when a test types it (a page submit takes a few on a busy machine).
TOTP_MARGIN_SECONDS = 8


def current_totp_code(user: Any) -> str:
    """The code the user's authenticator app shows now (the secret is stored encrypted by allauth).
    The server takes only the current period's code (TOTP_TOLERANCE 0): near a period's end this
    waits for the next one, or the code could expire between typing and checking (it did, in CI)."""
    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    secret = decrypt(authenticator.wrap().instance.data["secret"])
    left = mfa_settings.TOTP_PERIOD - time.time() % mfa_settings.TOTP_PERIOD
    if left < TOTP_MARGIN_SECONDS:
        time.sleep(left + 0.2)
    counter = int(time.time()) // mfa_settings.TOTP_PERIOD
    return format_hotp_value(hotp_value(secret, counter))


AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
# Rules that fail at any impact: structure that screen-reader users navigate by.
AXE_ALWAYS = {"heading-order", "landmark-one-main", "page-has-heading-one", "region", "html-has-lang", "label"}


def axe_violations(page: Any) -> list[str]:
    """Serious or critical axe-core violations on the page (plus the structural rules above), as lines."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]})
    problems = []
    for violation in results.response["violations"]:
        if violation["impact"] in ("serious", "critical") or violation["id"] in AXE_ALWAYS:
            targets = ", ".join(str(node["target"]) for node in violation["nodes"][:5])
            problems.append(f"{violation['id']} ({violation['impact']}): {violation['help']} at {targets}")
    return problems
