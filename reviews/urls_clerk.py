"""The clerk's page: questions, answers and comments typed on the spot."""

from django.urls import path

from . import views_clerk

app_name = "clerk"

urlpatterns = [
    path("<int:session_id>/", views_clerk.session_page, name="session"),
    path("report/<int:report_id>/question/new/", views_clerk.question_new, name="question_new"),
    path("question/<int:question_id>/", views_clerk.question_save, name="question_save"),
    path("question/<int:question_id>/delete/", views_clerk.question_delete, name="question_delete"),
    path("question/<int:question_id>/hand-over/", views_clerk.question_hand_over, name="question_hand_over"),
    path("report/<int:report_id>/comment/", views_clerk.comment_save, name="comment_new"),
    path("report/<int:report_id>/comment/<int:comment_id>/", views_clerk.comment_save, name="comment_save"),
    path("comment/<int:comment_id>/hand-over/", views_clerk.comment_hand_over, name="comment_hand_over"),
]
