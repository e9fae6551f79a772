"""Recompute Person.name_key after the transliteration rules learnt Abdel-/Abdul- compounds and el/ul."""

from django.db import migrations


def recompute(apps, schema_editor):
    from aipim.core.names import name_key

    Person = apps.get_model("core", "Person")
    for person in Person.objects.only(
        "given_names", "family_names", "given_names_latin", "family_names_latin"
    ).iterator():
        person.name_key = name_key(
            person.given_names_latin, person.family_names_latin, person.given_names, person.family_names
        )
        person.save(update_fields=["name_key"])


class Migration(migrations.Migration):
    dependencies = [("core", "0003_person_name_key")]
    operations = [migrations.RunPython(recompute, migrations.RunPython.noop)]
