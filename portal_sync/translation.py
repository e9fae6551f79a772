"""What editors translate before publishing an item (it, en, fr, ar)."""

from modeltranslation.translator import TranslationOptions, register

from portal_sync.models import ContentItem


@register(ContentItem)
class ContentItemTranslation(TranslationOptions):
    fields = ("title", "summary")
