"""The only places that take row locks on ledger owners (Saleor's lock_objects habit)."""

from cases.models import Unit


def unit_lock(pk: int) -> Unit:
    """Lock a unit's row for the rest of the transaction: its payments, allocations and
    adjustments are written by one writer at a time."""
    return Unit.objects.select_for_update().select_related("estate").get(pk=pk)
