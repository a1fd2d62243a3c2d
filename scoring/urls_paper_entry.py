"""纸质票录入: blind double entry of paper 测评表, and resolving forms whose two entries differ."""

from django.urls import path

from . import views_paper_entry

app_name = "paper_entry"

urlpatterns = [
    path("<int:session_id>/", views_paper_entry.entry, name="entry"),
    path("form/<int:paper_id>/resolve/", views_paper_entry.resolve, name="resolve"),
]
