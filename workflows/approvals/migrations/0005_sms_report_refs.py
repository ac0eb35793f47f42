"""Issue 12, part 3: an SMS contact is proven delivered by the stored report, not by its
tick. Copy each delivered report's message id onto its contact, and grade the contacts whose
tick had no stored proof behind it "claimed, unproven" (0). The rule is frozen here as it was
when the migration was written."""

from django.db import migrations

SMS_DELIVERED, REGISTERED_DELIVERED, CLAIMED_UNPROVEN = 4, 5, 0


def forwards(apps, schema_editor):
    Reminder = apps.get_model("approvals", "Reminder")
    ContactAttempt = apps.get_model("cases", "ContactAttempt")
    ContactAttachment = apps.get_model("cases", "ContactAttachment")
    for contact_id, message_id in Reminder.objects.filter(
        delivery="delivered", contact__isnull=False
    ).values_list("contact_id", "message_id"):
        ContactAttempt.objects.filter(pk=contact_id).update(sms_report_ref=message_id)
    ContactAttempt.objects.filter(
        channel="sms", proof_grade=SMS_DELIVERED, sms_report_ref=""
    ).update(proof_grade=CLAIMED_UNPROVEN)
    recorded = ContactAttachment.objects.filter(kind="delivery_record").values("contact_id")
    ContactAttempt.objects.filter(
        channel="registered_mail", proof_grade=REGISTERED_DELIVERED
    ).exclude(pk__in=recorded).update(proof_grade=CLAIMED_UNPROVEN)


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0004_limitation_schedule"),
        ("cases", "0012_event_dates_and_proof"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
