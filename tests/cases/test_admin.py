"""The admin: every page opens, search and filters work, the ledger stays append-only and
goes through the services, rows written by the case services are read-only, a collector sees
only their cases, and the site speaks Chinese and English."""

import datetime as dt
from decimal import Decimal
from unittest import mock

import pytest
from django.apps import apps
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from cases.models import (
    Adjustment,
    Allocation,
    CallScript,
    Case,
    Channel,
    Charge,
    ChargeItem,
    ContactAttachment,
    ContactAttempt,
    Delivery,
    DeliveryStatus,
    Estate,
    EvidenceEntry,
    Letter,
    Outcome,
    Party,
    Payment,
    StoredFile,
    Unit,
    UnitParty,
)
from cases.roles import Role
from cases.services.case import case_open, contact_log
from cases.services.ledger import adjustment_record, charge_issue, payment_record
from tests.factories import user_in_role

pytestmark = pytest.mark.django_db

LEDGER_MODELS = [Estate, Unit, Party, UnitParty, Charge, Payment, Adjustment, Allocation]
CASE_MODELS = [
    Case,
    ContactAttempt,
    ContactAttachment,
    Delivery,
    CallScript,
    EvidenceEntry,
    StoredFile,
]
ALL_MODELS = LEDGER_MODELS + CASE_MODELS
ADDABLE_MODELS = [Estate, Unit, Party, UnitParty, Charge, Payment, CallScript]
READ_ONLY_MODELS = [m for m in ALL_MODELS if m not in ADDABLE_MODELS]


def admin_url(model, view, *args):
    """The URL without a language prefix (English in the test settings)."""
    with translation.override("en"):
        return reverse(f"admin:cases_{model._meta.model_name}_{view}", args=args)


@pytest.fixture(autouse=True)
def _keep_active_language():
    """LocaleMiddleware activates the request's language in this thread; undo it after."""
    with translation.override(translation.get_language()):
        yield


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.com", "pw")


@pytest.fixture
def approver(django_user_model):
    return django_user_model.objects.create_user("manager", password="pw")


