"""The cluster's configuration (bot/cluster/config.py, ops/cluster/, ops/helm/) without starting it:
what haproxy and supervisord are told, and that the docker compose file and the Helm values parse.
The cluster itself runs in tests/cluster/ (slow)."""

from __future__ import annotations

import configparser
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from bot.cluster.config import STORE_DATABASE, TRACKER_DATABASE, Ports, Secrets, Topology

REPO = Path(__file__).resolve().parent.parent
PORTS = Ports(public=18080, rasa=15005, actions=15055, postgres=15433, redis=16380, rasa_replicas=(15006, 15007),
              actions_replicas=(15056, 15057), gateway_replicas=(18081, 18082))


@pytest.fixture
def topology(tmp_path) -> Topology:
    return Topology(home=REPO, var=tmp_path, venv=REPO / ".venv", model=tmp_path / "model.tar.gz", ports=PORTS,
                    secrets=Secrets("token", "gateway-secret", "fernet-key"), run_as_postgres=True)


def test_haproxy_retries_only_connections_that_never_reached_a_server(topology):
    cfg = topology.haproxy_cfg()
    retries = [line.strip() for line in cfg.splitlines() if line.strip().startswith("retry-on")]
    assert retries == ["retry-on conn-failure"]
    assert "option redispatch" in cfg


def test_haproxy_balances_every_replica_with_health_checks(topology):
    cfg = topology.haproxy_cfg()
    assert f"bind 127.0.0.1:{PORTS.public}" in cfg and f"bind 127.0.0.1:{PORTS.rasa}" in cfg
    for port in (*PORTS.gateway_replicas, *PORTS.rasa_replicas, *PORTS.actions_replicas):
        assert f"127.0.0.1:{port} check" in cfg
    backends = cfg.split("\nbackend ")[1:]
    checks = {part.split()[0]: part.split("option httpchk GET ")[1].split()[0] for part in backends}
    assert checks == {"gateways": "/health", "rasa": "/", "actions": "/health"}
    gateways = backends[0]
    assert "cookie SCHEIDINGSPUNT_GW insert" in gateways  # sticky: socket.io's long-polling
    assert "cookie gateway-1" in gateways and "cookie gateway-2" in gateways


@pytest.mark.skipif(shutil.which("haproxy") is None and not Path("/usr/sbin/haproxy").exists(),
                    reason="haproxy is not installed (scripts/ensure_haproxy.sh)")
def test_haproxy_accepts_the_config(topology, tmp_path):
    path = tmp_path / "haproxy.cfg"
    path.write_text(topology.haproxy_cfg())
    result = subprocess.run(["/usr/sbin/haproxy", "-c", "-f", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_supervisord_runs_every_part_and_starts_the_application_itself(topology, monkeypatch):
    monkeypatch.setattr("bot.cluster.config.postgres_bin", lambda: Path("/usr/lib/postgresql/15/bin"))
    parser = configparser.RawConfigParser()
    parser.read_string(topology.supervisord_conf())
    programs = {section.split(":", 1)[1]: parser[section] for section in parser.sections()
                if section.startswith("program:")}
    assert set(programs) == {"postgres", "redis", "haproxy", "actions-1", "actions-2", "rasa-1", "rasa-2",
                             "gateway-1", "gateway-2"}
    for name, program in programs.items():
        assert program["autorestart"] == "true"
        # The databases come first: run.py starts the application once they are there and migrated.
        assert program["autostart"] == ("true" if name in ("postgres", "redis", "haproxy") else "false")
    assert programs["postgres"]["user"] == "postgres" and programs["postgres"]["stopsignal"] == "INT"
    assert "--endpoints ops/cluster/endpoints.yml" in programs["rasa-1"]["command"]


def test_every_process_shares_the_secrets_and_the_stores_are_two_databases(topology):
    gateways = [topology.gateway_env(port) for port in PORTS.gateway_replicas]
    assert gateways[0]["GATEWAY_SECRET"] == gateways[1]["GATEWAY_SECRET"] == "gateway-secret"
    assert all(env["REDIS_URL"] == f"redis://127.0.0.1:{PORTS.redis}/0" for env in gateways)
    assert all(env["RASA_URL"] == f"http://127.0.0.1:{PORTS.rasa}" for env in gateways)
    rasa = topology.rasa_env()
    assert rasa["ACTION_ENDPOINT_URL"] == f"http://127.0.0.1:{PORTS.actions}/webhook"
    assert rasa["TRACKER_DB"] == TRACKER_DATABASE != STORE_DATABASE
    assert rasa["DATABASE_URL"].endswith(f"/{STORE_DATABASE}")
    assert rasa["REDIS_LOCK_DB"] != gateways[0]["REDIS_URL"].rsplit("/", 1)[1]
    assert {env["SCHEIDINGSPUNT_FERNET_KEY"] for env in (*gateways, rasa, topology.common_env())} == {"fernet-key"}


def test_the_cluster_endpoints_use_postgresql_and_a_redis_lock_store():
    endpoints = yaml.safe_load((REPO / "ops" / "cluster" / "endpoints.yml").read_text())
    assert endpoints["lock_store"]["type"] == "redis"
    assert endpoints["tracker_store"]["type"] == "privacy.tracker_store.PrivateSQLTrackerStore"
    assert endpoints["tracker_store"]["dialect"] == "postgresql"
    assert endpoints["tracker_store"]["db"] == "${TRACKER_DB}"
    # The one-machine endpoints.yml (`make run`) keeps Rasa's in-memory lock store.
    assert "lock_store" not in yaml.safe_load((REPO / "endpoints.yml").read_text())


def test_the_docker_compose_file_parses_and_has_every_part():
    compose = yaml.safe_load((REPO / "ops" / "cluster" / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"postgres", "redis", "startup", "actions", "rasa", "gateway", "haproxy"}
    for name in ("actions", "rasa", "gateway"):
        assert services[name]["deploy"]["replicas"] == 2
    assert "ops/cluster/endpoints.yml" in services["rasa"]["command"][-1]
    assert services["haproxy"]["ports"] == ["127.0.0.1:8080:8080"]


def test_the_helm_values_parse_and_scale_out():
    values = yaml.safe_load((REPO / "ops" / "helm" / "values.yml").read_text())
    assert values["replicaCount"] == 2
    endpoints = values["applicationSettings"]["endpoints"]
    assert endpoints["trackerStore"]["dialect"] == "postgresql" and endpoints["lockStore"]["type"] == "redis"
    assert endpoints["lockStore"]["enabled"] is True
    assert values["rasa-action-server"]["replicaCount"] == 2
