"""A database without the demo world: the first admin is made from the
command line, once; after that the portal's Users page is the way."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from backend.errors import DomainError, ErrorCode
from backend.identity.bootstrap import create_first_admin, has_admin
from backend.identity.models import User
from backend.identity.service import authenticate
from backend.settings import ROOT


def _users(uow) -> int:
    with uow() as s:
        return s.scalar(select(func.count(User.id)))


def test_the_first_admin_can_sign_in_and_a_second_is_refused(any_uow) -> None:
    assert not has_admin(any_uow)
    admin = create_first_admin(any_uow, email=" Owner@Example.com ", name="Priya Nair", password="s3cret-pass")
    assert admin.role == "admin" and admin.email == "owner@example.com"
    assert authenticate(any_uow, email="owner@example.com", password="s3cret-pass").role == "admin"
    with pytest.raises(DomainError) as refused:
        create_first_admin(any_uow, email="other@example.com", name="Someone Else", password="another-pass")
    assert refused.value.code == ErrorCode.ALREADY_DONE and "owner@example.com" in refused.value.message
    assert _users(any_uow) == 1


@pytest.mark.parametrize("email, name, password, field", [
    ("not-an-address", "Priya", "s3cret-pass", "email"),
    ("owner@example.com", " ", "s3cret-pass", "name"),
    ("owner@example.com", "Priya", "short", "password"),
])
def test_bad_input_creates_nothing(any_uow, email, name, password, field) -> None:
    with pytest.raises(DomainError) as refused:
        create_first_admin(any_uow, email=email, name=name, password=password)
    assert refused.value.code == ErrorCode.INVALID_INPUT and refused.value.details["field"] == field
    assert _users(any_uow) == 0


def test_setup_db_without_demo_then_create_admin_from_the_command_line(tmp_path) -> None:
    env = {**os.environ, "VAR_DIR": str(tmp_path), "FIELDSERV_DEMO": "0"}
    env.pop("DATABASE_URL", None)
    setup = subprocess.run([sys.executable, "-m", "backend.cli", "setup-db"], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=300, check=True)
    assert "create the first admin" in setup.stdout and not (tmp_path / "demo-logins.txt").exists()
    cmd = [sys.executable, "-m", "backend.cli", "create-admin", "--email", "owner@example.com",
           "--name", "Priya Nair", "--password-stdin"]
    made = subprocess.run(cmd, cwd=ROOT, env=env, input="s3cret-pass\n", capture_output=True, text=True,
                          timeout=120)
    assert made.returncode == 0, made.stderr
    assert "owner@example.com created" in made.stdout
    again = subprocess.run(cmd, cwd=ROOT, env=env, input="s3cret-pass\n", capture_output=True, text=True,
                           timeout=120)
    assert again.returncode == 1 and "already has an admin" in again.stderr
    rerun = subprocess.run([sys.executable, "-m", "backend.cli", "setup-db"], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=300, check=True)
    assert "create the first admin" not in rerun.stdout  # the admin exists now