@pytest.fixture
def client_admin(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def ledger(superuser, approver):
    """Two estates; in the first, a unit with an owner, two charges, a payment that pays the
    older one and an approved waiver on the newer one."""
    estate = Estate.objects.create(name="Sunshine Garden", code="sunshine", city="Hangzhou")
    other = Estate.objects.create(name="Lakeside", code="lakeside", city="Suzhou")
    unit = Unit.objects.create(estate=estate, building="3", number="1201", area=Decimal("89.5"))
    vacant = Unit.objects.create(
        estate=estate,
        building="5",
        number="0402",
        area=Decimal("120"),
        segment=Unit.Segment.VACANT,
    )
    shop = Unit.objects.create(
        estate=other, building="S1", number="101", area=Decimal("60"), segment=Unit.Segment.SHOP
    )
    owner = Party.objects.create(name="Zhang Wei", phone="13800000001", id_number="330100")
    tenant = Party.objects.create(
        name="Acme Trading Co", kind=Party.Kind.COMPANY, phone="0571-1234", lives_in_china=True
    )
    UnitParty.objects.create(unit=unit, party=owner, role=UnitParty.Role.OWNER)
    UnitParty.objects.create(unit=shop, party=tenant, role=UnitParty.Role.TENANT, liable=False)
    charges = [
        charge_issue(
            unit,
            item=ChargeItem.MANAGEMENT_FEE,
            period_start=dt.date(2024, month, 1),
            period_end=dt.date(2024, month + 2, 28),
            amount=Decimal("600.00"),
            due_date=dt.date(2024, month, 15),
            issued_on=dt.date(2024, month, 1),
        )
        for month in (1, 4)
    ]
    water = charge_issue(
        vacant,
        item=ChargeItem.WATER,
        period_start=dt.date(2024, 1, 1),
        period_end=dt.date(2024, 1, 31),
        amount=Decimal("35.00"),
        due_date=dt.date(2024, 2, 10),
        issued_on=dt.date(2024, 2, 1),
    )
    payment = payment_record(
        unit, amount=Decimal("600.00"), paid_on=dt.date(2024, 1, 10), actor=superuser
    )
    adjustment = adjustment_record(
        unit,
        kind=Adjustment.Kind.CORRECTION,
        amount=Decimal("100.00"),
        effective_on=dt.date(2024, 4, 20),
        reason_category=Adjustment.ReasonCategory.BILLING_ERROR,
        reason="Area was billed at the wrong rate.",
        requested_by=superuser,
        approved_by=approver,
    )
    return {
        "estate": estate,
        "other": other,
        "unit": unit,
        "vacant": vacant,
        "shop": shop,
        "owner": owner,
        "tenant": tenant,
        "charges": charges,
        "water": water,
        "payment": payment,
        "adjustment": adjustment,
    }


@pytest.fixture
def collector_staff(db):
    return user_in_role(Role.COLLECTOR, is_staff=True)


@pytest.fixture
def cases(ledger, superuser, collector_staff):
    """A case on the vacant unit with a contact, an attachment and a delivery; another case,
    assigned to a collector, on the shop."""
    case = case_open(ledger["vacant"], actor=superuser, on=dt.date(2024, 6, 1))
    contact = contact_log(
        case,
        actor=superuser,
        channel=Channel.PHONE,
        outcome=Outcome.NO_ANSWER,
        occurred_at=timezone.now() - dt.timedelta(days=1),
        notes="Rang twice.",
    )
    stored = StoredFile.objects.create(sha256="a" * 64, size=1234, content_type="image/jpeg")
    ContactAttachment.objects.create(
        contact=contact,
        kind=ContactAttachment.Kind.PHOTO,
        file=stored,
        original_name="door.jpg",
        uploaded_by=superuser,
    )
    Delivery.objects.create(
        case=case,
        letter=Letter.DEMAND_LETTER,
        status=DeliveryStatus.RETURNED,
        delivered_on=dt.date(2024, 6, 10),
        method=Channel.REGISTERED_MAIL,
        recorded_by=superuser,
    )
    assigned = case_open(
        ledger["shop"], actor=superuser, on=dt.date(2024, 6, 1), collector=collector_staff
    )
    return {"case": case, "contact": contact, "assigned": assigned}


def changelist_ids(response):
    return {obj.pk for obj in response.context["cl"].result_list}


# --- every page opens ----------------------------------------------------------------------


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda m: m.__name__)
def test_changelist_and_change_page_open(client_admin, cases, model):
    assert client_admin.get(admin_url(model, "changelist")).status_code == 200
    obj = model.objects.first()
    assert obj is not None
    assert client_admin.get(admin_url(model, "change", obj.pk)).status_code == 200


@pytest.mark.parametrize("model", ADDABLE_MODELS, ids=lambda m: m.__name__)
def test_add_page_opens(client_admin, model):
    assert client_admin.get(admin_url(model, "add")).status_code == 200


@pytest.mark.parametrize("model", READ_ONLY_MODELS, ids=lambda m: m.__name__)
def test_add_is_disabled_for_rows_written_by_services(client_admin, model):
    assert client_admin.get(admin_url(model, "add")).status_code == 403


