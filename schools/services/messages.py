"""School–family messages: templates with translations, filled with a student's data in the
family's language, delivered by email or printed (PDF), and acknowledged through a signed link
or recorded by staff.

Placeholders are filled by a regular expression that knows only the names of PLACEHOLDERS: a
template written in the admin can never reach an attribute, an index or a format spec (what
str.format would allow), and an unknown placeholder stays as written for the operator to see."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dates import WEEKDAYS
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from aipim.core import audit
from aipim.core.models import Consent
from aipim.core.services import ConsentMissing, has_consent
from aipim.reports.rendering import html_to_pdf, text_direction
from schools.models import FamilyMessage, Guardian, HelpDesk, MessageTemplate, MessageTemplateTranslation, Student

# The language every template has and every message falls back to.
FALLBACK_LANGUAGE = "it"
ACK_SALT = "schools.message.acknowledge"
PLACEHOLDERS = ("student_name", "class_name", "date", "school_name", "desk_hours", "guardian_name")
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
# Anything in braces, for the checks: "{student_name.__class__}" is not filled, and is reported.
BRACED = re.compile(r"\{([^{}\n]*)\}")


def ack_link_max_age() -> datetime.timedelta:
    return datetime.timedelta(days=getattr(settings, "SCHOOLS_MESSAGE_LINK_DAYS", 60))


# --- Filling a template ------------------------------------------------------------------------


def fill(text: str, values: dict[str, str]) -> str:
    """`text` with every known {placeholder} replaced by its value; nothing else is interpreted."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        return values[name] if name in values else match.group(0)

    return PLACEHOLDER.sub(replace, text)


def unknown_placeholders(text: str) -> list[str]:
    """Placeholders in `text` that a message cannot fill (for the admin's and the draft's checks)."""
    return sorted({name for name in BRACED.findall(text) if name not in PLACEHOLDERS})


def validate_template_text(text: str) -> None:
    """For forms that edit a translation: refuse placeholders that would reach the family unfilled."""
    unknown = unknown_placeholders(text)
    if unknown:
        raise ValidationError(
            _("Unknown placeholders: %(names)s. You can use: %(allowed)s.")
            % {
                "names": ", ".join(f"{{{name}}}" for name in unknown),
                "allowed": ", ".join(f"{{{name}}}" for name in PLACEHOLDERS),
            }
        )


def desk_hours_text(school_id: int, language: str) -> str:
    """The opening hours of the school's active help desks, in `language` ("Monday 09:00–12:00; …")."""
    desks = HelpDesk.objects.filter(school_id=school_id, active=True).prefetch_related("opening_hours")
    parts = []
    # Arabic, Persian and Urdu write their own comma and semicolon.
    comma, semicolon = ("، ", "؛ ") if language.split("-")[0] in ("ar", "fa", "ur") else (", ", "; ")
    with translation.override(language):
        for desk in desks.order_by("name", "pk"):
            hours = sorted(desk.opening_hours.all(), key=lambda h: (h.weekday, h.opens))
            if not hours:
                continue
            days = comma.join(f"{WEEKDAYS[h.weekday]} {h.opens:%H:%M}–{h.closes:%H:%M}" for h in hours)
            parts.append(f"{desk.name}: {days}" if len(desks) > 1 else days)
        return semicolon.join(parts) or _("ask the school office")


def placeholder_values(
    student: Student, guardian: Guardian | None, language: str, *, on: datetime.date | None = None
) -> dict[str, str]:
    with translation.override(language):
        return {
            "student_name": student.person.display_name,
            "class_name": student.school_class.name if student.school_class else "–",
            "date": date_format(on or timezone.localdate(), "DATE_FORMAT"),
            "school_name": student.school.name,
            "desk_hours": desk_hours_text(student.school_id, language),
            "guardian_name": guardian.person.display_name if guardian else "",
        }


# --- Choosing template, guardian and language ------------------------------------------------


def template_for(student: Student, code: str) -> MessageTemplate:
    """The school's own template with this code, else the regional one; raises DoesNotExist."""
    return (
        MessageTemplate.objects.filter(Q(school_id=student.school_id) | Q(school__isnull=True), code=code, active=True)
        .order_by(F("school").asc(nulls_last=True))
        .prefetch_related("translations")[:1]
        .get()
    )


