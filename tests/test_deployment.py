"""docker/compose.yml as Docker Compose reads it: the services a production host runs, their health checks,
the order they start in, what is reachable from outside, and secrets that must be given, never defaulted.

The Compose CLI is not installed where these tests run (the docker CLI alone is), so the file is read here:
PyYAML's safe_load resolves the `<<` merge keys, and `interpolate` resolves the variable forms the file uses
(`${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?message}`, `${VAR?message}`, `$$`) as Compose does.
Any other `$`-form is refused, and a test asserts the file has none, so this reading cannot quietly drift from
Compose's. Only what the assertions need is normalised (short port and volume syntax, replicas as a number).
"""

from __future__ import annotations

import ipaddress
import re
import shlex
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
import yaml

from bot.config import PROJECT_ROOT

DOCKER_DIR = PROJECT_ROOT / "docker"
COMPOSE_FILE = DOCKER_DIR / "compose.yml"
SECRETS = {"SECRET_KEY": "k" * 43, "POSTGRES_PASSWORD": "p" * 32}
SECRET_NAME = re.compile(r"SECRET|PASSWORD|TOKEN|KEY")
LONG_RUNNING = {"db", "redis", "app", "proxy", "prometheus"}
TOP_LEVEL = {"name", "services", "networks", "volumes", "secrets", "configs", "include"}
VARIABLE = r"[A-Za-z_][A-Za-z0-9_]*"
# `$$`, then `${VAR}` with an optional `:-`, `-`, `:?` or `?` and its text; a `$` matching neither (`$VAR`,
# `${VAR:+x}`, a nested `${A:-${B}}`) falls to the last alternative and is refused.
DOLLAR = re.compile(rf"\$\$|\$\{{(?P<name>{VARIABLE})(?:(?P<op>:?[-?])(?P<arg>[^${{}}]*))?\}}|\$")


class MissingVariable(ValueError):
    """A required variable (`${VAR:?message}`, `${VAR?message}`) has no value."""


class UnsupportedSyntax(ValueError):
    """A `$`-form Compose knows but this reader does not: resolving it here would be a guess."""