@pytest.mark.parametrize("model", READ_ONLY_MODELS, ids=lambda m: m.__name__)
def test_rows_written_by_services_are_view_only(client_admin, cases, model):
    obj = model.objects.first()
    page = client_admin.get(admin_url(model, "change", obj.pk))
    assert page.context["adminform"].form.fields == {}
    assert client_admin.post(admin_url(model, "change", obj.pk), {}).status_code == 403
    assert client_admin.post(admin_url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    assert model.objects.filter(pk=obj.pk).exists()


def test_adjustment_changelist_explains_where_adjustments_come_from(client_admin, ledger):
    response = client_admin.get(admin_url(Adjustment, "changelist"))
    assert "through the workflow" in response.content.decode()


def test_case_page_shows_contacts_deliveries_and_evidence(client_admin, cases):
    case = cases["case"]
    content = client_admin.get(admin_url(Case, "change", case.pk)).content.decode()
    assert "Rang twice." in content
    assert "Demand letter (催缴函)" in content
    assert "Case opened for 5-0402" in content


def test_collector_sees_only_assigned_cases(client, cases, collector_staff):
    client.force_login(collector_staff)
    response = client.get(admin_url(Case, "changelist"))
    assert response.status_code == 200
    assert changelist_ids(response) == {cases["assigned"].pk}
    assert client.get(admin_url(Case, "change", cases["case"].pk)).status_code == 302
    contacts = client.get(admin_url(ContactAttempt, "changelist"))
    assert changelist_ids(contacts) == set()


def test_every_model_of_the_app_is_registered_and_its_changelist_opens(client_admin, cases):
    for model in apps.get_app_config("cases").get_models():
        assert admin.site.is_registered(model), model
        assert client_admin.get(admin_url(model, "changelist")).status_code == 200, model


def test_estate_form_shows_every_editable_field(client_admin):
    form = client_admin.get(admin_url(Estate, "add")).context["adminform"].form
    editable = {f.name for f in Estate._meta.concrete_fields if f.editable and not f.primary_key}
    assert set(form.fields) == editable


def test_admin_index_lists_every_model(client_admin):
    content = client_admin.get("/admin/").content.decode()
    for model in ALL_MODELS:
        assert admin_url(model, "changelist") in content


def test_changelists_do_not_query_per_row(
    client_admin, superuser, ledger, cases, django_assert_max_num_queries
):
    for number in range(10):
        unit = Unit.objects.create(
            estate=ledger["other"], building="9", number=f"{number:04}", area=Decimal(50)
        )
        charge_issue(
            unit,
            item=ChargeItem.PARKING,
            period_start=dt.date(2024, 1, 1),
            period_end=dt.date(2024, 1, 31),
            amount=Decimal("150.00"),
            due_date=dt.date(2024, 1, 31),
            issued_on=dt.date(2024, 1, 1),
        )
        payment_record(unit, amount=Decimal("100.00"), paid_on=dt.date(2024, 1, 5))
        case = case_open(unit, actor=superuser, on=dt.date(2024, 3, 1))
        contact_log(
            case,
            actor=superuser,
            channel=Channel.SMS,
            outcome=Outcome.REACHED,
            occurred_at=timezone.now() - dt.timedelta(hours=number + 1),
        )
    for model in ALL_MODELS:
        with django_assert_max_num_queries(12):
            assert client_admin.get(admin_url(model, "changelist")).status_code == 200


# --- search and filters --------------------------------------------------------------------


def test_unit_search_by_owner_name_and_phone(client_admin, ledger):
    url = admin_url(Unit, "changelist")
    assert changelist_ids(client_admin.get(url, {"q": "Zhang"})) == {ledger["unit"].pk}
    assert changelist_ids(client_admin.get(url, {"q": "13800000001"})) == {ledger["unit"].pk}
    assert changelist_ids(client_admin.get(url, {"q": "0402"})) == {ledger["vacant"].pk}


def test_estate_search_by_code(client_admin, ledger):
    response = client_admin.get(admin_url(Estate, "changelist"), {"q": "lakeside"})
    assert changelist_ids(response) == {ledger["other"].pk}


def test_party_search_and_filter(client_admin, ledger):
    url = admin_url(Party, "changelist")
    assert changelist_ids(client_admin.get(url, {"q": "330100"})) == {ledger["owner"].pk}
    companies = client_admin.get(url, {"kind__exact": Party.Kind.COMPANY})
    assert changelist_ids(companies) == {ledger["tenant"].pk}


def test_unit_filter_by_segment_and_estate(client_admin, ledger):
    url = admin_url(Unit, "changelist")
    vacant = client_admin.get(url, {"segment__exact": Unit.Segment.VACANT})
    assert changelist_ids(vacant) == {ledger["vacant"].pk}
    other = client_admin.get(url, {"estate__id__exact": ledger["other"].pk})
    assert changelist_ids(other) == {ledger["shop"].pk}


def test_charge_filters_by_item_and_segment(client_admin, ledger):
    url = admin_url(Charge, "changelist")
    water = client_admin.get(url, {"item__exact": ChargeItem.WATER})
    assert changelist_ids(water) == {ledger["water"].pk}
    vacant = client_admin.get(url, {"unit__segment__exact": Unit.Segment.VACANT})
    assert changelist_ids(vacant) == {ledger["water"].pk}
    by_unit = client_admin.get(url, {"q": "1201"})
    assert changelist_ids(by_unit) == {c.pk for c in ledger["charges"]}
    april = client_admin.get(url, {"due_date__year": 2024, "due_date__month": 4})
    assert changelist_ids(april) == {ledger["charges"][1].pk}


def test_payment_and_adjustment_filters(client_admin, ledger):
    payments = client_admin.get(admin_url(Payment, "changelist"), {"method__exact": "cash"})
    assert changelist_ids(payments) == set()
    payments = client_admin.get(admin_url(Payment, "changelist"), {"method__exact": "bank"})
    assert changelist_ids(payments) == {ledger["payment"].pk}
    waivers = client_admin.get(
        admin_url(Adjustment, "changelist"), {"reason_category__exact": "billing_error"}
    )
    assert changelist_ids(waivers) == {ledger["adjustment"].pk}


# --- the ledger goes through the services and stays append-only ----------------------------


def test_adding_a_payment_allocates_it(client_admin, superuser, ledger):
    unit = ledger["unit"]
    response = client_admin.post(
        admin_url(Payment, "add"),
        {
            "unit": unit.pk,
            "amount": "550.00",
            "paid_on": "2024-05-01",
            "method": Payment.Method.WECHAT,
            "reference": "WX-778",
            "payer_name": "Zhang Wei",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    payment = Payment.objects.get(reference="WX-778")
    assert payment.recorded_by == superuser
    allocations = list(payment.allocations.all())
    # The April charge still owed 500 principal after the 100 correction; the rest of the
    # payment goes to accrued late fees.
    principal = [a for a in allocations if a.target == Allocation.Target.PRINCIPAL]
    assert [(a.charge_id, a.amount) for a in principal] == [
        (ledger["charges"][1].pk, Decimal("500.00"))
    ]
    assert sum(a.amount for a in allocations) <= payment.amount
    assert all(a.allocated_on == dt.date(2024, 5, 1) for a in allocations)
    page = client_admin.get(admin_url(Payment, "change", payment.pk))
    assert page.status_code == 200
    assert "500.00" in page.content.decode()


def test_adding_a_charge_applies_credit(client_admin, ledger):
    unit = ledger["shop"]
    payment = payment_record(unit, amount=Decimal("200.00"), paid_on=dt.date(2024, 1, 2))
    assert not payment.allocations.exists()
    response = client_admin.post(
        admin_url(Charge, "add"),
        {
            "unit": unit.pk,
            "item": ChargeItem.MANAGEMENT_FEE,
            "period_start": "2024-01-01",
            "period_end": "2024-03-31",
            "amount": "300.00",
            "due_date": "2024-01-15",
            "issued_on": "2024-01-05",
            "note": "",
        },
    )
    assert response.status_code == 302
    charge = Charge.objects.get(unit=unit)
    assert [(a.payment_id, a.amount) for a in charge.allocations.all()] == [
        (payment.pk, Decimal("200.00"))
    ]


def test_invalid_charge_is_shown_with_its_error(client_admin, ledger):
    response = client_admin.post(
        admin_url(Charge, "add"),
        {
            "unit": ledger["shop"].pk,
            "item": ChargeItem.WATER,
            "period_start": "2024-03-01",
            "period_end": "2024-02-01",
            "amount": "10.00",
            "due_date": "2024-03-10",
            "issued_on": "2024-03-01",
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert not Charge.objects.filter(unit=ledger["shop"]).exists()


def test_service_refusal_redisplays_the_form(client_admin, ledger):
    refusal = ValidationError({"amount": "Refused by the service.", "paid_on": "Too late."})
    with mock.patch("cases.admin.payment_record", side_effect=refusal):
        response = client_admin.post(
            admin_url(Payment, "add"),
            {
                "unit": ledger["shop"].pk,
                "amount": "10.00",
                "paid_on": "2024-05-01",
                "method": Payment.Method.CASH,
            },
        )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["amount"] == ["Refused by the service."]
    assert errors["paid_on"] == ["Too late."]
    assert not Payment.objects.filter(unit=ledger["shop"]).exists()


def test_existing_charge_cannot_be_changed(client_admin, ledger):
    charge = ledger["charges"][0]
    url = admin_url(Charge, "change", charge.pk)
    page = client_admin.get(url)
    assert page.status_code == 200
    assert "amount" not in page.context["adminform"].form.fields  # shown read-only
    response = client_admin.post(
        url,
        {
            "unit": charge.unit_id,
            "item": charge.item,
            "period_start": "2024-01-01",
            "period_end": "2024-03-28",
            "amount": "1.00",
            "due_date": "2024-01-15",
            "issued_on": "2024-01-01",
        },
    )
    assert response.status_code == 403
    charge.refresh_from_db()
    assert charge.amount == Decimal("600.00")


@pytest.mark.parametrize("model", [Charge, Payment, Adjustment, Allocation])
def test_ledger_rows_cannot_be_deleted(client_admin, ledger, model):
    obj = model.objects.first()
    response = client_admin.post(admin_url(model, "delete", obj.pk), {"post": "yes"})
    assert response.status_code == 403
    assert model.objects.filter(pk=obj.pk).exists()


def test_unit_with_inline_owner_can_be_added(client_admin, ledger):
    response = client_admin.post(
        admin_url(Unit, "add"),
        {
            "estate": ledger["other"].pk,
            "building": "S2",
            "number": "105",
            "area": "45.00",
            "segment": Unit.Segment.SHOP,
            "unit_parties-TOTAL_FORMS": "1",
            "unit_parties-INITIAL_FORMS": "0",
            "unit_parties-0-party": ledger["owner"].pk,
            "unit_parties-0-role": UnitParty.Role.OWNER,
            "unit_parties-0-liable": "on",
        },
    )
    assert response.status_code == 302
    unit = Unit.objects.get(estate=ledger["other"], building="S2", number="105")
    assert list(unit.parties.all()) == [ledger["owner"]]


# --- languages -----------------------------------------------------------------------------


def test_admin_index_in_chinese(client_admin):
    content = client_admin.get("/zh-hans/admin/").content.decode()
    assert "物业费催收管理" in content
    assert "小区" in content
    assert "应收费用" in content
    assert "缴费记录" in content


def test_chinese_is_the_default_language_of_the_product(client_admin, settings):
    settings.LANGUAGE_CODE = "zh-hans"  # the default of config.settings.base
    content = client_admin.get("/admin/cases/").content.decode()
    assert "物业费催收案件" in content
    assert "缴费记录" in content


def test_estate_form_in_chinese(client_admin):
    content = client_admin.get("/zh-hans" + admin_url(Estate, "add")).content.decode()
    assert "滞纳金" in content
    assert "律师函" in content


def test_admin_in_english(client_admin):
    content = client_admin.get("/admin/").content.decode()
    assert "Fee recovery administration" in content
    assert "Estates" in content
    with translation.override("zh-hans"):
        assert str(Estate._meta.verbose_name_plural) == "小区"
        assert str(ChargeItem.WATER.label) == "水费"