def templates_for_school(school_id: int) -> list[MessageTemplate]:
    """The active templates a school can use: its own, and the regional ones it does not override."""
    found: dict[str, MessageTemplate] = {}
    templates = (
        MessageTemplate.objects.filter(Q(school_id=school_id) | Q(school__isnull=True), active=True)
        .order_by(F("school").asc(nulls_last=True), "name")
        .prefetch_related("translations")
    )
    for template in templates:
        found.setdefault(template.code, template)
    return sorted(found.values(), key=lambda t: t.name)


def default_guardian(student: Student) -> Guardian | None:
    """The primary contact, else the first guardian recorded."""
    return student.guardians.select_related("person").order_by("-is_primary_contact", "pk").first()


def family_language(guardian: Guardian | None) -> str:
    if guardian is None:
        return FALLBACK_LANGUAGE
    person = guardian.person
    return person.preferred_language or (person.languages[0] if person.languages else "") or FALLBACK_LANGUAGE


@dataclass(frozen=True)
class RenderedMessage:
    language: str  # the language of the text
    wanted_language: str  # the family's language
    subject: str
    body: str

    @property
    def fell_back(self) -> bool:
        return self.language != self.wanted_language


def render_template(
    template: MessageTemplate, student: Student, guardian: Guardian | None, *, on: datetime.date | None = None
) -> RenderedMessage:
    """The template filled for the student, in the guardian's language when it has a translation,
    else in Italian (`fell_back` says so)."""
    wanted = family_language(guardian)
    translations: dict[str, MessageTemplateTranslation] = {t.language: t for t in template.translations.all()}
    language = wanted if wanted in translations else FALLBACK_LANGUAGE
    if language not in translations:
        raise ValidationError(_("This template has no Italian text: add it in the administration."))
    chosen = translations[language]
    values = placeholder_values(student, guardian, language, on=on)
    return RenderedMessage(
        language=language, wanted_language=wanted, subject=fill(chosen.subject, values), body=fill(chosen.body, values)
    )


# --- Writes ------------------------------------------------------------------------------------


def family_consents_to_messages(student: Student, guardian: Guardian | None) -> bool:
    """Consent to messages (Consent.Purpose.COMMUNICATIONS) in force: given for the pupil (a minor's
    consent is recorded on the pupil and given by a guardian) or by the guardian for themselves."""
    if has_consent(student.person, Consent.Purpose.COMMUNICATIONS):
        return True
    return guardian is not None and has_consent(guardian.person, Consent.Purpose.COMMUNICATIONS)


def require_messages_consent(student: Student, guardian: Guardian | None) -> None:
    if not family_consents_to_messages(student, guardian):
        raise ConsentMissing(student.person, Consent.Purpose.COMMUNICATIONS)


def email_problem(message: FamilyMessage) -> str:
    """Why the message cannot be emailed, in words for the operator ("" when it can)."""
    guardian = message.guardian
    if guardian is None:
        return _("Choose the guardian who receives the message.")
    if not family_consents_to_messages(message.student, guardian):
        return str(ConsentMissing(message.student.person, Consent.Purpose.COMMUNICATIONS))
    if not guardian.person.email:
        return _("The guardian has no email address: print the message instead.")
    return ""


def _default_channel(student: Student, guardian: Guardian | None) -> str:
    if guardian and guardian.person.email and family_consents_to_messages(student, guardian):
        return FamilyMessage.Channel.EMAIL
    return FamilyMessage.Channel.PRINT


