"""``manage.py demo``: the demo estate has the household types of the seed, 24 months of
history, one login per role, and a second run changes nothing."""

from __future__ import annotations

from decimal import Decimal
from io import BytesIO, StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from cases.models import (
    Allocation,
    Case,
    Charge,
    ChargeItem,
    ContactAttempt,
    Estate,
    EvidenceEntry,
    Party,
    Payment,
    Stage,
    Unit,
    UnitParty,
)
from cases.selectors.ledger import arrears_as_of
from fixtures.demo_estate import ESTATE_CODE, Household, demo_household_types, demo_months
from legal_docs.models import LegalDocument, NoticeRun
from tests.conftest import frozen_clock_at
from workflows.management.commands.demo import DEMO_PASSWORD, DEMO_USERS

# Every test uses the database, so pytest-django keeps them together (its reordering would
# otherwise tear the module fixture down between groups and generate the estate twice).
pytestmark = pytest.mark.django_db

User = get_user_model()
MODELS = (
    Estate,
    Unit,
    Party,
    UnitParty,
    Charge,
    Payment,
    Allocation,
    User,
    Case,
    ContactAttempt,
    EvidenceEntry,
    LegalDocument,
    NoticeRun,
)


def _row_counts() -> dict[str, int]:
    counts = {model.__name__: model.objects.count() for model in MODELS}
    counts["group memberships"] = User.groups.through.objects.count()
    return counts


class _Rollback(Exception):
    pass


@pytest.fixture(scope="module", autouse=True)
def _frozen_for_the_module():
    """The demo is generated, and every test here reads it, on one frozen day."""
    with frozen_clock_at():
        yield


@pytest.fixture(scope="module")
def demo(_frozen_for_the_module, django_db_setup, django_db_blocker):
    """Run ``demo --no-serve`` twice, once for the whole module (it takes about a minute),
    inside a transaction rolled back afterwards so other modules start empty."""
    with django_db_blocker.unblock():
        try:
            with transaction.atomic():
                first, second = StringIO(), StringIO()
                call_command("demo", "--no-serve", stdout=first)
                before = _row_counts()
                call_command("demo", "--no-serve", stdout=second)
                yield {
                    "first": first.getvalue(),
                    "second": second.getvalue(),
                    "before": before,
                    "after": _row_counts(),
                }
                raise _Rollback
        except _Rollback:
            pass


@pytest.fixture
def demo_estate(demo):
    return Estate.objects.get(code=ESTATE_CODE)


@pytest.fixture
def demo_arrears(demo_estate):
    """What each unit owes today (keyed by ``building-number``), and every unit by id."""
    units = {u.pk: u for u in Unit.objects.filter(estate=demo_estate)}
    owed = arrears_as_of(Unit.objects.filter(estate=demo_estate), as_of=timezone.localdate())
    return {units[pk].label: (units[pk], a) for pk, a in owed.items()}, units


def test_second_run_changes_nothing(demo):
    assert demo["before"] == demo["after"]
    assert demo["before"]["Charge"] > 0
    assert "已存在 Demo estate already loaded" in demo["second"]


def test_about_300_units_in_all_four_segments(demo_estate):
    by_segment = {
        segment: Unit.objects.filter(estate=demo_estate, segment=segment).count()
        for segment in Unit.Segment.values
    }
    assert 280 <= sum(by_segment.values()) <= 320
    assert 180 <= by_segment[Unit.Segment.OCCUPIED] <= 220
    assert 35 <= by_segment[Unit.Segment.VACANT] <= 55
    assert 25 <= by_segment[Unit.Segment.SHOP] <= 45
    assert 15 <= by_segment[Unit.Segment.VILLA] <= 25


def test_every_unit_has_one_liable_owner_and_some_have_tenants(demo_estate):
    units = Unit.objects.filter(estate=demo_estate)
    owners = UnitParty.objects.filter(
        unit__estate=demo_estate, role__in=[UnitParty.Role.OWNER, UnitParty.Role.DEVELOPER]
    )
    assert owners.count() == units.count()
    assert owners.filter(liable=True).count() == units.count()
    assert owners.filter(role=UnitParty.Role.DEVELOPER, party__kind=Party.Kind.COMPANY).exists()
    tenants = UnitParty.objects.filter(unit__estate=demo_estate, role=UnitParty.Role.TENANT)
    assert tenants.count() >= 10
    assert tenants.filter(liable=False).count() > tenants.filter(liable=True).count()
    phones = Party.objects.filter(unit_links__unit__estate=demo_estate, kind=Party.Kind.PERSON)
    for phone in phones.values_list("phone", flat=True):
        assert len(phone.replace("-", "")) == 11 and phone.startswith("1"), phone
    assert Party.objects.filter(lives_in_china=False).exists()


