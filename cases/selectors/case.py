"""Reads of cases for the people who work them. Every read is scoped to what the user may
see; phone numbers are masked for anyone not on the case."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from cases.identity import mask_id_number
from cases.models import CallScript, Case, Party, Stage, UnitParty
from cases.models.case import DECIDED_BY_APPROVAL, TRANSITIONS
from cases.permissions import (
    mask_phone,
    may_see_personal_data,
    user_may_transition,
    user_may_view_case,
    user_sees_all_cases,
)
from cases.selectors.ledger import UnitArrears, arrears_for_unit


def case_list_for(user) -> QuerySet[Case]:
    """The cases ``user`` may see, highest priority first: a collector's own, or all."""
    cases = Case.objects.select_related("unit__estate", "collector", "legal_officer")
    if not user_sees_all_cases(user):
        cases = cases.filter(collector_id=user.pk)
    return cases.order_by("-priority", "id")


def transitions_open_to(user, case: Case) -> list[str]:
    """The steps ``user``'s role may take from the case's current stage (the guards are
    only checked when a step is taken); not the steps that apply an approval decision."""
    return [
        name
        for name, spec in TRANSITIONS.items()
        if name not in DECIDED_BY_APPROVAL
        and case.stage in spec.sources
        and user_may_transition(user, case, spec)
    ]


def call_scripts_for(case: Case) -> list[CallScript]:
    """The company's telephone scripts for the case's current step."""
    scripts = CallScript.objects.filter(stage=case.stage).order_by("order")
    if case.stage == Stage.LITIGATION:
        moment = (
            CallScript.Moment.SUMMONS_AFTER
            if case.summons_served_on
            else CallScript.Moment.SUMMONS_BEFORE
        )
        scripts = scripts.filter(moment=moment)
    return list(scripts)


@dataclass(frozen=True)
class PartyContact:
    name: str
    role: str
    liable: bool
    phone: str
    alt_phone: str
    address: str
    email: str
    wechat: str
    masked: bool
    id_number: str = ""  # masked like the phones (3301**********123X)


def party_contacts_for(user, case: Case) -> list[PartyContact]:
    """The unit's parties with their phones, unmasked only for those on the case."""
    unmasked = may_see_personal_data(user, case=case)
    links = UnitParty.objects.filter(unit_id=case.unit_id).select_related("party")

    def shown(phone: str) -> str:
        return phone if unmasked or not phone else mask_phone(phone)

    out = []
    for link in links:
        party: Party = link.party
        out.append(
            PartyContact(
                name=party.name,
                role=link.get_role_display(),
                liable=link.liable,
                phone=shown(party.phone),
                alt_phone=shown(party.alt_phone),
                address=party.address,
                email=party.email if unmasked else "",
                wechat=party.wechat if unmasked else "",
                masked=not unmasked,
                id_number=party.id_number if unmasked else mask_id_number(party.id_number),
            )
        )
    return out


@dataclass(frozen=True)
class CaseView:
    case: Case
    arrears: UnitArrears
    parties: list[PartyContact]
    call_scripts: list[CallScript]


def case_view_for(user, case: Case, *, as_of: dt.date | None = None) -> CaseView:
    """What the collector sees on a case: arrears, parties (masked or not), call scripts.
    Raises ``Case.DoesNotExist`` when the user may not see it."""
    if not user_may_view_case(user, case):
        raise Case.DoesNotExist(f"case {case.pk} is not visible to this user")
    return CaseView(
        case=case,
        arrears=arrears_for_unit(case.unit, as_of=as_of or timezone.localdate()),
        parties=party_contacts_for(user, case),
        call_scripts=call_scripts_for(case),
    )
