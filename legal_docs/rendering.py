"""The pure renderer: template bytes + context → document bytes (DESIGN.md sections 4 and 7).

Every template goes through docxtpl with a Jinja2 **sandbox** that escapes for XML and refuses
undefined values:

- ``SandboxedEnvironment`` (its immutable flavour: a template can read its context but not
  change it, call no private attribute and reach no Python internals) because templates are
  uploaded by users;
- ``autoescape=True`` because ``&``, ``<`` and ``>`` in an owner's name would otherwise break
  the document XML and silently vanish from the Word text;
- ``StrictUndefined`` because a misspelt variable must stop the document, not print nothing.

Any Jinja error becomes ``TemplateRenderError`` with a message a legal officer can act on.
This module touches no ORM and imports no Django model.

Speed: the XML of one template version is the same on every render, so the two steps that
depend on it alone are done once per template version, not once per document: docxtpl's
``patch_xml`` (regular expressions turning Word's XML into Jinja source, about a third of a
bare docxtpl render) and Jinja's compilation of that source. Both are bounded, thread-safe
caches keyed by the XML; the environment is created once per process. docxtpl mutates its
template object, so each call still loads a fresh ``DocxTemplate`` from the bytes, and
python-docx still parses and re-zips the package (what remains of the time).
"""

from __future__ import annotations

import html
import io
import re
import threading
from typing import Any

import docx
from docx.table import Table
from docx.text.paragraph import Paragraph
from docxtpl import DocxTemplate
from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

FOOTNOTES_CONTENT_TYPE = (
    "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"
)
# Core properties docxtpl renders as Jinja (title, subject, …): plain text, not XML.
CORE_PROPERTIES = ("author", "comments", "identifier", "language", "subject", "title")

# Bounds on what one expression may build, so a template cannot exhaust memory.
MAX_SEQUENCE_LENGTH = 100_000
MAX_POWER_BITS = 10_000


class TemplateRenderError(ValueError):
    """A template could not be rendered; the message says what is wrong in the template."""


class BoundedCache:
    """A thread-safe dict that forgets its oldest entry beyond ``size`` entries."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._data: dict[Any, Any] = {}
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any:
        """The cached value of ``key``, or None."""
        return self._data.get(key)

    def put(self, key: Any, value: Any) -> Any:
        """Cache ``value`` under ``key`` and return it."""
        with self._lock:
            while len(self._data) >= self.size:
                del self._data[next(iter(self._data))]
            self._data[key] = value
        return value


class DocumentEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox every document template runs in.

    Beyond Jinja's immutable sandbox:

    - ``a.b`` on a dict looks the key up first, so the documented ``arrears.items`` is the
      list of items, not the ``dict.items`` method;
    - ``*`` and ``**`` refuse results too large for a document (a memory bomb), and the
      ``lipsum`` global (a CPU bomb) is gone;
    - compiled templates are cached by source.
    """

    intercepted_binops = frozenset({"*", "**"})
    compiled_cache_size = 32

    def __init__(self, **options: Any) -> None:
        options.setdefault("autoescape", True)
        options.setdefault("undefined", StrictUndefined)
        super().__init__(**options)
        # lipsum(n=100000) takes seconds of CPU and no legal document needs placeholder text
        self.globals.pop("lipsum", None)
        self._compiled = BoundedCache(self.compiled_cache_size)

    def getattr(self, obj: Any, attribute: str) -> Any:
        """``obj.attribute`` in a template: a dict's key before its methods."""
        if isinstance(obj, dict):
            try:
                return obj[attribute]
            except (KeyError, TypeError):
                pass
        return super().getattr(obj, attribute)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        """``*`` and ``**`` with a bound on the size of what they build."""
        if operator == "*":
            for sequence, times in ((left, right), (right, left)):
                if (
                    isinstance(sequence, str | list | tuple)
                    and isinstance(times, int)
                    and len(sequence) * times > MAX_SEQUENCE_LENGTH
                ):
                    raise SecurityError(
                        f"repeating a sequence {times} times builds more than "
                        f"{MAX_SEQUENCE_LENGTH} items"
                    )
        elif (
            operator == "**"
            and isinstance(left, int)
            and isinstance(right, int)
            and max(abs(left).bit_length(), 1) * right > MAX_POWER_BITS
        ):
            raise SecurityError(f"the power {left} ** {right} is too large")
        return super().call_binop(context, operator, left, right)

    def from_string(self, source: Any, globals: Any = None, template_class: Any = None) -> Any:
        """Compile ``source`` once; the same XML compiles to the same template."""
        if globals is not None or template_class is not None or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        template = self._compiled.get(source)
        if template is None:
            template = self._compiled.put(source, super().from_string(source))
        return template


