"""Admin pages: requests, reminders and alerts are written by the services, so they are
read-only here; an alert can be marked resolved. The periodic tasks are edited on
django-celery-beat's own admin pages."""

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from workflows.approvals.models import ApprovalRequest, Reminder, SystemAlert


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApprovalRequest)
class ApprovalRequestAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "case", "status", "requested_by", "approved_by", "requested_at"]
    list_filter = ["kind", "status"]
    search_fields = ["case__id", "reason", "comment"]
    list_select_related = ["case__unit", "requested_by", "approved_by"]
    date_hierarchy = "requested_at"


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdmin):
    list_display = ["id", "case", "kind", "due_on", "status", "attempts", "delivery", "sent_at"]
    list_filter = ["kind", "status", "delivery"]
    search_fields = ["case__id", "phone", "message_id"]
    list_select_related = ["case__unit"]
    date_hierarchy = "due_on"


@admin.register(SystemAlert)
class SystemAlertAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "message", "raised_at", "last_seen_at", "resolved_at"]
    list_filter = ["kind", ("resolved_at", admin.EmptyFieldListFilter)]
    readonly_fields = ["kind", "key", "case", "message", "details", "raised_at", "last_seen_at"]
    actions = ["mark_resolved"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Mark resolved"), permissions=["change"])
    def mark_resolved(self, request, queryset):
        done = queryset.filter(resolved_at__isnull=True).update(resolved_at=timezone.now())
        self.message_user(
            request, _("%(n)d alert(s) marked resolved.") % {"n": done}, messages.SUCCESS
        )
