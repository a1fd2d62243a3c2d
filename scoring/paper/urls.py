"""Staff pages for paper ballots typed in twice (纸质票录入), under /manage/paper/."""

from django.urls import path

from scoring.paper import views

app_name = "paper"

urlpatterns: list = [
    path("<int:session_id>/", views.session_overview, name="session"),
    path("<int:session_id>/enter/", views.enter, name="enter"),
    path("form/<int:paper_id>/resolve/", views.resolve, name="resolve"),
    path("<int:session_id>/scan/", views.scan, name="scan"),
    path("<int:session_id>/scan/progress/", views.scan_progress, name="scan_progress"),
    path("<int:session_id>/scan/form/<int:group_id>/", views.scan_form_pdf, name="scan_form_pdf"),
    path("scan/<int:form_id>/", views.scanned_form, name="scanned_form"),
    path("scan/page/<int:page_id>.png", views.scanned_page_image, name="scanned_page_image"),
]