class SandboxedDocxTemplate(DocxTemplate):
    """docxtpl's template with two fixes for untrusted templates and escaped values.

    - Core properties (title, subject, …) are plain text that python-docx escapes itself, so
      they render in the same sandbox but without XML escaping (``&`` stays ``&``, not
      ``&amp;``).
    - Footnotes are rendered once per footnotes part, not once per section (docxtpl renders
      them again for every section, which would evaluate ``{{`` found in a rendered value).

    It also caches ``patch_xml`` (docxtpl's clean-up of Word's XML into Jinja source, a pure
    function of the XML and, with its many regular expressions, the slowest step of a render):
    the XML of one template version is the same on every render.
    """

    text_env: DocumentEnvironment | None = None
    _patched = BoundedCache(64)

    def patch_xml(self, src_xml: str) -> str:
        """docxtpl's ``patch_xml``, computed once per distinct XML."""
        patched = self._patched.get(src_xml)
        if patched is None:
            patched = self._patched.put(src_xml, super().patch_xml(src_xml))
        return patched

    def render_properties(self, context: dict, jinja_env: Any = None) -> None:
        """Render the core properties that hold Jinja, as plain text (see the class)."""
        env = self.text_env or jinja_env
        props = self.docx.core_properties
        self.current_rendering_part = None  # an error here is in the properties, not a part
        for name in CORE_PROPERTIES:
            initial = getattr(props, name)
            if initial and ("{" in initial):
                setattr(props, name, env.from_string(initial).render(context))

    def render_footnotes(self, context: dict, jinja_env: Any = None) -> None:
        """Render every footnotes part exactly once."""
        for part in self.docx.part.package.iter_parts():
            if part.content_type == FOOTNOTES_CONTENT_TYPE:
                blob = part.blob.decode("utf-8") if isinstance(part.blob, bytes) else part.blob
                xml = self.render_xml_part(self.patch_xml(blob), part, context, jinja_env)
                part._blob = xml.encode("utf-8")


_ENV = DocumentEnvironment()
_TEXT_ENV = DocumentEnvironment(autoescape=False)


def load_template(template_bytes: bytes) -> SandboxedDocxTemplate:
    """A fresh docxtpl template from ``template_bytes``; ``TemplateRenderError`` if it is not
    a readable .docx."""
    template = SandboxedDocxTemplate(io.BytesIO(template_bytes))
    try:
        template.init_docx()
    except Exception as exc:  # zipfile, KeyError for a missing part, python-docx ValueError
        raise TemplateRenderError(f"the template is not a readable .docx file ({exc})") from exc
    return template


def render_docx(template_bytes: bytes, context: dict) -> bytes:
    """Render a .docx template with ``context`` in the sandbox; return the document's bytes.

    Values are XML-escaped, so ``&``, ``<``, ``>`` and quotes come out intact in the Word
    text. Raises ``TemplateRenderError`` (a ``ValueError``) naming the problem: a template
    that reaches for something the sandbox forbids, uses a value missing from ``context``,
    has a syntax error, fails while rendering, or is not a .docx at all. No side effects.
    """
    template = load_template(template_bytes)
    template.text_env = _TEXT_ENV
    try:
        template.render(context, jinja_env=_ENV)
    except TemplateError as exc:
        raise _explain(exc, template, template_bytes, context) from exc
    except RecursionError as exc:
        raise TemplateRenderError("the template recurses too deeply to render") from exc
    except (TypeError, ValueError, ArithmeticError, LookupError, AttributeError) as exc:
        raise TemplateRenderError(
            f"the template could not be rendered: {type(exc).__name__}: {exc}"
        ) from exc
    out = io.BytesIO()
    template.save(out)
    return out.getvalue()


