"""Writers of the record behind an estate's claims: its service contracts, management rules
and fee standards, and a unit's ownership record. Each runs in one transaction with the
estate (or unit) row locked, so two writers cannot both pass the no-overlap check; a scan is
checked (content, size) before anything is written and stored once under its SHA-256."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction

from cases.models import Estate, FeeStandard, ManagementRules, ServiceContract, Unit
from cases.services.files import store_upload
from cases.services.locks import unit_lock


def _estate_lock(pk: int) -> Estate:
    return Estate.objects.select_for_update().get(pk=pk)


def _with_scan(instance, scan, scan_name: str, *, field: str = "scan", name_field: str = ""):
    """Validate ``instance`` first, then store ``scan`` (if any) and point ``field`` at it."""
    instance.full_clean(exclude=[field])
    if scan is not None:
        file, name = store_upload(scan, name=scan_name)
        setattr(instance, field, file)
        setattr(instance, name_field or f"{field}_name", name[:255])
    return instance


@transaction.atomic
def service_contract_record(
    estate: Estate,
    *,
    kind: str,
    party_a_name: str,
    signed_on: dt.date,
    valid_from: dt.date,
    valid_to: dt.date | None = None,
    number: str = "",
    party_a_kind: str = ServiceContract.PartyAKind.DEVELOPER,
    fee_clause: str = "",
    payment_clause: str = "",
    late_fee_clause: str = "",
    scan=None,
    scan_name: str = "",
) -> ServiceContract:
    """Record a property service contract of ``estate``. Its term may not overlap another
    contract of the estate. ``scan``: an upload, file object or bytes (a PDF or an image).
    Raises ``ValidationError`` naming the field (the overlapping contract named); then
    nothing is written."""
    _estate_lock(estate.pk)
    contract = ServiceContract(
        estate=estate,
        kind=kind,
        number=number,
        party_a_kind=party_a_kind,
        party_a_name=party_a_name,
        signed_on=signed_on,
        valid_from=valid_from,
        valid_to=valid_to,
        fee_clause=fee_clause,
        payment_clause=payment_clause,
        late_fee_clause=late_fee_clause,
    )
    _with_scan(contract, scan, scan_name).save()
    return contract


@transaction.atomic
def management_rules_record(
    estate: Estate, *, adopted_on: dt.date, title: str = "管理规约", scan=None, scan_name: str = ""
) -> ManagementRules:
    """Record the estate's management rules (管理规约) with their scan."""
    rules = ManagementRules(estate=estate, title=title, adopted_on=adopted_on)
    _with_scan(rules, scan, scan_name).save()
    return rules


@transaction.atomic
def fee_standard_record(
    estate: Estate,
    *,
    contract: ServiceContract,
    item: str,
    valid_from: dt.date,
    valid_to: dt.date | None = None,
    segment: str = "",
    unit_price: Decimal | None = None,
    monthly_amount: Decimal | None = None,
    clause: str = "",
) -> FeeStandard:
    """Record a fee standard: ``unit_price`` per m² and month, or ``monthly_amount``.

    Refused (``ValidationError`` on ``valid_from``, naming the standard it overlaps) when
    another standard of the same estate, item and segment is in force on any day of its
    validity; nothing is written then."""
    _estate_lock(estate.pk)
    standard = FeeStandard(
        estate=estate,
        contract=contract,
        clause=clause,
        item=item,
        segment=segment,
        unit_price=unit_price,
        monthly_amount=monthly_amount,
        valid_from=valid_from,
        valid_to=valid_to,
    )
    standard.full_clean()
    standard.save()
    return standard


@transaction.atomic
def unit_ownership_record(
    unit: Unit,
    *,
    title_certificate_no: str = "",
    purchase_contract_no: str = "",
    handed_over_on: dt.date | None = None,
    scan=None,
    scan_name: str = "",
) -> Unit:
    """Record a unit's ownership: the 不动产权证号 or the 购房合同编号, the handover date, a
    scan of the certificate or contract. Only the given (non-empty) facts are changed."""
    unit = unit_lock(unit.pk)
    fields = []
    for name, value in (
        ("title_certificate_no", title_certificate_no.strip()),
        ("purchase_contract_no", purchase_contract_no.strip()),
        ("handed_over_on", handed_over_on),
    ):
        if value:
            setattr(unit, name, value)
            fields.append(name)
    _with_scan(unit, scan, scan_name, field="ownership_scan", name_field="ownership_scan_name")
    if scan is not None:
        fields += ["ownership_scan", "ownership_scan_name"]
    if fields:
        unit.save(update_fields=fields)
    return unit
