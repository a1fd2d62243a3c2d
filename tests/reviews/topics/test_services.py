"""Topic services (点题述职): the call, suggestions, classification, merging, assignment, the counters."""

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import translation
from django.utils.translation import gettext

from reviews.audit.models import AuditEvent
from reviews.cycles.models import Report, SessionStatus
from reviews.topics import selectors as topics_selectors
from reviews.topics import services as topics_services
from reviews.topics.models import SuggestionSource, TopicCall, TopicCategory, TopicSuggestion
from reviews.topics.selectors import TopicCounts
from reviews.topics.services import TopicError

PARTY = SuggestionSource.PARTY_MEMBER
PUBLIC = SuggestionSource.PUBLIC
SUPERIOR = SuggestionSource.SUPERIOR


def zh(msgid: str) -> str:
    """What the page or message says in Chinese (the msgid itself until the catalogue has it)."""
    with translation.override("zh-hans"):
        return gettext(msgid)


def category(name: str) -> TopicCategory:
    return TopicCategory.objects.get(name=name)


class TopicWorld:
    """The shared world plus reporters for the village sessions and a hand-counted set of suggestions.

    County session (石匣乡, 辽阳镇 report):
        石匣乡  A 党员 1 · B 群众 1 · C 上级 3 (entered by staff)
        辽阳镇  D 群众 1
        整场    E 其他 1
    石匣乡 session (石匣村, 东庄村 report):
        石匣村  F 2 (entered by staff) · G 党员 1;  东庄村 none
    辽阳镇 session (辽阳社区 reports): call open, nothing received.
    """

    def __init__(self, world):
        self.w = world
        self.shijia_reports = [
            Report.objects.create(session=world.shijia_session, organisation=org, order=i)
            for i, org in enumerate([world.shijia_v1, world.shijia_v2], start=1)
        ]
        self.liaoyang_reports = [
            Report.objects.create(session=world.liaoyang_session, organisation=world.liaoyang_v1, order=1)
        ]
        self.county_call = topics_services.topic_call_open(
            actor=world.county_staff, session=world.county_session
        )
        self.shijia_call = topics_services.topic_call_open(
            actor=world.shijia_staff, session=world.shijia_session
        )
        self.liaoyang_call = topics_services.topic_call_open(
            actor=world.liaoyang_staff, session=world.liaoyang_session
        )
        submit = self.submit
        self.a = submit(self.county_call, world.shijia, "希望书记讲讲村级集体经济怎么壮大", PARTY)
        self.b = submit(self.county_call, world.shijia, "集体经济收入低，有什么办法增加？", PUBLIC)
        self.c = topics_services.suggestion_enter(
            actor=world.county_staff,
            session=world.county_session,
            organisation=world.shijia,
            text="抓党建促乡村振兴的思路和举措",
            source=SUPERIOR,
            supporters=3,
        )
        self.d = submit(self.county_call, world.liaoyang, "社区物业矛盾怎么化解，请书记谈谈", PUBLIC)
        self.e = submit(self.county_call, None, "各乡镇如何加强党员教育管理", SuggestionSource.OTHER)
        self.f = topics_services.suggestion_enter(
            actor=world.shijia_staff,
            session=world.shijia_session,
            organisation=world.shijia_v1,
            text="村里道路维修进度慢",
            source=PUBLIC,
            supporters=2,
        )
        self.g = submit(self.shijia_call, world.shijia_v1, "无职党员怎样发挥作用", PARTY)

    @staticmethod
    def submit(call, organisation, text, source, **extra):
        return topics_services.suggestion_submit_public(
            call_token=call.token,
            organisation_id=organisation.pk if organisation else None,
            text=text,
            source=source,
            **extra,
        )

    def refresh(self, *suggestions):
        for suggestion in suggestions:
            suggestion.refresh_from_db()


@pytest.fixture
def tw(world) -> TopicWorld:
    return TopicWorld(world)


# ---------------------------------------------------------------------------------------------------
# The call