def test_24_months_of_charges_ending_this_month(demo_estate):
    months = demo_months(timezone.localdate())
    fees = Charge.objects.filter(unit__estate=demo_estate, item=ChargeItem.MANAGEMENT_FEE)
    assert sorted(set(fees.values_list("period_start", flat=True))) == months
    assert fees.count() == 24 * Unit.objects.filter(estate=demo_estate).count()
    assert all(d.day == 15 for d in fees.values_list("due_date", flat=True).distinct())
    items = set(Charge.objects.filter(unit__estate=demo_estate).values_list("item", flat=True))
    assert items >= {
        ChargeItem.MANAGEMENT_FEE,
        ChargeItem.MAINTENANCE_FUND,
        ChargeItem.WATER,
        ChargeItem.ELECTRICITY,
        ChargeItem.GAS,
        ChargeItem.PARKING,
    }


def test_the_household_types_of_the_seed_are_there(demo_arrears):
    owed, units = demo_arrears
    types = demo_household_types()
    assert set(types.values()) == set(Household)
    labels = [u.label for u in units.values()]

    def of(household):
        return [label for label in labels if types[label] == household]

    # Most units owe nothing; every punctual payer is among them.
    assert len(units) - len(owed) > len(units) / 2
    assert not any(label in owed for label in of(Household.PUNCTUAL))
    # Long-term refusers (钉子户): over a year overdue — but the one the demo's legal example
    # made pay in full after the lawyer letter, who now owes nothing at all.
    paid = {
        case.unit.label
        for case in Case.objects.filter(stage=Stage.WITHDRAWAL_PENDING).select_related("unit")
    }
    refusers = [label for label in of(Household.REFUSER) if label not in paid]
    assert len(refusers) == len(of(Household.REFUSER)) - 1
    assert all(owed[label][1].days_overdue > 365 for label in refusers)
    assert all(owed[label][1].principal == 0 for label in paid if label in owed)
    # Shops in arrears: more than 5,000 each.
    assert all(owed[label][1].principal >= 5000 for label in of(Household.SHOP_ARREARS))
    # Speculative vacant units: many at or above the 3,000 lawyer-letter threshold.
    vacant = [owed[label][1].principal for label in of(Household.VACANT_SPECULATIVE)]
    assert sum(1 for p in vacant if p >= 3000) >= len(vacant) / 2
    # Late payers: a few months behind at most.
    for label in of(Household.LATE):
        if label in owed and owed[label][1].principal > 0:
            assert owed[label][1].days_overdue < 130
    # Hardship households (困难户): arrears growing despite payments smaller than the fee.
    for label in of(Household.HARDSHIP):
        unit, a = owed[label]
        fee = Charge.objects.filter(unit=unit, item=ChargeItem.MANAGEMENT_FEE).first().amount
        assert a.principal > 0
        assert Payment.objects.filter(unit=unit, amount__lt=fee).count() >= 3


def test_the_demo_users_exist_in_their_groups(demo):
    for username, role, _last, _first in DEMO_USERS:
        user = User.objects.get(username=username)
        assert user.is_staff
        assert user.check_password(DEMO_PASSWORD)
        assert list(user.groups.values_list("name", flat=True)) == [str(role)]
        assert f"{username:<10} / {DEMO_PASSWORD}" in demo["first"]


def test_the_printed_credentials_log_straight_into_each_workspace(demo):
    from django.test import Client

    workspaces = {
        "collector": ("/collector/", "My worklist"),
        "legal": ("/legal/", "Board by stage"),
        "manager": ("/manager/", "Approval inbox"),
    }
    clients = {}
    for username, (path, heading) in workspaces.items():
        assert f"{username:<10} / {DEMO_PASSWORD}" in demo["first"]
        assert f"→ {path}" in demo["first"]
        client = Client()
        response = client.post(
            "/accounts/login/",
            {"username": username, "password": DEMO_PASSWORD},
            follow=True,
            HTTP_ACCEPT_LANGUAGE="en",
        )
        assert response.redirect_chain[-1][0] == path, username
        assert response.status_code == 200
        assert heading in response.content.decode()
        clients[username] = client
    # The demo collector has cases assigned: the worklist is not empty.
    worklist = clients["collector"].get("/collector/").content.decode()
    assert "No cases match." not in worklist
    assert 'href="/case/' in worklist
    # Two hardship households' requests (a waiver, an installment plan) wait for the manager.
    inbox = clients["manager"].get("/manager/").content.decode()
    assert inbox.count('href="/manager/requests/') == 2


