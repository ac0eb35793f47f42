"""Estates with their collection policy, units, and the parties liable for them."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.identity import (
    credit_code_problem,
    normalize_id,
    resident_id_birth_date,
    resident_id_problem,
    resident_id_sex,
)
from cases.unit_keys import KEY_MAX_LENGTH, unit_key

MAX_LATE_FEE_DAILY_RATE = Decimal("0.01")


class AllocationRule(models.TextChoices):
    # Civil Code arts. 560/561: oldest debt first unless agreed otherwise.
    OLDEST_FIRST = "oldest_first", _("Oldest due date first")
    NEWEST_FIRST = "newest_first", _("Newest due date first")


class LateFeeClaimPolicy(models.TextChoices):
    """What the company claims of the contractual late fee (Civil Code art. 585(2): a court
    reduces a penalty that exceeds the loss by about 30%)."""

    CONTRACT = "contract", _("Contractual rate, as accrued")
    CAP_PRINCIPAL = "cap_principal", _("Capped at the principal it accrues on")
    CAP_LPR = "cap_lpr", _("Annual rate capped at a multiple of the one-year LPR")


class Estate(models.Model):
    """An estate (小区/项目) and the contract terms that drive collection."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    company_name = models.CharField(_("property-management company"), max_length=200)
    office_address = models.CharField(_("management office address"), max_length=300, blank=True)
    office_phone = models.CharField(_("management office phone"), max_length=40, blank=True)
    city = models.CharField(_("city"), max_length=60, blank=True)
    company_address = models.CharField(_("company address"), max_length=300, blank=True)
    company_credit_code = models.CharField(
        _("company unified social credit code"), max_length=40, blank=True
    )
    company_legal_representative = models.CharField(
        _("company legal representative"), max_length=60, blank=True
    )
    law_firm_name = models.CharField(_("law firm"), max_length=200, blank=True)
    law_firm_address = models.CharField(_("law firm address"), max_length=300, blank=True)
    law_firm_phone = models.CharField(_("law firm phone"), max_length=40, blank=True)
    lawyer_name = models.CharField(_("lawyer"), max_length=60, blank=True)
    lawyer_license_no = models.CharField(_("lawyer licence number"), max_length=40, blank=True)
    lawyer_phone = models.CharField(_("lawyer phone"), max_length=40, blank=True)
    court_name = models.CharField(
        _("court with jurisdiction"),
        max_length=200,
        blank=True,
        help_text=_("The basic people's court where the estate lies, e.g. 杭州市西湖区人民法院."),
    )

    late_fee_daily_rate = models.DecimalField(
        _("late-fee daily rate"),
        max_digits=7,
        decimal_places=6,
        default=Decimal("0.001"),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(MAX_LATE_FEE_DAILY_RATE)],
        help_text=_("Per day on overdue principal, e.g. 0.001 = 1‰. 0 when the contract has none."),
    )
    contract_provides_late_fees = models.BooleanField(
        _("the service contract provides late fees (合同约定滞纳金)"),
        default=True,
        help_text=_(
            "Off when the contract has no late-fee clause: complaints and payment-order "
            "applications then claim no late fee, whatever the daily rate."
        ),
    )
    late_fee_accrues_during_plan = models.BooleanField(
        _("late fee accrues during an installment plan"),
        default=True,
        help_text=_(
            "Off when the installment agreement suspends late fees: from the day the owner "
            "signs until the plan ends, the plan's charges accrue no late fee."
        ),
    )
    # --- late-fee claim policy (issue 12 part 6) ---
    late_fee_claim_policy = models.CharField(
        _("late-fee claim policy"),
        max_length=20,
        choices=LateFeeClaimPolicy.choices,
        default=LateFeeClaimPolicy.CONTRACT,
        help_text=_(
            "What complaints, payment-order applications and letters claim: the contractual "
            "late fee as accrued, at most the principal it accrues on, or at most a multiple "
            "of the one-year LPR in force on the claim date (per day = annual ÷ 365)."
        ),
    )
    late_fee_lpr_multiple = models.DecimalField(
        _("LPR multiple for the late-fee cap"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("1.30"),
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal(4))],
        help_text=_(
            "With the LPR cap: the claimed annual rate is at most this multiple of the "
            "one-year LPR, e.g. 1.30 (courts cut a penalty exceeding the loss by about 30%)."
        ),
    )
    # --- end of the late-fee claim policy ---
    province = models.CharField(
        _("province (省份)"),
        max_length=20,
        blank=True,
        help_text=_(
            "As in the small-claims table, e.g. 浙江, 广东, 北京: decides the small-claims "
            "ceiling (小额诉讼标准)."
        ),
    )
    grace_days = models.PositiveSmallIntegerField(
        _("grace days"), default=0, help_text=_("Days after the due date before late fees accrue.")
    )
    allocation_rule = models.CharField(
        _("payment allocation rule"),
        max_length=20,
        choices=AllocationRule.choices,
        default=AllocationRule.OLDEST_FIRST,
    )
    lawyer_letter_threshold = models.DecimalField(
        _("lawyer-letter threshold (CNY)"), max_digits=12, decimal_places=2, default=Decimal(5000)
    )
    lawyer_letter_threshold_vacant = models.DecimalField(
        _("lawyer-letter threshold for vacant units (CNY)"),
        max_digits=12,
        decimal_places=2,
        default=Decimal(3000),
    )
    lawyer_letter_age_days = models.PositiveIntegerField(
        _("lawyer letter after days overdue"), default=365
    )
    reminder_interval_days = models.PositiveSmallIntegerField(
        _("days between reminders"), default=14
    )
    demand_deadline_days = models.PositiveSmallIntegerField(
        _("demand-letter deadline (days)"), default=15
    )
    lawyer_letter_deadline_days = models.PositiveSmallIntegerField(
        _("lawyer-letter deadline (days)"), default=15
    )
    installment_default_days = models.PositiveSmallIntegerField(
        _("days an installment may be late before the plan defaults"), default=10
    )
    demand_min_contacts = models.PositiveSmallIntegerField(
        _("documented contacts needed before a demand letter"), default=2
    )
    demand_min_channels = models.PositiveSmallIntegerField(
        _("distinct channels needed before a demand letter"), default=2
    )
    collects_maintenance_fund = models.BooleanField(
        _("the company may collect the public maintenance fund (公共维修金)"),
        default=False,
        db_default=False,
        help_text=_(
            "On only when the contract or the owners' assembly entrusts the company with "
            "collecting the maintenance fund; otherwise claims leave it out."
        ),
    )
    # 送达地址确认书 and 授权委托书 (issue 13): what the filing forms state for the company.
    company_postal_code = models.CharField(
        _("company postal code"), max_length=10, blank=True, db_default=""
    )
    company_legal_representative_title = models.CharField(
        _("legal representative's title"),
        max_length=40,
        blank=True,
        db_default="",
        help_text=_("e.g. 执行董事 or 总经理; empty prints 法定代表人."),
    )
    service_email = models.EmailField(_("email for electronic service"), blank=True, db_default="")
    accepts_electronic_service = models.BooleanField(
        _("accepts electronic service (电子送达)"),
        default=False,
        db_default=False,
        help_text=_(
            "On: the address-for-service confirmation accepts service by email and SMS at the "
            "service email and the recipient's mobile phone."
        ),
    )
    service_via_lawyer = models.BooleanField(
        _("the lawyer receives service"),
        default=False,
        db_default=False,
        help_text=_(
            "On: court documents are served at the law firm on the lawyer; off: at the "
            "company's address on its legal representative."
        ),
    )
    attorney_special_authority = models.BooleanField(
        _("the lawyer holds special authority (特别授权)"),
        default=False,
        db_default=False,
        help_text=_(
            "On: the power of attorney lets the lawyer admit, waive or change claims, settle, "
            "counterclaim and appeal; off: general authority (一般授权)."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("estate")
        verbose_name_plural = _("estates")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(late_fee_daily_rate__gte=0)
                & models.Q(late_fee_daily_rate__lte=MAX_LATE_FEE_DAILY_RATE),
                name="estate_late_fee_rate_0_to_1pct",
                violation_error_message=_("The late-fee daily rate must be between 0 and 0.01."),
            ),
            models.CheckConstraint(
                condition=models.Q(lawyer_letter_threshold__gte=0)
                & models.Q(lawyer_letter_threshold_vacant__gte=0),
                name="estate_thresholds_not_negative",
                violation_error_message=_("Escalation thresholds cannot be negative."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def lawyer_letter_threshold_for(self, segment: str) -> Decimal:
        if segment == Unit.Segment.VACANT:
            return self.lawyer_letter_threshold_vacant
        return self.lawyer_letter_threshold


class UnitManager(models.Manager):
    def bulk_create(self, objs, *args, **kwargs):
        """Fill every unit's ``key`` (bulk_create does not call save())."""
        objs = list(objs)
        for unit in objs:
            unit.key = unit_key(unit.building, unit.number)
        return super().bulk_create(objs, *args, **kwargs)


class Unit(models.Model):
    """A unit (房屋/单元) of an estate."""

    class Segment(models.TextChoices):
        OCCUPIED = "occupied", _("Occupied")
        VACANT = "vacant", _("Vacant (unfurnished, unoccupied)")
        SHOP = "shop", _("Shop")
        VILLA = "villa", _("Villa")

    estate = models.ForeignKey(
        Estate, on_delete=models.PROTECT, related_name="units", verbose_name=_("estate")
    )
    building = models.CharField(_("building"), max_length=20)
    number = models.CharField(_("unit number"), max_length=20)
    area = models.DecimalField(
        _("floor area (m²)"), max_digits=9, decimal_places=2, validators=[MinValueValidator(0)]
    )
    segment = models.CharField(
        _("segment"), max_length=10, choices=Segment.choices, default=Segment.OCCUPIED
    )
    parties = models.ManyToManyField(
        "Party", through="UnitParty", related_name="units", verbose_name=_("parties")
    )
    # The ownership record (产权): what proves the owner owns the unit.
    title_certificate_no = models.CharField(
        _("real-estate title certificate no. (不动产权证号)"),
        max_length=80,
        blank=True,
        default="",
        db_default="",
    )
    purchase_contract_no = models.CharField(
        _("purchase contract no. (购房合同编号)"),
        max_length=80,
        blank=True,
        default="",
        db_default="",
        help_text=_("When the title certificate is not yet issued."),
    )
    handed_over_on = models.DateField(_("handed over on (交房日期)"), null=True, blank=True)
    ownership_scan = models.ForeignKey(
        "StoredFile",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ownership scan"),
    )
    ownership_scan_name = models.CharField(
        _("ownership scan file name"), max_length=255, blank=True, default="", db_default=""
    )
    # building and number normalized (cases.unit_keys.unit_key): 3栋/3幢/3号楼 + 1201/1201室
    # are one unit. Filled by save() and by Unit.objects.bulk_create().
    key = models.CharField(_("unit key"), max_length=KEY_MAX_LENGTH, editable=False)

    objects = UnitManager()

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["estate", "building", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["estate", "building", "number"], name="unit_unique_per_estate"
            ),
            models.UniqueConstraint(fields=["estate", "key"], name="unit_key_unique_per_estate"),
            models.CheckConstraint(
                condition=models.Q(area__gte=0),
                name="unit_area_not_negative",
                violation_error_message=_("The floor area cannot be negative."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.estate.name} {self.label}"

    def save(self, *args, **kwargs) -> None:
        self.key = unit_key(self.building, self.number)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"building", "number"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "key"}
        super().save(*args, **kwargs)

    @property
    def label(self) -> str:
        return f"{self.building}-{self.number}"

    @property
    def ownership_text(self) -> str:
        """不动产权证号 or 购房合同编号 as a document prints it; '' when neither is recorded."""
        if self.title_certificate_no:
            return f"不动产权证号：{self.title_certificate_no}"
        if self.purchase_contract_no:
            return f"购房合同编号：{self.purchase_contract_no}"
        return ""

    def clean(self) -> None:
        """Refuse a unit that is another unit of the estate written differently (3幢-1201
        beside 3栋-1201), naming the unit that exists."""
        super().clean()
        self.key = unit_key(self.building, self.number)
        if self.estate_id is None:
            return
        same = Unit.objects.filter(estate_id=self.estate_id, key=self.key).exclude(pk=self.pk)
        other = same.first()
        if other is not None:
            raise ValidationError(
                {
                    "number": _(
                        "This is unit %(unit)s of the estate, written differently "
                        "(与已有房屋%(unit)s重复)."
                    )
                    % {"unit": other.label}
                }
            )


class Party(models.Model):
    """A person or company liable for (or living in) a unit: owner, tenant, developer."""

    class Kind(models.TextChoices):
        PERSON = "person", _("Person")
        COMPANY = "company", _("Company")

    class Sex(models.TextChoices):
        MALE = "male", _("Male (男)")
        FEMALE = "female", _("Female (女)")

    class IdType(models.TextChoices):
        RESIDENT_ID = "resident_id", _("Resident identity card (居民身份证)")
        PASSPORT = "passport", _("Passport (护照)")
        HK_MACAO = (
            "hk_macao",
            _("Mainland travel permit for HK/Macao residents (港澳居民来往内地通行证)"),
        )
        TAIWAN = "taiwan", _("Mainland travel permit for Taiwan residents (台湾居民来往大陆通行证)")
        FOREIGN_PR = "foreign_pr", _("Foreign permanent resident ID card (外国人永久居留身份证)")
        HK_MACAO_TW_RESIDENCE = (
            "hmt_residence",
            _("Residence permit for HK/Macao/Taiwan residents (港澳台居民居住证)"),
        )
        CREDIT_CODE = "credit_code", _("Unified social credit code (统一社会信用代码)")
        OTHER = "other", _("Other (其他)")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.PERSON)
    id_type = models.CharField(
        _("ID type"),
        max_length=20,
        choices=IdType.choices,
        blank=True,
        default="",
        db_default="",
        help_text=_("Empty: a resident identity card for a person, the credit code for a company."),
    )
    id_number = models.CharField(
        _("ID or credit code"),
        max_length=40,
        blank=True,
        help_text=_("身份证号 / 统一社会信用代码"),
    )
    sex = models.CharField(
        _("sex"), max_length=6, choices=Sex.choices, blank=True, default="", db_default=""
    )
    born_on = models.DateField(_("date of birth"), null=True, blank=True)
    ethnicity = models.CharField(
        _("ethnicity (民族)"),
        max_length=20,
        blank=True,
        default="",
        db_default="",
        help_text=_("e.g. 汉族"),
    )
    domicile = models.CharField(
        _("domicile (户籍地/住所地)"),
        max_length=300,
        blank=True,
        default="",
        db_default="",
        help_text=_("A person's registered residence; a company's registered seat."),
    )
    habitual_residence = models.CharField(
        _("habitual residence (经常居住地)"), max_length=300, blank=True, default="", db_default=""
    )
    legal_representative = models.CharField(
        _("legal representative (法定代表人)"), max_length=60, blank=True, default="", db_default=""
    )
    legal_representative_title = models.CharField(
        _("legal representative's title (职务)"),
        max_length=60,
        blank=True,
        default="",
        db_default="",
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    alt_phone = models.CharField(_("other phone"), max_length=40, blank=True)
    address = models.CharField(
        _("address for service"),
        max_length=300,
        blank=True,
        help_text=_("Where documents can be served; off-site owners (外地业主) have theirs here."),
    )
    email = models.EmailField(_("email"), blank=True)
    wechat = models.CharField(_("WeChat"), max_length=60, blank=True)
    lives_in_china = models.BooleanField(_("lives in mainland China"), default=True)

    class Meta:
        verbose_name = _("party")
        verbose_name_plural = _("parties")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def effective_id_type(self) -> str:
        """The ID type, defaulting to the resident ID (person) or credit code (company)."""
        if self.id_type:
            return self.id_type
        if self.kind == self.Kind.COMPANY:
            return self.IdType.CREDIT_CODE
        return self.IdType.RESIDENT_ID

    def clean(self) -> None:
        """A resident ID number passes its GB 11643 checksum and agrees with the date of birth
        and sex when those are given; a company's credit code passes its GB 32100 checksum.
        Each error names its field."""
        super().clean()
        self.id_number = normalize_id(self.id_number)
        errors = {}
        kind = self.effective_id_type
        if self.kind == self.Kind.COMPANY and kind != self.IdType.CREDIT_CODE:
            errors["id_type"] = _("A company is identified by its unified social credit code.")
        elif self.kind == self.Kind.PERSON and kind == self.IdType.CREDIT_CODE:
            errors["id_type"] = _(
                "A unified social credit code identifies a company, not a person."
            )
        elif self.id_number and kind == self.IdType.CREDIT_CODE:
            if problem := credit_code_problem(self.id_number):
                errors["id_number"] = problem
        elif self.id_number and kind == self.IdType.RESIDENT_ID:
            if problem := resident_id_problem(self.id_number):
                errors["id_number"] = problem
            else:
                born = resident_id_birth_date(self.id_number)
                if self.born_on and self.born_on != born:
                    errors["born_on"] = _(
                        "The ID number gives %(born)s as the date of birth, not %(given)s."
                    ) % {"born": f"{born:%Y-%m-%d}", "given": f"{self.born_on:%Y-%m-%d}"}
                sex = resident_id_sex(self.id_number)
                if self.sex and self.sex != sex:
                    errors["sex"] = _(
                        "The ID number says %(sex)s (its 17th digit is %(parity)s)."
                    ) % {
                        "sex": self.Sex(sex).label,
                        "parity": _("odd") if sex == self.Sex.MALE else _("even"),
                    }
        if errors:
            raise ValidationError(errors)


class UnitParty(models.Model):
    """How a party relates to a unit and whether it is liable for the unit's fees."""

    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        TENANT = "tenant", _("Tenant")
        DEVELOPER = "developer", _("Developer")

    unit = models.ForeignKey(
        Unit, on_delete=models.CASCADE, related_name="unit_parties", verbose_name=_("unit")
    )
    party = models.ForeignKey(
        Party, on_delete=models.PROTECT, related_name="unit_links", verbose_name=_("party")
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    liable = models.BooleanField(
        _("liable for fees"),
        default=True,
        help_text=_("Tenants are jointly liable only when the lease says so."),
    )
    since = models.DateField(_("since"), null=True, blank=True)
    until = models.DateField(_("until"), null=True, blank=True)

    class Meta:
        verbose_name = _("unit party")
        verbose_name_plural = _("unit parties")
        constraints = [
            models.UniqueConstraint(fields=["unit", "party", "role"], name="unitparty_unique_role"),
        ]

    def __str__(self) -> str:
        return f"{self.unit.label} {self.get_role_display()}: {self.party}"