def test_opening_creates_one_call_and_reopening_keeps_its_link(world):
    call = topics_services.topic_call_open(actor=world.county_staff, session=world.county_session)
    assert call.is_open and len(call.token) >= 20
    topics_services.topic_call_close(actor=world.county_staff, session=world.county_session)
    assert not TopicCall.objects.get(pk=call.pk).is_open
    again = topics_services.topic_call_open(actor=world.county_staff, session=world.county_session)
    assert again.pk == call.pk and again.token == call.token and again.is_open
    actions = list(
        AuditEvent.objects.filter(object_type="reviews.topiccall").values_list("action", flat=True)
    )
    assert sorted(actions) == ["topic_call.close", "topic_call.open", "topic_call.open"]


def test_opening_an_open_call_twice_changes_nothing(world):
    first = topics_services.topic_call_open(actor=world.county_staff, session=world.county_session)
    second = topics_services.topic_call_open(actor=world.county_staff, session=world.county_session)
    assert first.pk == second.pk
    assert AuditEvent.objects.filter(action="topic_call.open").count() == 1


def test_closing_a_session_without_a_call_is_refused(world):
    with pytest.raises(TopicError) as refused:
        topics_services.topic_call_close(actor=world.county_staff, session=world.county_session)
    assert refused.value.code == "no_call"
    assert refused.value.message == zh("The call for topics has not been opened.")


def test_township_staff_cannot_open_or_close_the_county_call(world):
    with pytest.raises(PermissionDenied):
        topics_services.topic_call_open(actor=world.shijia_staff, session=world.county_session)
    topics_services.topic_call_open(actor=world.county_staff, session=world.county_session)
    with pytest.raises(PermissionDenied):
        topics_services.topic_call_close(actor=world.liaoyang_staff, session=world.county_session)


def test_a_finished_session_cannot_open_a_call(world):
    world.county_session.status = SessionStatus.FINISHED
    world.county_session.save()
    with pytest.raises(TopicError) as refused:
        topics_services.topic_call_open(actor=world.county_staff, session=world.county_session)
    assert refused.value.code == "session_over"


# ---------------------------------------------------------------------------------------------------
# Public suggestions


def test_a_public_suggestion_is_stored_with_its_source_and_audited_without_name_or_phone(tw):
    s = tw.submit(
        tw.county_call,
        tw.w.liaoyang,
        "  养老服务站建设进展如何？  ",
        PUBLIC,
        name="张三",
        phone="13812345678",
    )
    s.refresh_from_db()
    assert (s.session, s.organisation, s.text, s.source, s.supporters) == (
        tw.w.county_session,
        tw.w.liaoyang,
        "养老服务站建设进展如何？",
        PUBLIC,
        1,
    )
    assert (s.name, s.phone, s.entered_by, s.category, s.merged_into) == (
        "张三",
        "13812345678",
        None,
        None,
        None,
    )
    event = AuditEvent.objects.get(action="topic_suggestion.submit", object_id=str(s.pk))
    assert event.actor is None and event.organisation == tw.w.liaoyang
    assert "13812345678" not in str(event.changes) and "张三" not in str(event.changes)


def test_a_suggestion_for_the_whole_session_has_no_organisation(tw):
    assert tw.e.organisation is None and tw.e.session == tw.w.county_session


def test_a_landline_with_area_code_is_accepted(tw):
    s = tw.submit(tw.county_call, tw.w.shijia, "农村人居环境整治怎么推进", PARTY, phone="0571-87654321")
    assert s.phone == "0571-87654321"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"text": "集体经济"}, "too_short"),  # 4 characters
        ({"text": "长" * 501}, "too_long"),
        ({"text": "     "}, "too_short"),
        ({"name": "名" * 41}, "name"),
        ({"phone": "12345"}, "phone"),
        ({"phone": "23812345678"}, "phone"),
        ({"source": SUPERIOR}, "source"),  # 上级点题 is entered by staff, never through the public link
        ({"source": "nobody"}, "source"),
        ({"organisation_id": "not-a-number"}, "organisation"),
    ],
)
def test_a_public_suggestion_is_refused_when_a_field_is_wrong(tw, change, code):
    fields = {
        "call_token": tw.county_call.token,
        "organisation_id": tw.w.shijia.pk,
        "text": "集体经济怎么发展",
        "source": PARTY,
        "name": "",
        "phone": "",
    } | change
    before = TopicSuggestion.objects.count()
    with pytest.raises(TopicError) as refused:
        topics_services.suggestion_submit_public(**fields)
    assert refused.value.code == code and refused.value.message
    assert TopicSuggestion.objects.count() == before


