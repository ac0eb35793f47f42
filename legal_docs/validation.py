"""Checking an uploaded template version before anyone renders it (DESIGN.md sections 4, 7).

``validate_template`` looks at an upload in three stages, each only once the one before has
passed, and lists everything wrong in the stage that fails:

1. the archive, from the zip directory alone (nothing is decompressed): upload size, a zip, a
   Word document's parts, the number of entries, the total uncompressed size and the
   compression ratio of every part (a zip bomb), encrypted or duplicated parts, macros;
2. the XML parts: no DOCTYPE and no ENTITY declaration (XXE, billion laughs);
3. the template: Jinja syntax, anything the sandbox forbids, and every value it reads that is
   not in its kind's documented context (``legal_docs.contexts_schema``). The template is read
   statically (every branch, taken or not) and then rendered in the sandbox against the
   sample context with a recording ``Undefined``.

``analyse`` (stage 3 on any context) also serves ``render_docx`` to name every missing value
when a render fails on one.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from jinja2 import ChainableUndefined, TemplateError, TemplateSyntaxError, UndefinedError, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import modifies_known_mutable
from jinja2.utils import missing

from legal_docs.contexts_schema import SAMPLE_CONTEXTS, sample_context
from legal_docs.rendering import (
    CORE_PROPERTIES,
    FOOTNOTES_CONTENT_TYPE,
    UNSAFE_ATTRIBUTE,
    DocumentEnvironment,
    SandboxedDocxTemplate,
    TemplateRenderError,
    load_template,
    security_message,
    syntax_message,
    unsafe_attribute_message,
)

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_ENTRIES = 500
MAX_UNCOMPRESSED_BYTES = 30 * 1024 * 1024
MAX_RATIO = 100
RATIO_CHECKED_FROM_BYTES = 1024 * 1024
# Parts parsed as XML (media such as SVG may legitimately carry a DOCTYPE and are never parsed)
XML_SUFFIXES = (".xml", ".rels", ".vml")
REQUIRED_PARTS = ("[Content_Types].xml", "word/document.xml")
MACRO_CONTENT_TYPE = "application/vnd.ms-word.document.macroEnabled.main+xml"
_DECLARATION = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_DOCUMENT_OVERRIDE = re.compile(
    r'<Override[^>]*PartName="/word/document\.xml"[^>]*ContentType="([^"]*)"', re.IGNORECASE
)
_MB = 1024 * 1024


class TemplateRejected(ValidationError):
    """An uploaded template was refused; ``errors`` (and ``messages``) list every reason."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = list(errors)
        super().__init__(self.errors)


@dataclass(frozen=True)
class TemplateReport:
    """What an accepted template is: its hash, what it reads, how many zip entries it has."""

    kind: str
    sha256: str
    size: int
    entry_count: int
    variables: tuple[str, ...]  # top-level context names it reads, sorted
    paths: tuple[str, ...]  # the dotted paths it reads (``owner.name``), sorted


def validate_template(data: bytes, kind: str) -> TemplateReport:
    """Accept an uploaded .docx template of ``kind`` or refuse it with every reason.

    Raises ``TemplateRejected`` (a ``ValidationError``) when the upload is too large, not a
    zip, not a Word document, a zip bomb (more than 500 entries, more than 30 MB uncompressed,
    a part over 1 MB compressed more than 100:1), has macros, declares a DOCTYPE or ENTITY in
    an XML part, has a Jinja syntax error, tries what the sandbox forbids, or reads a value not
    in ``kind``'s documented context. No side effects.
    """
    if kind not in SAMPLE_CONTEXTS:
        known = ", ".join(sorted(SAMPLE_CONTEXTS))
        raise TemplateRejected(
            [
                _("unknown document kind %(kind)r; expected one of %(known)s")
                % {"kind": kind, "known": known}
            ]
        )
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"template data must be bytes, not {type(data).__name__}")
    data = bytes(data)

    infos = _check_archive(data)
    _check_xml_parts(data, infos)
    usage = analyse(data, sample_context(kind))
    errors = usage.errors + [
        _("uses %(value)s, which is not in the %(kind)s context") % {"value": label, "kind": kind}
        for label in usage.missing_labels()
    ]
    if errors:
        raise TemplateRejected(errors)
    return TemplateReport(
        kind=kind,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        entry_count=len(infos),
        variables=tuple(sorted(usage.names)),
        paths=tuple(usage.leaf_paths()),
    )


