"""The litigation package 诉讼材料包: one zip with everything a court filing needs.

Contents (paths sorted, fixed timestamps):

- ``01-<kind>.docx``: the civil complaint 民事起诉状 or the payment-order application
  支付令申请书, per the case's litigation kind — the latest generated one, or a new one when
  the case has none;
- ``04-service_address_confirmation.docx`` and ``05-power_of_attorney.docx``: the
  送达地址确认书 and 授权委托书 (latest, or generated when the case has none);
- ``02-evidence_list.docx``: the evidence list 证据目录 of the chain as it stands — the
  latest one when nothing was recorded after it, else a new one;
- ``03-calculation_table.docx``: the 欠费明细及滞纳金计算表 of the claim on the package's
  date — the latest one when its figures are still the claim's, else a new one (generated
  before the evidence list, which lists it);
- ``03-calculation_table.xlsx``: the same table as a spreadsheet
  (``legal_docs.calculation_table``), made at packing time;
- ``evidence/…``: every file the evidence chain names (contact attachments, delivery
  proofs, generated documents), as stored;
- ``manifest.json``: the case, each file's path, SHA-256 and size, and the result of the
  chain verification (``cases.services.evidence``) with the chain's head hash.

**Determinism.** The same case state gives byte-identical ``manifest.json`` and zip: the
entries are sorted, every zip timestamp is the time of the chain's last entry, the JSON is
dumped with sorted keys, and nothing in it depends on the time of the call. Building the
package writes no evidence entry of its own: an export that changed the chain would make
the next export differ (and its evidence list stale). What it may write — a missing filing
document or a new evidence list — goes through ``legal_doc_generate`` and is recorded
there, *before* the manifest is made, so the manifest describes the state it packs; a
second call on an unchanged case generates nothing and returns the same bytes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import zipfile
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Case, ContactAttachment, Delivery, EvidenceEntry, StoredFile
from cases.models.case import LEGAL_STAGES
from cases.models.evidence import EvidenceKind
from cases.services.case import CaseError
from cases.services.evidence import evidence_status
from cases.storage import blob_path
from legal_docs.calculation_table import calculation_table_xlsx
from legal_docs.contexts import MissingFact, calculation_table_context, litigation_document_kind
from legal_docs.kinds import DocumentKind
from legal_docs.models import LegalDocument
from legal_docs.services import legal_doc_generate

MANIFEST = "manifest.json"
CALCULATION_TABLE = "03-calculation_table.xlsx"
CALCULATION_TABLE_DOCX = "03-calculation_table.docx"
FORMAT = "fee-recovery litigation package v1"
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
EXTENSIONS = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "image/heic": ".heic",
    "audio/mpeg": ".mp3",
    "audio/mp4": ".m4a",
    "audio/amr": ".amr",
    "audio/wav": ".wav",
    "audio/x-wav": ".wav",
    "application/pdf": ".pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
}


@dataclass(frozen=True)
class PackageResult:
    zip_bytes: bytes
    manifest: dict
    filename: str

    @property
    def chain_verified(self) -> bool:
        return bool(self.manifest["chain"]["verified"])


@dataclass(frozen=True)
class PackageCheck:
    """What ``package_verify`` found: ok when every file matches the manifest and the chain
    had verified when the package was made."""

    ok: bool
    problems: list[str] = field(default_factory=list)


def case_number(case: Case) -> str:
    return f"CS-{case.pk:06d}"


def _latest(case: Case, kind: str) -> LegalDocument | None:
    return (
        LegalDocument.objects.filter(case=case, kind=kind)
        .select_related("unit")
        .order_by("-version", "-id")
        .first()
    )


def _filing_document(case: Case, *, actor, as_of: dt.date) -> LegalDocument:
    kind = litigation_document_kind(case)
    return _latest(case, kind) or legal_doc_generate(
        kind, unit=case.unit, case=case, actor=actor, as_of=as_of
    )


def _evidence_list(case: Case, *, actor, as_of: dt.date) -> LegalDocument:
    """The latest evidence list if it is the chain's last entry (it lists everything before
    it), else a new one."""
    latest = _latest(case, DocumentKind.EVIDENCE_LIST)
    head = EvidenceEntry.objects.filter(case=case).order_by("-seq").first()
    if (
        latest is not None
        and head is not None
        and head.kind == EvidenceKind.DOCUMENT
        and json.loads(head.body).get("data", {}).get("document") == latest.pk
    ):
        return latest
    return legal_doc_generate(
        DocumentKind.EVIDENCE_LIST, unit=case.unit, case=case, actor=actor, as_of=as_of
    )


def _calculation_document(case: Case, *, actor, as_of: dt.date) -> LegalDocument:
    """The latest 欠费明细及滞纳金计算表 when it prints the claim of ``as_of`` as it stands
    (same figures), else a new one. Made before the evidence list, which then lists it."""
    latest = _latest(case, DocumentKind.CALCULATION_TABLE)
    if latest is not None:
        current = calculation_table_context(case, as_of=as_of)["calc"]
        if latest.context.get("calc") == json.loads(json.dumps(current)):
            return latest
    return legal_doc_generate(
        DocumentKind.CALCULATION_TABLE, unit=case.unit, case=case, actor=actor, as_of=as_of
    )


def _filing_forms(case: Case, *, actor, as_of: dt.date) -> tuple[list[LegalDocument], list]:
    """The 送达地址确认书 and 授权委托书 filed with the complaint: the latest of each, or a
    new one when the case has none. One the estate cannot support (``MissingFact``: no
    lawyer, no company address…) is left out and named, with the reason, in the manifest's
    ``unavailable``."""
    forms, unavailable = [], []
    for kind in (DocumentKind.SERVICE_ADDRESS_CONFIRMATION, DocumentKind.POWER_OF_ATTORNEY):
        try:
            forms.append(
                _latest(case, kind)
                or legal_doc_generate(kind, unit=case.unit, case=case, actor=actor, as_of=as_of)
            )
        except MissingFact as exc:
            unavailable.append({"kind": str(kind), "reason": "; ".join(exc.messages)})
    return forms, unavailable


def _safe(name: str) -> str:
    """A file name safe in a zip on any system: no directories, no control characters."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[\x00-\x1f<>:\"|?*]+", "_", name).strip(" .")
    return name[:120]