def _part_name(template: DocxTemplate) -> str:
    part = getattr(template, "current_rendering_part", None)
    name = str(getattr(part, "partname", "") or "")
    return name.lstrip("/") or "the document properties"


UNSAFE_ATTRIBUTE = re.compile(r"access to attribute '(?P<attr>.*)' of '(?P<type>\w+)' object")


def unsafe_attribute_message(attribute: str, type_name: str) -> str:
    """The refusal of ``value.attribute`` (a private attribute, a method that changes data)."""
    return (
        f"the template tries to reach {attribute!r} of a {type_name} value, "
        "which is not allowed (a document template may only read its context)"
    )


def security_message(exc: SecurityError) -> str:
    """What a template tried that the sandbox refused, in a legal officer's words."""
    text = exc.message or str(exc)
    match = UNSAFE_ATTRIBUTE.search(text)
    if match:
        return unsafe_attribute_message(match["attr"], match["type"])
    return f"the template tries to do something which is not allowed: {text}"


def syntax_message(exc: TemplateSyntaxError, part: str) -> str:
    """A syntax error with its part, line and the document text around it."""
    near = ""
    if exc.source and exc.lineno:
        lines = exc.source.splitlines()
        if 0 < exc.lineno <= len(lines):
            text = html.unescape(re.sub(r"<[^>]+>", "", lines[exc.lineno - 1])).strip()
            near = f", near “{text[:80]}”" if text else ""
    return f"the template has a syntax error in {part} at line {exc.lineno}: {exc.message}{near}"


def _explain(
    exc: TemplateError, template: DocxTemplate, template_bytes: bytes, context: dict
) -> TemplateRenderError:
    part = _part_name(template)
    if isinstance(exc, TemplateSyntaxError):
        return TemplateRenderError(syntax_message(exc, part))
    if isinstance(exc, SecurityError):
        return TemplateRenderError(security_message(exc))
    if isinstance(exc, UndefinedError):
        # Only on this error path: trace the whole template to name every missing value.
        from legal_docs.validation import analyse  # a cycle: validation imports this module

        try:
            missing = analyse(template_bytes, context).missing_labels()
        except Exception:  # explaining must never hide the original error
            missing = []
        if missing:
            return TemplateRenderError(
                f"the template uses {', '.join(missing)}, which "
                f"{'is' if len(missing) == 1 else 'are'} not part of the document context"
            )
        return TemplateRenderError(
            f"the template uses a value which is not part of the document context ({exc.message})"
        )
    return TemplateRenderError(f"the template could not be rendered ({part}): {exc.message}")


def docx_text(docx_bytes: bytes, *, headers_footers: bool = False) -> str:
    """The text of a .docx, one line per paragraph, table rows as tab-separated cells, in
    document order (for tests and previews). With ``headers_footers``, the text of every
    header and footer follows the body."""
    document = docx.Document(io.BytesIO(docx_bytes))
    lines: list[str] = []
    _block_text(document, lines)
    if headers_footers:
        for section in document.sections:
            for part in (section.header, section.footer):
                if not part.is_linked_to_previous:
                    _block_text(part, lines)
    return "\n".join(lines)


def _block_text(container: Any, lines: list[str]) -> None:
    for block in container.iter_inner_content():
        if isinstance(block, Paragraph):
            lines.append(block.text)
        elif isinstance(block, Table):
            for row in block.rows:
                seen: set[int] = set()
                cells = []
                for cell in row.cells:
                    if id(cell._tc) not in seen:  # a merged cell repeats in row.cells
                        seen.add(id(cell._tc))
                        cells.append(cell.text)
                lines.append("\t".join(cells))
