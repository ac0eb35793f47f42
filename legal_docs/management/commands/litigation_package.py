"""``python manage.py litigation_package CASE [--out DIR]``.

Build the case's litigation package (``legal_docs.package``) and write it to ``DIR``
(default: the current directory). ``CASE`` is a case id (``42``) or number (``CS-000042``).
Prints the path, the chain verification and the package check; exits with an error when
the case does not exist."""

from __future__ import annotations

import re
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cases.models import Case
from cases.services.case import CaseError, system_user
from legal_docs.package import litigation_package_build, package_verify


def case_named(value: str) -> Case:
    match = re.fullmatch(r"(?:CS-)?0*(\d+)", value.strip(), flags=re.IGNORECASE)
    if match is None:
        raise CommandError(f"CASE must be a case id or number like CS-000042, not {value!r}")
    try:
        return Case.objects.select_related("unit__estate").get(pk=int(match.group(1)))
    except Case.DoesNotExist as exc:
        raise CommandError(f"no case {value!r}") from exc


class Command(BaseCommand):
    help = (
        "Build a case's litigation package (诉讼材料包): the complaint or payment-order "
        "application, the evidence list, every evidence file and a manifest with SHA-256s."
    )

    def add_arguments(self, parser):
        parser.add_argument("case", help="case id or number (CS-000042)")
        parser.add_argument("--out", default=".", help="directory to write the zip into")

    def handle(self, *args, case, out, **options):
        found = case_named(case)
        directory = Path(out)
        if not directory.is_dir():
            raise CommandError(f"--out {out!r} is not a directory")
        try:
            result = litigation_package_build(found, actor=system_user())
        except CaseError as exc:
            raise CommandError(exc.message) from exc
        path = directory / result.filename
        path.write_bytes(result.zip_bytes)
        chain = result.manifest["chain"]
        self.stdout.write(str(path))
        if chain["verified"]:
            self.stdout.write(
                f"evidence chain verified: {chain['entries']} entries, head {chain['head_hash']}"
            )
        else:
            problem = chain["problem"]
            self.stdout.write(f"evidence chain BROKEN at seq {problem['seq']}: {problem['reason']}")
        check = package_verify(result.zip_bytes)
        self.stdout.write(
            f"package check: {'ok' if check.ok else 'FAILED'}; "
            f"{len(result.manifest['files'])} files"
        )
        for problem in check.problems:
            self.stdout.write(f"  - {problem}")
