"""Every managers' page opens on the demo data (seed_demo's associations, network, workshops, a
series, a partner event, a free-entry party, a full session with its waiting list, a past workshop
with check-ins): what a reviewer clicks through first."""

from __future__ import annotations

import pytest
from django.urls import reverse

from aipim.core.management.commands.seed_demo import ASSOCIATIONS
from aipim.core.models import Organisation
from associations import demo
from associations.models import Association, BookingMode, Event, Network, Session
from tests.factories import OrganisationFactory, UserFactory, municipality


@pytest.fixture(autouse=True)
def _english(settings) -> None:
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def seeded(db) -> None:
    UserFactory(email=demo.LOADED_BY)
    UserFactory(email=demo.MANAGER)
    organisations = {
        code: OrganisationFactory(
            code=code, name=name, kind=Organisation.Kind.ASSOCIATION, municipality=municipality(town)
        )
        for code, name, town in ASSOCIATIONS
    }
    demo.seed(organisations)


def test_every_page_opens_on_the_demo_data(seeded, client_for, administrator):
    client = client_for(administrator)
    urls = [reverse(f"associations:{name}") for name in ("home", "event_list", "network_list", "association_list")]
    urls += [reverse("associations:event_list") + "?when=past", reverse("associations:failed_messages")]
    for event in Event.objects.all():
        urls += [
            reverse("associations:event_detail", args=[event.pk]),
            reverse("associations:event_edit", args=[event.pk]),
        ]
        if event.booking_mode == BookingMode.SERIES:
            urls.append(reverse("associations:series_bookings", args=[event.pk]))
    for session in Session.objects.all():
        urls += [
            reverse("associations:session_edit", args=[session.pk]),
            reverse("associations:session_bookings", args=[session.pk]),
            reverse("associations:session_bookings_csv", args=[session.pk]),
            reverse("associations:checkin", args=[session.pk]),
        ]
    urls += [reverse("associations:network_edit", args=[network.pk]) for network in Network.objects.all()]
    urls += [reverse("associations:association_edit", args=[a.slug]) for a in Association.objects.all()]
    for url in urls:
        assert client.get(url).status_code == 200, url
    busiest = max(Session.objects.all(), key=lambda session: session.bookings.count())
    response = client.get(reverse("associations:session_bookings_pdf", args=[busiest.pk]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