def test_five_and_five_hundred_characters_are_accepted(tw):
    assert tw.submit(tw.county_call, tw.w.shijia, "集体经济发", PARTY).text == "集体经济发"
    assert len(tw.submit(tw.county_call, tw.w.shijia, "长" * 500, PARTY).text) == 500


def test_an_organisation_not_reporting_at_the_session_is_refused(tw):
    # 石匣村 reports at the 石匣乡 session, not at the county's.
    with pytest.raises(TopicError) as refused:
        tw.submit(tw.county_call, tw.w.shijia_v1, "村里道路维修进度慢", PUBLIC)
    assert refused.value.code == "organisation" and refused.value.field == "organisation"
    assert refused.value.message == zh("Choose one of the organisations reporting at this session.")


def test_a_closed_call_refuses_suggestions(tw):
    topics_services.topic_call_close(actor=tw.w.county_staff, session=tw.w.county_session)
    with pytest.raises(TopicError) as refused:
        tw.submit(tw.county_call, tw.w.shijia, "集体经济怎么发展", PARTY)
    assert refused.value.code == "closed"


def test_a_published_session_refuses_suggestions_even_with_the_call_open(tw):
    tw.w.county_session.status = SessionStatus.PUBLISHED
    tw.w.county_session.save()
    with pytest.raises(TopicError) as refused:
        tw.submit(tw.county_call, tw.w.shijia, "集体经济怎么发展", PARTY)
    assert refused.value.code == "closed"


def test_an_unknown_call_is_refused(db):
    with pytest.raises(TopicError) as refused:
        topics_services.suggestion_submit_public(
            call_token="nope", organisation_id=None, text="集体经济怎么发展", source=PARTY
        )
    assert refused.value.code == "unknown"


# ---------------------------------------------------------------------------------------------------
# Staff entry


def test_staff_enter_the_superior_committees_topic_with_its_supporters(tw):
    c = TopicSuggestion.objects.get(pk=tw.c.pk)
    assert (c.source, c.supporters, c.entered_by) == (SUPERIOR, 3, tw.w.county_staff)
    event = AuditEvent.objects.get(action="topic_suggestion.create", object_id=str(c.pk))
    assert event.actor == tw.w.county_staff and event.organisation == tw.w.shijia


def test_staff_may_enter_a_short_topic(world):
    s = topics_services.suggestion_enter(
        actor=world.county_staff,
        session=world.county_session,
        organisation=world.shijia,
        text="集体经济",
        source=SUPERIOR,
    )
    assert s.text == "集体经济"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"supporters": 0}, "supporters"),
        ({"supporters": 100_001}, "supporters"),
        ({"source": "nobody"}, "source"),
        ({"text": "集"}, "too_short"),
        ({"organisation": "liaoyang_v1"}, "organisation"),
    ],
)
def test_staff_entry_is_refused_when_a_field_is_wrong(world, change, code):
    fields = {
        "actor": world.county_staff,
        "session": world.county_session,
        "organisation": world.shijia,
        "text": "集体经济怎么发展",
        "source": PUBLIC,
    } | change
    if fields["organisation"] == "liaoyang_v1":
        fields["organisation"] = world.liaoyang_v1
    with pytest.raises(TopicError) as refused:
        topics_services.suggestion_enter(**fields)
    assert refused.value.code == code
    assert not TopicSuggestion.objects.exists()


def test_township_staff_cannot_enter_suggestions_for_another_session(world):
    with pytest.raises(PermissionDenied):
        topics_services.suggestion_enter(
            actor=world.liaoyang_staff,
            session=world.shijia_session,
            organisation=None,
            text="集体经济怎么发展",
            source=PUBLIC,
        )


# ---------------------------------------------------------------------------------------------------
# Classification and merging


