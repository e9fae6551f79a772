"""The service directory: public list and detail pages in the visitor's language, and the editors'
pages to create and change a service with its locations and weekly hours."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, ListView

from aipim.core import directory
from aipim.core.forms_directory import DirectoryFilterForm, LocationForm, LocationFormSet, ScheduleFormSet, ServiceForm
from aipim.core.hsds import language_name
from aipim.core.models import Location, Schedule, Service
from aipim.core.views import RoleRequiredMixin

PAGE_SIZE = 20


class ServiceListView(ListView):
    template_name = "core/directory/list.html"
    context_object_name = "services"
    paginate_by = PAGE_SIZE

    def get_queryset(self) -> QuerySet[Service]:
        self.filter_form = DirectoryFilterForm(self.request.GET or None)
        queryset = (
            Service.objects.published()
            .select_related("organisation__municipality")
            .prefetch_related(Prefetch("locations", queryset=Location.objects.select_related("municipality")))
        )
        if not self.filter_form.is_valid():
            return queryset  # an unknown choice shows its error above the whole list
        data = self.filter_form.cleaned_data
        if data.get("category"):
            queryset = queryset.filter(category=data["category"])
        if data.get("municipality"):
            town = data["municipality"]
            queryset = queryset.filter(
                Q(locations__municipality=town) | Q(locations__isnull=True, organisation__municipality=town)
            ).distinct()
        if data.get("language"):
            queryset = queryset.filter(languages__contains=[data["language"]])
        return queryset

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["filter_form"] = self.filter_form
        context["can_edit"] = directory.can_edit_directory(self.request.user)
        return context


class ServiceDetailView(DetailView):
    template_name = "core/directory/detail.html"
    context_object_name = "service"

    def get_queryset(self) -> QuerySet[Service]:
        # Editors also open services that are not published, to check them before they go live.
        queryset = (
            Service.objects.all() if directory.can_edit_directory(self.request.user) else Service.objects.published()
        )
        return queryset.select_related("organisation__municipality").prefetch_related(
            Prefetch("locations", queryset=Location.objects.select_related("municipality")),
            Prefetch("schedules", queryset=Schedule.objects.order_by("opens_at")),
            "contacts",
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        service: Service = self.object
        order = {day: index for index, day in enumerate(Schedule.Weekday.values)}
        schedules = sorted(service.schedules.all(), key=lambda s: (order[s.weekday], s.opens_at))
        context.update(
            locations=[
                (location, [s for s in schedules if s.location_id == location.pk])
                for location in service.locations.all()
            ],
            general_hours=[s for s in schedules if s.location_id is None],
            languages=[language_name(code, local=True) for code in service.languages],
            contacts=service.contacts.all(),
            can_edit=directory.can_edit_directory(self.request.user),
            updated_on=service.updated_at,
        )
        return context


def _schedule_initial(service: Service) -> list[dict[str, Any]]:
    return [
        {
            "weekday": s.weekday,
            "opens_at": s.opens_at,
            "closes_at": s.closes_at,
            "location": s.location,
            "notes": s.notes,
        }
        for s in service.schedules.select_related("location")
    ]


class ServiceEditorMixin(RoleRequiredMixin):
    roles = directory.EDITOR_ROLES
    template_name = "core/directory/form.html"

    def forms(self, service: Service | None, data: Any = None) -> tuple[ServiceForm, Any, Any]:
        locations = service.locations.all() if service else Location.objects.none()
        form = ServiceForm(data, instance=service or Service())
        location_formset = LocationFormSet(data, queryset=locations, prefix="locations")
        schedule_formset = ScheduleFormSet(
            data,
            initial=_schedule_initial(service) if service and data is None else None,
            prefix="hours",
            form_kwargs={"locations": locations},
        )
        return form, location_formset, schedule_formset

    def render_forms(
        self, request: HttpRequest, service: Service | None, forms: tuple[Any, ...], status: int = 200
    ) -> HttpResponse:
        form, location_formset, schedule_formset = forms
        return render(
            request,
            self.template_name,
            {
                "service": service,
                "form": form,
                "location_formset": location_formset,
                "schedule_formset": schedule_formset,
                "languages": settings.LANGUAGES,
            },
            status=status,
        )

    def save(self, request: HttpRequest, service: Service | None) -> HttpResponse:
        forms = self.forms(service, request.POST)
        form, location_formset, schedule_formset = forms
        if not (form.is_valid() and location_formset.is_valid() and schedule_formset.is_valid()):
            return self.render_forms(request, service, forms, status=400)
        fields = {name: value for name, value in form.cleaned_data.items() if name != "organisation"}
        locations: list[dict[str, Any]] = []
        for location_form in location_formset.forms:
            # Location ids are UUIDs with a default, so a new row already has a pk: ask the state instead.
            existing = None if location_form.instance._state.adding else location_form.instance
            if location_form in location_formset.deleted_forms:
                if existing is not None:
                    locations.append({"location": existing, "delete": True})
            elif location_form.has_changed():
                values = {name: location_form.cleaned_data[name] for name in LocationForm.Meta.fields}
                locations.append({**values, "location": existing})
        # Blank extra rows have no cleaned data; ticked rows are dropped: the rest is the whole week.
        schedules = [
            hours.cleaned_data
            for hours in schedule_formset.forms
            if hours.cleaned_data and hours not in schedule_formset.deleted_forms
        ]
        try:
            if service is None:
                service = directory.create_service(
                    organisation=form.cleaned_data["organisation"],
                    fields=fields,
                    locations=locations,
                    schedules=schedules,
                    by=request.user,
                )
                messages.success(request, _("Service created."))
            else:
                fields["organisation"] = form.cleaned_data["organisation"]
                service = directory.update_service(
                    service=service, fields=fields, locations=locations, schedules=schedules, by=request.user
                )
                messages.success(request, _("Service saved."))
        except ValidationError as error:
            form.add_error(None, error)
            return self.render_forms(request, service, forms, status=400)
        return redirect("directory:detail", pk=service.pk)


class ServiceCreateView(ServiceEditorMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render_forms(request, None, self.forms(None))

    def post(self, request: HttpRequest) -> HttpResponse:
        return self.save(request, None)


class ServiceEditView(ServiceEditorMixin, View):
    def get_service(self, pk: Any) -> Service:
        return get_object_or_404(Service, pk=pk)

    def get(self, request: HttpRequest, pk: Any) -> HttpResponse:
        service = self.get_service(pk)
        return self.render_forms(request, service, self.forms(service))

    def post(self, request: HttpRequest, pk: Any) -> HttpResponse:
        return self.save(request, self.get_service(pk))
