from reviews.rectification.models import RectificationItem, RectificationStatus


def test_fixture_issues_three_notices(rectified):
    assert RectificationItem.objects.count() == 6
    assert {i.status for i in RectificationItem.objects.all()} == {RectificationStatus.PENDING}
    assert [n.number for n in (rectified.shijia_notice, rectified.liaoyang_notice)] == [1, 2]
    assert rectified.village_notice.number == 1
    assert rectified.shijia_notice.issuer == "中共示范县委员会"