def test_classifying_sets_the_category_and_is_audited(tw):
    topics_services.suggestion_classify(
        actor=tw.w.county_staff, suggestion=tw.a, category=category("集体经济")
    )
    tw.refresh(tw.a)
    assert tw.a.category.name == "集体经济"
    event = AuditEvent.objects.get(action="topic_suggestion.update", object_id=str(tw.a.pk))
    assert event.changes["category"] == [None, "集体经济"]
    topics_services.suggestion_classify(actor=tw.w.county_staff, suggestion=tw.a, category=None)
    tw.refresh(tw.a)
    assert tw.a.category is None


def test_township_staff_cannot_classify_the_countys_suggestions(tw):
    with pytest.raises(PermissionDenied):
        topics_services.suggestion_classify(
            actor=tw.w.shijia_staff, suggestion=tw.a, category=category("集体经济")
        )


def test_merging_adds_the_supporters_and_the_merged_leave_the_counts(tw):
    before = topics_selectors.session_topic_counts(tw.w.county_session)
    target = topics_services.suggestions_merge(actor=tw.w.county_staff, target=tw.c, others=[tw.a, tw.b])
    tw.refresh(tw.a, tw.b, tw.c)
    assert target.supporters == tw.c.supporters == 3 + 1 + 1
    assert tw.a.merged_into == tw.c and tw.b.merged_into == tw.c
    after = topics_selectors.session_topic_counts(tw.w.county_session)
    assert before == TopicCounts(suggestions=5, people=7, organisations=2, sessions=1)
    assert after == TopicCounts(suggestions=3, people=7, organisations=2, sessions=1)
    event = AuditEvent.objects.get(action="topic_suggestion.merge")
    assert event.changes == {"supporters": [3, 5], "merged": [None, sorted([tw.a.pk, tw.b.pk])]}


def test_merging_again_points_everything_at_the_new_target(tw):
    topics_services.suggestions_merge(actor=tw.w.county_staff, target=tw.a, others=[tw.b])
    topics_services.suggestions_merge(actor=tw.w.county_staff, target=tw.c, others=[tw.a])
    tw.refresh(tw.a, tw.b, tw.c)
    assert tw.c.supporters == 5 and tw.a.merged_into == tw.c and tw.b.merged_into == tw.c


@pytest.mark.parametrize(
    ("target", "others", "code"),
    [
        ("a", ["d"], "other_organisation"),  # 石匣乡 and 辽阳镇
        ("a", ["e"], "other_organisation"),  # an organisation's and the whole session's
        ("a", ["a"], "self"),
        ("a", [], "nothing"),
    ],
)
def test_merging_is_refused_across_organisations_into_itself_or_with_nothing(tw, target, others, code):
    with pytest.raises(TopicError) as refused:
        topics_services.suggestions_merge(
            actor=tw.w.county_staff, target=getattr(tw, target), others=[getattr(tw, o) for o in others]
        )
    assert refused.value.code == code
    tw.refresh(tw.a)
    assert tw.a.supporters == 1 and not TopicSuggestion.objects.filter(merged_into__isnull=False).exists()


def test_merging_is_refused_across_sessions(tw, world):
    s = topics_services.suggestion_enter(
        actor=world.county_staff,
        session=world.shijia_session,
        organisation=None,
        text="集体经济",
        source=PUBLIC,
    )
    t = topics_services.suggestion_enter(
        actor=world.county_staff,
        session=world.county_session,
        organisation=None,
        text="集体经济",
        source=PUBLIC,
    )
    with pytest.raises(TopicError) as refused:
        topics_services.suggestions_merge(actor=world.county_staff, target=t, others=[s])
    assert refused.value.code == "other_session"


def test_a_merged_suggestion_can_be_neither_merged_again_nor_classified_nor_a_target(tw):
    topics_services.suggestions_merge(actor=tw.w.county_staff, target=tw.a, others=[tw.b])
    with pytest.raises(TopicError) as refused:
        topics_services.suggestions_merge(actor=tw.w.county_staff, target=tw.c, others=[tw.b])
    assert refused.value.code == "merged"
    with pytest.raises(TopicError) as refused:
        topics_services.suggestions_merge(actor=tw.w.county_staff, target=tw.b, others=[tw.c])
    assert refused.value.code == "merged"
    with pytest.raises(TopicError) as refused:
        topics_services.suggestion_classify(
            actor=tw.w.county_staff, suggestion=tw.b, category=category("集体经济")
        )
    assert refused.value.code == "merged"