def interpolate(text: str, env: Mapping[str, str]) -> str:
    """TEXT with its variables resolved from ENV, with Compose's rules: `:-` and `:?` treat empty as unset."""

    def resolve(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"], match["arg"]
        if match[0] == "$$":
            return "$"
        if name is None:
            raise UnsupportedSyntax(f"unsupported `$` form in {text!r}")
        value = env.get(name)
        if op in (":?", "?") and (value is None or (op == ":?" and not value)):
            raise MissingVariable(f"required variable {name} is missing a value" + (f": {arg}" if arg else ""))
        if (op == ":-" and not value) or (op == "-" and value is None):
            return str(arg)
        return value or ""

    return DOLLAR.sub(resolve, text)


def strings(node: Any) -> Iterator[str]:
    """Every string value under NODE (keys are not interpolated by Compose, so they are left out)."""
    if isinstance(node, dict):
        for value in node.values():
            yield from strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from strings(value)
    elif isinstance(node, str):
        yield node


def resolved(node: Any, env: Mapping[str, str]) -> Any:
    """NODE with every string value interpolated."""
    if isinstance(node, dict):
        return {key: resolved(value, env) for key, value in node.items()}
    if isinstance(node, list):
        return [resolved(value, env) for value in node]
    return interpolate(node, env) if isinstance(node, str) else node


def _port(entry: str | int | dict[str, Any]) -> dict[str, Any]:
    """`[[host_ip:]published:]target[/protocol]` as Compose's long syntax."""
    if isinstance(entry, dict):
        return entry
    spec, _, protocol = str(entry).partition("/")
    *host, target = spec.rsplit(":", 2)
    port: dict[str, Any] = {"target": int(target), "protocol": protocol or "tcp"}
    if len(host) == 2:
        port["host_ip"] = host[0].strip("[]")
    if host:
        port["published"] = host[-1]
    return port


def _volume(entry: str | dict[str, Any]) -> dict[str, Any]:
    """`[source:]target[:mode]` as Compose's long syntax (source and target only)."""
    if isinstance(entry, dict):
        return entry
    parts = entry.split(":")
    return {"target": parts[0]} if len(parts) == 1 else {"source": parts[0], "target": parts[1]}


def _environment(entries: dict[str, Any] | list[str] | None) -> dict[str, Any]:
    """Both the mapping and the `KEY=VALUE` list form, as a mapping."""
    if not isinstance(entries, list):
        return dict(entries or {})
    pairs: dict[str, Any] = {}
    for entry in entries:
        key, has_value, value = entry.partition("=")
        pairs[key] = value if has_value else None
    return pairs


def _depends_on(entries: dict[str, Any] | list[str] | None) -> dict[str, dict[str, Any]]:
    """The short list form means "started"."""
    if isinstance(entries, list):
        return {name: {"condition": "service_started"} for name in entries}
    return dict(entries or {})


def normalised(config: dict[str, Any]) -> dict[str, Any]:
    """CONFIG (already interpolated) with the short forms the assertions read turned into the long ones."""
    services = {}
    for name, service in config["services"].items():
        service = dict(service)
        service["ports"] = [_port(p) for p in service.get("ports", [])]
        service["volumes"] = [_volume(v) for v in service.get("volumes", [])]
        service["environment"] = _environment(service.get("environment"))
        service["depends_on"] = _depends_on(service.get("depends_on"))
        service["networks"] = list(service.get("networks") or [])
        if isinstance(service.get("command"), str):
            service["command"] = shlex.split(service["command"])
        if "replicas" in service.get("deploy", {}):
            service["deploy"] = {**service["deploy"], "replicas": int(service["deploy"]["replicas"])}
        services[name] = service
    return {**config, "services": services}


def load(env: Mapping[str, str]) -> dict[str, Any]:
    """docker/compose.yml resolved with ENV alone (never the host's environment or a docker/.env)."""
    return normalised(resolved(yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8")), env))


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    """The file as written: merge keys resolved, variables not."""
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    """The resolved configuration, every profile included, with the required secrets given."""
    return load(SECRETS)


def test_the_file_uses_only_the_variable_forms_read_here(raw: dict[str, Any]) -> None:
    unsupported = [text for text in strings(raw) for m in DOLLAR.finditer(text) if m[0] == "$"]
    assert not unsupported, "a `$`-form these tests do not resolve; extend `interpolate` or write it another way"


def test_the_file_validates_and_runs_the_whole_system(config: dict[str, Any]) -> None:
    assert not {key for key in config if not key.startswith("x-")} - TOP_LEVEL, "an unknown top-level key"
    services = config["services"]
    default = {name for name, service in services.items() if not service.get("profiles")}
    assert default == {"db", "redis", "migrate", "app", "proxy"}, "monitoring is opt-in"
    for name, service in services.items():
        for dependency in service["depends_on"]:
            assert dependency in services, f"{name} depends on {dependency}, which does not exist"
            assert name not in default or dependency in default, f"{name} starts without the opt-in {dependency}"
        assert set(service["networks"]) <= set(config.get("networks") or {}), f"{name} uses an undeclared network"
        named = {v["source"] for v in service["volumes"] if v.get("source", ".")[0] not in "./~"}
        assert named <= set(config.get("volumes") or {}), f"{name} uses an undeclared volume"


def test_every_service_has_an_image_or_a_build_that_exists(config: dict[str, Any]) -> None:
    for name, service in config["services"].items():
        assert service.get("image") or service.get("build"), f"{name} has neither an image nor a build"
        build = service.get("build")
        if build is not None:
            build = {"context": build} if isinstance(build, str) else build
            context = DOCKER_DIR / build.get("context", ".")
            assert (context / build.get("dockerfile", "Dockerfile")).is_file(), f"{name} builds from a missing file"


def test_env_files_exist_or_are_optional(config: dict[str, Any]) -> None:
    for name, service in config["services"].items():
        entries = service.get("env_file") or []
        for entry in [entries] if isinstance(entries, str) else entries:
            entry = {"path": entry} if isinstance(entry, str) else entry
            assert (DOCKER_DIR / entry["path"]).is_file() or entry.get("required", True) is False, (
                f"{name} cannot start without {entry['path']}, which is not in docker/")


def test_every_long_running_service_has_a_health_check(config: dict[str, Any]) -> None:
    services = config["services"]
    assert set(services) == LONG_RUNNING | {"migrate"}
    for name in LONG_RUNNING:
        assert services[name].get("healthcheck", {}).get("test"), f"{name} has no health check"
    assert any("/health" in part for part in services["app"]["healthcheck"]["test"]), "the app's own /health"
    assert "healthcheck" not in services["migrate"], "a one-shot job is judged by its exit code"


def test_replicas_start_after_the_migration_succeeded_and_the_stores_are_healthy(config: dict[str, Any]) -> None:
    app, migrate = config["services"]["app"], config["services"]["migrate"]
    assert migrate["command"] == ["linli", "db", "upgrade"]
    assert migrate["restart"] == "no"
    assert migrate["image"] == app["image"], "the migration is the release's own code"
    assert app["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert app["depends_on"]["db"]["condition"] == "service_healthy"
    assert app["depends_on"]["redis"]["condition"] == "service_healthy"
    assert app["deploy"]["replicas"] >= 2
    assert "--workers" in app["command"], "each replica serves WEB_CONCURRENCY worker processes"
    assert int(app["command"][app["command"].index("--workers") + 1]) >= 1
    assert config["services"]["proxy"]["depends_on"]["app"]["condition"] == "service_healthy"


@pytest.mark.parametrize("edge", [{}, {"EDGE_SUBNET": "10.9.8.0/24"}], ids=["default", "operator's subnet"])
def test_replicas_share_state_and_believe_only_the_proxy_about_clients(edge: dict[str, str]) -> None:
    config = load({**SECRETS, **edge})
    env = config["services"]["app"]["environment"]
    assert env["ENVIRONMENT"] == "production"
    assert env["REDIS_URL"].startswith("redis://redis:"), "rate limits and login throttle shared by every replica"
    assert env["DATABASE_URL"].startswith("postgresql://") and "@db:5432/" in env["DATABASE_URL"]
    assert set(config["services"]["proxy"]["networks"]) == {"edge"}
    subnet = ipaddress.ip_network(config["networks"]["edge"]["ipam"]["config"][0]["subnet"])
    assert "*" not in env["TRUSTED_PROXIES"], "the proxy's network, not `*`"
    trusted = [ipaddress.ip_network(part.strip()) for part in env["TRUSTED_PROXIES"].split(",")]
    assert trusted == [subnet], "the proxy's network, not `*`"
    assert config["networks"]["backend"]["internal"] is True, "the database and Redis have no way out or in"
    assert "edge" not in config["services"]["db"]["networks"] and "edge" not in config["services"]["redis"]["networks"]


def test_only_the_proxy_is_reachable_from_outside(config: dict[str, Any]) -> None:
    published = {name: s["ports"] for name, s in config["services"].items() if s["ports"]}
    assert set(published) == {"proxy", "prometheus"}
    assert all(p.get("host_ip") == "127.0.0.1" for p in published["prometheus"]), "Prometheus is for the host only"
    mounted = [v for v in config["services"]["proxy"]["volumes"] if v["target"] == "/etc/nginx/nginx.conf"]
    assert [(DOCKER_DIR / v["source"]).resolve() for v in mounted] == [(DOCKER_DIR / "nginx.conf").resolve()], (
        "the nginx.conf checked here")
    nginx = (DOCKER_DIR / "nginx.conf").read_text(encoding="utf-8")
    assert re.search(r"server app:8000 resolve", nginx), "every replica, found again when they change"
    assert re.search(r"location = /metrics \{\s*return 404;", nginx), "metrics are not for the internet"
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in nginx, "a client cannot choose its own address"


def test_secrets_have_no_default_and_are_required(raw: dict[str, Any]) -> None:
    forms = [m for text in strings(raw) for m in DOLLAR.finditer(text) if m["name"]]
    assert all(m["op"] == ":?" for m in forms if SECRET_NAME.search(m["name"])), "a secret defaulted or allowed empty"
    for service in raw["services"].values():
        for name, value in _environment(service.get("environment")).items():
            if SECRET_NAME.search(name):
                required = re.fullmatch(rf"\$\{{{VARIABLE}:\?[^}}]*\}}", str(value))
                assert required, f"{name} must be required, not written"
    required_here = {m["name"] for m in forms if m["op"] in (":?", "?")}
    assert required_here == set(SECRETS), "SECRETS (above) is every variable the file requires, so each is tried"
    for missing in SECRETS:
        for given in ({k: v for k, v in SECRETS.items() if k != missing}, {**SECRETS, missing: ""}):
            with pytest.raises(MissingVariable, match=rf"^required variable {missing} is missing a value"):
                load(given)


@pytest.mark.parametrize(("text", "env", "expected"), [
    ("${A}", {}, ""), ("${A:-d}", {"A": ""}, "d"), ("${A-d}", {"A": ""}, ""), ("${A-d}", {}, "d"),
    ("${A:?m}", {"A": "v"}, "v"), ("${A?m}", {"A": ""}, ""), ("$$A", {"A": "v"}, "$A"),
])
def test_interpolation_follows_compose(text: str, env: dict[str, str], expected: str) -> None:
    assert interpolate(text, env) == expected


def test_interpolation_refuses_what_it_does_not_know() -> None:
    with pytest.raises(MissingVariable, match="required variable A is missing a value: give A"):
        interpolate("${A:?give A}", {"A": ""})
    for text in ("$A", "${A:+x}", "${A:-${B}}"):
        with pytest.raises(UnsupportedSyntax):
            interpolate(text, {"A": "v", "B": "w"})


def test_the_image_builds_its_models_from_the_repository_on_cpu_torch() -> None:
    text = (DOCKER_DIR / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    steps = [line for line in text.splitlines() if line.startswith("RUN")]
    torch = next(i for i, s in enumerate(steps) if "torch==2.13.0" in s and "/whl/cpu" in s)
    deps = next(i for i, s in enumerate(steps) if "pip install -r" in s)
    build = next(i for i, s in enumerate(steps) if "linli train" in s and "linli index" in s)
    assert torch < deps < build, "CPU torch first, so no dependency brings a GPU build"
