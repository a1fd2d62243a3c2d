"""The big screen of the meeting room, under /screen/: no login, the unguessable token is the key."""

from django.urls import path

from scoring.meeting import views

app_name = "screen"

urlpatterns: list = [
    path("<str:token>/", views.screen, name="show"),
    path("<str:token>/state/", views.screen_state, name="state"),
]
