"""Pluggable SMS backends, chosen by ``settings.SMS_BACKEND`` (a dotted class path).

- ``OutboxSmsBackend`` (default): appends one JSON line per message to ``settings.SMS_OUTBOX``
  and echoes it to the console: the embedded demo and the tests send nothing anywhere.
- ``HttpGatewaySmsBackend``: POSTs JSON to a provider's HTTP gateway (``settings.SMS_GATEWAY``:
  URL, API key, sign name, timeout, retries, backoff) with a timeout on every attempt and
  exponential backoff between at most ``RETRIES`` attempts. Standard library only (urllib).
- ``MemorySmsBackend``: keeps messages in ``MemorySmsBackend.outbox`` (tests).

A backend returns the gateway's message id; the delivery report that later arrives for that
id is recorded by ``workflows.reminders.sms_delivery_report``.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


class SmsError(Exception):
    """The message was not accepted by the backend (after its retries)."""


@dataclass(frozen=True)
class SmsMessage:
    to: str
    text: str
    reference: str = ""  # our own id for the message (e.g. "reminder-12"), for the provider


@dataclass(frozen=True)
class SmsResult:
    message_id: str
    backend: str


class BaseSmsBackend:
    name = "base"

    def send(self, message: SmsMessage) -> SmsResult:  # pragma: no cover - interface
        raise NotImplementedError


class OutboxSmsBackend(BaseSmsBackend):
    """One JSON line per message in ``SMS_OUTBOX`` (written with a single O_APPEND write, so
    lines from several worker processes never interleave), echoed to the console."""

    name = "outbox"

    def __init__(self, path: str | os.PathLike | None = None, *, echo: bool = True):
        self.path = Path(path or settings.SMS_OUTBOX)
        self.echo = echo

    def send(self, message: SmsMessage) -> SmsResult:
        message_id = f"outbox-{uuid.uuid4().hex}"
        line = json.dumps(
            {
                "id": message_id,
                "to": message.to,
                "text": message.text,
                "reference": message.reference,
                "at": timezone.now().isoformat(),
            },
            ensure_ascii=False,
        )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o640)
        try:
            os.write(fd, (line + "\n").encode("utf-8"))
        finally:
            os.close(fd)
        if self.echo:
            sys.stdout.write(f"[SMS → {message.to}] {message.text}\n")
        return SmsResult(message_id=message_id, backend=self.name)


class MemorySmsBackend(BaseSmsBackend):
    """Keeps what was sent in a class-level list (like Django's locmem mail backend)."""

    name = "memory"
    outbox: list[SmsMessage] = []

    def send(self, message: SmsMessage) -> SmsResult:
        type(self).outbox.append(message)
        return SmsResult(message_id=f"memory-{uuid.uuid4().hex}", backend=self.name)


class HttpGatewaySmsBackend(BaseSmsBackend):
    """A provider's HTTP gateway: ``POST {URL}`` with JSON ``{to, text, sign_name, reference}``
    and ``Authorization: Bearer {API_KEY}``; the JSON answer carries ``message_id``.

    Timeouts, connection errors, 429 and 5xx answers are retried with exponential backoff
    (``BACKOFF`` × 2ⁿ seconds) up to ``RETRIES`` attempts in all; other 4xx answers are not
    (the request itself is wrong). ``reference`` is sent so that a provider which supports
    client references can drop the duplicate of a retry after a timeout. Adapting to a
    provider's own field names means overriding ``payload`` and ``message_id_from``."""

    name = "http"
    RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})

    def __init__(
        self,
        *,
        url: str | None = None,
        api_key: str | None = None,
        sign_name: str | None = None,
        timeout: float | None = None,
        retries: int | None = None,
        backoff: float | None = None,
        sleep=time.sleep,
    ):
        conf = getattr(settings, "SMS_GATEWAY", {}) or {}
        self.url = url if url is not None else conf.get("URL", "")
        self.api_key = api_key if api_key is not None else conf.get("API_KEY", "")
        self.sign_name = sign_name if sign_name is not None else conf.get("SIGN_NAME", "")
        self.timeout = timeout if timeout is not None else float(conf.get("TIMEOUT", 10))
        self.retries = max(1, retries if retries is not None else int(conf.get("RETRIES", 3)))
        self.backoff = backoff if backoff is not None else float(conf.get("BACKOFF", 0.5))
        self.sleep = sleep
        if not self.url:
            raise SmsError(_("SMS_GATEWAY['URL'] is not set: the HTTP gateway has no address."))

    def payload(self, message: SmsMessage) -> dict:
        return {
            "to": message.to,
            "text": message.text,
            "sign_name": self.sign_name,
            "reference": message.reference,
        }

    def message_id_from(self, answer: dict) -> str:
        message_id = answer.get("message_id") or answer.get("id")
        if not message_id:
            raise SmsError(_("The SMS gateway answered without a message id: %s") % answer)
        return str(message_id)

    def _post(self, body: bytes) -> bytes:
        request = urllib.request.Request(  # noqa: S310 - the URL is the configured gateway
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Accept": "application/json",
                "Authorization": f"Bearer {self.api_key}",
            },
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
            return response.read()

    def send(self, message: SmsMessage) -> SmsResult:
        body = json.dumps(self.payload(message), ensure_ascii=False).encode("utf-8")
        last_error = ""
        for attempt in range(1, self.retries + 1):
            try:
                answer = self._post(body)
            except urllib.error.HTTPError as exc:
                last_error = f"HTTP {exc.code}"
                if exc.code not in self.RETRY_STATUSES:
                    raise SmsError(
                        _("The SMS gateway refused the message (%(error)s).")
                        % {"error": last_error}
                    ) from exc
            except (urllib.error.URLError, TimeoutError, OSError) as exc:
                last_error = f"{type(exc).__name__}: {exc}"
            else:
                # Accepted: never retried from here on, whatever the answer looks like.
                try:
                    parsed = json.loads(answer.decode("utf-8") or "{}")
                except ValueError as exc:
                    raise SmsError(_("The SMS gateway answered with something not JSON.")) from exc
                return SmsResult(message_id=self.message_id_from(parsed), backend=self.name)
            logger.warning(
                "SMS gateway attempt %d/%d failed: %s", attempt, self.retries, last_error
            )
            if attempt < self.retries:
                self.sleep(self.backoff * 2 ** (attempt - 1))
        raise SmsError(
            _("The SMS gateway failed %(n)d times; last error: %(error)s")
            % {"n": self.retries, "error": last_error}
        )


def sms_backend(path: str | None = None) -> BaseSmsBackend:
    """The configured backend (``settings.SMS_BACKEND``), or the one at ``path``."""
    dotted = path or getattr(settings, "SMS_BACKEND", "workflows.sms.OutboxSmsBackend")
    return import_string(dotted)()


def sms_send(to: str, text: str, *, reference: str = "") -> SmsResult:
    """Send one SMS through the configured backend. Raises ``SmsError`` when it is not
    accepted; nothing is recorded here (the caller logs the contact)."""
    if not to.strip():
        raise SmsError(_("No phone number to send the SMS to."))
    return sms_backend().send(SmsMessage(to=to.strip(), text=text, reference=reference))
