"""The clerk's page (/manage/clerk/…): questions, answers and comments typed on the spot."""

from django.urls import path

from reviews.meeting import views

app_name = "clerk"

urlpatterns = [
    path("<int:session_id>/", views.session_page, name="session"),
    path("<int:session_id>/report/<int:report_id>/question/new/", views.question_new, name="question_new"),
    path("question/<int:question_id>/", views.question_save, name="question_save"),
    path("question/<int:question_id>/hand-over/", views.question_hand_over, name="question_hand_over"),
    path("question/<int:question_id>/delete/", views.question_delete, name="question_delete"),
    path("<int:session_id>/report/<int:report_id>/comment/new/", views.comment_new, name="comment_new"),
    path("comment/<int:comment_id>/", views.comment_save, name="comment_save"),
    path("comment/<int:comment_id>/hand-over/", views.comment_hand_over, name="comment_hand_over"),
]
