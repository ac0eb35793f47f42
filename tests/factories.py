"""factory_boy factories for the fee ledger.

Charges, payments and adjustments are written through the services in ``cases.services.ledger``
so that allocation is real; ``charge_for`` only fills in sensible defaults.
"""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from cases.models import Charge, ChargeItem, Estate, Party, Unit, UnitParty
from cases.roles import Role
from cases.services.ledger import charge_issue


class EstateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Estate

    name = factory.Sequence(lambda n: f"Estate {n}")
    code = factory.Sequence(lambda n: f"estate-{n}")
    company_name = "Green Garden Property Management Co."
    city = "Hangzhou"
    late_fee_daily_rate = Decimal("0.001")
    grace_days = 0


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    estate = factory.SubFactory(EstateFactory)
    building = "1"
    number = factory.Sequence(lambda n: f"{101 + n}")
    area = Decimal("89.50")
    segment = Unit.Segment.OCCUPIED


class PartyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Party

    name = factory.Sequence(lambda n: f"Owner {n}")
    kind = Party.Kind.PERSON
    phone = factory.Sequence(lambda n: f"138{n:08d}")
    address = "1 Garden Road, Hangzhou"


class UnitPartyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UnitParty

    unit = factory.SubFactory(UnitFactory)
    party = factory.SubFactory(PartyFactory)
    role = UnitParty.Role.OWNER
    liable = True


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("pw")


def user_in_role(role: Role | str, **kwargs):
    """A saved user who belongs to the group of ``role`` (groups come from migration 0003)."""
    user = UserFactory(**kwargs)
    user.groups.add(Group.objects.get(name=str(role)))
    return user


def charge_for(
    unit: Unit,
    amount: Decimal | str = "1000.00",
    *,
    due_date: dt.date = dt.date(2025, 1, 31),
    item: str = ChargeItem.MANAGEMENT_FEE,
    period_start: dt.date | None = None,
    period_end: dt.date | None = None,
    issued_on: dt.date | None = None,
) -> Charge:
    """Issue a charge through ``charge_issue``; the period defaults to the due date's month and
    the charge is issued on the first day of that period."""
    if period_start is None:
        period_start = due_date.replace(day=1)
    if period_end is None:
        last_day = calendar.monthrange(period_start.year, period_start.month)[1]
        period_end = period_start.replace(day=last_day)
    return charge_issue(
        unit,
        item=item,
        period_start=period_start,
        period_end=period_end,
        amount=Decimal(amount),
        due_date=due_date,
        issued_on=issued_on or period_start,
    )


# --- proof of delivery (issue 12, part 3) ----------------------------------------------------


def pdf_file(text: str = "EMS 1234567890 妥投") -> bytes:
    """A small PDF (a scanned receipt, a tracking record, a scanned letter)."""
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n% "
        + text.encode()
        + b"\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )


def delivery_proof(text: str = "EMS 1234567890 妥投") -> dict:
    """The keyword arguments of ``delivery_record`` that prove a letter arrived: the
    courier's delivery record as a stored file. The one helper every test and the e2e paths
    use to reach the lawyer letter or litigation (a claim without proof moves nothing)."""
    return {"proof": pdf_file(text), "proof_name": "妥投记录.pdf"}


def paper_record(text: str = "系统上线前的纸质催缴函") -> dict:
    """The keyword arguments of ``delivery_record`` for a letter served on paper before the
    system held it: the flag and the scan of the letter (its date may precede the case)."""
    return {"paper_record": True, "scan": pdf_file(text), "scan_name": "纸质函件扫描件.pdf"}


def deliver_with_proof(
    case,
    *,
    actor,
    letter: str,
    delivered_on: dt.date,
    status: str = "signed",
    method: str = "registered_mail",
    **extra,
):
    """Record ``letter`` as delivered on ``delivered_on`` with proof of arrival (the courier's
    delivery record), as a paper record with its scan: the tests put cases at a stage
    directly, with no generated letter and often before the case was opened. The one helper
    the tests use to satisfy the art. 944 guard and the limitation clock."""
    from cases.services.case import delivery_record

    return delivery_record(
        case,
        actor=actor,
        letter=letter,
        status=status,
        delivered_on=delivered_on,
        method=method,
        **(paper_record() | delivery_proof() | extra),
    )