def test_township_staff_cannot_merge_the_countys_suggestions(tw):
    with pytest.raises(PermissionDenied):
        topics_services.suggestions_merge(actor=tw.w.shijia_staff, target=tw.a, others=[tw.b])


def test_categories_are_ranked_by_the_people_who_raised_them_per_organisation(tw):
    staff = tw.w.county_staff
    economy, governance = category("集体经济"), category("基层治理")
    topics_services.suggestion_classify(actor=staff, suggestion=tw.a, category=economy)
    topics_services.suggestion_classify(actor=staff, suggestion=tw.b, category=economy)
    topics_services.suggestion_classify(actor=staff, suggestion=tw.c, category=governance)  # 3 people
    topics_services.suggestion_classify(
        actor=staff, suggestion=tw.d, category=economy
    )  # another organisation
    board = topics_selectors.session_topic_board(tw.w.county_session)
    shijia, liaoyang, whole = board
    assert (shijia.report.organisation, liaoyang.report.organisation, whole.report) == (
        tw.w.shijia,
        tw.w.liaoyang,
        None,
    )
    assert [(c.category.name, c.people, c.suggestions) for c in shijia.categories] == [
        ("基层治理", 3, 1),
        ("集体经济", 2, 2),
    ]
    assert shijia.concentration == pytest.approx(0.6)
    assert [s.pk for s in shijia.suggestions] == [tw.c.pk, tw.a.pk, tw.b.pk]  # most raised first
    assert shijia.people == 5

    # Merging the two 集体经济 suggestions adds nobody: the ranking stays, one suggestion fewer.
    topics_services.suggestions_merge(actor=staff, target=tw.a, others=[tw.b])
    shijia = topics_selectors.session_topic_board(tw.w.county_session)[0]
    assert [(c.category.name, c.people, c.suggestions) for c in shijia.categories] == [
        ("基层治理", 3, 1),
        ("集体经济", 2, 1),
    ]
    assert [s.pk for s in shijia.suggestions] == [tw.c.pk, tw.a.pk]
    assert [m.pk for m in shijia.suggestions[1].merged_list] == [tw.b.pk]

    # Two more people for 集体经济 put it first.
    topics_services.suggestion_enter(
        actor=staff,
        session=tw.w.county_session,
        organisation=tw.w.shijia,
        text="集体经济项目怎么选",
        source=PARTY,
        supporters=2,
    )
    shijia = topics_selectors.session_topic_board(tw.w.county_session)[0]
    assert [(c.category and c.category.name, c.people) for c in shijia.categories] == [
        ("基层治理", 3),
        ("集体经济", 2),
        (None, 2),  # not classified yet: always last
    ]


def test_ties_between_categories_follow_the_list_order(tw):
    staff = tw.w.county_staff
    topics_services.suggestion_classify(actor=staff, suggestion=tw.a, category=category("基层治理"))
    topics_services.suggestion_classify(actor=staff, suggestion=tw.b, category=category("集体经济"))
    shijia = topics_selectors.session_topic_board(tw.w.county_session)[0]
    assert [c.category and c.category.name for c in shijia.categories][:2] == ["集体经济", "基层治理"]


# ---------------------------------------------------------------------------------------------------
# Assigning the topic


def _report(tw, org) -> Report:
    return Report.objects.get(session=tw.w.county_session, organisation=org)


def test_adopting_a_suggestion_sets_the_topic_and_audits_it(tw):
    report = topics_services.report_topic_assign(
        actor=tw.w.county_staff, report=_report(tw, tw.w.shijia), suggestion=tw.b
    )
    assert _report(tw, tw.w.shijia).topic == report.topic == "集体经济收入低，有什么办法增加？"
    event = AuditEvent.objects.get(action="report.topic_assign")
    assert event.actor == tw.w.county_staff and event.organisation == tw.w.shijia
    assert event.changes == {
        "topic": ["", "集体经济收入低，有什么办法增加？"],
        "suggestion": [None, tw.b.pk],
        "supporters": [None, 1],
    }
    assert topics_selectors.session_topic_board(tw.w.county_session)[0].adopted_id == tw.b.pk


