"""Staff pages for paper ballots typed in twice (纸质票录入), under /manage/paper/."""

from django.urls import path

from scoring.paper import views

app_name = "paper"

urlpatterns: list = [
    path("<int:session_id>/", views.session_overview, name="session"),
    path("<int:session_id>/enter/", views.enter, name="enter"),
    path("form/<int:paper_id>/resolve/", views.resolve, name="resolve"),
]
