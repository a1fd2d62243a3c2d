"""Rectification: the secretary's items, staff follow-up (verify, return, extend), the ledger, 回头看."""

from django.urls import path

from reviews.rectification import views

app_name = "rectification"

urlpatterns = [
    path("mine/", views.mine, name="mine"),
    path("item/<int:item_id>/", views.item_detail, name="item"),
    path("item/<int:item_id>/progress/", views.item_progress, name="progress"),
    path("item/<int:item_id>/submit/", views.item_submit, name="submit"),
    path("item/<int:item_id>/verify/", views.item_verify, name="verify"),
    path("item/<int:item_id>/return/", views.item_return, name="return"),
    path("item/<int:item_id>/extend/", views.item_extend, name="extend"),
    path("item/<int:item_id>/evidence/<int:event_id>/", views.evidence, name="evidence"),
    path("cycle/<int:cycle_id>/", views.cycle_items, name="cycle"),
    path("cycle/<int:cycle_id>/ledger.xlsx", views.ledger, name="ledger"),
    path("cycle/<int:cycle_id>/notices.pdf", views.notices_pdf, name="notices_pdf"),
    path("follow-up/", views.follow_up_list, name="follow_ups"),
    path("follow-up/<int:review_id>/", views.follow_up_detail, name="follow_up"),
    path("follow-up/<int:review_id>/item/<int:item_id>/", views.follow_up_mark, name="follow_up_mark"),
]