def test_without_a_choice_the_most_raised_suggestion_becomes_the_topic(tw):
    topics_services.report_topic_assign(actor=tw.w.county_staff, report=_report(tw, tw.w.shijia))
    assert _report(tw, tw.w.shijia).topic == "抓党建促乡村振兴的思路和举措"  # C, raised by 3
    topics_services.suggestions_merge(actor=tw.w.county_staff, target=tw.a, others=[tw.b])
    topics_services.suggestion_enter(
        actor=tw.w.county_staff,
        session=tw.w.county_session,
        organisation=tw.w.shijia,
        text="集体经济",
        source=PARTY,
        supporters=2,
    )
    topics_services.suggestions_merge(
        actor=tw.w.county_staff, target=tw.a, others=[TopicSuggestion.objects.get(text="集体经济")]
    )
    topics_services.report_topic_assign(actor=tw.w.county_staff, report=_report(tw, tw.w.shijia))
    assert _report(tw, tw.w.shijia).topic == "希望书记讲讲村级集体经济怎么壮大"  # A, now raised by 4


def test_a_typed_topic_is_set_as_typed_in_one_line(tw):
    topics_services.report_topic_assign(
        actor=tw.w.county_staff, report=_report(tw, tw.w.liaoyang), text="  以党建引领\n社区治理  "
    )
    assert _report(tw, tw.w.liaoyang).topic == "以党建引领 社区治理"
    event = AuditEvent.objects.get(action="report.topic_assign")
    assert event.changes == {"topic": ["", "以党建引领 社区治理"]}


def test_a_suggestion_reworded_keeps_its_link_in_the_audit(tw):
    topics_services.report_topic_assign(
        actor=tw.w.county_staff,
        report=_report(tw, tw.w.shijia),
        suggestion=tw.b,
        text="如何增加村集体经济收入",
    )
    assert _report(tw, tw.w.shijia).topic == "如何增加村集体经济收入"
    assert AuditEvent.objects.get(action="report.topic_assign").changes["suggestion"] == [None, tw.b.pk]


def test_a_whole_session_suggestion_may_become_any_reporters_topic(tw):
    topics_services.report_topic_assign(
        actor=tw.w.county_staff, report=_report(tw, tw.w.liaoyang), suggestion=tw.e
    )
    assert _report(tw, tw.w.liaoyang).topic == tw.e.text


def test_assignment_refusals(tw):
    staff, shijia = tw.w.county_staff, _report(tw, tw.w.shijia)
    liaoyang_v1 = tw.liaoyang_reports[0]
    cases = [
        ({"report": liaoyang_v1}, "no_suggestion"),
        ({"report": shijia, "suggestion": tw.d}, "other_report"),  # 辽阳镇's suggestion
        ({"report": shijia, "suggestion": tw.f}, "other_report"),  # another session's
        ({"report": shijia, "text": "长" * 201}, "too_long"),
        ({"report": shijia, "text": "题"}, "empty"),
    ]
    for fields, code in cases:
        with pytest.raises(TopicError) as refused:
            topics_services.report_topic_assign(actor=staff, **fields)
        assert refused.value.code == code, fields
    topics_services.suggestions_merge(actor=staff, target=tw.a, others=[tw.b])
    with pytest.raises(TopicError) as refused:
        topics_services.report_topic_assign(actor=staff, report=shijia, suggestion=tw.b)
    assert refused.value.code == "merged"
    long = topics_services.suggestion_enter(
        actor=staff, session=tw.w.county_session, organisation=tw.w.shijia, text="长" * 300, source=PARTY
    )
    with pytest.raises(TopicError) as refused:
        topics_services.report_topic_assign(actor=staff, report=shijia, suggestion=long)
    assert refused.value.code == "too_long"
    assert _report(tw, tw.w.shijia).topic == "" and not AuditEvent.objects.filter(
        action="report.topic_assign"
    )