@transaction.atomic
def draft_message(
    *,
    student: Student,
    template_code: str,
    by: Any | None,
    guardian: Guardian | None = None,
    channel: str = "",
    on: datetime.date | None = None,
) -> FamilyMessage:
    """A draft message from a template, in the family's language (Italian when the template has no
    translation in it). Email is proposed when the guardian has an address and consented to
    messages, else print. Raises MessageTemplate.DoesNotExist for an unknown code.

    `by` None: the system proposed the draft (a risk case the nightly early warning opened), so the
    message has no author and its audit event no user; whoever sends it is recorded then."""
    template = template_for(student, template_code)
    if guardian is None:
        guardian = default_guardian(student)
    elif guardian.student_id != student.pk:
        raise ValidationError(_("This guardian is not one of the student's."))
    rendered = render_template(template, student, guardian, on=on)
    message = FamilyMessage.objects.create(
        student=student,
        guardian=guardian,
        template=template,
        language=rendered.language,
        subject=rendered.subject,
        body=rendered.body,
        channel=channel or _default_channel(student, guardian),
        status=FamilyMessage.Status.DRAFT,
        created_by=by,
    )
    audit.record(
        by,
        "familymessage.create",
        message,
        organisation=student.school,
        template=template.code,
        language=rendered.language,
        fell_back=rendered.fell_back,
    )
    return message


@transaction.atomic
def update_draft(*, message: FamilyMessage, subject: str, body: str, channel: str, by: Any) -> FamilyMessage:
    message = FamilyMessage.objects.select_for_update(of=("self",)).select_related("student__school").get(pk=message.pk)
    if message.status not in (FamilyMessage.Status.DRAFT, FamilyMessage.Status.FAILED):
        raise ValidationError(_("Only a draft can be changed."))
    if not subject.strip() or not body.strip():
        raise ValidationError(_("Write the subject and the text."))
    message.subject = subject  # type: ignore[assignment]
    message.body = body  # type: ignore[assignment]
    message.channel = channel
    message.save(update_fields=["subject", "body", "channel"])
    audit.record(by, "familymessage.change", message, organisation=message.student.school)
    return message


def ack_token(message: FamilyMessage) -> str:
    return signing.dumps({"message": message.pk}, salt=ACK_SALT)


def ack_link(message: FamilyMessage) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("schools:message_acknowledge", args=[ack_token(message)])


def message_from_token(token: str) -> FamilyMessage:
    """The message a family's link points at; raises signing.BadSignature (SignatureExpired when
    too old) or FamilyMessage.DoesNotExist."""
    data = signing.loads(token, salt=ACK_SALT, max_age=ack_link_max_age())
    return FamilyMessage.objects.select_related("student__school").get(pk=data["message"])


def render_email(message: FamilyMessage) -> EmailMultiAlternatives:
    """The email in the message's language: plain text, and HTML with lang and dir on <html>
    (right-to-left for Arabic)."""
    context = {
        "message": message,
        "school": message.student.school,
        "link": ack_link(message),
        "language": message.language,
        "direction": text_direction(message.language),
    }
    with translation.override(message.language):
        text = render_to_string("schools/messages/email.txt", context)
        html = render_to_string("schools/messages/email.html", context)
    assert message.guardian is not None  # send_message checked it
    email = EmailMultiAlternatives(
        message.subject, text, None, [message.guardian.person.email], headers={"Content-Language": message.language}
    )
    email.attach_alternative(html, "text/html")
    return email


class SendFailed(Exception):
    """The mail server refused the message; it is kept as failed with the reason."""


def send_message(*, message: FamilyMessage, by: Any) -> FamilyMessage:
    """Email a draft (or a failed message again) to the guardian. Needs the guardian's consent to
    messages (raises ConsentMissing) and an address. Sent once: the row is locked and its status
    re-read, so two clicks never send twice."""
    with transaction.atomic():
        message = (
            FamilyMessage.objects.select_for_update(of=("self",))
            .select_related("guardian__person", "student__school", "student__person")
            .get(pk=message.pk)
        )
        if message.status not in (FamilyMessage.Status.DRAFT, FamilyMessage.Status.FAILED):
            raise ValidationError(_("This message has already been sent or printed."))
        if message.guardian is None:
            raise ValidationError(_("Choose the guardian who receives the message."))
        require_messages_consent(message.student, message.guardian)
        if not message.guardian.person.email:
            raise ValidationError(_("The guardian has no email address: print the message instead."))
        school = message.student.school
        try:
            render_email(message).send()
        except Exception as error:  # the mail backend's errors have no common base class
            message.status = FamilyMessage.Status.FAILED
            message.failure = str(error)[:500]
            message.save(update_fields=["status", "failure"])
            audit.record(by, "familymessage.send_failed", message, organisation=school)
        else:
            message.status = FamilyMessage.Status.SENT
            message.channel = FamilyMessage.Channel.EMAIL
            message.sent_at = timezone.now()
            message.failure = ""
            message.save(update_fields=["status", "channel", "sent_at", "failure"])
            audit.record(by, "familymessage.send", message, organisation=school, language=message.language)
            return message
    raise SendFailed(message.failure)


