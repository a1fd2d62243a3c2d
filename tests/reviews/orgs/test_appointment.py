import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from reviews.orgs import services
from reviews.orgs.models import Appointment, Person, Post, secretary_on

D = datetime.date


def _appoint(world, org, name, start, end=None, post=Post.SECRETARY):
    person = Person.objects.create(name=name)
    appointment = Appointment(person=person, organisation=org, post=post, start_date=start, end_date=end)
    return services.appointment_save(actor=world.superuser, appointment=appointment)


def test_it_answers_who_was_the_secretary_on_a_date(world):
    _appoint(world, world.shijia_v1, "赵前任", D(2018, 1, 1), D(2021, 6, 30))
    _appoint(world, world.shijia_v1, "钱现任", D(2021, 7, 1))
    assert secretary_on(world.shijia_v1, D(2020, 3, 1)).name == "赵前任"
    assert secretary_on(world.shijia_v1, D(2021, 6, 30)).name == "赵前任"
    assert secretary_on(world.shijia_v1, D(2021, 7, 1)).name == "钱现任"
    assert secretary_on(world.shijia_v1, D(2017, 12, 31)) is None


def test_it_refuses_two_overlapping_secretaries(world):
    _appoint(world, world.shijia_v1, "赵前任", D(2018, 1, 1), D(2021, 6, 30))
    with pytest.raises(ValidationError) as info, translation.override("zh-hans"):
        _appoint(world, world.shijia_v1, "孙重叠", D(2021, 6, 1))
    assert "赵前任" in str(info.value)
    assert not Appointment.objects.filter(person__name="孙重叠").exists()


def test_an_open_ended_secretary_blocks_any_later_one(world):
    with pytest.raises(ValidationError):
        _appoint(world, world.shijia, "后来者", D(2025, 1, 1))


def test_a_deputy_may_overlap_the_secretary(world):
    deputy = _appoint(world, world.shijia, "副书记甲", D(2022, 1, 1), post=Post.DEPUTY_SECRETARY)
    assert deputy.pk


def test_it_refuses_an_end_before_the_start(world):
    with pytest.raises(ValidationError) as info:
        _appoint(world, world.shijia_v2, "倒序", D(2022, 1, 1), D(2021, 1, 1))
    assert "end_date" in info.value.message_dict


def test_editing_an_appointment_does_not_clash_with_itself(world):
    appointment = Appointment.objects.get(organisation=world.shijia)
    appointment.title = "石匣乡党委书记"
    services.appointment_save(actor=world.superuser, appointment=appointment)
    appointment.refresh_from_db()
    assert appointment.title == "石匣乡党委书记"
