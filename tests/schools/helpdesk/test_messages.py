"""Family messages delivered in the family's language: email (only with the consent to messages;
an HTML part right-to-left for Arabic), print (a PDF that shapes Arabic right-to-left), and the
acknowledgement through a signed link that works once and expires, or recorded by staff."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import pytest
from django.core import mail, signing
from django.core.exceptions import ValidationError
from django.urls import reverse

from aipim.core.models import AuditEvent, Consent
from aipim.core.services import ConsentMissing, withdraw_consent
from schools.models import FamilyMessage
from schools.services import messages as service

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(regional_templates, student_potenza, operator_school_potenza, desk_potenza) -> FamilyMessage:
    return service.draft_message(student=student_potenza, template_code="risk", by=operator_school_potenza)


def withdraw_communications(student) -> None:
    consent = student.person.consents.get(purpose=Consent.Purpose.COMMUNICATIONS)
    withdraw_consent(consent=consent, by=student.referent)


def ack_url(message: FamilyMessage) -> str:
    return reverse("schools:message_acknowledge", args=[service.ack_token(message)])


# --- Email -------------------------------------------------------------------------------------


def test_the_email_is_in_arabic_with_a_right_to_left_html_part(draft, operator_school_potenza):
    sent = service.send_message(message=draft, by=operator_school_potenza)
    assert sent.status == FamilyMessage.Status.SENT and sent.sent_at is not None
    email = mail.outbox[0]
    assert email.to == ["fatima.haddad@example.org"]
    assert email.subject == "المدرسة ترغب في التحدث معكم بشأن Amina Haddad"
    assert email.extra_headers["Content-Language"] == "ar"
    assert "عائلتنا الكريمة" in email.body and "/schools/messages/read/" in email.body
    html, mimetype = email.alternatives[0]
    assert mimetype == "text/html"
    assert '<html lang="ar" dir="rtl">' in html and 'dir="rtl"' in html.split("<body", 1)[1]
    assert "عائلتنا الكريمة" in html
    event = AuditEvent.objects.get(action="familymessage.send")
    assert event.details == {"language": "ar"}


def test_a_message_is_sent_once(draft, operator_school_potenza):
    service.send_message(message=draft, by=operator_school_potenza)
    with pytest.raises(ValidationError, match="already been sent"):
        service.send_message(message=draft, by=operator_school_potenza)
    assert len(mail.outbox) == 1


def test_no_email_without_the_consent_to_messages(draft, student_potenza, operator_school_potenza, client_for):
    withdraw_communications(student_potenza)
    with pytest.raises(ConsentMissing):
        service.send_message(message=draft, by=operator_school_potenza)
    assert mail.outbox == []
    draft.refresh_from_db()
    assert draft.status == FamilyMessage.Status.DRAFT
    page = client_for(operator_school_potenza).get(reverse("schools:message_detail", args=[draft.pk])).content.decode()
    assert "It cannot be emailed" in page and "Messages and reminders" in page and "Send by email" not in page
    response = client_for(operator_school_potenza).post(
        reverse("schools:message_do", args=[draft.pk, "send"]), follow=True
    )
    assert "Messages and reminders" in response.content.decode() and mail.outbox == []


def test_the_guardians_own_consent_also_counts(draft, student_potenza, school_potenza, operator_school_potenza):
    withdraw_communications(student_potenza)
    Consent.objects.create(
        person=draft.guardian.person,
        purpose=Consent.Purpose.COMMUNICATIONS,
        organisation=school_potenza,
        evidence="form",
        recorded_by=operator_school_potenza,
    )
    service.send_message(message=draft, by=operator_school_potenza)
    assert len(mail.outbox) == 1


def test_a_refused_email_is_kept_as_failed_and_can_be_sent_again(draft, operator_school_potenza, monkeypatch):
    def refuse(self, fail_silently=False):
        raise OSError("Connection refused")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", refuse)
    with pytest.raises(service.SendFailed):
        service.send_message(message=draft, by=operator_school_potenza)
    draft.refresh_from_db()
    assert draft.status == FamilyMessage.Status.FAILED and "Connection refused" in draft.failure
    monkeypatch.undo()
    service.send_message(message=draft, by=operator_school_potenza)
    draft.refresh_from_db()
    assert draft.status == FamilyMessage.Status.SENT and draft.failure == ""


def test_the_send_button_sends(client_for, operator_school_potenza, draft):
    response = client_for(operator_school_potenza).post(reverse("schools:message_do", args=[draft.pk, "send"]))
    assert response.status_code == 302 and len(mail.outbox) == 1


# --- Print -------------------------------------------------------------------------------------


def pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "message.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout


def pdf_fonts(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "fonts.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout


def test_the_printed_letter_is_arabic_right_to_left(draft, operator_school_potenza, tmp_path):
    document = service.render_print_document(draft)
    assert '<html lang="ar" dir="rtl">' in document
    pdf = service.print_message(message=draft, by=operator_school_potenza)
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf, tmp_path)
    # pdftotext gives the words in reading order when the glyphs were shaped right-to-left.
    assert "عائلتنا" in text and "الكريمة" in text and "IC Potenza" in text
    assert re.search(r"Arabic", pdf_fonts(pdf, tmp_path))
    draft.refresh_from_db()
    assert draft.status == FamilyMessage.Status.PRINTED and draft.channel == FamilyMessage.Channel.PRINT
    assert AuditEvent.objects.filter(action="familymessage.print").count() == 1


def test_the_print_button_downloads_the_pdf(client_for, operator_school_potenza, draft):
    response = client_for(operator_school_potenza).post(reverse("schools:message_do", args=[draft.pk, "print"]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "Haddad" not in response["Content-Disposition"]


def test_an_italian_letter_is_left_to_right(regional_templates, student_matera, staff_school_matera, tmp_path):
    message = service.draft_message(student=student_matera, template_code="absence", by=staff_school_matera)
    assert '<html lang="it" dir="ltr">' in service.render_print_document(message)
    assert "Gentile famiglia" in pdf_text(service.print_message(message=message, by=staff_school_matera), tmp_path)


# --- Acknowledgement ---------------------------------------------------------------------------


def test_the_family_acknowledges_once_through_the_link(client, draft, operator_school_potenza):
    service.send_message(message=draft, by=operator_school_potenza)
    url = ack_url(draft)
    page = client.get(url)
    text = page.content.decode()
    assert page.status_code == 200 and page["Content-Language"] == "ar" and page["Referrer-Policy"] == "same-origin"
    assert 'lang="ar" dir="rtl"' in text and "عائلتنا الكريمة" in text
    main = text.split("<main", 1)[1].split("</main>", 1)[0]
    assert main.count('type="submit"') == 1
    assert client.post(url).status_code == 200
    draft.refresh_from_db()
    first = draft.acknowledged_at
    assert draft.status == FamilyMessage.Status.ACKNOWLEDGED and draft.acknowledged_how == "link" and first
    again = client.post(url)
    draft.refresh_from_db()
    assert again.status_code == 200 and draft.acknowledged_at == first
    assert 'type="submit"' not in client.get(url).content.decode().split("<main", 1)[1].split("</main>", 1)[0]
    assert AuditEvent.objects.filter(action="familymessage.acknowledge").count() == 1


def test_a_draft_cannot_be_acknowledged(client, draft):
    assert client.post(ack_url(draft)).status_code == 400
    draft.refresh_from_db()
    assert draft.acknowledged_at is None


@pytest.mark.parametrize("token", ["garbage", "eyJtZXNzYWdlIjoxfQ:1u0000:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"])
def test_a_tampered_link_is_refused(client, draft, token):
    response = client.post(reverse("schools:message_acknowledge", args=[token]))
    assert response.status_code == 400 and "not valid" in response.content.decode()
    draft.refresh_from_db()
    assert draft.acknowledged_at is None


def test_a_link_signed_for_another_purpose_is_refused(client, draft):
    token = signing.dumps({"message": draft.pk}, salt="pua.referral.service")
    assert client.get(reverse("schools:message_acknowledge", args=[token])).status_code == 400


def test_the_link_expires(client, draft, operator_school_potenza, settings, monkeypatch):
    service.send_message(message=draft, by=operator_school_potenza)
    token = service.ack_token(draft)
    now = time.time()
    monkeypatch.setattr(signing.time, "time", lambda: now + 59 * 86400)
    assert service.message_from_token(token) == draft
    monkeypatch.setattr(signing.time, "time", lambda: now + 61 * 86400)
    with pytest.raises(signing.SignatureExpired):
        service.message_from_token(token)
    monkeypatch.undo()
    settings.SCHOOLS_MESSAGE_LINK_DAYS = -1
    response = client.post(reverse("schools:message_acknowledge", args=[token]))
    assert response.status_code == 400 and "expired" in response.content.decode()
    draft.refresh_from_db()
    assert draft.acknowledged_at is None


def test_staff_record_an_acknowledgement_told_by_phone(client_for, operator_school_potenza, draft):
    service.print_message(message=draft, by=operator_school_potenza)
    client = client_for(operator_school_potenza)
    url = reverse("schools:message_do", args=[draft.pk, "acknowledge"])
    assert client.post(url, {"how": "link"}).status_code == 400  # only in person or by phone
    assert client.post(url, {"how": "phone"}).status_code == 302
    draft.refresh_from_db()
    assert draft.acknowledged_how == "phone" and draft.status == FamilyMessage.Status.ACKNOWLEDGED
    assert not service.acknowledge(message=draft, how="in_person", by=operator_school_potenza)


# --- Writing and changing the draft ------------------------------------------------------------


def test_the_page_prepares_a_draft_and_the_operator_changes_it(
    client_for, operator_school_potenza, regional_templates, student_potenza
):
    from schools.models import MessageTemplate

    client = client_for(operator_school_potenza)
    template = MessageTemplate.objects.get(code="meeting", school__isnull=True)
    response = client.post(
        reverse("schools:message_add", args=[student_potenza.pk]),
        {"template": template.pk, "guardian": student_potenza.guardians.get().pk, "date": "2026-04-20"},
    )
    assert response.status_code == 302
    message = FamilyMessage.objects.get()
    assert message.language == "ar" and "2026" in message.body
    edit = reverse("schools:message_do", args=[message.pk, "edit"])
    bad = client.post(edit, {"subject": "x", "body": "{student_name.__class__}", "channel": "print"})
    assert bad.status_code == 400 and "Unknown placeholders" in bad.content.decode()
    assert client.post(edit, {"subject": "دعوة", "body": "نص جديد", "channel": "print"}).status_code == 302
    message.refresh_from_db()
    assert message.body == "نص جديد" and message.channel == "print"
    page = client.get(reverse("schools:message_detail", args=[message.pk])).content.decode()
    assert 'lang="ar" dir="rtl"' in page


def test_the_fallback_to_italian_is_said_on_the_page(
    client_for, staff_school_matera, regional_templates, student_matera
):
    message = service.draft_message(student=student_matera, template_code="absence", by=staff_school_matera)
    page = client_for(staff_school_matera).get(reverse("schools:message_detail", args=[message.pk])).content.decode()
    assert "no text in the family&#x27;s language" in page or "no text in the family's language" in page


def test_a_sent_message_cannot_be_changed(draft, operator_school_potenza):
    service.send_message(message=draft, by=operator_school_potenza)
    with pytest.raises(ValidationError):
        service.update_draft(message=draft, subject="x", body="y", channel="email", by=operator_school_potenza)


def test_the_list_shows_no_subject_or_text(client_for, operator_school_potenza, draft):
    page = client_for(operator_school_potenza).get(reverse("schools:message_list")).content.decode()
    assert "Amina Haddad" in page and "عائلتنا" not in page and draft.subject not in page