def _zip_time(entries: list[EvidenceEntry]) -> tuple[int, int, int, int, int, int]:
    if not entries:
        return ZIP_EPOCH
    at = timezone.localtime(entries[-1].recorded_at)
    stamp = (at.year, at.month, at.day, at.hour, at.minute, at.second)
    return max(stamp, ZIP_EPOCH)


def _stored_bytes(sha: str) -> bytes | None:
    """The stored bytes as they are now (not re-checked: the manifest records what is
    there, the chain verification says whether it is still what was recorded)."""
    try:
        return blob_path(sha).read_bytes()
    except FileNotFoundError:
        return None


def _evidence_files(case: Case, entries: list[EvidenceEntry], skip: set[str]) -> list[dict]:
    """Every file named by the chain, once, under ``evidence/<seq>-<n>-<name>``."""
    names: dict[str, str] = {}
    for sha, name in ContactAttachment.objects.filter(contact__case=case).values_list(
        "file_id", "original_name"
    ):
        names.setdefault(sha, name)
    for document in LegalDocument.objects.filter(case=case).select_related("unit"):
        names.setdefault(document.sha256, document.filename)
    # A delivery proof keeps no file name: name it after its letter and status.
    delivery_proofs = Delivery.objects.filter(case=case, proof__isnull=False).values_list(
        "proof_id", "letter", "status", "proof__content_type"
    )
    for sha, letter, status, content_type in delivery_proofs:
        names.setdefault(sha, f"{letter}-{status}{EXTENSIONS.get(content_type, '')}")
    seen: set[str] = set(skip)
    wanted: list[tuple[int, int, str]] = []
    for entry in entries:
        for n, sha in enumerate(json.loads(entry.body).get("files") or [], start=1):
            if sha not in seen:
                seen.add(sha)
                wanted.append((entry.seq, n, sha))
    types = dict(
        StoredFile.objects.filter(sha256__in=[s for _q, _n, s in wanted]).values_list(
            "sha256", "content_type"
        )
    )
    files = []
    for seq, n, sha in wanted:
        name = _safe(names.get(sha, "")) or f"{sha[:16]}{EXTENSIONS.get(types.get(sha, ''), '')}"
        files.append(
            {
                "path": f"evidence/{seq:04d}-{n}-{name}",
                "recorded_sha256": sha,
                "evidence_seq": seq,
                "role": "evidence",
            }
        )
    return files


