"""Pages for administrators: audit log, retention preview, access and erasure requests."""

from django.urls import path

from aipim.core.views import admin_tools

app_name = "manage"
urlpatterns = [
    path("audit-log/", admin_tools.AuditLogView.as_view(), name="audit_log"),
    path("retention/", admin_tools.RetentionPreviewView.as_view(), name="retention"),
    path("people/<uuid:public_id>/privacy/", admin_tools.PersonPrivacyView.as_view(), name="person_privacy"),
    path("people/<uuid:public_id>/export/", admin_tools.PersonExportView.as_view(), name="person_export"),
    path("people/<uuid:public_id>/erase/", admin_tools.PersonEraseView.as_view(), name="person_erase"),
]