def render_print_document(message: FamilyMessage) -> str:
    context = {
        "message": message,
        "school": message.student.school,
        "link": ack_link(message),
        "language": message.language,
        "direction": text_direction(message.language),
        "today": timezone.localdate(),
    }
    with translation.override(message.language):
        return render_to_string("schools/messages/print_document.html", context)


def print_message(*, message: FamilyMessage, by: Any) -> bytes:
    """The message as a PDF in its language (right-to-left for Arabic). A draft becomes printed;
    a printed or sent message can be printed again."""
    with transaction.atomic():
        message = (
            FamilyMessage.objects.select_for_update(of=("self",))
            .select_related("guardian__person", "student__school")
            .get(pk=message.pk)
        )
        if message.status in (FamilyMessage.Status.DRAFT, FamilyMessage.Status.FAILED):
            message.status = FamilyMessage.Status.PRINTED
            message.channel = FamilyMessage.Channel.PRINT
            message.sent_at = timezone.now()
            message.save(update_fields=["status", "channel", "sent_at"])
        audit.record(by, "familymessage.print", message, organisation=message.student.school)
    return html_to_pdf(render_print_document(message))


@transaction.atomic
def acknowledge(*, message: FamilyMessage, how: str, by: Any = None) -> bool:
    """Record that the family read the message: through their link (`how`="link", no user) or
    told staff in person or by phone. Once only: returns False when it was already recorded."""
    if how not in FamilyMessage.AcknowledgedHow.values or not how:
        raise ValidationError(_("Say how the family acknowledged the message."))
    message = FamilyMessage.objects.select_for_update(of=("self",)).select_related("student__school").get(pk=message.pk)
    if message.acknowledged_at is not None:
        return False
    if message.status not in (FamilyMessage.Status.SENT, FamilyMessage.Status.PRINTED):
        raise ValidationError(_("Only a message sent or printed can be acknowledged."))
    message.status = FamilyMessage.Status.ACKNOWLEDGED
    message.acknowledged_at = timezone.now()
    message.acknowledged_how = how
    message.save(update_fields=["status", "acknowledged_at", "acknowledged_how"])
    audit.record(by, "familymessage.acknowledge", message, organisation=message.student.school, how=how)
    return True


# --- Regional templates ------------------------------------------------------------------------

