"""The services behind the approval processes: asking, deciding, and applying a decision.

Who asks: a legal officer (or the system, when a paid case reaches ``withdrawal_pending``)
for a withdrawal; the collector, legal officer or manager working the case for a late-fee
waiver or an installment plan; a legal officer or manager for a write-off. Who decides: a user
with ``approvals.can_approve`` (the manager group) who is not the requester — refused here
and by the ``approval_not_self_decided`` check constraint.

A decision is recorded (``approval_record_decision``) and applied by the flow's next node
(``withdrawal_apply``, ``waiver_apply``, …) in the same transaction: if applying fails (the
case moved on, the late fee was paid meanwhile), nothing of the decision is kept and the
error says why. Every decision is exactly one evidence entry on the case: the transition's
entry (its payload carries decision, approver and comment) when the decision moves the case,
otherwise one ``approval`` entry.
"""

from workflows.approvals.services.applying import (
    approval_cancel as approval_cancel,
)
from workflows.approvals.services.applying import (
    approval_close_case as approval_close_case,
)
from workflows.approvals.services.applying import (
    approval_flag_overdue as approval_flag_overdue,
)
from workflows.approvals.services.applying import (
    approval_reject_apply as approval_reject_apply,
)
from workflows.approvals.services.applying import (
    approvals_reconcile as approvals_reconcile,
)
from workflows.approvals.services.applying import (
    installment_plan_apply as installment_plan_apply,
)
from workflows.approvals.services.applying import waiver_apply as waiver_apply
from workflows.approvals.services.applying import withdrawal_apply as withdrawal_apply
from workflows.approvals.services.applying import (
    withdrawal_reject_apply as withdrawal_reject_apply,
)
from workflows.approvals.services.applying import write_off_apply as write_off_apply
from workflows.approvals.services.asking import (
    installment_plan_propose as installment_plan_propose,
)
from workflows.approvals.services.asking import waiver_request as waiver_request
from workflows.approvals.services.asking import (
    withdrawal_process_start as withdrawal_process_start,
)
from workflows.approvals.services.asking import withdrawal_request as withdrawal_request
from workflows.approvals.services.asking import write_off_request as write_off_request
from workflows.approvals.services.common import APPROVE_PERMISSION as APPROVE_PERMISSION
from workflows.approvals.services.common import ApprovalError as ApprovalError
from workflows.approvals.services.common import ApprovalForbidden as ApprovalForbidden
from workflows.approvals.services.common import SelfApprovalRefused as SelfApprovalRefused
from workflows.approvals.services.deciding import approval_assign as approval_assign
from workflows.approvals.services.deciding import approval_decide as approval_decide
from workflows.approvals.services.deciding import (
    approval_record_decision as approval_record_decision,
)
from workflows.approvals.services.deciding import decision_task as decision_task
