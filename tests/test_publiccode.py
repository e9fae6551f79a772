"""publiccode.yml at the repository root follows the publiccode.yml standard (0.x) and its Italian extension:
required keys present, values in the formats and vocabularies the standard defines."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
import yaml

PUBLICCODE = Path(__file__).resolve().parent.parent / "publiccode.yml"

PLATFORMS = {"web", "windows", "mac", "linux", "ios", "android"}
DEVELOPMENT_STATUS = {"concept", "development", "beta", "stable", "obsolete"}
SOFTWARE_TYPES = {
    "standalone/mobile",
    "standalone/iot",
    "standalone/desktop",
    "standalone/web",
    "standalone/backend",
    "standalone/other",
    "addon",
    "library",
    "configurationFiles",
}
MAINTENANCE_TYPES = {"internal", "contract", "community", "none"}
# The standard's controlled vocabularies (only the values a portal like ours could use are listed in full
# in the standard; these are taken from its categories and scope lists).
CATEGORIES = {
    "appointment-scheduling",
    "collaboration",
    "communications",
    "contact-management",
    "content-management",
    "data-analytics",
    "data-collection",
    "data-visualization",
    "document-management",
    "event-management",
    "feedback-and-reviews-management",
    "online-booking",
    "translation",
    "workflow-management",
}
SCOPES = {
    "agriculture", "culture", "defence", "education", "emergency-services", "employment", "energy",
    "environment", "finance-and-economic-development", "foreign-affairs", "government", "healthcare",
    "infrastructures", "justice", "local-authorities", "manufacturing", "research", "science-and-technology",
    "security", "society", "sport", "tourism", "transportation", "welfare",
}  # fmt: skip
BCP47 = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@pytest.fixture(scope="module")
def publiccode() -> dict:
    # YAML 1.1 loaders would turn unquoted dates and "yes"/"no" into other types; the standard wants strings.
    text = PUBLICCODE.read_text(encoding="utf-8")
    return yaml.safe_load(text)


def test_file_is_utf8_yaml_mapping(publiccode):
    assert isinstance(publiccode, dict)


def test_version_of_the_standard(publiccode):
    # The standard asks for its major version as a string ("0"); "0.x" strings are still accepted by parsers.
    version = publiccode["publiccodeYmlVersion"]
    assert isinstance(version, str)
    assert re.fullmatch(r"0(\.\d+)?", version)


@pytest.mark.parametrize(
    "key", ["publiccodeYmlVersion", "name", "url", "platforms", "developmentStatus", "softwareType", "description",
            "legal", "maintenance", "localisation"],
)  # fmt: skip
def test_mandatory_keys(publiccode, key):
    assert publiccode.get(key), f"{key} is mandatory"


def test_url_and_dates(publiccode):
    assert publiccode["url"].startswith("https://")
    release = publiccode["releaseDate"]
    assert isinstance(release, str) and DATE.match(release)
    datetime.date.fromisoformat(release)


def test_enumerations(publiccode):
    platforms = publiccode["platforms"]
    assert set(platforms if isinstance(platforms, list) else [platforms]) <= PLATFORMS
    assert publiccode["developmentStatus"] in DEVELOPMENT_STATUS
    assert publiccode["softwareType"] in SOFTWARE_TYPES
    assert set(publiccode["categories"]) <= CATEGORIES
    assert set(publiccode["intendedAudience"]["scope"]) <= SCOPES
    assert all(re.fullmatch(r"[a-z]{2}", c) for c in publiccode["intendedAudience"]["countries"])


def test_italian_description_and_its_limits(publiccode):
    description = publiccode["description"]
    assert "it" in description, "an Italian description is required for the Developers Italia catalogue"
    for language, text in description.items():
        assert BCP47.match(language)
        assert 0 < len(text["shortDescription"]) <= 150, language
        assert 150 <= len(text["longDescription"]) <= 10000, language
        assert text["features"] and all(isinstance(f, str) for f in text["features"])


def test_legal_is_eupl(publiccode):
    assert publiccode["legal"]["license"] == "EUPL-1.2"


def test_maintenance(publiccode):
    maintenance = publiccode["maintenance"]
    assert maintenance["type"] in MAINTENANCE_TYPES
    if maintenance["type"] in {"internal", "community"}:
        assert maintenance["contacts"] and all(c.get("name") for c in maintenance["contacts"])
    if maintenance["type"] == "contract":
        for contractor in maintenance["contractors"]:
            assert contractor["name"] and DATE.match(str(contractor["until"]))


def test_localisation_matches_the_portal_languages(publiccode, settings):
    localisation = publiccode["localisation"]
    assert localisation["localisationReady"] is True
    assert localisation["availableLanguages"] == [code for code, _ in settings.LANGUAGES]
    assert all(BCP47.match(code) for code in localisation["availableLanguages"])


def test_system_dependencies(publiccode):
    names = {d["name"] for d in publiccode["dependsOn"]["open"]}
    assert {"PostgreSQL", "Redis"} <= names
    for dependency in publiccode["dependsOn"]["open"]:
        assert set(dependency) <= {"name", "versionMin", "versionMax", "version", "optional"}
        assert all(isinstance(dependency[k], str) for k in ("versionMin", "versionMax", "version") if k in dependency)


def test_italian_extension(publiccode):
    italy = publiccode["it"]
    assert italy["countryExtensionVersion"] == "1.0"
    assert all(isinstance(v, bool) for v in italy["conforme"].values())
    assert set(italy["piattaforme"]) <= {"spid", "cie", "anpr", "pagopa", "io"}
    assert re.fullmatch(r"[a-z0-9_]+", italy["riuso"]["codiceIPA"])
