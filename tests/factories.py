"""factory_boy factories for the shared models; personas are built from these in conftest.py."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import factory
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

from aipim.accounts.models import Membership, Role, User
from aipim.core.models import Consent, Municipality, Organisation, Person, PersonLink, Service

PASSWORD = "correct horse battery staple"


def municipality(name: str) -> Municipality:
    """A municipality from the ISTAT list. Browser tests flush the database, which empties the list that
    the data migration loaded, so load it again if needed."""
    found = Municipality.objects.filter(name=name).first()
    if found is None:
        load_municipalities()
        found = Municipality.objects.get(name=name)
    return found


def load_municipalities() -> None:
    rows = json.loads((Path(__file__).resolve().parent.parent / "aipim/core/data/basilicata_comuni.json").read_text())
    Municipality.objects.bulk_create(
        [
            Municipality(
                istat_code=row["istat_code"],
                name=row["name"],
                province=row["province"],
                province_code=row["province_code"],
                cadastral_code=row.get("cadastral_code", ""),
            )
            for row in rows
        ],
        ignore_conflicts=True,
    )


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("code",)

    name = factory.Sequence(lambda n: f"Organisation {n}")
    code = factory.Sequence(lambda n: f"org{n}")
    kind = Organisation.Kind.PUA_DESK
    municipality = factory.LazyFunction(lambda: municipality("Potenza"))


class UserFactory(factory.django.DjangoModelFactory):
    """A user with a TOTP second factor already set up (as every staff member must have)."""

    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    full_name = factory.Faker("name", locale="it_IT")

    @factory.post_generation
    def password(self, create: bool, extracted: str | None, **kwargs: object) -> None:
        self.set_password(extracted or PASSWORD)
        if create:
            self.save()

    @factory.post_generation
    def mfa(self, create: bool, extracted: bool | None, **kwargs: object) -> None:
        if create and extracted is not False:
            TOTP.activate(self, generate_totp_secret())


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Role.CASEWORKER


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person
        skip_postgeneration_save = True

    given_names = factory.Faker("first_name")
    family_names = factory.Faker("last_name")
    birth_date = factory.Faker("date_between", start_date=datetime.date(1960, 1, 1), end_date=datetime.date(2010, 1, 1))
    sex = Person.Sex.FEMALE
    citizenship = "MA"
    languages = factory.LazyFunction(lambda: ["ar", "fr"])
    phone = "+39 333 0000000"
    address = "Via Roma 1, Potenza"

    @factory.post_generation
    def organisation(self, create: bool, extracted: Organisation | None, **kwargs: object) -> None:
        """PersonFactory(organisation=desk) links the person to that organisation."""
        if create and extracted is not None:
            PersonLink.objects.create(person=self, organisation=extracted, reason="case")


class ConsentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Consent

    person = factory.SubFactory(PersonFactory)
    purpose = Consent.Purpose.CASE_MANAGEMENT
    evidence = "signed form"
    organisation = factory.SubFactory(OrganisationFactory)
    recorded_by = factory.SubFactory(UserFactory)


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service

    organisation = factory.SubFactory(OrganisationFactory, kind=Organisation.Kind.SERVICE_PROVIDER)
    name = factory.Sequence(lambda n: f"Service {n}")
    category = "health"
    languages = factory.LazyFunction(lambda: ["it", "en"])
