"""Load Basilicata's 131 municipalities (ISTAT codes) shipped in aipim/core/data."""

import json
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "basilicata_comuni.json"


def load(apps, schema_editor):
    Municipality = apps.get_model("core", "Municipality")
    for row in json.loads(DATA.read_text(encoding="utf-8")):
        Municipality.objects.update_or_create(
            istat_code=row["istat_code"],
            defaults={
                "name": row["name"],
                "province": row["province"],
                "province_code": row["province_code"],
                "cadastral_code": row.get("cadastral_code", ""),
            },
        )


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
