"""Report drafts: the secretary's pages, the reviewers' queue, staff's overview per session."""

from django.urls import path

from reviews.drafts import views as views_drafts

app_name = "drafts"

urlpatterns = [
    path("mine/", views_drafts.mine, name="mine"),
    path("review/", views_drafts.queue, name="queue"),
    path("session/<int:session_id>/", views_drafts.session_overview, name="session"),
    path("cycle/<int:cycle_id>/chain/", views_drafts.chain_default, name="chain_default"),
    path("<int:report_id>/draft/", views_drafts.edit, name="edit"),
    path("<int:report_id>/versions/", views_drafts.versions, name="versions"),
    path("<int:report_id>/draft.pdf", views_drafts.draft_pdf, name="pdf"),
    path("draft/<int:draft_id>/", views_drafts.review, name="review"),
    path("draft/<int:draft_id>/file/", views_drafts.draft_file, name="file"),
]