def test_the_summary_is_printed(demo):
    out = demo["first"]
    for label in ("欠费户数 Units in arrears", "欠费本金合计 Total principal", "Top 10 debtors"):
        assert label in out
    assert "钉子户 long-term refuser" in out


def test_the_sweep_opened_a_case_for_every_unit_owing_principal(demo, demo_arrears):
    owed, _units = demo_arrears
    owing = {label for label, (_unit, a) in owed.items() if a.principal > 0}
    open_cases = Case.objects.exclude(stage=Stage.CLOSED).select_related("unit")
    # The case paid in full after its lawyer letter stays open until a manager approves the
    # withdrawal; every other open case is a unit owing principal.
    awaiting = {c.unit.label for c in open_cases if c.stage == Stage.WITHDRAWAL_PENDING}
    assert len(awaiting) == 1
    assert {case.unit.label for case in open_cases} - awaiting == owing
    assert all(case.collector and case.legal_officer for case in open_cases)


def test_the_largest_debts_reached_the_demand_letter_and_notices_were_made(demo, demo_arrears):
    assert Case.objects.filter(stage=Stage.DEMAND_LETTER).count() == 3
    run = NoticeRun.objects.get()
    assert run.status == NoticeRun.Status.DONE
    # A notice for every unit in arrears: every open case but the one paid in full.
    in_arrears = Case.objects.exclude(stage__in=[Stage.CLOSED, Stage.WITHDRAWAL_PENDING])
    assert run.documents.count() == run.total == in_arrears.count()
    assert run.merged_file is not None


# --- the contract behind every claim (issue 12, part 2) --------------------------------------


def test_the_demo_has_its_contract_rules_and_standards_with_scans(demo_estate):
    from cases.models import FeeStandard, ManagementRules, ServiceContract
    from cases.storage import blob_read

    contract = ServiceContract.objects.get(estate=demo_estate)
    assert contract.kind == ServiceContract.Kind.PRELIMINARY
    assert (contract.fee_clause, contract.payment_clause, contract.late_fee_clause) == (
        "第五条第二款",
        "第六条第一款",
        "第十二条第一款",
    )
    assert blob_read(contract.scan_id).startswith(b"%PDF")
    assert ManagementRules.objects.get(estate=demo_estate).scan.content_type == "application/pdf"
    assert FeeStandard.objects.filter(estate=demo_estate).count() == 5
    assert demo_estate.collects_maintenance_fund


def test_every_management_fee_and_maintenance_fund_charge_is_area_times_price_times_months(
    demo_estate,
):
    from cases.fee_basis import Basis

    computed = Charge.objects.filter(
        unit__estate=demo_estate,
        item__in=[ChargeItem.MANAGEMENT_FEE, ChargeItem.MAINTENANCE_FUND],
    ).select_related("fee_standard", "unit")
    assert computed.exists()
    assert not computed.filter(fee_standard__isnull=True).exists()
    for charge in computed:
        # recomputed by hand from the unit's area and the standard of its segment
        basis = Basis(charge.unit.area, charge.fee_standard.unit_price, charge.billed_months)
        assert charge.billed_area == charge.unit.area
        assert abs(basis.amount - charge.amount) <= Decimal("0.01"), charge
        assert charge.fee_standard.segment in ("", charge.unit.segment)
    sample = computed.filter(item=ChargeItem.MAINTENANCE_FUND).first()
    assert sample.billed_months == 12
    assert sample.basis_text.endswith(f"× 12个月 = {sample.amount}元")
    metered = Charge.objects.filter(unit__estate=demo_estate, item=ChargeItem.WATER).first()
    assert metered.basis is None


def test_the_demo_parties_have_valid_identities_and_units_their_ownership(demo_estate):
    from django.core.exceptions import ValidationError

    parties = Party.objects.filter(unit_links__unit__estate=demo_estate).distinct()
    problems = []
    for party in parties:
        try:
            party.full_clean()
        except ValidationError as exc:
            problems.append((party.name, exc.message_dict))
    assert problems == []
    persons = parties.filter(kind=Party.Kind.PERSON)
    assert not persons.filter(born_on__isnull=True).exists()
    assert not persons.filter(sex="").exists()
    assert persons.filter(ethnicity="汉族").count() > persons.count() * 0.8
    companies = parties.filter(kind=Party.Kind.COMPANY)
    assert companies.exists() and not companies.filter(legal_representative="").exists()
    units = Unit.objects.filter(estate=demo_estate)
    recorded = units.exclude(title_certificate_no="", purchase_contract_no="")
    assert recorded.count() >= units.count() - 4  # the developer's unsold units have none
    assert units.exclude(purchase_contract_no="").exists()


