"""The menu shows a part exactly when its page lets the user in."""

from __future__ import annotations

import pytest
from django.urls import reverse

from aipim.core.navigation import links_for
from tests.personas import PERSONAS


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_link_opens_and_every_hidden_part_is_closed(request, client_for, persona):
    user = request.getfixturevalue(persona)
    client = client_for(user)
    shown = {link.url for link in links_for(user)}
    assert shown, "every role opens at least one part"
    for name in [
        "schools:home",
        "pua:home",
        "portal_sync:home",
        "associations:home",
        "core:person_list",
        "manage:audit_log",
        "manage:retention",
    ]:
        url = reverse(name)
        status = client.get(url).status_code
        assert (status == 200) is (url in shown), (name, status)


def test_dashboard_and_header_list_the_same_links(client_for, caseworker_irsina):
    page = client_for(caseworker_irsina).get(reverse("core:dashboard")).content.decode()
    assert page.count(f'href="{reverse("pua:home")}"') == 2
    assert f'href="{reverse("schools:home")}"' not in page
