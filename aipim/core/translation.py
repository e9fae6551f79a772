"""Fields translated with django-modeltranslation (it, en, fr, ar)."""

from modeltranslation.translator import TranslationOptions, register

from aipim.core.models import Location, Organisation, Service


@register(Organisation)
class OrganisationTranslation(TranslationOptions):
    fields = ("description",)


@register(Service)
class ServiceTranslation(TranslationOptions):
    fields = ("name", "description", "eligibility_description", "application_process", "fees_description")


@register(Location)
class LocationTranslation(TranslationOptions):
    fields = ("accessibility", "transportation")
