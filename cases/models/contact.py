"""Contact attempts (催收记录), their attachments, letter deliveries and call scripts."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.limitation import delivery_proven_served

from .case import Case, Stage
from .evidence import StoredFile


class Channel(models.TextChoices):
    SMS = "sms", _("SMS (短信)")
    PHONE = "phone", _("Phone call (电话)")
    NOTICE_POSTED = "notice_posted", _("Notice posted on the door (张贴催款单)")
    NOTICE_SIGNED = "notice_signed", _("Notice signed for (催款单签收)")
    REGISTERED_MAIL = "registered_mail", _("Registered mail (挂号信/EMS)")
    EMAIL = "email", _("Email (电子邮件)")
    HOME_VISIT = "home_visit", _("Home visit (上门)")
    WECHAT = "wechat", _("WeChat (微信)")
    LETTER = "letter", _("Letter (信函)")


class Outcome(models.TextChoices):
    REACHED = "reached", _("Reached (已联系上)")
    NO_ANSWER = "no_answer", _("No answer (无人接听)")
    REFUSED = "refused", _("Refused (拒绝)")
    PROMISED = "promised", _("Promised to pay (承诺缴费)")
    DISPUTED = "disputed", _("Disputed (有异议)")
    WRONG_NUMBER = "wrong_number", _("Wrong number (号码错误)")


class ProofGrade(models.IntegerChoices):
    """What a court weighs, strongest first (DESIGN.md sections 5 and 5a). Derived from stored
    proof only; a tick or a name without a stored proof is a claim, weaker than a plain note
    (which claims nothing)."""

    SIGNED_OR_WITNESSED = 6, _("Signed receipt or witnessed refusal (签收/见证拒收)")
    REGISTERED_DELIVERED = 5, _("Registered mail with delivery record (挂号信妥投)")
    SMS_DELIVERED = 4, _("SMS delivery report (短信送达回执)")
    CALL_RECORDING = 3, _("Call recording (通话录音)")
    POSTED_WITH_PHOTO = 2, _("Notice posted, with photo (张贴并拍照)")
    NOTE_ONLY = 1, _("Note only (仅文字记录)")
    CLAIMED_UNPROVEN = 0, _("Claimed, unproven (声称送达，无凭证)")


class TrackingStatus(models.TextChoices):
    """The postal tracking result of registered mail / EMS, as read on the tracking record."""

    NONE = "", _("Not recorded")
    IN_TRANSIT = "in_transit", _("In transit (运输中)")
    DELIVERED = "delivered", _("Delivered (妥投)")
    REFUSED = "refused", _("Refused (拒收)")
    RETURNED = "returned", _("Returned (退回)")


class PromiseStatus(models.TextChoices):
    NONE = "", _("No promise")
    OPEN = "open", _("Open")
    KEPT = "kept", _("Kept")
    BROKEN = "broken", _("Broken")


class ContactAttempt(models.Model):
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="contacts", verbose_name=_("case")
    )
    stage = models.CharField(
        _("case stage at the time"), max_length=20, choices=Stage.choices, editable=False
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    occurred_at = models.DateTimeField(_("when it happened"))
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now, editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("logged by"),
    )
    notes = models.TextField(_("notes"), blank=True)
    witness = models.CharField(
        _("witness"),
        max_length=100,
        blank=True,
        help_text=_("Who witnessed a refusal or a posting (name and role)."),
    )
    delivery_confirmed = models.BooleanField(
        _("delivery confirmed"),
        default=False,
        help_text=_(
            "Claimed by the collector. Alone it proves nothing: proof is a stored file, an SMS "
            "delivery report or a tracking number with its delivered status."
        ),
    )
    tracking_number = models.CharField(
        _("tracking number"), max_length=40, blank=True, help_text=_("EMS / registered mail.")
    )
    tracking_status = models.CharField(
        _("tracking status"), max_length=12, choices=TrackingStatus.choices, blank=True
    )
    sms_report_ref = models.CharField(
        _("SMS delivery report"),
        max_length=100,
        blank=True,
        editable=False,
        help_text=_("The gateway's message id of the delivered report (set by the report)."),
    )
    promised_on = models.DateField(_("promised payment date"), null=True, blank=True)
    promised_amount = models.DecimalField(
        _("promised amount"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    promise_status = models.CharField(
        _("promise"), max_length=10, choices=PromiseStatus.choices, blank=True, default=""
    )
    proof_grade = models.PositiveSmallIntegerField(
        _("proof grade"), choices=ProofGrade.choices, default=ProofGrade.NOTE_ONLY
    )

    class Meta:
        verbose_name = _("contact attempt")
        verbose_name_plural = _("contact attempts")
        ordering = ["case", "-occurred_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(outcome="promised")
                | (Q(promised_on__isnull=False) & Q(promised_amount__gt=0)),
                name="contact_promise_has_date_and_amount",
                violation_error_message=_("A promise to pay needs a date and an amount > 0."),
            ),
        ]
        indexes = [
            models.Index(fields=["promise_status", "promised_on"], name="contact_promise_idx")
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_channel_display()} {self.occurred_at:%Y-%m-%d} {self.get_outcome_display()}"
        )


class ContactAttachment(models.Model):
    class Kind(models.TextChoices):
        PHOTO = "photo", _("Photo")
        RECORDING = "recording", _("Call recording")
        SIGNED_RECEIPT = "signed_receipt", _("Signed receipt")
        DELIVERY_RECORD = "delivery_record", _("Delivery record")
        DOCUMENT = "document", _("Document (PDF)")

    contact = models.ForeignKey(
        ContactAttempt,
        on_delete=models.PROTECT,
        related_name="attachments",
        verbose_name=_("contact"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    file = models.ForeignKey(
        StoredFile, on_delete=models.PROTECT, related_name="+", verbose_name=_("file")
    )
    original_name = models.CharField(_("original file name"), max_length=255, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.original_name or self.file_id[:12]}"


class Letter(models.TextChoices):
    DEMAND_LETTER = "demand_letter", _("Demand letter (催缴函)")
    LAWYER_LETTER = "lawyer_letter", _("Lawyer letter (律师函)")
    PAYMENT_ORDER = "payment_order", _("Payment order (支付令)")
    COMPLAINT = "complaint", _("Civil complaint (起诉状)")
    OTHER = "other", _("Other (其他)")


class DeliveryStatus(models.TextChoices):
    SERVED = "served", _("Served (已送达)")
    SIGNED = "signed", _("Signed for (已签收)")
    REFUSED = "refused", _("Refused (拒收)")
    RETURNED = "returned", _("Returned (退回)")


SERVED_STATUSES = (DeliveryStatus.SERVED, DeliveryStatus.SIGNED, DeliveryStatus.REFUSED)


class Delivery(models.Model):
    """A letter's delivery, proven or not. A served, signed or refused letter starts its
    deadline; a returned one does not."""

    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="deliveries", verbose_name=_("case")
    )
    letter = models.CharField(_("letter"), max_length=20, choices=Letter.choices)
    status = models.CharField(_("status"), max_length=10, choices=DeliveryStatus.choices)
    delivered_on = models.DateField(_("date"))
    deadline = models.DateField(_("deadline to pay"), null=True, blank=True)
    method = models.CharField(_("method"), max_length=20, choices=Channel.choices)
    document_ref = models.CharField(
        _("document reference"),
        max_length=80,
        blank=True,
        help_text=_("The generated document this delivery is for, if any."),
    )
    proof = models.ForeignKey(
        StoredFile,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("proof file"),
    )
    tracking_number = models.CharField(
        _("tracking number"), max_length=40, blank=True, help_text=_("EMS / registered mail.")
    )
    tracking_status = models.CharField(
        _("tracking status"), max_length=12, choices=TrackingStatus.choices, blank=True
    )
    paper_record = models.BooleanField(
        _("pre-go-live paper record"),
        default=False,
        help_text=_(
            "A letter served on paper before the system held it; its scan is required and its "
            "date may precede the case."
        ),
    )
    scan = models.ForeignKey(
        StoredFile,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("scan of the paper letter"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["case", "delivered_on", "id"]
        indexes = [models.Index(fields=["case", "letter", "status"], name="delivery_case_idx")]

    def __str__(self) -> str:
        return f"{self.get_letter_display()} {self.get_status_display()} {self.delivered_on}"

    @property
    def proven_served(self) -> bool:
        """Whether the stored proof shows the letter arrived (``demand_proven_served``)."""
        return delivery_proven_served(
            method=self.method,
            status=self.status,
            has_proof_file=self.proof_id is not None,
            tracking_status=self.tracking_status,
        )


class CallScript(models.Model):
    """The company's telephone script for one step (统一说辞), shown to the collector."""

    class Moment(models.TextChoices):
        DEMAND_STEP_1 = "demand_step_1", _("Demand letter, step 1: letter being prepared")
        DEMAND_STEP_2 = "demand_step_2", _("Demand letter, step 2: letter about to be sent")
        DEMAND_STEP_3 = "demand_step_3", _("Demand letter, step 3: letter sent")
        DEMAND_STEP_4 = "demand_step_4", _("Demand letter, step 4: letter received")
        LAWYER_BEFORE = "lawyer_before", _("Before the lawyer letter")
        LAWYER_AFTER = "lawyer_after", _("After the lawyer letter")
        SUMMONS_BEFORE = "summons_before", _("Before the court summons")
        SUMMONS_AFTER = "summons_after", _("After the court summons")

    moment = models.CharField(_("moment"), max_length=20, choices=Moment.choices, unique=True)
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    title = models.CharField(_("title"), max_length=100)
    body = models.TextField(_("script"))
    note = models.TextField(_("guidance"), blank=True)

    class Meta:
        verbose_name = _("call script")
        verbose_name_plural = _("call scripts")
        ordering = ["order"]

    def __str__(self) -> str:
        return self.title
