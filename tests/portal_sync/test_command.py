"""`manage.py portal_sync`: endpoints configured from the command line, credentials never shown."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator

import pytest
from django.core.management import CommandError, call_command

from portal_sync.adapters import register
from portal_sync.adapters.base import Incoming, PullBatch, RemoteError
from portal_sync.models import ContentItem, Endpoint, ItemKind, SyncRun

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings) -> None:  # type: ignore[no-untyped-def]
    settings.LANGUAGE_CODE = "en"


def portal_sync(*args: str, stdin: io.StringIO | None = None) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    extra = {"stdin": stdin} if stdin is not None else {}
    call_command("portal_sync", *args, stdout=out, stderr=err, **extra)
    return out.getvalue(), err.getvalue()


def test_add_a_feed_with_credentials_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_TOKEN", "tok-123")
    out, _ = portal_sync(
        "endpoint", "add", "pim-news", "--adapter", "feed", "--direction", "pull",
        "--url", "https://portal.example/feed.xml", "--title", "PIM news", "--item-kind", "opportunity",
        "--interval", "30", "--credentials-from-env", "PORTAL_TOKEN",
        "--option", "complete_feed=false", "--option", "language=it",
    )  # fmt: skip
    assert "pim-news" in out
    endpoint = Endpoint.objects.get(name="pim-news")
    assert (endpoint.adapter, endpoint.direction, endpoint.url, endpoint.title) == (
        "feed",
        "pull",
        "https://portal.example/feed.xml",
        "PIM news",
    )
    assert (endpoint.item_kind, endpoint.interval_minutes, endpoint.enabled) == (ItemKind.OPPORTUNITY, 30, True)
    assert endpoint.credentials == "tok-123"
    assert endpoint.options == {"complete_feed": False, "language": "it"}


def test_add_with_credentials_on_stdin_and_disabled() -> None:
    portal_sync(
        "endpoint", "add", "region-hsds", "--adapter", "hsds", "--direction", "pull",
        "--url", "https://hsds.example/api", "--credentials-stdin", "--disabled",
        stdin=io.StringIO("user:pa:ss\n"),
    )  # fmt: skip
    endpoint = Endpoint.objects.get(name="region-hsds")
    assert (endpoint.credentials, endpoint.enabled, endpoint.item_kind) == ("user:pa:ss", False, ItemKind.SERVICE)


def test_add_refuses_bad_input() -> None:
    with pytest.raises(CommandError, match="url"):
        portal_sync("endpoint", "add", "x", "--adapter", "feed", "--direction", "pull", "--url", "not a url")
    with pytest.raises(CommandError, match="PORTAL_MISSING"):
        portal_sync(
            "endpoint", "add", "x", "--adapter", "feed", "--direction", "pull",
            "--url", "https://a.example/", "--credentials-from-env", "PORTAL_MISSING",
        )  # fmt: skip
    portal_sync("endpoint", "add", "x", "--adapter", "feed", "--direction", "pull", "--url", "https://a.example/")
    with pytest.raises(CommandError, match="already exists"):
        portal_sync("endpoint", "add", "x", "--adapter", "feed", "--direction", "pull", "--url", "https://a.example/")
    assert Endpoint.objects.count() == 1


def test_list_never_prints_credentials(make_endpoint: Callable[..., Endpoint]) -> None:
    make_endpoint(name="with-secret", credentials="very-secret-token")
    make_endpoint(name="without", consecutive_failures=2, last_error="http://x answered 503")
    out, _ = portal_sync("endpoint", "list")
    assert "very-secret-token" not in out
    lines = {line.split("\t")[0]: line for line in out.splitlines()}
    assert "credentials: set" in lines["with-secret"]
    assert "credentials: not set" in lines["without"]
    assert "failing (2 in a row): http://x answered 503" in lines["without"]
    assert "healthy" in lines["with-secret"]


def test_enable_and_disable(make_endpoint: Callable[..., Endpoint]) -> None:
    endpoint = make_endpoint(name="feed-a")
    portal_sync("endpoint", "disable", "feed-a")
    endpoint.refresh_from_db()
    assert not endpoint.enabled
    portal_sync("endpoint", "enable", "feed-a")
    endpoint.refresh_from_db()
    assert endpoint.enabled
    with pytest.raises(CommandError, match="no endpoint named nope"):
        portal_sync("endpoint", "enable", "nope")


class OneNews:
    def __init__(self) -> None:
        self.fail = False

    def pull(self, endpoint: Endpoint, client: object, *, cursor: str) -> PullBatch:
        if self.fail:
            raise RemoteError("http://portal.example answered 500", status=500)
        record = Incoming(external_id=f"{endpoint.name}-1", kind=ItemKind.NEWS, title="One")
        return PullBatch([record], present_ids={record.external_id})


@pytest.fixture
def one_news() -> Iterator[OneNews]:
    adapter = OneNews()
    register("cmdfake", "pull", adapter)
    yield adapter


def test_run_one_endpoint_prints_the_counts(make_endpoint: Callable[..., Endpoint], one_news: OneNews) -> None:
    make_endpoint(name="feed-a", adapter="cmdfake")
    out, _ = portal_sync("run", "--endpoint", "feed-a")
    assert "feed-a: Succeeded — seen 1, created 1, updated 0, unchanged 0, withdrawn 0, rejected 0" in out
    assert SyncRun.objects.get().trigger == SyncRun.Trigger.COMMAND
    out, _ = portal_sync("run", "--endpoint", "feed-a")
    assert "unchanged 1" in out
    assert ContentItem.objects.count() == 1


def test_run_without_endpoint_runs_the_due_ones(make_endpoint: Callable[..., Endpoint], one_news: OneNews) -> None:
    make_endpoint(name="due", adapter="cmdfake")
    make_endpoint(name="off", adapter="cmdfake", enabled=False)
    portal_sync("run")
    assert set(SyncRun.objects.values_list("endpoint__name", flat=True)) == {"due"}
    out, _ = portal_sync("run")  # "due" is now planned for later
    assert "No endpoint to run." in out
    portal_sync("run", "--all")
    assert SyncRun.objects.filter(endpoint__name="due").count() == 2


def test_a_failed_run_exits_non_zero(make_endpoint: Callable[..., Endpoint], one_news: OneNews) -> None:
    make_endpoint(name="feed-a", adapter="cmdfake")
    one_news.fail = True
    with pytest.raises(CommandError, match="1 run"):
        portal_sync("run", "--endpoint", "feed-a")
    assert SyncRun.objects.get().status == SyncRun.Status.FAILED
