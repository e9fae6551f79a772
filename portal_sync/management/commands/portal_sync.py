"""`manage.py portal_sync`: configure endpoints, run pulls and drain push endpoints' outboxes from
the command line.

    portal_sync endpoint add NAME --adapter feed --direction pull --url URL [--title T]
        [--item-kind news] [--interval 60] [--credentials-from-env VAR | --credentials-stdin]
        [--option key=value ...] [--disabled]
    portal_sync endpoint list | enable NAME | disable NAME
    portal_sync run [--endpoint NAME | --all]    (a push endpoint: send its due outbox messages)

Credentials never appear on the command line (where `ps` and shell history would keep them) and are
never printed back: `list` says only whether they are set."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from aipim.core import audit
from portal_sync.models import Adapter, Direction, Endpoint, ItemKind, OutboxMessage, SyncRun
from portal_sync.services import engine, outbox

# What a pull endpoint's records are when --item-kind is not given.
DEFAULT_KIND = {Adapter.FEED: ItemKind.NEWS, Adapter.HSDS: ItemKind.SERVICE, Adapter.ICAL: ItemKind.EVENT}


def _option(text: str) -> tuple[str, Any]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise CommandError(_("An option is written key=value, not %(text)r.") % {"text": text})
    try:
        return key, json.loads(value)  # numbers, true/false, lists
    except ValueError:
        return key, value


class Command(BaseCommand):
    help = "Configure portal sync endpoints, run pulls and send the outboxes of push endpoints."
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="command", required=True)
        endpoint = commands.add_parser("endpoint", help="Configure endpoints.")
        actions = endpoint.add_subparsers(dest="action", required=True)

        add = actions.add_parser("add", help="Add an endpoint.")
        add.add_argument("name")
        add.add_argument("--adapter", required=True, choices=Adapter.values)
        add.add_argument("--direction", required=True, choices=Direction.values)
        add.add_argument("--url", required=True)
        add.add_argument("--title", default="")
        add.add_argument("--item-kind", choices=ItemKind.values)
        add.add_argument("--interval", type=int, default=60, help="Minutes between runs.")
        add.add_argument("--timeout", type=int, default=20, help="Seconds to wait for the remote.")
        secret = add.add_mutually_exclusive_group()
        secret.add_argument("--credentials-from-env", metavar="VAR", help="Read the token or user:password from VAR.")
        secret.add_argument("--credentials-stdin", action="store_true", help="Read them from the first input line.")
        add.add_argument("--option", action="append", default=[], type=_option, metavar="KEY=VALUE")
        add.add_argument("--disabled", action="store_true")

        actions.add_parser("list", help="List endpoints and their health.")
        for verb in ("enable", "disable"):
            switch = actions.add_parser(verb, help=f"{verb.capitalize()} an endpoint.")
            switch.add_argument("name")

        run = commands.add_parser(
            "run",
            help="Pull now and send what push endpoints have due (due pulls and outboxes unless --endpoint or --all).",
        )
        which = run.add_mutually_exclusive_group()
        which.add_argument("--endpoint", metavar="NAME")
        which.add_argument(
            "--all",
            action="store_true",
            help="Every enabled pull endpoint, due or not, and every enabled push endpoint.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["command"] == "run":
            self.run(options)
        elif options["action"] == "add":
            self.add(options)
        elif options["action"] == "list":
            self.list_endpoints()
        else:
            self.switch(options["name"], enabled=options["action"] == "enable")

    def add(self, options: dict[str, Any]) -> None:
        name = options["name"]
        if Endpoint.objects.filter(name=name).exists():
            raise CommandError(_("An endpoint named %(name)s already exists.") % {"name": name})
        credentials = None
        if options["credentials_from_env"]:
            credentials = os.environ.get(options["credentials_from_env"])
            if not credentials:
                raise CommandError(
                    _("The variable %(var)s is not set or empty.") % {"var": options["credentials_from_env"]}
                )
        elif options["credentials_stdin"]:
            credentials = (options.get("stdin") or sys.stdin).readline().strip() or None
        endpoint = Endpoint(
            name=name,
            title=options["title"] or name,
            adapter=options["adapter"],
            direction=options["direction"],
            url=options["url"],
            credentials=credentials,
            item_kind=options["item_kind"] or DEFAULT_KIND.get(options["adapter"], ""),
            interval_minutes=options["interval"],
            timeout_seconds=options["timeout"],
            options=dict(options["option"]),
            enabled=not options["disabled"],
        )
        try:
            endpoint.full_clean()
        except ValidationError as error:
            lines = [f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items()]
            raise CommandError("\n".join(lines)) from error
        endpoint.save()
        audit.record(None, "portal_sync.endpoint.add", endpoint)
        self.stdout.write(_("Endpoint %(name)s added.") % {"name": name})

    def list_endpoints(self) -> None:
        for endpoint in Endpoint.objects.order_by("name"):
            health = (
                _("healthy")
                if endpoint.is_healthy
                else _("failing (%(count)d in a row): %(error)s")
                % {"count": endpoint.consecutive_failures, "error": endpoint.last_error.splitlines()[0][:120]}
            )
            last = (
                timezone.localtime(endpoint.last_success_at).strftime("%Y-%m-%d %H:%M")
                if endpoint.last_success_at
                else "-"
            )
            self.stdout.write(
                "\t".join(
                    [
                        endpoint.name,
                        endpoint.adapter,
                        endpoint.direction,
                        _("enabled") if endpoint.enabled else _("disabled"),
                        endpoint.url,
                        _("credentials: %(state)s") % {"state": _("set") if endpoint.credentials else _("not set")},
                        _("last success: %(when)s") % {"when": last},
                        health,
                    ]
                )
            )

    def switch(self, name: str, *, enabled: bool) -> None:
        endpoint = self._endpoint(name)
        endpoint.enabled = enabled
        endpoint.save(update_fields=["enabled", "updated_at"])
        audit.record(None, "portal_sync.endpoint.enable" if enabled else "portal_sync.endpoint.disable", endpoint)
        self.stdout.write(
            (_("Endpoint %(name)s enabled.") if enabled else _("Endpoint %(name)s disabled.")) % {"name": name}
        )

    def run(self, options: dict[str, Any]) -> None:
        if options["endpoint"]:
            endpoints = [self._endpoint(options["endpoint"])]
        elif options["all"]:
            endpoints = list(Endpoint.objects.enabled().order_by("direction", "name"))
        else:
            pushing = OutboxMessage.objects.due().values("endpoint_id")
            endpoints = [
                *engine.due_endpoints().order_by("name"),
                *Endpoint.objects.enabled().filter(direction=Direction.PUSH, pk__in=pushing).order_by("name"),
            ]
        if not endpoints:
            self.stdout.write(_("No endpoint to run."))
        troubles = 0
        for endpoint in endpoints:
            try:
                if endpoint.direction == Direction.PUSH:
                    run = outbox.drain(endpoint, trigger=SyncRun.Trigger.COMMAND)
                else:
                    run = engine.run_endpoint(endpoint, trigger=SyncRun.Trigger.COMMAND)
            except engine.AlreadyRunning as error:
                self.stderr.write(str(error))
                troubles += 1
                continue
            if endpoint.direction == Direction.PUSH:
                self.stdout.write(
                    _("%(name)s: %(status)s — sent %(pushed)d, unchanged %(unchanged)d, failed %(failed)d")
                    % {
                        "name": endpoint.name,
                        "status": run.get_status_display(),
                        "pushed": run.pushed,
                        "unchanged": run.unchanged,
                        "failed": run.failed,
                    }
                )
            else:
                self.stdout.write(
                    _(
                        "%(name)s: %(status)s — seen %(seen)d, created %(created)d, updated %(updated)d, "
                        "unchanged %(unchanged)d, withdrawn %(withdrawn)d, rejected %(failed)d"
                    )
                    % {
                        "name": endpoint.name,
                        "status": run.get_status_display(),
                        "seen": run.seen,
                        "created": run.created,
                        "updated": run.updated,
                        "unchanged": run.unchanged,
                        "withdrawn": run.withdrawn,
                        "failed": run.failed,
                    }
                )
            if run.status == SyncRun.Status.FAILED:
                self.stderr.write(run.error)
                troubles += 1
        if troubles:
            # A non-zero exit tells cron or a script that something needs a look.
            message = ngettext(
                "%(count)d run failed or could not start.", "%(count)d runs failed or could not start.", troubles
            )
            raise CommandError(message % {"count": troubles})

    def _endpoint(self, name: str) -> Endpoint:
        endpoint = Endpoint.objects.filter(name=name).first()
        if endpoint is None:
            raise CommandError(_("There is no endpoint named %(name)s.") % {"name": name})
        return endpoint