def _add_calculation_table(case: Case, *, as_of: dt.date, files: list, contents: dict) -> None:
    """The 欠费明细及滞纳金计算表 (.xlsx) of the claim on ``as_of``, made now (it is not an
    evidence-chain file: its bytes depend only on the case state and ``as_of``)."""
    content, _name = calculation_table_xlsx(case, as_of=as_of)
    sha = hashlib.sha256(content).hexdigest()
    path = CALCULATION_TABLE
    files.append(
        {
            "path": path,
            "recorded_sha256": sha,
            "evidence_seq": None,
            "role": "calculation_table",
            "sha256": sha,
            "size": len(content),
            "intact": True,
        }
    )
    contents[path] = content


def litigation_package_build(case: Case, *, actor, as_of: dt.date | None = None) -> PackageResult:
    """Build the case's litigation package (see the module docstring). May generate the
    filing document and a fresh evidence list first (each with its evidence entry); records
    nothing else."""
    as_of = as_of or timezone.localdate()
    case = Case.objects.select_related("unit__estate").get(pk=case.pk)
    if not (case.filed_on or case.stage in LEGAL_STAGES or case.return_stage in LEGAL_STAGES):
        raise CaseError(
            _(
                "Case #%(id)s is at “%(stage)s”: a litigation package is made from the lawyer "
                "letter on, once a demand has been served and its deadline has passed."
            )
            % {"id": case.pk, "stage": case.get_stage_display()},
            case=case,
        )
    filing = _filing_document(case, actor=actor, as_of=as_of)
    calculation = _calculation_document(case, actor=actor, as_of=as_of)
    # the forms before the evidence list, which must be the chain's last entry
    forms, unavailable = _filing_forms(case, actor=actor, as_of=as_of)
    listing = _evidence_list(case, actor=actor, as_of=as_of)

    entries = list(EvidenceEntry.objects.filter(case=case).order_by("seq"))
    problem = evidence_status(case)
    seq_of = {}
    for entry in entries:
        for sha in json.loads(entry.body).get("files") or []:
            seq_of.setdefault(sha, entry.seq)
    forms_planned = [
        {
            "path": f"{n:02d}-{form.kind}.docx",
            "recorded_sha256": form.sha256,
            "evidence_seq": seq_of.get(form.sha256),
            "role": "filing_form",
            "document": form.number,
        }
        for n, form in enumerate(forms, start=4)
    ]
    planned = [
        {
            "path": f"01-{filing.kind}.docx",
            "recorded_sha256": filing.sha256,
            "evidence_seq": seq_of.get(filing.sha256),
            "role": "filing",
            "document": filing.number,
        },
        {
            "path": "02-evidence_list.docx",
            "recorded_sha256": listing.sha256,
            "evidence_seq": seq_of.get(listing.sha256),
            "role": "evidence_list",
            "document": listing.number,
        },
        {
            "path": CALCULATION_TABLE_DOCX,
            "recorded_sha256": calculation.sha256,
            "evidence_seq": seq_of.get(calculation.sha256),
            "role": "calculation_table",
            "document": calculation.number,
        },
        *forms_planned,
        *_evidence_files(
            case,
            entries,
            skip={filing.sha256, listing.sha256, calculation.sha256, *(f.sha256 for f in forms)},
        ),
    ]

    stamp = _zip_time(entries)
    files, missing, contents = [], [], {}
    for item in planned:
        content = _stored_bytes(item["recorded_sha256"])
        if content is None:
            missing.append(item)
            continue
        sha = hashlib.sha256(content).hexdigest()
        files.append(
            {**item, "sha256": sha, "size": len(content), "intact": sha == item["recorded_sha256"]}
        )
        contents[item["path"]] = content
    _add_calculation_table(case, as_of=as_of, files=files, contents=contents)
    head = entries[-1] if entries else None
    manifest = {
        "format": FORMAT,
        "case": {
            "id": case.pk,
            "number": case_number(case),
            "estate": case.unit.estate.name,
            "unit": case.unit.label,
            "litigation_kind": case.litigation_kind,
            "court": case.court or case.unit.estate.court_name,
            "court_case_number": case.court_case_number,
        },
        "state_at": timezone.localtime(head.recorded_at).isoformat() if head else None,
        "files": sorted(files, key=lambda f: f["path"]),
        "missing": sorted(missing, key=lambda f: f["path"]),
        "unavailable": unavailable,
        "chain": {
            "verified": problem is None,
            "entries": len(entries),
            "head_seq": head.seq if head else 0,
            "head_hash": head.hash if head else "",
            "problem": None if problem is None else {"seq": problem.seq, "reason": problem.reason},
        },
    }
    manifest_bytes = manifest_dumps(manifest)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted([*contents, MANIFEST]):
            info = zipfile.ZipInfo(path, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            archive.writestr(info, manifest_bytes if path == MANIFEST else contents[path])
    return PackageResult(
        zip_bytes=buffer.getvalue(),
        manifest=manifest,
        filename=f"litigation-package-{case_number(case)}.zip",
    )


def manifest_dumps(manifest: dict) -> bytes:
    return (json.dumps(manifest, sort_keys=True, ensure_ascii=False, indent=2) + "\n").encode()


def package_verify(zip_bytes: bytes) -> PackageCheck:
    """Unzip, re-hash every file and compare with ``manifest.json``: a file changed, missing
    or not listed is a problem, and so is a chain that did not verify when it was packed."""
    problems = []
    try:
        archive = zipfile.ZipFile(io.BytesIO(zip_bytes))
        manifest = json.loads(archive.read(MANIFEST))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        return PackageCheck(False, [f"not a litigation package: {exc}"])
    listed = {f["path"]: f for f in manifest.get("files", [])}
    present = set(archive.namelist()) - {MANIFEST}
    for path in sorted(present - set(listed)):
        problems.append(f"{path}: in the zip but not in the manifest")
    for path, item in sorted(listed.items()):
        if path not in present:
            problems.append(f"{path}: listed in the manifest but not in the zip")
            continue
        content = archive.read(path)
        if hashlib.sha256(content).hexdigest() != item["sha256"] or len(content) != item["size"]:
            problems.append(f"{path}: SHA-256 or size differs from the manifest")
        elif not item.get("intact", True):
            problems.append(f"{path}: differs from the file the evidence chain recorded")
    for item in manifest.get("missing", []):
        problems.append(f"{item['path']}: the stored file was missing when packed")
    chain = manifest.get("chain", {})
    if not chain.get("verified"):
        problem = chain.get("problem") or {}
        problems.append(
            f"evidence chain broken at seq {problem.get('seq')}: {problem.get('reason')}"
        )
    return PackageCheck(not problems, problems)
