import datetime

import pytest

from reviews.audit.models import AuditEvent
from reviews.cycles import services as cycles_services
from reviews.cycles.models import Report
from reviews.orgs import services as orgs_services
from reviews.orgs.models import Appointment, Person


@pytest.fixture(autouse=True)
def _forget_setup_events(world):
    AuditEvent.objects.all().delete()


def test_a_session_change_records_who_what_and_the_change(world):
    world.county_session.venue = "县会议中心"
    cycles_services.session_save(actor=world.county_staff, session=world.county_session)
    event = AuditEvent.objects.get()
    assert event.actor == world.county_staff
    assert event.action == "session.update"
    assert event.object_type == "reviews.session"
    assert event.object_id == str(world.county_session.pk)
    assert event.changes == {"venue": ["县委第一会议室", "县会议中心"]}
    assert event.organisation == world.county


def test_saving_without_a_change_records_nothing(world):
    cycles_services.session_save(actor=world.county_staff, session=world.county_session)
    assert not AuditEvent.objects.exists()


def test_creating_an_appointment_is_recorded(world):
    person = Person.objects.create(name="周新任")
    orgs_services.appointment_save(
        actor=world.shijia_staff,
        appointment=Appointment(
            person=person, organisation=world.shijia_v2, start_date=datetime.date(2024, 1, 1)
        ),
    )
    event = AuditEvent.objects.get(action="appointment.create")
    assert event.changes["person"] == [None, "周新任"]
    assert event.organisation == world.shijia_v2


def test_a_report_without_secretary_takes_the_one_in_post_on_the_session_date(world):
    report = Report(session=world.shijia_session, organisation=world.shijia_v1, order=1)
    person = Person.objects.create(name="吴村支书")
    Appointment.objects.create(
        person=person, organisation=world.shijia_v1, start_date=datetime.date(2020, 1, 1)
    )
    cycles_services.report_save(actor=world.shijia_staff, report=report)
    assert report.secretary == person
    assert AuditEvent.objects.filter(action="report.create", object_id=str(report.pk)).exists()


def test_a_report_deletion_is_recorded(world):
    report = world.county_reports[0]
    cycles_services.report_delete(actor=world.county_staff, report=report)
    assert not Report.objects.filter(pk=report.pk).exists()
    assert AuditEvent.objects.filter(action="report.delete", object_repr__contains="石匣乡").exists()
