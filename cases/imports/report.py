"""What an import found and did: ``ImportReport``, and the progress-bar protocol."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from django.utils.translation import gettext as _

from cases.exports import csv_safe

from .plan import RowAction
from .rows import RowError


class ProgressBar(Protocol):
    def update(self, n: int = 1) -> object: ...

    def close(self) -> object: ...


# (description, total) → a bar; ``tqdm`` fits.
Progress = Callable[[str, int], ProgressBar]


@dataclass
class ImportReport:
    """What an import found and did (or, for a dry run or a refused file, would do)."""

    filename: str = ""
    dry_run: bool = False
    valid_only: bool = False
    kind: str = ""
    encoding: str = ""
    rows: int = 0
    rows_ignored: int = 0
    charges_created: int = 0
    charges_existing: int = 0
    payments_recorded: int = 0
    payments_amount: Decimal = Decimal(0)
    units_created: int = 0
    parties_created: int = 0
    rows_unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    written: bool = False  # something was written (all of it, unless ``interrupted``)
    interrupted: bool = False  # a batch met a concurrent change; earlier batches stand
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)  # phase → seconds

    @property
    def error_rows(self) -> int:
        return len({e.row for e in self.errors})

    @property
    def rows_valid(self) -> int:
        return max(0, self.rows - self.error_rows)

    @property
    def refused(self) -> bool:
        """Nothing was (or would be) imported because of errors."""
        return bool(self.errors) and (not self.valid_only or self.rows_valid == 0)

    def count(self, action: RowAction) -> None:
        self.charges_created += action.create_charge
        self.charges_existing += not action.create_charge
        if action.payment > 0:
            self.payments_recorded += 1
            self.payments_amount += action.payment
        self.rows_unchanged += action.unchanged

    def add(self, other: ImportReport) -> None:
        for name in (
            "charges_created",
            "charges_existing",
            "payments_recorded",
            "payments_amount",
            "units_created",
            "parties_created",
            "rows_unchanged",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def lines(self) -> list[str]:
        """The summary, one figure a line."""
        lines = [
            _("rows read: %(n)d (blank or total lines ignored: %(i)d)")
            % {"n": self.rows, "i": self.rows_ignored},
            _("rows with errors: %(n)d") % {"n": self.error_rows},
        ]
        if self.refused:
            lines.append(
                _("nothing would be imported: fix the errors, or import the valid rows only")
                if self.dry_run
                else _("nothing was imported (未导入任何数据)")
            )
            return lines
        would = self.dry_run
        lines += [
            (_("would be created: ") if would else _("created: "))
            + _("%(c)d charges, %(u)d units, %(p)d parties")
            % {"c": self.charges_created, "u": self.units_created, "p": self.parties_created},
            (_("payments to record: ") if would else _("payments recorded: "))
            + _("%(n)d, total %(amount)s")
            % {"n": self.payments_recorded, "amount": f"{self.payments_amount:.2f}"},
            _("charges already issued (skipped): %(n)d") % {"n": self.charges_existing},
            _("rows changing nothing (skipped): %(n)d") % {"n": self.rows_unchanged},
        ]
        if self.interrupted:
            lines.append(
                _("the import stopped at a concurrent change; re-run it to finish (导入中断)")
            )
        return lines

    def errors_csv(self) -> bytes:
        """The errors as a CSV file for Excel (UTF-8 with BOM): row, column, value, message.
        Cells are made safe against formula injection: values come from the user's file."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["row", "column", "value", "message"])
        for e in self.errors:
            writer.writerow([e.row, csv_safe(e.column), csv_safe(e.value), csv_safe(e.message)])
        return out.getvalue().encode("utf-8-sig")
