"""Import of a billing system's monthly arrears list (每月业主欠费清单) into the fee ledger.

One row is one charge of one unit for one month, with what has been paid on it so far.
The file is CSV (UTF-8, UTF-8 with BOM, UTF-16 with BOM or GBK/GB18030, decided from the
bytes; comma, tab or semicolon) or XLSX (first sheet). The header is the first row, or the
first of the top ten rows that names at least three known columns (a title line above it is
allowed); row numbers in messages are the ones the spreadsheet shows (header = row 1 when
the header is on the first line). Columns are matched ignoring case, blanks, ``_ - /`` and a
bracketed unit such as ``(元)``; unknown columns (序号, 备注 …) are ignored.

==============  ===========================================  ====================================
field           headers (Chinese / English)                  values
==============  ===========================================  ====================================
unit *          房号, 房屋, 房屋编号, 房间号 / unit, room    ``3-1201``, ``3栋1201``, ``3#1201``;
                                                             with a 楼栋 column, ``1201``
building        楼栋, 楼号, 栋号, 幢号 / building            ``3``, ``3栋``, ``3号楼``
owner           业主, 业主姓名, 客户名称 / owner             name; creates the owner when the
                                                             unit has none
phone           电话, 联系电话, 手机 / phone, mobile         kept as text
item *          费用项目, 收费项目, 项目 / item              物业管理费, 物业费, 管理费 →
                                                             management_fee; 公共维修金, 维修基金
                                                             → maintenance_fund; 水费 → water;
                                                             电费 → electricity; 燃气费, 煤气费 →
                                                             gas; 停车费, 车位费 → parking;
                                                             其他 → other; or the English code
period *        所属期间, 所属月份, 账期 / period            ``2025-01``, ``2025年1月``,
                                                             ``202501``, ``2025/01``, a date
amount_due *    应收金额, 应缴金额 / amount_due              > 0, at most 2 decimals; ``1,234.50``,
                                                             ``¥1234.5`` and ``元`` accepted
amount_paid     已收金额, 实收金额 / amount_paid             0 ≤ paid ≤ due (blank = 0)
due_date *      应缴日期, 缴费期限, 到期日 / due_date        ``2025-01-15``, ``2025/1/15``,
                                                             ``2025年1月15日``, ``20250115``,
                                                             an Excel date or serial number;
                                                             not before the period
paid_on         缴费日期, 收款日期 / paid_on                 a date as above, not in the future
area            面积, 建筑面积 / area                        m², for creating a unit
segment         类型, 房屋类型 / segment                     已入住 occupied, 空置 vacant,
                                                             商铺 shop, 别墅 villa
==============  ===========================================  ====================================

(* required.) What a row does:

* its charge (unit + item + period) is issued unless already issued with the same amount; a
  different amount is refused — issued charges are never edited, corrections are adjustments;
* 已收金额 minus what earlier imports recorded for that charge is recorded as a payment
  (reference ``import:<item>:<YYYY-MM>``) dated 缴费日期, or the due date when there is none,
  and allocated by the estate's rule like any payment; so re-importing a file changes nothing
  and a file whose 已收金额 grew records only the growth;
* a unit not in the estate is created when any of its rows gives an area or a type (area 0
  when only the type is given); otherwise its rows are refused. An owner name creates the
  owner (one party per name + phone) when the unit has none.

Rows refused: unknown item, amount ≤ 0 or not a number, bad date or period, due date before
its period, paid > due, payment date in the future, the same unit + item + period twice in
the file, a missing unit without area or type, a charge issued with another amount, a paid
amount lower than already imported.
"""

from .plan import REFERENCE_PREFIX as REFERENCE_PREFIX
from .plan import payment_reference as payment_reference
from .reading import CSV as CSV
from .reading import XLSX as XLSX
from .reading import ImportFileError as ImportFileError
from .reading import detect_kind as detect_kind
from .reading import read_table as read_table
from .report import ImportReport as ImportReport
from .report import Progress as Progress
from .rows import RowError as RowError
from .service import ledger_import as ledger_import
