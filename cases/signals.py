"""Signals other apps hook their side effects to (documents, SMS, approval flows).
Sent after the transaction commits, so a receiver never sees work that was rolled back."""

from django.dispatch import Signal

# kwargs: case_id, transition, source, target, evidence_id, actor_id
case_stage_changed = Signal()
