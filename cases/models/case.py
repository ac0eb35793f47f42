"""The collection case and its escalation state machine (DESIGN.md section 3).

Transition methods change fields only; ``cases.services.case`` is the one caller: it locks
the row, checks guard and permission, saves, appends the evidence entry and schedules side
effects after commit. ``TRANSITIONS`` is the table the methods are built from; the
permission-matrix test is generated from it too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import GET_STATE, ConcurrentTransitionMixin, FSMField, transition

from cases.roles import Role

from .estate import Unit


class Stage(models.TextChoices):
    NEW = "new", _("New (新立案)")
    REMINDING = "reminding", _("Friendly reminders (友情提醒)")
    DEMAND_LETTER = "demand_letter", _("Demand letter (催缴函)")
    LAWYER_LETTER = "lawyer_letter", _("Lawyer letter (律师函)")
    LITIGATION = "litigation", _("Litigation or payment order (诉讼/支付令)")
    JUDGMENT = "judgment", _("Judgment effective (判决/生效)")
    ENFORCEMENT = "enforcement", _("Enforcement (强制执行)")
    SETTLED = "settled", _("Settled (已结清)")
    WITHDRAWAL_PENDING = "withdrawal_pending", _("Withdrawal pending approval (撤回待批)")
    WITHDRAWN = "withdrawn", _("Withdrawn (已撤回)")
    PAYMENT_PLAN = "payment_plan", _("Installment plan (分期履行)")
    ON_HOLD = "on_hold", _("On hold (暂缓)")
    WRITTEN_OFF = "written_off", _("Written off (核销)")
    CLOSED = "closed", _("Closed (已结案)")


PRE_LEGAL_STAGES = (Stage.NEW, Stage.REMINDING, Stage.DEMAND_LETTER)
LEGAL_STAGES = (Stage.LAWYER_LETTER, Stage.LITIGATION, Stage.JUDGMENT, Stage.ENFORCEMENT)
ESCALATION_STAGES = PRE_LEGAL_STAGES + LEGAL_STAGES
PAUSED_STAGES = (Stage.PAYMENT_PLAN, Stage.ON_HOLD)
OPEN_STAGES = tuple(s for s in Stage if s != Stage.CLOSED)


class LitigationKind(models.TextChoices):
    PAYMENT_ORDER = "payment_order", _("Payment order (支付令)")
    LAWSUIT = "lawsuit", _("Lawsuit (民事诉讼)")


# Civil Procedure Law (督促程序): the debtor pays or objects within 15 days of service. The day
# of service is not counted (期间开始的日不计算在期间内), so the deadline is served + 15 and
# the order is effective from the day after.
PAYMENT_ORDER_OBJECTION_DAYS = 15


class JudgmentKind(models.TextChoices):
    JUDGMENT = "judgment", _("Judgment (判决)")
    MEDIATION = "mediation", _("Mediation agreement (调解书)")
    PAYMENT_ORDER_EFFECTIVE = "payment_order_effective", _("Payment order effective (支付令生效)")


@dataclass(frozen=True)
class TransitionSpec:
    """One row of the transition table: who may do it, from where, to where."""

    name: str
    sources: tuple[str, ...]
    target: str | None  # None: back to the stage the case came from (return_stage)
    roles: frozenset[str]
    label: str


SYSTEM = Role.SYSTEM
COLLECTOR, LEGAL, MANAGER = Role.COLLECTOR, Role.LEGAL_OFFICER, Role.MANAGER

# Steps that only apply a manager's decision on an approval request (withdrawal, installment
# plan, write-off): the approval services take them; the web UI and the API refuse them, so
# the requester ≠ approver rule cannot be bypassed.
DECIDED_BY_APPROVAL = frozenset(
    {"approve_withdrawal", "reject_withdrawal", "start_payment_plan", "write_off"}
)

TRANSITIONS: dict[str, TransitionSpec] = {
    spec.name: spec
    for spec in [
        TransitionSpec(
            "start_reminding",
            (Stage.NEW,),
            Stage.REMINDING,
            frozenset({COLLECTOR, LEGAL, MANAGER, SYSTEM}),
            _("Start reminders"),
        ),
        TransitionSpec(
            "issue_demand",
            (Stage.REMINDING,),
            Stage.DEMAND_LETTER,
            frozenset({LEGAL}),
            _("Issue the demand letter"),
        ),
        TransitionSpec(
            "issue_lawyer_letter",
            (Stage.DEMAND_LETTER,),
            Stage.LAWYER_LETTER,
            frozenset({LEGAL}),
            _("Issue the lawyer letter"),
        ),
        TransitionSpec(
            "file_litigation",
            (Stage.LAWYER_LETTER,),
            Stage.LITIGATION,
            frozenset({LEGAL}),
            _("File a payment order or lawsuit"),
        ),
        TransitionSpec(
            "record_summons",
            (Stage.LITIGATION,),
            Stage.LITIGATION,
            frozenset({LEGAL}),
            _("Record the court summons served"),
        ),
        TransitionSpec(
            "record_court_acceptance",
            (Stage.LITIGATION,),
            Stage.LITIGATION,
            frozenset({LEGAL}),
            _("Record the court's acceptance and case number (立案/受理, 案号)"),
        ),
        TransitionSpec(
            "record_payment_order_service",
            (Stage.LITIGATION,),
            Stage.LITIGATION,
            frozenset({LEGAL}),
            _("Record the payment order served on the debtor (支付令送达)"),
        ),
        TransitionSpec(
            "record_objection",
            (Stage.LITIGATION,),
            Stage.LITIGATION,
            frozenset({LEGAL}),
            _("Record the debtor's objection to the payment order (支付令异议)"),
        ),
        TransitionSpec(
            "payment_order_effective",
            (Stage.LITIGATION,),
            Stage.JUDGMENT,
            frozenset({LEGAL, SYSTEM}),
            _("Payment order effective: no objection within 15 days (支付令生效)"),
        ),
        TransitionSpec(
            "record_judgment",
            (Stage.LITIGATION,),
            Stage.JUDGMENT,
            frozenset({LEGAL}),
            _("Record the judgment, mediation or effective order"),
        ),
        TransitionSpec(
            "apply_enforcement",
            (Stage.JUDGMENT,),
            Stage.ENFORCEMENT,
            frozenset({LEGAL}),
            _("Apply for enforcement"),
        ),
        TransitionSpec(
            "settle",
            PRE_LEGAL_STAGES + PAUSED_STAGES,
            Stage.SETTLED,
            frozenset({SYSTEM}),
            _("Settle (paid in full)"),
        ),
        TransitionSpec(
            "request_withdrawal",
            LEGAL_STAGES + PAUSED_STAGES,
            Stage.WITHDRAWAL_PENDING,
            frozenset({LEGAL, SYSTEM}),
            _("Request withdrawal"),
        ),
        TransitionSpec(
            "approve_withdrawal",
            (Stage.WITHDRAWAL_PENDING,),
            Stage.WITHDRAWN,
            frozenset({MANAGER}),
            _("Approve the withdrawal"),
        ),
        TransitionSpec(
            "reject_withdrawal",
            (Stage.WITHDRAWAL_PENDING,),
            None,
            frozenset({MANAGER}),
            _("Reject the withdrawal"),
        ),
        TransitionSpec(
            "start_payment_plan",
            ESCALATION_STAGES,
            Stage.PAYMENT_PLAN,
            frozenset({MANAGER}),
            _("Start the approved installment plan"),
        ),
        TransitionSpec(
            "default_payment_plan",
            (Stage.PAYMENT_PLAN,),
            None,
            frozenset({LEGAL, MANAGER, SYSTEM}),
            _("Installment plan defaulted"),
        ),
        TransitionSpec(
            "hold",
            ESCALATION_STAGES,
            Stage.ON_HOLD,
            frozenset({LEGAL, MANAGER}),
            _("Put on hold (dispute or hardship review)"),
        ),
        TransitionSpec("resume", (Stage.ON_HOLD,), None, frozenset({LEGAL, MANAGER}), _("Resume")),
        TransitionSpec(
            "write_off",
            ESCALATION_STAGES + PAUSED_STAGES + (Stage.WITHDRAWN,),
            Stage.WRITTEN_OFF,
            frozenset({MANAGER}),
            _("Write off (approved)"),
        ),
        TransitionSpec(
            "close",
            (Stage.SETTLED, Stage.WITHDRAWN, Stage.WRITTEN_OFF),
            Stage.CLOSED,
            frozenset({MANAGER, SYSTEM}),
            _("Close"),
        ),
    ]
}


def _permission(name: str):
    """django-fsm permission callable: the user's role allows the transition (and a
    collector only on cases assigned to them)."""

    def allowed(case: Case, user) -> bool:
        from cases.permissions import user_may_transition

        return user_may_transition(user, case, TRANSITIONS[name])

    return allowed


def _condition(name: str):
    def met(case: Case) -> bool:
        # The service checked the guard as of its own date just before; reuse that verdict
        # rather than re-reading the database as of today.
        checked = getattr(case, "_guard_verdict", None)
        if checked is not None and checked[0] == name:
            return bool(checked[1])
        from cases.policy import guard_for

        return bool(guard_for(name)(case))

    met.__name__ = f"guard_{name}"
    return met


def _spec_transition(name: str):
    spec = TRANSITIONS[name]
    target = (
        spec.target
        if spec.target is not None
        else GET_STATE(lambda case, *a, **kw: case.return_stage, states=[s.value for s in Stage])
    )
    return transition(
        field="stage",
        source=[str(s) for s in spec.sources],
        target=target,
        conditions=[_condition(name)],
        permission=_permission(name),
    )


class Case(ConcurrentTransitionMixin, models.Model):
    """A collection case (催收案件): one open case per unit at a time."""

    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="cases", verbose_name=_("unit")
    )
    stage = FSMField(
        _("stage"), max_length=20, choices=Stage.choices, default=Stage.NEW, protected=True
    )
    return_stage = models.CharField(
        _("stage to return to"),
        max_length=20,
        choices=Stage.choices,
        blank=True,
        help_text=_("Where a hold, installment plan or rejected withdrawal returns the case."),
    )
    collector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="collector_cases",
        verbose_name=_("collector"),
    )
    legal_officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="legal_cases",
        verbose_name=_("legal officer"),
    )
    opened_on = models.DateField(_("opened on"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)

    litigation_kind = models.CharField(
        _("litigation kind"), max_length=20, choices=LitigationKind.choices, blank=True
    )
    court = models.CharField(_("court"), max_length=200, blank=True)
    court_case_number = models.CharField(_("court case number"), max_length=80, blank=True)
    filed_on = models.DateField(_("filed on"), null=True, blank=True)
    summons_served_on = models.DateField(_("summons served on"), null=True, blank=True)
    judgment_kind = models.CharField(
        _("judgment kind"), max_length=30, choices=JudgmentKind.choices, blank=True
    )
    judgment_on = models.DateField(_("judgment effective on"), null=True, blank=True)
    performance_deadline = models.DateField(
        _("performance deadline stated in the judgment or mediation (履行期限)"),
        null=True,
        blank=True,
        help_text=_(
            "The last day of the performance period: the two years to apply for enforcement "
            "run from it (民事诉讼法第二百五十条)."
        ),
    )

    # Payment-order facts (督促程序, DESIGN.md section 6).
    company_owes_debtor = models.BooleanField(
        _("the company owes the debtor something in return"),
        default=False,
        help_text=_(
            "E.g. a deposit to return or a compensation owed (对待给付): no payment order then."
        ),
    )
    preservation_applied = models.BooleanField(
        _("pre-suit preservation applied for (诉前保全)"),
        default=False,
        help_text=_("A payment order is not available once property preservation was sought."),
    )
    payment_order_served_on = models.DateField(
        _("payment order served on the debtor on"), null=True, blank=True
    )
    objection_deadline = models.DateField(
        _("objection deadline (served + 15 days)"), null=True, blank=True
    )
    objected_on = models.DateField(_("debtor objected on"), null=True, blank=True)

    # Written by the daily sweep: derived figures for worklists, never the source of truth.
    swept_on = models.DateField(_("last swept on"), null=True, blank=True)
    principal_snapshot = models.DecimalField(
        _("principal owed (at last sweep)"), max_digits=14, decimal_places=2, default=0
    )
    days_overdue_snapshot = models.PositiveIntegerField(
        _("days overdue (at last sweep)"), default=0
    )
    next_step = models.CharField(_("next step"), max_length=30, blank=True)
    next_step_eligible = models.BooleanField(_("eligible for the next step"), default=False)
    next_step_reason = models.TextField(_("why (not) eligible"), blank=True)
    withdrawal_rejected = models.BooleanField(
        _("withdrawal rejected"),
        default=False,
        help_text=_("A manager refused to withdraw; only a new payment asks again."),
    )
    priority = models.PositiveIntegerField(_("priority score"), default=0)
    # Written nightly by ``cases.services.limitation.limitation_snapshot`` for the dashboards;
    # the case page and the worklists compute the clock live.
    limitation_checked_on = models.DateField(_("limitation checked on"), null=True, blank=True)
    limitation_expires_on = models.DateField(
        _("earliest limitation expiry (at last check)"), null=True, blank=True
    )
    limitation_at_risk = models.DecimalField(
        _("amount within 90 days of its limitation or past it (at last check)"),
        max_digits=14,
        decimal_places=2,
        default=0,
    )

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-priority", "id"]
        permissions = [
            ("view_all_cases", _("Can see every case, not only assigned ones")),
            ("see_unmasked_phones", _("Can see owners' phone numbers on any case")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["unit"],
                condition=~Q(stage=Stage.CLOSED),
                name="case_one_open_per_unit",
                violation_error_message=_("This unit already has an open case."),
            ),
        ]
        indexes = [models.Index(fields=["stage", "priority"], name="case_stage_priority_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.unit.label} [{self.get_stage_display()}]"

    @property
    def is_open(self) -> bool:
        return self.stage != Stage.CLOSED

    # --- transitions: fields only, no save, no I/O -------------------------------------

    @_spec_transition("start_reminding")
    def start_reminding(self, **_kw):
        pass

    @_spec_transition("issue_demand")
    def issue_demand(self, **_kw):
        pass

    @_spec_transition("issue_lawyer_letter")
    def issue_lawyer_letter(self, **_kw):
        pass

    @_spec_transition("file_litigation")
    def file_litigation(
        self, *, kind: str, court: str, filed_on, court_case_number: str = "", **_kw
    ):
        self.litigation_kind = kind
        self.court = court
        self.filed_on = filed_on
        self.court_case_number = court_case_number

    @_spec_transition("record_summons")
    def record_summons(self, *, served_on, court_case_number: str = "", **_kw):
        self.summons_served_on = served_on
        if court_case_number:
            self.court_case_number = court_case_number

    @_spec_transition("record_court_acceptance")
    def record_court_acceptance(self, *, accepted_on, court_case_number: str, **_kw):
        # The day of acceptance stays in the step's evidence entry (its params).
        self.court_case_number = court_case_number.strip()

    @_spec_transition("record_payment_order_service")
    def record_payment_order_service(self, *, served_on, **_kw):
        self.payment_order_served_on = served_on
        self.objection_deadline = served_on + dt.timedelta(days=PAYMENT_ORDER_OBJECTION_DAYS)

    @_spec_transition("record_objection")
    def record_objection(self, *, on, **_kw):
        # Civil Procedure Law: a valid objection ends the payment-order procedure and the
        # case goes on as a lawsuit (督促程序终结，转入诉讼程序).
        self.objected_on = on
        self.litigation_kind = LitigationKind.LAWSUIT

    @_spec_transition("payment_order_effective")
    def payment_order_effective(self, **_kw):
        self.judgment_kind = JudgmentKind.PAYMENT_ORDER_EFFECTIVE
        self.judgment_on = self.objection_deadline + dt.timedelta(days=1)

    @_spec_transition("record_judgment")
    def record_judgment(self, *, kind: str, effective_on, performance_deadline=None, **_kw):
        self.judgment_kind = kind
        self.judgment_on = effective_on
        self.performance_deadline = performance_deadline

    @_spec_transition("apply_enforcement")
    def apply_enforcement(self, **_kw):
        pass

    @_spec_transition("settle")
    def settle(self, **_kw):
        self.return_stage = ""

    @_spec_transition("request_withdrawal")
    def request_withdrawal(self, **_kw):
        if self.stage not in PAUSED_STAGES:
            self.return_stage = self.stage
        self.withdrawal_rejected = False

    @_spec_transition("approve_withdrawal")
    def approve_withdrawal(self, **_kw):
        pass

    @_spec_transition("reject_withdrawal")
    def reject_withdrawal(self, **_kw):
        self.withdrawal_rejected = True

    @_spec_transition("start_payment_plan")
    def start_payment_plan(self, **_kw):
        self.return_stage = self.stage

    @_spec_transition("default_payment_plan")
    def default_payment_plan(self, **_kw):
        pass

    @_spec_transition("hold")
    def hold(self, **_kw):
        self.return_stage = self.stage

    @_spec_transition("resume")
    def resume(self, **_kw):
        pass

    @_spec_transition("write_off")
    def write_off(self, **_kw):
        pass

    @_spec_transition("close")
    def close(self, *, on=None, **_kw):
        self.closed_on = on