# --- the README's import example, through the upload page ---------------------------------


def _readme_import_example() -> bytes:
    """The CSV block after ``<!-- import-example -->`` in README.md, as a user would save it."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- import-example -->", 1)[1]
    csv_text = block.split("```csv\n", 1)[1].split("```", 1)[0]
    return csv_text.encode("utf-8")


def _upload(client, estate, content: bytes):
    file = BytesIO(content)
    file.name = "欠费清单.csv"
    return client.post("/imports/ledger/", {"estate": estate.pk, "file": file})


def test_the_readme_import_example_lands_on_the_demo_units_and_creates_none(client, demo_estate):
    """3栋1201 / 3-1201 / 3#1202 / 1301室 beside 3号楼 / ５０２ beside ３幢 / 3号 beside 别墅A区 are
    all units the demo has (stored as 3栋-1201, 别墅A区-3号): the import creates no unit, puts
    each charge and payment on its unit, and a second import of the same file changes nothing."""
    client.force_login(User.objects.get(username="finance"))
    units_before = Unit.objects.filter(estate=demo_estate).count()
    unit = {u.label: u for u in Unit.objects.filter(estate=demo_estate)}
    charges_before = set(Charge.objects.values_list("pk", flat=True))
    payments_before = set(Payment.objects.values_list("pk", flat=True))

    response = _upload(client, demo_estate, _readme_import_example())

    assert response.status_code == 200
    report = response.context["report"]
    assert report.errors == [] and report.units_created == 0, report.errors
    assert Unit.objects.filter(estate=demo_estate).count() == units_before
    old = Charge.objects.exclude(pk__in=charges_before)
    assert sorted(
        (c.unit.label, c.item, f"{c.period_start:%Y-%m}", str(c.amount)) for c in old
    ) == [
        ("3栋-1201", ChargeItem.MANAGEMENT_FEE, "2024-06", "223.40"),
        ("3栋-1201", ChargeItem.MANAGEMENT_FEE, "2024-07", "223.40"),
        ("3栋-1202", ChargeItem.MANAGEMENT_FEE, "2024-06", "240.45"),
        ("3栋-1301", ChargeItem.MANAGEMENT_FEE, "2024-06", "223.40"),
        ("3栋-502", ChargeItem.WATER, "2024-06", "35.20"),
        ("别墅A区-3号", ChargeItem.MANAGEMENT_FEE, "2024-06", "656.40"),
    ]
    imported = Payment.objects.exclude(pk__in=payments_before)
    assert sorted((p.unit_id, str(p.amount), p.paid_on.isoformat()) for p in imported) == sorted(
        [
            (unit["3栋-1201"].pk, "223.40", "2024-06-20"),
            (unit["3栋-1201"].pk, "100.00", "2024-07-18"),
            (unit["3栋-502"].pk, "35.20", "2024-06-28"),
        ]
    )

    counts = {"charges": Charge.objects.count(), "payments": Payment.objects.count()}
    again = _upload(client, demo_estate, _readme_import_example())

    assert again.context["report"].errors == []
    assert Unit.objects.filter(estate=demo_estate).count() == units_before
    assert {"charges": Charge.objects.count(), "payments": Payment.objects.count()} == counts


def test_a_room_without_its_building_names_the_candidate_units(client, demo_estate):
    """Every residential building has a 1801 and a 1802: a row with just 1802 is refused, naming
    them, and nothing is written; 1号 without its villa zone is just as ambiguous."""
    client.force_login(User.objects.get(username="finance"))
    counts = (Unit.objects.count(), Charge.objects.count())
    content = (
        "房号,费用项目,所属期间,应收金额,应缴日期,面积\n"
        "1802,物业管理费,2024-06,200.00,2024-06-15,90\n"
    ).encode()

    report = _upload(client, demo_estate, content).context["report"]

    [error] = report.errors
    assert (error.row, error.value) == (2, "1802")
    assert "ambiguous" in error.message or "不唯一" in error.message
    for building in range(1, 7):
        assert f"{building}栋-1802" in error.message
    assert (Unit.objects.count(), Charge.objects.count()) == counts