# --- stage 1: the zip directory ----------------------------------------------------------


def _check_archive(data: bytes) -> list[zipfile.ZipInfo]:
    errors = []
    if len(data) > MAX_UPLOAD_BYTES:
        errors.append(
            _("the upload is %(size).1f MB; a template may be at most %(limit)d MB")
            % {"size": len(data) / _MB, "limit": MAX_UPLOAD_BYTES // _MB}
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        raise TemplateRejected(
            [*errors, _("the file is not a .docx (it is not a zip archive)")]
        ) from None

    names = [info.filename for info in infos]
    if len(infos) > MAX_ENTRIES:
        errors.append(
            _("the archive has %(count)d entries; a template may have at most %(limit)d")
            % {"count": len(infos), "limit": MAX_ENTRIES}
        )
    total = sum(info.file_size for info in infos)
    if total > MAX_UNCOMPRESSED_BYTES:
        errors.append(
            _("the archive unpacks to %(size).1f MB; a template may unpack to at most %(limit)d MB")
            % {"size": total / _MB, "limit": MAX_UNCOMPRESSED_BYTES // _MB}
        )
    for info in infos:
        if info.file_size > RATIO_CHECKED_FROM_BYTES and info.file_size > MAX_RATIO * max(
            info.compress_size, 1
        ):
            ratio = info.file_size / max(info.compress_size, 1)
            errors.append(
                _(
                    "the part %(part)s is compressed %(ratio)d:1 (%(size).1f MB unpacked): "
                    "a zip bomb"
                )
                % {"part": info.filename, "ratio": ratio, "size": info.file_size / _MB}
            )
        if info.flag_bits & 0x1:
            errors.append(_("the part %(part)s is encrypted") % {"part": info.filename})
    errors += [
        _("the archive contains the part %(part)s more than once") % {"part": name}
        for name, count in sorted(Counter(names).items())
        if count > 1
    ]
    missing = [name for name in REQUIRED_PARTS if name not in names]
    if missing:
        errors.append(
            _("the file is not a Word .docx document (no %(parts)s)")
            % {"parts": _(" and no ").join(missing)}
        )
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        errors.append(_("the document contains macros (vbaProject.bin); upload a plain .docx"))
    if errors:
        raise TemplateRejected(errors)
    return infos


# --- stage 2: the XML parts ----------------------------------------------------------------


def _decode_xml(raw: bytes) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16", errors="replace")
    if raw[:4] in (b"<\x00?\x00", b"\x00<\x00?"):
        return raw.decode("utf-16-le" if raw[0] == 0x3C else "utf-16-be", errors="replace")
    return raw.decode("utf-8", errors="replace")


def _check_xml_parts(data: bytes, infos: list[zipfile.ZipInfo]) -> None:
    errors = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in infos:
            if not info.filename.lower().endswith(XML_SUFFIXES):
                continue
            try:
                text = _decode_xml(archive.read(info))
            except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError) as exc:
                errors.append(
                    _("the part %(part)s is corrupt (%(error)s)")
                    % {"part": info.filename, "error": exc}
                )
                continue
            for declaration in sorted({m.upper() for m in _DECLARATION.findall(text)}):
                errors.append(
                    _(
                        "the part %(part)s contains <!%(declaration)s …>, which templates may not "
                        "have (XML external entities)"
                    )
                    % {"part": info.filename, "declaration": declaration}
                )
            if info.filename == "[Content_Types].xml":
                match = _DOCUMENT_OVERRIDE.search(text)
                if match and match.group(1) == MACRO_CONTENT_TYPE:
                    errors.append(_("the document is macro-enabled (.docm); upload a plain .docx"))
    if errors:
        raise TemplateRejected(errors)


# --- stage 3: what the template reads ----------------------------------------------------

_UNKNOWN = object()  # a value the analysis cannot see: a local, a call's result
_ABSENT = object()  # a path missing from the context (reported once, where it starts)


@dataclass
class TemplateUsage:
    """What a template reads from a context, and what is wrong with it."""

    names: set[str] = field(default_factory=set)
    paths: set[str] = field(default_factory=set)
    missing: dict[str, set[str]] = field(default_factory=dict)  # path → how the template spells it
    forbidden: dict[str, str] = field(default_factory=dict)  # attribute or message → message
    syntax_errors: list[str] = field(default_factory=list)
    other_errors: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        """Every problem other than missing values, as messages."""
        return [*self.syntax_errors, *self.forbidden.values(), *self.other_errors]

    def add_missing(self, path: str, spelling: str | None = None) -> None:
        """Record that ``path`` is not in the context (and how the template spells it)."""
        spellings = self.missing.setdefault(path, set())
        if spelling:
            spellings.add(spelling)

    def missing_labels(self) -> list[str]:
        """Each missing value as the template writes it (``{{ owner.nickname }}``), followed
        by its path in the context when that differs (``{{ row.x }} (arrears.items[].x)``)."""
        labels = []
        for path in sorted(self.missing):
            spellings = " ".join(f"{{{{ {s} }}}}" for s in sorted(self.missing[path] - {path}))
            labels.append(f"{spellings} ({path})" if spellings else f"{{{{ {path} }}}}")
        return labels

    def leaf_paths(self) -> list[str]:
        """The paths read, without those that only lead to a longer one."""
        paths = sorted(self.paths)
        return [
            p
            for i, p in enumerate(paths)
            if not (i + 1 < len(paths) and paths[i + 1].startswith((p + ".", p + "[")))
        ]


def analyse(template_bytes: bytes, context: dict) -> TemplateUsage:
    """Read ``template_bytes`` statically, then render it in the sandbox against ``context``
    with a recording ``Undefined``; return what it reads and everything wrong with it
    (a syntax error stops before the render). Writes nothing anywhere."""
    usage = TemplateUsage()
    try:
        template = load_template(template_bytes)
    except TemplateRenderError as exc:
        usage.other_errors.append(str(exc))
        return usage
    undefined = _recording_undefined(usage)
    env = DocumentEnvironment(undefined=undefined)
    for part, source in _sources(template):
        try:
            ast = env.parse(source)
        except TemplateSyntaxError as exc:
            exc.source = exc.source or source
            usage.syntax_errors.append(syntax_message(exc, part))
            continue
        _StaticReader(usage, context, env.globals).visit(ast, {})
    if usage.syntax_errors:
        return usage

    template.text_env = DocumentEnvironment(autoescape=False, undefined=undefined)
    try:
        template.render(_traced(context, ""), jinja_env=env)
    except SecurityError as exc:
        match = UNSAFE_ATTRIBUTE.search(str(exc))
        if not (match and match["attr"] in usage.forbidden):  # else recorded when reached
            usage.forbidden.setdefault(str(exc), security_message(exc))
    except UndefinedError as exc:
        if not usage.missing:  # else a consequence of a value already reported missing
            usage.other_errors.append(_render_failed(exc.message or str(exc)))
    except TemplateError as exc:
        usage.other_errors.append(_render_failed(exc.message or str(exc)))
    except RecursionError:
        usage.other_errors.append(_("the template recurses too deeply to render"))
    except (TypeError, ValueError, ArithmeticError, LookupError, AttributeError) as exc:
        if not usage.missing:
            usage.other_errors.append(_render_failed(f"{type(exc).__name__}: {exc}"))
    return usage


def _render_failed(reason: str) -> str:
    return _("the template could not be rendered: %(reason)s") % {"reason": reason}


def _type_name(obj: Any) -> str:
    """The type a legal officer would recognise (not the tracing wrappers)."""
    for base in (dict, list):
        if isinstance(obj, base):
            return base.__name__
    return type(obj).__name__


def _sources(template: SandboxedDocxTemplate) -> list[tuple[str, str]]:
    """Every Jinja source docxtpl renders, as it renders it, with the part it comes from."""
    body = template.patch_xml(template.get_xml())
    sources = [("word/document.xml", re.sub(r"<w:p([ >])", r"\n<w:p\1", body))]
    for uri in (template.HEADER_URI, template.FOOTER_URI):
        for _rel, part in template.get_headers_footers(uri):
            xml = template.patch_xml(template.get_part_xml(part))
            sources.append(
                (str(part.partname).lstrip("/"), re.sub(r"<w:p([ >])", r"\n<w:p\1", xml))
            )
    for part in template.docx.part.package.iter_parts():
        if part.content_type == FOOTNOTES_CONTENT_TYPE:
            xml = template.patch_xml(part.blob.decode("utf-8"))
            sources.append(
                (str(part.partname).lstrip("/"), re.sub(r"<w:p([ >])", r"\n<w:p\1", xml))
            )
    props = template.docx.core_properties
    for name in CORE_PROPERTIES:
        value = getattr(props, name)
        if value and "{" in value:
            sources.append((f"the document property {name}", value))
    return sources


class _TracedDict(dict):
    """A context mapping that knows its path, so a missing key can be named in full."""

    __slots__ = ("_tpath",)


class _TracedList(list):
    __slots__ = ("_tpath",)


def _traced(value: Any, path: str) -> Any:
    if isinstance(value, dict):
        traced = _TracedDict(
            {k: _traced(v, f"{path}.{k}" if path else str(k)) for k, v in value.items()}
        )
    elif isinstance(value, list | tuple):
        traced = _TracedList(_traced(v, f"{path}[]") for v in value)
    else:
        return value
    traced._tpath = path
    return traced


def _recording_undefined(usage: TemplateUsage) -> type[ChainableUndefined]:
    class RecordingUndefined(ChainableUndefined):
        """Records what is missing (or forbidden) and lets the render go on."""

        __slots__ = ()

        def __init__(self, hint=None, obj=missing, name=None, exc=UndefinedError) -> None:
            super().__init__(hint, obj, name, exc)
            if exc is SecurityError:
                if isinstance(name, str):
                    usage.forbidden[name] = unsafe_attribute_message(name, _type_name(obj))
                else:
                    usage.forbidden[str(hint)] = security_message(SecurityError(hint or ""))
            elif isinstance(obj, _TracedDict) and isinstance(name, str):
                usage.add_missing(f"{obj._tpath}.{name}" if obj._tpath else name)

    return RecordingUndefined


class _StaticReader:
    """Walks a template's AST and resolves every ``a.b[c]`` chain against the context, so a
    missing value is found even in a branch the sample context does not take."""

    def __init__(self, usage: TemplateUsage, context: dict, env_globals: dict) -> None:
        self.usage = usage
        self.context = context
        self.globals = env_globals

    def visit(self, node: nodes.Node, scope: dict) -> None:
        if isinstance(node, nodes.Name | nodes.Getattr | nodes.Getitem):
            self.expr(node, scope)
        elif isinstance(node, nodes.For):
            self.visit_for(node, scope)
        elif isinstance(node, nodes.Assign | nodes.AssignBlock):
            for child in node.iter_child_nodes(exclude=("target",)):
                self.visit(child, scope)
            scope.update(dict.fromkeys(_target_names(node.target), (None, _UNKNOWN)))
        elif isinstance(node, nodes.With):
            for value in node.values:
                self.visit(value, scope)
            inner = scope | dict.fromkeys(_target_names(*node.targets), (None, _UNKNOWN))
            for child in node.body:
                self.visit(child, inner)
        elif isinstance(node, nodes.Macro | nodes.CallBlock):
            if isinstance(node, nodes.CallBlock):
                self.visit(node.call, scope)
            else:
                scope[node.name] = (None, _UNKNOWN)
            for default in node.defaults:
                self.visit(default, scope)
            names = [*_target_names(*node.args), "varargs", "kwargs", "caller"]
            inner = scope | dict.fromkeys(names, (None, _UNKNOWN))
            for child in node.body:
                self.visit(child, inner)
        elif isinstance(node, nodes.Include | nodes.Extends | nodes.Import | nodes.FromImport):
            statement = type(node).__name__.lower().replace("fromimport", "from … import")
            self.usage.other_errors.append(
                _("the template uses {%% %(statement)s %%}, which document templates cannot")
                % {"statement": statement}
            )
        else:
            if isinstance(node, nodes.Filter) and node.name == "attr" and node.args:
                arg = node.args[0]
                if isinstance(arg, nodes.Const) and isinstance(arg.value, str):
                    self.check_attribute(arg.value)
            for child in node.iter_child_nodes():
                self.visit(child, scope)

    def visit_for(self, node: nodes.For, scope: dict) -> None:
        path, value = self.expr(node.iter, scope)
        element: tuple[str | None, Any] = (None, _UNKNOWN)
        if path is not None and isinstance(value, list | tuple):
            element = (f"{path}[]", _merged(value))
        inner = dict(scope)
        if isinstance(node.target, nodes.Name):
            inner[node.target.name] = element
        else:
            inner |= dict.fromkeys(_target_names(node.target), (None, _UNKNOWN))
        inner["loop"] = (None, _UNKNOWN)
        for child in [node.test, *node.body]:
            if child is not None:
                self.visit(child, inner)
        for child in node.else_:
            self.visit(child, scope)

    def check_attribute(self, attribute: str, value: Any = _UNKNOWN) -> None:
        if isinstance(value, dict | list) and modifies_known_mutable(value, attribute):
            self.usage.forbidden.setdefault(
                attribute, unsafe_attribute_message(attribute, _type_name(value))
            )
        elif attribute.startswith("_"):
            self.usage.forbidden.setdefault(
                attribute,
                _(
                    "the template tries to reach %(attribute)r, which is not allowed "
                    "(a document template may only read its context)"
                )
                % {"attribute": attribute},
            )

    def expr(self, node: nodes.Node, scope: dict) -> tuple[str | None, Any]:
        """(context path or None, value in the context or _UNKNOWN / _ABSENT)."""
        if isinstance(node, nodes.Name):
            if node.name in scope:
                return scope[node.name]
            if node.name in self.globals or node.ctx != "load":
                return None, _UNKNOWN
            self.usage.names.add(node.name)
            self.usage.paths.add(node.name)
            if node.name not in self.context:
                self.usage.add_missing(node.name, node.name)
                return None, _ABSENT
            return node.name, self.context[node.name]
        if isinstance(node, nodes.Getattr):
            return self.member(node, node.attr, scope)
        if isinstance(node, nodes.Getitem):
            arg = node.arg
            if isinstance(arg, nodes.Const) and isinstance(arg.value, str):
                return self.member(node, arg.value, scope)
            path, value = self.expr(node.node, scope)
            if isinstance(arg, nodes.Const) and isinstance(arg.value, int) and path is not None:
                if isinstance(value, list | tuple):
                    return f"{path}[]", _merged(value)
                return None, _UNKNOWN
            self.visit(arg, scope)
            return None, _UNKNOWN
        self.visit(node, scope)
        return None, _UNKNOWN

    def member(self, node: nodes.Getattr | nodes.Getitem, name: str, scope: dict):
        path, value = self.expr(node.node, scope)
        self.check_attribute(name, value)
        if name.startswith("_") or name in self.usage.forbidden:
            return None, _UNKNOWN  # reported as forbidden, not as missing
        if path is None or value is _UNKNOWN or value is _ABSENT:
            return None, value if value is _ABSENT else _UNKNOWN
        if not isinstance(value, dict):
            return None, _UNKNOWN  # a method of a str or a list: the sandbox's business
        full = f"{path}.{name}"
        if name in value:
            self.usage.paths.add(full)
            return full, value[name]
        if hasattr(dict, name):  # a method (``x.items()``, ``x.get('k')``)
            return None, _UNKNOWN
        self.usage.paths.add(full)
        self.usage.add_missing(full, _spell(node))
        return None, _ABSENT


def _merged(values: list | tuple) -> Any:
    """One sample element standing for every element of a list (dicts merged)."""
    if values and all(isinstance(v, dict) for v in values):
        merged: dict = {}
        for v in values:
            for key, item in v.items():
                merged.setdefault(key, item)
        return merged
    return values[0] if values else _UNKNOWN


def _target_names(*targets: nodes.Node) -> list[str]:
    names = []
    for target in targets:
        names += [n.name for n in target.find_all(nodes.Name)]
        if isinstance(target, nodes.Name):
            names.append(target.name)
    return names


def _spell(node: nodes.Node) -> str:
    """``owner.name`` / ``i['amount']`` as the template writes it (approximately)."""
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getattr):
        return f"{_spell(node.node)}.{node.attr}"
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        return f"{_spell(node.node)}[{node.arg.value!r}]"
    return "…"
