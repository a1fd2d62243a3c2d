from django.urls import path

from reviews.jobs import views

app_name = "jobs"

urlpatterns = [
    path("", views.my_jobs, name="mine"),
    path("<uuid:job_id>/", views.job_detail, name="detail"),
    path("<uuid:job_id>/download/", views.job_download, name="download"),
    path("<uuid:job_id>/retry/", views.job_retry, name="retry"),
]
