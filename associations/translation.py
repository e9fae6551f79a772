"""Fields of Action 4 translated with django-modeltranslation (it, en, fr, ar): what the public reads."""

from modeltranslation.translator import TranslationOptions, register

from associations.models import Event, Network


@register(Event)
class EventTranslation(TranslationOptions):
    fields = ("title", "summary", "description", "accessibility_notes")


@register(Network)
class NetworkTranslation(TranslationOptions):
    fields = ("name", "description", "how_to_access")
