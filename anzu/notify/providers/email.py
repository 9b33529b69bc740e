"""E-mail through Django's SMTP backend and the configured server (``ANZU_EMAIL_URL``)."""

from __future__ import annotations

import smtplib
from typing import TYPE_CHECKING, ClassVar

from django.core.mail import EmailMessage
from django.core.mail.backends.smtp import EmailBackend

from anzu.integrations.base import PermanentError, RetryableError
from anzu.notify.config import NotifyConfig
from anzu.notify.providers.base import ChannelProvider

if TYPE_CHECKING:
    from anzu.notify.models import OutboxMessage


def message_id_for(message: OutboxMessage, sender: str) -> str:
    """A Message-ID derived from the idempotency key, so a resent copy carries the same id."""
    domain = sender.rpartition("@")[2] or "anzu.local"
    return f"<{message.provider_key}@{domain}>"


class SmtpEmailProvider(ChannelProvider):
    name: ClassVar[str] = "smtp"

    def __init__(self, cfg: NotifyConfig) -> None:
        self.cfg = cfg

    def connection(self) -> EmailBackend:
        smtp = self.cfg.smtp
        return EmailBackend(
            host=smtp.host,
            port=smtp.port,
            username=smtp.username or None,
            password=smtp.password or None,
            use_tls=smtp.use_tls,
            use_ssl=smtp.use_ssl,
            timeout=self.cfg.http_timeout_seconds,
            fail_silently=False,
        )

    def send(self, message: OutboxMessage) -> str:
        if not message.address:
            raise PermanentError("No e-mail address.", code="no_address")
        msgid = message_id_for(message, self.cfg.email_from)
        email = EmailMessage(
            subject=message.subject,
            body=message.body,
            from_email=self.cfg.email_from,
            to=[message.address],
            headers={"Message-ID": msgid, "X-Anzu-Idempotency-Key": message.provider_key},
            connection=self.connection(),
        )
        try:
            email.send(fail_silently=False)
        except smtplib.SMTPRecipientsRefused as exc:
            raise PermanentError(f"Recipient refused: {exc.recipients}", code="recipient") from exc
        except smtplib.SMTPResponseException as exc:
            error = f"SMTP {exc.smtp_code}: {exc.smtp_error!r}"
            if 500 <= exc.smtp_code < 600 and exc.smtp_code not in (530, 535):
                raise PermanentError(error, code=str(exc.smtp_code)) from exc
            raise RetryableError(error, code=str(exc.smtp_code)) from exc
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            raise RetryableError(f"{exc.__class__.__name__}: {exc}", code="transport") from exc
        return msgid
