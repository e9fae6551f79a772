"""Forms of the referral pages: choose a service of the directory, send, log what the service said."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Case as When_
from django.db.models import Exists, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.utils.translation import gettext_lazy as _

from aipim.core.models import Location, Organisation, Service, ServiceCategory
from aipim.core.services import ConsentMissing, require_consent
from pua.models import Case, Referral
from pua.services.referrals import NEXT_STATUSES, consent_purpose_for


class Nearness:
    MUNICIPALITY = "municipality"
    PROVINCE = "province"
    ANYWHERE = "anywhere"

    choices = [
        (MUNICIPALITY, _("In the desk's municipality")),
        (PROVINCE, _("In the desk's province")),
        (ANYWHERE, _("Anywhere in the region")),
    ]


def services_near(desk: Organisation, *, category: str = "", within: str = Nearness.ANYWHERE) -> QuerySet[Service]:
    """Published services, those in the desk's municipality first, then its province, then the rest.
    A service is "in" a place when its organisation or one of its locations is there."""
    municipality = desk.municipality
    located_in_municipality = Location.objects.filter(services=OuterRef("pk"), municipality=municipality)
    located_in_province = Location.objects.filter(
        services=OuterRef("pk"), municipality__province_code=municipality.province_code
    )
    in_municipality = Q(organisation__municipality=municipality) | Q(Exists(located_in_municipality))
    in_province = Q(organisation__municipality__province_code=municipality.province_code) | Q(
        Exists(located_in_province)
    )
    services = Service.objects.published().select_related("organisation__municipality")
    if category:
        services = services.filter(category=category)
    if within == Nearness.MUNICIPALITY:
        services = services.filter(in_municipality)
    elif within == Nearness.PROVINCE:
        services = services.filter(in_province)
    return services.annotate(
        nearness=When_(
            When(in_municipality, then=Value(0)),
            When(in_province, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
    ).order_by("nearness", "name", "pk")


class ServiceFilterForm(forms.Form):
    """Narrows the services offered (sent by GET: it holds no personal data)."""

    category = forms.ChoiceField(
        label=_("Kind of service"), choices=[("", _("All kinds")), *ServiceCategory.choices], required=False
    )
    within = forms.ChoiceField(label=_("Where"), choices=Nearness.choices, required=False)


class ServiceChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} – {obj.organisation.name} ({obj.organisation.municipality.name})"


class ReferralForm(forms.Form):
    service = ServiceChoiceField(label=_("Service"), queryset=Service.objects.none())
    reason = forms.CharField(
        label=_("Reason for the referral"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        help_text=_("What the service is asked to do. It is printed in the referral letter."),
    )
    send_now = forms.BooleanField(
        label=_("Send it to the service now"),
        required=False,
        help_text=_(
            "Health services need consent to sharing with health services, job-placement services "
            "consent to sharing with job-placement services."
        ),
    )

    def __init__(self, *args: Any, case: Case, services: QuerySet[Service], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.case = case
        self.fields["service"].queryset = services  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        service = cleaned.get("service")
        if cleaned.get("send_now") and service is not None:
            try:
                require_consent(self.case.person, consent_purpose_for(service))
            except ConsentMissing as error:
                self.add_error("send_now", str(error))
        return cleaned


class ReferralUpdateForm(forms.Form):
    """What the service answered, logged by the caseworker (phone call, letter, visit)."""

    status = forms.ChoiceField(label=_("What happened"))
    note = forms.CharField(
        label=_("Note"),
        max_length=300,
        required=False,
        help_text=_("For an outcome: what the service did. No health details."),
    )

    def __init__(self, *args: Any, referral: Referral, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        allowed = NEXT_STATUSES[Referral.Status(referral.status)] - {Referral.Status.SENT}
        self.fields["status"].choices = [(s.value, s.label) for s in Referral.Status if s in allowed]  # type: ignore[attr-defined]


class ServiceResponseForm(forms.Form):
    """What the receiving service answers through its signed link."""

    status = forms.ChoiceField(label=_("Your answer"), widget=forms.RadioSelect)
    note = forms.CharField(
        label=_("Note for the desk"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("E.g. the date of the first meeting, or why the referral cannot be taken."),
    )

    LABELS = {
        Referral.Status.ACCEPTED: _("We accept the referral"),
        Referral.Status.REFUSED: _("We cannot take the referral"),
        Referral.Status.COMPLETED: _("The service has been provided"),
    }

    def __init__(self, *args: Any, referral: Referral, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        allowed = NEXT_STATUSES[Referral.Status(referral.status)] - {Referral.Status.SENT}
        self.fields["status"].choices = [(s.value, self.LABELS[s]) for s in Referral.Status if s in allowed]  # type: ignore[attr-defined]
