"""`flask --app marketplace demo`: a believable district in an empty database, loaded once."""

from __future__ import annotations

from collections import Counter

import pytest
from stdnum.cn import uscc as stdnum_uscc

from marketplace.accounts.models import Organization, OrgKind, OrgStatus, SiteRole, User
from marketplace.demo import run_demo
from marketplace.extensions import db

from .support import count


@pytest.fixture
def instance_dir(app, tmp_path, monkeypatch):
    """The printed logins are also written under instance/: keep each test's copy apart."""
    monkeypatch.setitem(app.config, "INSTANCE_DIR", str(tmp_path))
    return tmp_path


def verified_kinds() -> Counter:
    orgs = db.session.scalars(db.select(Organization).where(Organization.status == OrgStatus.verified))
    return Counter(org.kind for org in orgs)


def test_demo_command_fills_an_empty_database_and_prints_the_logins(runner, instance_dir):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output

    kinds = verified_kinds()
    assert kinds[OrgKind.university] == 2
    assert kinds[OrgKind.institute] == 1
    assert kinds[OrgKind.enterprise] == 5
    assert kinds[OrgKind.bank] == 2
    assert kinds[OrgKind.insurer] == 1
    assert kinds[OrgKind.agency] == 1
    smes = db.session.scalars(db.select(Organization.name).where(
        Organization.kind == OrgKind.enterprise, Organization.is_sme, Organization.status == OrgStatus.verified))
    assert len(list(smes)) == 3
    # Exactly the district the issue asks for: every demo organisation verified.
    assert count(Organization, Organization.status != OrgStatus.verified) == 0
    assert count(Organization, Organization.kind == OrgKind.enterprise) == 5

    orgs = db.session.scalars(db.select(Organization)).all()
    for org in orgs:
        assert stdnum_uscc.is_valid(org.uscc), org.uscc
        assert org.users, f"{org.name} has no user"
    assert len({org.uscc for org in orgs}) == len(orgs)

    [operator] = db.session.scalars(db.select(User).where(User.site_role == SiteRole.operator)).all()
    assert operator.email in result.output
    for org in orgs:
        admin = next(user for user in org.users if user.is_org_admin)
        assert admin.email in result.output

    # Each printed password signs its user in.
    printed = [line.split() for line in result.output.splitlines() if "@demo.ip-pool.cn" in line]
    assert len(printed) == len(orgs)
    for *_role, email, password in printed:
        user = db.session.scalar(db.select(User).where(User.email == email))
        assert user.check_password(password), email
    assert (instance_dir / "demo_logins.txt").read_text().strip() == result.output.strip()


def test_demo_users_can_sign_in_through_the_form(client, runner, instance_dir):
    output = runner.invoke(args=["demo"]).output
    line = next(line for line in output.splitlines() if "xinrui@demo.ip-pool.cn" in line)
    password = line.split()[-1]
    response = client.post("/login", data={"email": "xinrui@demo.ip-pool.cn", "password": password})
    assert response.status_code == 302
    assert "福州芯锐微电子有限公司" in client.get("/dashboard").get_data(as_text=True)


def test_a_second_run_changes_nothing_and_says_so(runner, instance_dir):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0
    before = (count(Organization), count(User))
    hashes = dict(db.session.execute(db.select(User.email, User.password_hash)).all())

    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0
    assert "already has data" in second.output
    assert (count(Organization), count(User)) == before
    assert dict(db.session.execute(db.select(User.email, User.password_hash)).all()) == hashes


def test_the_demo_is_not_loaded_into_a_database_that_has_data(runner, make, instance_dir):
    make.user()
    before = (count(Organization), count(User))
    result = runner.invoke(args=["demo"])
    assert "already has data" in result.output
    assert (count(Organization), count(User)) == before
    assert not (instance_dir / "demo_logins.txt").exists()


def test_run_demo_is_deterministic_for_a_seed(app):
    ctx = run_demo(seed=1)
    names = sorted(db.session.scalars(db.select(User.name)).all())
    usccs = sorted(db.session.scalars(db.select(Organization.uscc)).all())
    assert len(ctx.logins) == count(Organization)
    db.session.rollback()
    run_demo(seed=1)
    assert sorted(db.session.scalars(db.select(User.name)).all()) == names
    assert sorted(db.session.scalars(db.select(Organization.uscc)).all()) == usccs
