"""The delegate's surface: code entry, ballot, receipt. No login, no staff navigation."""

from django.urls import path

from scoring.ballots import views

app_name = "vote"

urlpatterns: list = [
    path("", views.entry, name="entry"),
    path("<str:code>/", views.ballot, name="ballot"),
    path("<str:code>/review/", views.review, name="review"),
    path("<str:code>/submit/", views.submit, name="submit"),
]
