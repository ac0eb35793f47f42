"""Property-based run of the whole API against its own OpenAPI schema (schemathesis): every
operation, GET and POST, called with generated requests as a manager with a token, must
never answer with a server error. The number of examples is bounded so the run stays short.

The schema is the one ``/api/schema/`` serves (drf-spectacular's generator); the requests go
through Django's WSGI handler in-process, inside each test's transaction."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
import schemathesis
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import override_settings
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error

from cases.models import Case, Charge, Party, Payment, Stage, Unit
from cases.roles import Role
from cases.services.case import case_open, contact_log, system_user
from cases.services.ledger import payment_record
from legal_docs.kinds import DocumentKind
from legal_docs.models import LegalDocument
from legal_docs.services import legal_doc_generate
from tests.factories import (
    EstateFactory,
    PartyFactory,
    UnitFactory,
    UnitPartyFactory,
    charge_for,
    user_in_role,
)

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = 6


def _openapi() -> dict:
    spec = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(spec))


schema = schemathesis.openapi.from_dict(_openapi())
schema.app = WSGIHandler()

# Ids of the objects ``api_data`` made, per resource ("cases", "estates", …): generated path
# ids are drawn from these as well as at random, so that operations on one object (a case's
# evidence, a document's download) do more than answer 404.
KNOWN_IDS: dict[str, list[int]] = {}


@schema.hook("flatmap_path_parameters")
def _known_ids_too(context, path_parameters):
    known = KNOWN_IDS.get(context.operation.path.split("/")[2], [])
    if not known or not isinstance(path_parameters, dict) or "id" not in path_parameters:
        return st.just(path_parameters)
    return st.sampled_from([*known, path_parameters["id"]]).map(
        lambda pk: {**path_parameters, "id": pk}
    )


@pytest.fixture(autouse=True)
def _in_process_requests():
    """Requests inside the test's transaction: without the signal that closes the database
    connection at each request's start and end (Django's test client does the same), and
    without throttling (every generated request comes from one user within seconds)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    rates = {"anon": None, "user": None}
    try:
        with override_settings(
            REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
        ):
            yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
        cache.clear()


@pytest.fixture
def manager_token(db) -> str:
    """A manager's token; the manager may also record payments here, so that the payment
    POST is exercised beyond its 403."""
    manager = user_in_role(Role.MANAGER)
    manager.user_permissions.add(Permission.objects.get(codename="add_payment"))
    return Token.objects.create(user=manager).key


@pytest.fixture(autouse=True)
def api_data(db):
    """A little of everything for generated ids to find: cases at a few stages with their
    parties, charges, a payment, a contact and a generated document."""
    collector, finance = user_in_role(Role.COLLECTOR), user_in_role(Role.FINANCE)
    system = system_user()
    estate = EstateFactory()
    cases = []
    for stage in (Stage.NEW, Stage.REMINDING, Stage.LAWYER_LETTER):
        unit = UnitFactory(estate=estate)
        UnitPartyFactory(unit=unit, party=PartyFactory())
        charge_for(unit, "1500.00")
        case = case_open(unit, actor=system, collector=collector)
        Case.objects.filter(pk=case.pk).update(stage=stage)
        cases.append(case)
    contact_log(cases[1], actor=collector, channel="phone", outcome="reached")
    payment_record(cases[0].unit, amount=Decimal("100.00"), paid_on=dt.date.today(), actor=finance)
    legal_doc_generate(DocumentKind.DEMAND_LETTER, unit=cases[1].unit, case=cases[1])
    KNOWN_IDS.clear()
    KNOWN_IDS.update(
        {
            "cases": [c.pk for c in cases],
            "estates": [estate.pk],
            "units": list(Unit.objects.values_list("pk", flat=True)),
            "parties": list(Party.objects.values_list("pk", flat=True)),
            "charges": list(Charge.objects.values_list("pk", flat=True)),
            "payments": list(Payment.objects.values_list("pk", flat=True)),
            "documents": list(LegalDocument.objects.values_list("pk", flat=True)),
        }
    )
    yield
    KNOWN_IDS.clear()


@schema.parametrize()
@hypothesis_settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_operation_answers_with_a_server_error(case, manager_token):
    response = case.call(headers={"Authorization": f"Token {manager_token}"})
    case.validate_response(response, checks=[not_a_server_error])