# Seeded by ensure_regional_templates(); the admin can change the texts and add languages.
REGIONAL_TEMPLATES: dict[str, dict[str, Any]] = {
    "absence": {
        "purpose": "absence",
        "name": "Assenze",
        "translations": {
            "it": (
                "Assenze di {student_name}",
                "Gentile famiglia,\n\n"
                "vi scriviamo perché {student_name}, della classe {class_name}, ha fatto diverse assenze "
                "nelle ultime settimane (situazione al {date}).\n\n"
                "Venire a scuola con regolarità è importante per imparare e per non restare indietro. "
                "Se ci sono difficoltà, la scuola può aiutarvi: venite a parlarne con noi.\n\n"
                "Lo sportello della scuola è aperto: {desk_hours}.\n\n"
                "Cordiali saluti,\n{school_name}",
            ),
            "en": (
                "Absences of {student_name}",
                "Dear family,\n\n"
                "we are writing because {student_name}, of class {class_name}, has missed several days of "
                "school in recent weeks (as of {date}).\n\n"
                "Coming to school regularly matters for learning and keeping up. If something makes it "
                "difficult, the school can help: come and talk to us.\n\n"
                "The school help desk is open: {desk_hours}.\n\n"
                "Kind regards,\n{school_name}",
            ),
            "fr": (
                "Absences de {student_name}",
                "Chère famille,\n\n"
                "nous vous écrivons parce que {student_name}, de la classe {class_name}, a manqué "
                "plusieurs jours d'école ces dernières semaines (situation au {date}).\n\n"
                "Venir à l'école régulièrement est important pour apprendre et ne pas prendre de retard. "
                "En cas de difficulté, l'école peut vous aider : venez nous en parler.\n\n"
                "Le guichet d'accueil de l'école est ouvert : {desk_hours}.\n\n"
                "Cordialement,\n{school_name}",
            ),
            "ar": (
                "غياب {student_name}",
                "عائلتنا الكريمة،\n\n"
                "نكتب إليكم لأن {student_name}، من الصف {class_name}، تغيّب عدة أيام عن المدرسة "
                "في الأسابيع الأخيرة (حتى تاريخ {date}).\n\n"
                "الحضور المنتظم إلى المدرسة مهم للتعلّم ولعدم التأخر عن الزملاء. إذا كانت هناك صعوبات، "
                "يمكن للمدرسة أن تساعدكم: تعالوا للتحدث معنا.\n\n"
                "مكتب الاستقبال في المدرسة مفتوح: {desk_hours}.\n\n"
                "مع أطيب التحيات،\n{school_name}",
            ),
        },
    },
    "meeting": {
        "purpose": "meeting",
        "name": "Invito a colloquio",
        "translations": {
            "it": (
                "Invito a un colloquio a scuola",
                "Gentile famiglia,\n\n"
                "vi invitiamo a un colloquio con gli insegnanti di {student_name} (classe {class_name}) "
                "il giorno {date}.\n\n"
                "Se vi serve un mediatore culturale o un interprete, ditecelo: lo organizziamo noi.\n\n"
                "Se non potete venire, contattate lo sportello della scuola: {desk_hours}.\n\n"
                "Cordiali saluti,\n{school_name}",
            ),
            "en": (
                "Invitation to a meeting at school",
                "Dear family,\n\n"
                "we invite you to a meeting with the teachers of {student_name} (class {class_name}) "
                "on {date}.\n\n"
                "If you need a cultural mediator or an interpreter, let us know and we will arrange it.\n\n"
                "If you cannot come, please contact the school help desk: {desk_hours}.\n\n"
                "Kind regards,\n{school_name}",
            ),
            "fr": (
                "Invitation à un rendez-vous à l'école",
                "Chère famille,\n\n"
                "nous vous invitons à un rendez-vous avec les enseignants de {student_name} "
                "(classe {class_name}) le {date}.\n\n"
                "Si vous avez besoin d'un médiateur culturel ou d'un interprète, dites-le-nous : "
                "nous nous en occupons.\n\n"
                "Si vous ne pouvez pas venir, contactez le guichet d'accueil de l'école : {desk_hours}.\n\n"
                "Cordialement,\n{school_name}",
            ),
            "ar": (
                "دعوة إلى لقاء في المدرسة",
                "عائلتنا الكريمة،\n\n"
                "ندعوكم إلى لقاء مع معلمي {student_name} (الصف {class_name}) يوم {date}.\n\n"
                "إذا كنتم بحاجة إلى وسيط ثقافي أو مترجم، أخبرونا وسنقوم بترتيب ذلك.\n\n"
                "إذا لم تتمكنوا من الحضور، يرجى التواصل مع مكتب الاستقبال في المدرسة: {desk_hours}.\n\n"
                "مع أطيب التحيات،\n{school_name}",
            ),
        },
    },
    "risk": {
        "purpose": "risk",
        "name": "Difficoltà scolastiche",
        "translations": {
            "it": (
                "La scuola vorrebbe parlare con voi di {student_name}",
                "Gentile famiglia,\n\n"
                "in questo periodo {student_name} (classe {class_name}) sta incontrando alcune difficoltà "
                "a scuola. Vorremmo parlarne con voi, per capire insieme come sostenere {student_name} "
                "nel modo migliore.\n\n"
                "Vi aspettiamo allo sportello della scuola: {desk_hours}. Può essere presente un "
                "mediatore culturale che parla la vostra lingua.\n\n"
                "Cordiali saluti,\n{school_name}",
            ),
            "en": (
                "The school would like to talk with you about {student_name}",
                "Dear family,\n\n"
                "{student_name} (class {class_name}) is having some difficulties at school at the moment. "
                "We would like to talk with you, to see together how we can best support {student_name}.\n\n"
                "Please come to the school help desk: {desk_hours}. A cultural mediator who speaks your "
                "language can join us.\n\n"
                "Kind regards,\n{school_name}",
            ),
            "fr": (
                "L'école souhaite vous parler de {student_name}",
                "Chère famille,\n\n"
                "{student_name} (classe {class_name}) rencontre en ce moment quelques difficultés à "
                "l'école. Nous aimerions en parler avec vous, pour voir ensemble comment soutenir au "
                "mieux {student_name}.\n\n"
                "Venez au guichet d'accueil de l'école : {desk_hours}. Un médiateur culturel qui parle "
                "votre langue peut être présent.\n\n"
                "Cordialement,\n{school_name}",
            ),
            "ar": (
                "المدرسة ترغب في التحدث معكم بشأن {student_name}",
                "عائلتنا الكريمة،\n\n"
                "يواجه {student_name} (الصف {class_name}) في هذه الفترة بعض الصعوبات في المدرسة. "
                "نودّ أن نتحدث معكم لنرى معًا كيف يمكننا دعم {student_name} على أفضل وجه.\n\n"
                "تفضلوا بزيارة مكتب الاستقبال في المدرسة: {desk_hours}. يمكن أن يحضر معنا وسيط ثقافي "
                "يتحدث لغتكم.\n\n"
                "مع أطيب التحيات،\n{school_name}",
            ),
        },
    },
    "course": {
        "purpose": "course",
        "name": "Proposta di corso",
        "translations": {
            "it": (
                "Un corso per {student_name}",
                "Gentile famiglia,\n\n"
                "la scuola propone a {student_name} (classe {class_name}) un corso gratuito, a partire "
                "dal {date}. Gli insegnanti vi daranno tutti i dettagli.\n\n"
                "Per l'iscrizione o per informazioni, venite allo sportello della scuola: {desk_hours}.\n\n"
                "Cordiali saluti,\n{school_name}",
            ),
            "en": (
                "A course for {student_name}",
                "Dear family,\n\n"
                "the school offers {student_name} (class {class_name}) a free course, starting on {date}. "
                "The teachers will give you all the details.\n\n"
                "To enrol or to ask for information, come to the school help desk: {desk_hours}.\n\n"
                "Kind regards,\n{school_name}",
            ),
            "fr": (
                "Un cours pour {student_name}",
                "Chère famille,\n\n"
                "l'école propose à {student_name} (classe {class_name}) un cours gratuit, à partir du "
                "{date}. Les enseignants vous donneront tous les détails.\n\n"
                "Pour l'inscription ou pour toute information, venez au guichet d'accueil de l'école : "
                "{desk_hours}.\n\n"
                "Cordialement,\n{school_name}",
            ),
            "ar": (
                "دورة تعليمية من أجل {student_name}",
                "عائلتنا الكريمة،\n\n"
                "تقترح المدرسة على {student_name} (الصف {class_name}) دورة مجانية تبدأ في {date}. "
                "سيعطيكم المعلمون جميع التفاصيل.\n\n"
                "للتسجيل أو للاستفسار، تفضلوا بزيارة مكتب الاستقبال في المدرسة: {desk_hours}.\n\n"
                "مع أطيب التحيات،\n{school_name}",
            ),
        },
    },
}


@transaction.atomic
def ensure_regional_templates() -> int:
    """Create the regional templates (school=None) and their it/en/fr/ar texts that are missing;
    never overwrite what the admin changed. Returns how many rows it created (0 the second time)."""
    created = 0
    for code, spec in REGIONAL_TEMPLATES.items():
        template = MessageTemplate.objects.filter(school__isnull=True, code=code).first()
        if template is None:
            template = MessageTemplate.objects.create(
                school=None, code=code, name=spec["name"], purpose=spec["purpose"], active=True
            )
            created += 1
        have = set(template.translations.values_list("language", flat=True))
        missing = [
            MessageTemplateTranslation(template=template, language=language, subject=subject, body=body)
            for language, (subject, body) in spec["translations"].items()
            if language not in have
        ]
        MessageTemplateTranslation.objects.bulk_create(missing)
        created += len(missing)
    return created
