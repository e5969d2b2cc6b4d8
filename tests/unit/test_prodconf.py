"""deploy/prodconf.py: the production profile's files rendered from the
environment (no PostgreSQL, Redis or nginx needed: --no-check's part)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
import yaml

from deploy.prodconf import ConfigError, redis_parts, render, resolve, write
from tests.unit.test_devrun import DEVRUN

spec = importlib.util.spec_from_file_location("devrun_for_prodconf", DEVRUN)
devrun = importlib.util.module_from_spec(spec)
sys.modules["devrun_for_prodconf"] = devrun
spec.loader.exec_module(devrun)


def test_the_profile_renders_from_the_environment_with_the_addresses_changed(tmp_path):
    env = {"RASA_URLS": "http://10.0.0.5:5005,http://10.0.0.6:5005", "RASA_BIND": "0.0.0.0",
           "ACTION_SERVER_URLS": "http://127.0.0.1:5055,http://127.0.0.1:5056",
           "RASA_LOCK_STORE_URL": "redis://:s3cret@10.0.0.9:6380/4", "HUB_LISTEN": "0.0.0.0:9001,0.0.0.0:9002",
           "HUB_UPSTREAMS": "10.0.0.2:9001,10.0.0.3:9001", "SECRET_KEY": "k"}
    settings = resolve(env, tmp_path)
    write(tmp_path, settings)
    procfile = (tmp_path / "Procfile").read_text()
    entries = {e.name: e for e in devrun.parse_procfile(procfile)}
    assert set(entries) == {"nginx", "hub1", "hub2", "actions1", "actions2", "rasa1", "rasa2", "api", "worker",
                            "kb", "mail"}
    assert entries["hub2"].ready_url == "http://127.0.0.1:9002/health"  # 0.0.0.0 is checked on 127.0.0.1
    assert "-i 0.0.0.0" in entries["rasa1"].command and "-p 5005" in entries["rasa2"].command
    assert "${" not in procfile.replace("${ACTION_SERVER_TOKEN", "")  # every placeholder filled
    endpoints = yaml.safe_load((tmp_path / "endpoints-rasa2.yml").read_text())
    assert endpoints["action_endpoint"] == {"url": "http://127.0.0.1:5056/webhook", "token": "${ACTION_SERVER_TOKEN}"}
    assert endpoints["tracker_store"] == {"type": "SQL",
                                          "url": "postgresql://postgres@127.0.0.1:5432/fieldserv_rasa"}
    assert endpoints["lock_store"] == {"type": "redis", "url": "10.0.0.9", "port": 6380, "db": 4,
                                       "password": "s3cret", "use_ssl": False, "key_prefix": "fieldserv"}
    nginx = (tmp_path / "nginx" / "nginx.conf").read_text()
    assert "server 10.0.0.2:9001 " in nginx and "server 10.0.0.3:9001 " in nginx
    assert "hash $binary_remote_addr$arg_sticky consistent;" in nginx
    assert "proxy_set_header Upgrade $http_upgrade;" in nginx
    env_sh = tmp_path / "env.sh"
    assert "export SECRET_KEY=k" in env_sh.read_text() and env_sh.stat().st_mode & 0o077 == 0


def test_what_it_refuses():
    with pytest.raises(ConfigError):
        render("${NOT_A_SETTING}", {})
    with pytest.raises(ConfigError):
        redis_parts("http://127.0.0.1:6379/0")
    with pytest.raises(ConfigError):
        resolve({"RASA_URLS": "http://127.0.0.1:5005", "SECRET_KEY": "k"}, Path("/nonexistent"))
    assert redis_parts("redis://127.0.0.1")["db"] == "0"
