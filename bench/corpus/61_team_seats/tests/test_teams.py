import pytest

from teams import SeatLimitError, Team


def test_add_member():
    team = Team("acme")
    assert team.add_member(" Ann@Example.org ")
    assert team.members == ["ann@example.org"]


def test_adding_a_member_twice_is_a_no_op():
    team = Team("acme")
    team.add_member("ann@example.org")
    assert not team.add_member("ANN@example.org")
    assert len(team.members) == 1


def test_full_team_refuses_another_member():
    team = Team("acme")
    for email in ("a@x.org", "b@x.org", "c@x.org"):
        team.add_member(email)
    with pytest.raises(SeatLimitError):
        team.add_member("d@x.org")


def test_seats_follow_the_plan():
    assert Team("acme", "business").seats == 50


def test_unknown_plan_rejected():
    with pytest.raises(ValueError):
        Team("acme", "enterprise")


def test_upgrade():
    team = Team("acme")
    team.change_plan("team")
    assert team.seats == 10


def test_empty_team_can_downgrade():
    team = Team("acme", "team")
    team.change_plan("free")
    assert team.plan == "free"