def test_the_topic_of_a_finished_session_cannot_change(tw):
    tw.w.county_session.status = SessionStatus.FINISHED
    tw.w.county_session.save()
    with pytest.raises(TopicError) as refused:
        topics_services.report_topic_assign(
            actor=tw.w.county_staff, report=_report(tw, tw.w.shijia), text="新题目"
        )
    assert refused.value.code == "session_over"


def test_the_host_assigns_the_topic_not_the_reporter(tw):
    """石匣乡 staff manage 石匣乡 but the county hosts the session its secretary reports at."""
    with pytest.raises(PermissionDenied):
        topics_services.report_topic_assign(
            actor=tw.w.shijia_staff, report=_report(tw, tw.w.shijia), text="自己定的题目"
        )


# ---------------------------------------------------------------------------------------------------
# Categories


def test_county_staff_add_rename_and_remove_categories(world):
    new = topics_services.topic_category_save(
        actor=world.county_staff, category=TopicCategory(name=" 乡村振兴 ", order=9)
    )
    assert new.name == "乡村振兴"
    new.name = "乡村全面振兴"
    topics_services.topic_category_save(actor=world.county_staff, category=new)
    assert TopicCategory.objects.get(pk=new.pk).name == "乡村全面振兴"
    topics_services.topic_category_delete(actor=world.county_staff, category=new)
    assert not TopicCategory.objects.filter(pk=new.pk).exists()
    actions = AuditEvent.objects.filter(object_type="reviews.topiccategory").values_list("action", flat=True)
    assert sorted(actions) == ["topic_category.create", "topic_category.delete", "topic_category.update"]


def test_township_staff_cannot_change_the_shared_categories(world):
    with pytest.raises(TopicError) as refused:
        topics_services.topic_category_save(actor=world.shijia_staff, category=TopicCategory(name="乡村振兴"))
    assert refused.value.code == "scope"
    with pytest.raises(TopicError):
        topics_services.topic_category_delete(actor=world.shijia_staff, category=category("作风建设"))


def test_a_category_in_use_is_not_removed(tw):
    topics_services.suggestion_classify(
        actor=tw.w.county_staff, suggestion=tw.a, category=category("集体经济")
    )
    with pytest.raises(TopicError) as refused:
        topics_services.topic_category_delete(actor=tw.w.county_staff, category=category("集体经济"))
    assert refused.value.code == "in_use"


def test_a_duplicate_category_name_is_refused(world):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        topics_services.topic_category_save(actor=world.county_staff, category=TopicCategory(name="集体经济"))


# ---------------------------------------------------------------------------------------------------
# Counters


def test_session_counters_match_the_hand_count(tw):
    assert topics_selectors.session_topic_counts(tw.w.county_session) == TopicCounts(5, 7, 2, 1)
    assert topics_selectors.session_topic_counts(tw.w.shijia_session) == TopicCounts(2, 3, 1, 1)
    assert topics_selectors.session_topic_counts(tw.w.liaoyang_session) == TopicCounts(0, 0, 0, 0)


def test_cycle_counters_cover_the_sessions_the_user_can_see(tw):
    everything = TopicCounts(suggestions=7, people=10, organisations=3, sessions=2)
    assert topics_selectors.cycle_topic_counts(tw.w.cycle, tw.w.county_staff) == everything
    assert topics_selectors.cycle_topic_counts(tw.w.cycle, tw.w.superuser) == everything
    assert topics_selectors.cycle_topic_counts(tw.w.cycle, tw.w.shijia_staff) == TopicCounts(2, 3, 1, 1)
    assert topics_selectors.cycle_topic_counts(tw.w.cycle, tw.w.liaoyang_staff) == TopicCounts(0, 0, 0, 0)
    topics_services.suggestions_merge(actor=tw.w.county_staff, target=tw.f, others=[tw.g])
    assert topics_selectors.cycle_topic_counts(tw.w.cycle, tw.w.county_staff) == TopicCounts(6, 10, 3, 2)
