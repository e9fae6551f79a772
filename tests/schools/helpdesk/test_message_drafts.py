"""Drafting a family message: the family's language or Italian (and saying so), placeholders
filled safely, the school's own template before the regional one."""

from __future__ import annotations

import datetime

import pytest

from aipim.core.models import AuditEvent
from schools.models import FamilyMessage, MessageTemplate, MessageTemplateTranslation
from schools.services.messages import (
    REGIONAL_TEMPLATES,
    draft_message,
    ensure_regional_templates,
    fill,
    render_template,
    template_for,
    unknown_placeholders,
)
from tests.schools.conftest import add_guardian

pytestmark = pytest.mark.django_db


def test_regional_templates_have_the_four_languages_and_are_created_once():
    assert ensure_regional_templates() == 4 * 5
    assert ensure_regional_templates() == 0
    for code in ("absence", "meeting", "risk", "course"):
        template = MessageTemplate.objects.get(school__isnull=True, code=code)
        assert set(template.translations.values_list("language", flat=True)) == {"it", "en", "fr", "ar"}
    for spec in REGIONAL_TEMPLATES.values():
        for subject, body in spec["translations"].values():
            assert unknown_placeholders(subject + body) == []


def test_the_admins_changes_are_kept(regional_templates):
    MessageTemplateTranslation.objects.filter(template__code="absence", language="en").update(subject="Changed")
    MessageTemplateTranslation.objects.filter(template__code="absence", language="fr").delete()
    assert ensure_regional_templates() == 1
    assert MessageTemplateTranslation.objects.get(template__code="absence", language="en").subject == "Changed"


def test_the_draft_is_in_arabic_with_the_students_data(
    regional_templates, student_potenza, operator_school_potenza, desk_potenza
):
    message = draft_message(
        student=student_potenza, template_code="meeting", by=operator_school_potenza, on=datetime.date(2026, 3, 12)
    )
    assert message.language == "ar"
    assert message.guardian.person.given_names == "Fatima"
    assert message.subject == "دعوة إلى لقاء في المدرسة"
    assert "Amina Haddad" in message.body and "2B" in message.body and "IC Potenza" in message.body
    assert "2026" in message.body  # the date, written the Arabic way
    assert "الاثنين 09:00–12:00، الأربعاء 14:00–16:00" in message.body  # the desk's hours, Arabic comma
    assert "{" not in message.body
    event = AuditEvent.objects.get(action="familymessage.create", object_id=str(message.pk))
    assert event.details["language"] == "ar" and event.details["fell_back"] is False
    assert "Amina" not in str(event.details)


def test_a_language_without_translation_falls_back_to_italian_and_says_so(
    regional_templates, student_matera, staff_school_matera
):
    template = template_for(student_matera, "absence")
    guardian = student_matera.guardians.get()
    rendered = render_template(template, student_matera, guardian)
    assert rendered.wanted_language == "ti" and rendered.language == "it" and rendered.fell_back
    assert rendered.subject == "Assenze di Yonas Tesfaye"
    message = draft_message(student=student_matera, template_code="absence", by=staff_school_matera)
    assert message.language == "it"
    assert AuditEvent.objects.get(action="familymessage.create").details["fell_back"] is True


def test_a_language_added_in_the_admin_is_used(regional_templates, student_matera, staff_school_matera):
    template = MessageTemplate.objects.get(school__isnull=True, code="absence")
    MessageTemplateTranslation.objects.create(
        template=template, language="ti", subject="ብዝሒ ዘይምምጻእ {student_name}", body="{student_name} {class_name}"
    )
    message = draft_message(student=student_matera, template_code="absence", by=staff_school_matera)
    assert message.language == "ti"
    assert message.body == "Yonas Tesfaye 1A"


def test_the_schools_own_template_comes_before_the_regional_one(
    regional_templates, student_potenza, student_matera, school_potenza, operator_school_potenza, staff_school_matera
):
    own = MessageTemplate.objects.create(school=school_potenza, code="absence", name="Assenze (nostro)")
    MessageTemplateTranslation.objects.create(template=own, language="it", subject="Nostro", body="Testo nostro")
    assert template_for(student_potenza, "absence") == own
    assert template_for(student_matera, "absence").school is None
    message = draft_message(student=student_potenza, template_code="absence", by=operator_school_potenza)
    assert message.subject == "Nostro" and message.language == "it"


def test_an_inactive_or_unknown_template_is_not_used(regional_templates, student_potenza, operator_school_potenza):
    MessageTemplate.objects.filter(code="course").update(active=False)
    with pytest.raises(MessageTemplate.DoesNotExist):
        draft_message(student=student_potenza, template_code="course", by=operator_school_potenza)
    with pytest.raises(MessageTemplate.DoesNotExist):
        draft_message(student=student_potenza, template_code="nope", by=operator_school_potenza)


def test_placeholders_cannot_reach_attributes_or_format_specs():
    values = {"student_name": "Amina", "date": "12/03/2026"}
    text = "{student_name.__class__} {student_name!r} {date:>20} {student_name[0]} {unknown} {student_name} {{x}}"
    assert fill(text, values) == (
        "{student_name.__class__} {student_name!r} {date:>20} {student_name[0]} {unknown} Amina {{x}}"
    )
    # A value that looks like a placeholder is not filled again.
    assert fill("{student_name} {date}", {"student_name": "{date}", "date": "today"}) == "{date} today"


def test_a_guardian_without_email_or_consent_gets_a_printed_letter(
    regional_templates, student_matera, staff_school_matera
):
    message = draft_message(student=student_matera, template_code="absence", by=staff_school_matera)
    assert message.channel == FamilyMessage.Channel.PRINT


def test_the_primary_contact_receives_the_message_unless_another_guardian_is_chosen(
    regional_templates, student_potenza, operator_school_potenza
):
    father = add_guardian(student_potenza, relationship="father", given_names="Karim", preferred_language="fr")
    father.is_primary_contact = False
    father.save()
    assert draft_message(student=student_potenza, template_code="absence", by=operator_school_potenza).language == "ar"
    chosen = draft_message(
        student=student_potenza, template_code="absence", by=operator_school_potenza, guardian=father
    )
    assert chosen.language == "fr" and chosen.subject.startswith("Absences de")


def test_a_guardian_of_another_student_is_refused(
    regional_templates, student_potenza, student_matera, operator_school_potenza
):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        draft_message(
            student=student_potenza,
            template_code="absence",
            by=operator_school_potenza,
            guardian=student_matera.guardians.get(),
        )


def test_the_checks_report_anything_in_braces_that_is_not_a_placeholder():
    assert unknown_placeholders("{student_name} {student_name.__class__} {date:>9} {x}") == [
        "date:>9",
        "student_name.__class__",
        "x",
    ]
