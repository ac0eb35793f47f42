"""Query-string filters of the list endpoints (django-filter): a bad value is a 400 that
names the parameter, never a server error."""

from __future__ import annotations

import django_filters
from django import forms

from cases.models import Case, Charge, ChargeItem, Party, Payment, Stage, Unit
from workflows.api.selectors import charges_overdue

# Ids beyond a 64-bit integer would overflow PostgreSQL's bigint.
MAX_ID = 2**63 - 1


class IdFilter(django_filters.Filter):
    """An integer id (django-filter's NumberFilter takes decimals)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class UnitFilter(django_filters.FilterSet):
    estate = IdFilter(field_name="estate_id", label="Estate id")
    segment = django_filters.ChoiceFilter(choices=Unit.Segment.choices)

    class Meta:
        model = Unit
        fields = ["estate", "segment"]


class PartyFilter(django_filters.FilterSet):
    unit = IdFilter(field_name="unit_links__unit_id", label="Unit id", distinct=True)
    estate = IdFilter(field_name="unit_links__unit__estate_id", label="Estate id", distinct=True)

    class Meta:
        model = Party
        fields = ["unit", "estate"]


class ChargeFilter(django_filters.FilterSet):
    unit = IdFilter(field_name="unit_id", label="Unit id")
    estate = IdFilter(field_name="unit__estate_id", label="Estate id")
    item = django_filters.ChoiceFilter(choices=ChargeItem.choices)
    overdue = django_filters.BooleanFilter(
        method="filter_overdue",
        label="Past the due date with principal still owed (true) or not (false)",
    )

    class Meta:
        model = Charge
        fields = ["unit", "estate", "item", "overdue"]

    def filter_overdue(self, queryset, name, value):
        return charges_overdue(queryset, value)


class PaymentFilter(django_filters.FilterSet):
    unit = IdFilter(field_name="unit_id", label="Unit id")
    estate = IdFilter(field_name="unit__estate_id", label="Estate id")

    class Meta:
        model = Payment
        fields = ["unit", "estate"]


class CaseFilter(django_filters.FilterSet):
    stage = django_filters.ChoiceFilter(choices=Stage.choices)
    estate = IdFilter(field_name="unit__estate_id", label="Estate id")
    collector = IdFilter(field_name="collector_id", label="Collector (user id)")
    eligible = django_filters.BooleanFilter(
        field_name="next_step_eligible", label="Eligible for the next step (daily sweep)"
    )

    class Meta:
        model = Case
        fields = ["stage", "estate", "collector", "eligible"]
