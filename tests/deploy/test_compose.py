"""docker-compose.yml and the Dockerfile, checked statically against the code they run."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import re
import shlex
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from sqlalchemy.engine import make_url

from service import create_app
from service.cli import HANDLERS, build_parser
from service.config import default_config
from service.storage.engine import normalise_url

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "docker-compose.yml"
DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))

# The services built from this repository, and the ones run from stock images.
PROJECT_SERVICES = ("migrate", "web", "worker")
BACKING_SERVICES = ("redis", "postgres")
# An environment variable create_app reads itself rather than through the config.
DIRECT_VARIABLES = {"DYAD_DATA_DIR"}
REDIS_PORT = 6379
POSTGRES_PORT = 5432
POSTGRES_DATA = "/var/lib/postgresql/data"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    """Return the parsed compose file."""
    document = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(document, dict), "docker-compose.yml is not a mapping"
    assert isinstance(document.get("services"), dict), "docker-compose.yml has no services"
    return document


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Return the compose services by name."""
    return compose["services"]


def dockerfile() -> list[tuple[str, str]]:
    """Return the Dockerfile's instructions as (KEYWORD, arguments), continuations joined."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, arguments = (pending + line).partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        pending = ""
    assert not pending, "the Dockerfile ends inside a continued line"
    return instructions


def dockerfile_arguments(keyword: str) -> list[str]:
    """Return the arguments of every `keyword` instruction in the Dockerfile."""
    return [arguments for name, arguments in dockerfile() if name == keyword]


def dockerfile_env() -> dict[str, str]:
    """Return the variables the Dockerfile's ENV instructions set."""
    variables: dict[str, str] = {}
    for arguments in dockerfile_arguments("ENV"):
        words = shlex.split(arguments)
        if "=" not in words[0]:  # the legacy `ENV KEY value` form
            variables[words[0]] = " ".join(words[1:])
            continue
        for word in words:
            key, _, value = word.partition("=")
            variables[key] = value
    return variables


def dockerfile_cmd() -> list[str]:
    """Return the image's default command, which must use the exec (JSON) form."""
    commands = dockerfile_arguments("CMD")
    assert commands, "the Dockerfile has no CMD"
    argv = json.loads(commands[-1])
    assert isinstance(argv, list) and all(isinstance(word, str) for word in argv)
    return argv


def command(service: dict[str, Any]) -> list[str]:
    """Return a service's command as an argv list."""
    value = service.get("command")
    assert value, "the service has no command"
    return shlex.split(value) if isinstance(value, str) else [str(word) for word in value]


def environment(service: dict[str, Any]) -> dict[str, str]:
    """Return a service's environment, given as a mapping or as KEY=VALUE items."""
    value = service.get("environment") or {}
    if isinstance(value, dict):
        return {key: "" if item is None else str(item) for key, item in value.items()}
    return dict(item.partition("=")[::2] for item in value)


def parse_dyad(argv: list[str]) -> argparse.Namespace:
    """Parse a `dyad ...` argv with the real CLI parser, failing the test on a bad one."""
    assert argv[0] == "dyad", f"{argv} does not run the dyad entry point"
    try:
        args = build_parser().parse_args(argv[1:])
    except SystemExit:
        pytest.fail(f"`{shlex.join(argv)}` is not a valid dyad command")
    assert args.command in HANDLERS, f"`{shlex.join(argv)}` has no service handler"
    return args


def published_ports(service: dict[str, Any]) -> list[tuple[int, int]]:
    """Return a service's published ports as (host, container) pairs."""
    pairs = []
    for entry in service.get("ports", []):
        if isinstance(entry, dict):
            pairs.append((int(entry["published"]), int(entry["target"])))
            continue
        parts = str(entry).split("/")[0].split(":")
        assert len(parts) >= 2, f"port {entry} is not published on a fixed host port"
        pairs.append((int(parts[-2]), int(parts[-1])))
    return pairs


def healthcheck(service: dict[str, Any]) -> list[str]:
    """Return a service's health check command (CMD form, or CMD-SHELL split into words)."""
    check = service.get("healthcheck")
    assert check and not check.get("disable"), "the service has no health check"
    test = check["test"]
    assert isinstance(test, list), "write the health check test as a list"
    assert test[0] in ("CMD", "CMD-SHELL"), f"health check {test} is neither CMD nor CMD-SHELL"
    return shlex.split(test[1]) if test[0] == "CMD-SHELL" else test[1:]


def web_healthcheck_url(web: dict[str, Any]) -> str:
    """Return the URL the web service's health check fetches."""
    urls = re.findall(r"https?://[^\s'\"]+", " ".join(healthcheck(web)))
    assert len(urls) == 1, f"expected one URL in the web health check, found {urls}"
    return urls[0]


def option_values(argv: list[str]) -> dict[str, str]:
    """Return the `--name value` pairs of an argv."""
    return {
        word: argv[index + 1]
        for index, word in enumerate(argv[:-1])
        if word.startswith("--") and not argv[index + 1].startswith("--")
    }


def named_volume(service: dict[str, Any], target: str) -> str:
    """Return the source of the volume a service mounts at `target`."""
    for entry in service.get("volumes", []):
        if isinstance(entry, dict):
            source, mounted = entry.get("source", ""), entry["target"]
        else:
            source, _, rest = str(entry).partition(":")
            mounted = rest.split(":")[0]
        if mounted == target:
            return source
    pytest.fail(f"nothing is mounted at {target}")


def ignore_rules() -> list[tuple[bool, re.Pattern[str]]]:
    """Return .dockerignore's rules as (is_exception, regex) in file order."""
    rules = []
    for raw in DOCKERIGNORE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        exception = line.startswith("!")
        pattern = line.lstrip("!").strip().strip("/")
        regex = ""
        index = 0
        while index < len(pattern):
            if pattern.startswith("**/", index):
                regex, index = regex + "(?:.*/)?", index + 3
            elif pattern.startswith("**", index):
                regex, index = regex + ".*", index + 2
            else:
                char = pattern[index]
                regex += {"*": "[^/]*", "?": "[^/]"}.get(char, re.escape(char))
                index += 1
        rules.append((exception, re.compile(regex)))
    return rules


def docker_ignores(path: str) -> bool:
    """Say whether .dockerignore leaves `path` (relative to the repo) out of the build context."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: end + 1]) for end in range(len(parts))]
    ignored = False
    for exception, regex in ignore_rules():
        if any(regex.fullmatch(prefix) for prefix in prefixes):
            ignored = not exception
    return ignored


def test_compose_parses_with_every_service(services: dict[str, dict[str, Any]]) -> None:
    assert set(PROJECT_SERVICES + BACKING_SERVICES) <= set(services)
    built = {name for name, service in services.items() if "build" in service}
    assert built == set(PROJECT_SERVICES)
    for name in PROJECT_SERVICES:
        build = services[name]["build"]
        context = build if isinstance(build, str) else build.get("context", ".")
        assert (COMPOSE.parent / context).resolve() == REPO, f"{name} builds from elsewhere"


def test_dyad_is_a_console_script() -> None:
    target = PYPROJECT["project"]["scripts"]["dyad"]
    module, _, attribute = target.partition(":")
    assert callable(getattr(importlib.import_module(module), attribute))


@pytest.mark.parametrize("name", PROJECT_SERVICES)
def test_each_command_parses_with_the_cli(services: dict[str, Any], name: str) -> None:
    parse_dyad(command(services[name]))


def test_the_image_runs_the_web_server_by_default() -> None:
    args = parse_dyad(dockerfile_cmd())
    assert args.command == "web"
    assert args.host == "0.0.0.0", "a server bound to loopback is unreachable from outside"


def test_migrations_run_before_web_and_worker(services: dict[str, Any]) -> None:
    migrate = services["migrate"]
    args = parse_dyad(command(migrate))
    assert (args.command, args.db_command) == ("db", "upgrade")
    assert str(migrate.get("restart", "no")) == "no", "a finished migration must not restart"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("web", "worker"):
        depends_on = services[name]["depends_on"]
        assert depends_on["migrate"]["condition"] == "service_completed_successfully", name
        assert depends_on["redis"]["condition"] == "service_healthy", name


def test_the_worker_runs_the_reconciler(services: dict[str, Any]) -> None:
    args = parse_dyad(command(services["worker"]))
    assert args.command == "worker"
    assert args.beat, "no worker runs the reconciler schedule"


def test_every_variable_set_is_read_by_the_config(services: dict[str, Any]) -> None:
    keys = set(default_config(Path("/tmp")))
    sources = {name: environment(services[name]) for name in PROJECT_SERVICES}
    sources["Dockerfile"] = dockerfile_env()
    for source, variables in sources.items():
        for variable in variables:
            if not variable.startswith("DYAD_"):
                assert source == "Dockerfile", f"{source} sets {variable}, which dyad ignores"
                continue
            read = variable in DIRECT_VARIABLES or variable.removeprefix("DYAD_") in keys
            assert read, f"{source} sets {variable}, which is no config key"


def test_the_environment_configures_the_app(
    services: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    variables = environment(services["web"])
    for name in [name for name in os.environ if name.startswith("DYAD_")]:
        monkeypatch.delenv(name)
    for name, value in {**dockerfile_env(), **variables, "DYAD_DATA_DIR": str(tmp_path)}.items():
        monkeypatch.setenv(name, value)
    app = create_app()
    for name, value in variables.items():
        # Flask reads DYAD_* values as JSON where they parse ("true" is True), else as text.
        assert app.config[name.removeprefix("DYAD_")] == as_flask_reads(value)
    path = urlsplit(web_healthcheck_url(services["web"])).path
    assert app.test_client().get(path).status_code == 200


def as_flask_reads(value: str) -> Any:
    """Return an environment value as Flask's from_prefixed_env reads it."""
    try:
        return json.loads(value)
    except ValueError:
        return value


def test_the_database_url_reaches_the_postgres_service(services: dict[str, Any]) -> None:
    postgres = environment(services["postgres"])
    for name in PROJECT_SERVICES:
        url = environment(services[name])["DYAD_DATABASE_URL"]
        assert normalise_url(url) == url
        parsed = make_url(url)
        assert parsed.drivername == "postgresql+psycopg"
        assert parsed.host == "postgres" and (parsed.port or POSTGRES_PORT) == POSTGRES_PORT
        assert parsed.username == postgres["POSTGRES_USER"]
        assert parsed.password == postgres["POSTGRES_PASSWORD"]
        assert parsed.database == postgres["POSTGRES_DB"]


def test_the_broker_url_reaches_the_redis_service(services: dict[str, Any]) -> None:
    assert "--port" not in command(services["redis"]), "redis must listen on its default port"
    for name in PROJECT_SERVICES:
        url = urlsplit(environment(services[name])["DYAD_BROKER_URL"])
        assert url.scheme == "redis"
        assert url.hostname == "redis" and (url.port or REDIS_PORT) == REDIS_PORT


def test_redis_persists_and_never_evicts(services: dict[str, Any]) -> None:
    argv = command(services["redis"])
    assert argv[0] == "redis-server"
    options = option_values(argv)
    assert options.get("--appendonly") == "yes"
    assert options.get("--appendfsync") == "everysec"
    assert options.get("--maxmemory-policy") == "noeviction"


def test_data_lives_in_named_volumes(compose: dict[str, Any]) -> None:
    declared = set(compose.get("volumes") or {})
    for name, target in (("postgres", POSTGRES_DATA), ("redis", "/data")):
        source = named_volume(compose["services"][name], target)
        assert source in declared, f"{name} keeps its data in {source!r}, not a named volume"


def test_web_and_worker_share_the_data_folder(compose: dict[str, Any]) -> None:
    """A bundle built by a worker must be downloadable through the web server."""
    declared = set(compose.get("volumes") or {})
    web = named_volume(compose["services"]["web"], "/app/data")
    assert web in declared and named_volume(compose["services"]["worker"], "/app/data") == web


def test_backing_services_and_web_have_health_checks(services: dict[str, Any]) -> None:
    assert healthcheck(services["redis"])[:2] == ["redis-cli", "ping"]
    postgres = healthcheck(services["postgres"])
    assert postgres[0] == "pg_isready"
    assert any(environment(services["postgres"])["POSTGRES_USER"] in word for word in postgres)
    url = urlsplit(web_healthcheck_url(services["web"]))
    assert url.hostname in ("127.0.0.1", "localhost") and url.path == "/healthz"


def test_the_web_ports_agree(services: dict[str, Any]) -> None:
    web = services["web"]
    args = parse_dyad(command(web))
    assert args.command == "web" and args.host == "0.0.0.0"
    published = published_ports(web)
    assert len(published) == 1
    host_port, container_port = published[0]
    exposed = {
        int(word.split("/")[0]) for line in dockerfile_arguments("EXPOSE") for word in line.split()
    }
    assert container_port == args.port == host_port
    assert exposed == {args.port}
    assert parse_dyad(dockerfile_cmd()).port == args.port
    assert urlsplit(web_healthcheck_url(web)).port == args.port


def test_the_image_is_slim_python_run_by_a_user() -> None:
    images = dockerfile_arguments("FROM")
    assert len(images) >= 1
    found = re.fullmatch(r"python:(\d+)\.(\d+)-slim(?:-\w+)?", images[-1].split()[0])
    assert found, f"the image is based on {images[-1]}"
    minimum = re.fullmatch(r">=(\d+)\.(\d+)", PYPROJECT["project"]["requires-python"])
    assert minimum
    assert tuple(map(int, found.groups())) >= tuple(map(int, minimum.groups()))
    users = dockerfile_arguments("USER")
    assert users and users[-1].split(":")[0] not in ("root", "0"), "the image runs as root"
    assert dockerfile_env().get("DYAD_DATA_DIR", "").startswith("/")


def test_the_build_context_holds_the_package() -> None:
    copied = set()
    for arguments in dockerfile_arguments("COPY"):
        words = [word for word in shlex.split(arguments) if not word.startswith("--")]
        copied.update(word.removeprefix("./").rstrip("/") or "." for word in words[:-1])
    needed = ["pyproject.toml", PYPROJECT["project"]["readme"]]
    needed += PYPROJECT["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
    for name in needed:
        assert name in copied or "." in copied, f"the Dockerfile does not copy {name}"
        assert not docker_ignores(name), f".dockerignore leaves out {name}"
    files = [
        path.relative_to(REPO).as_posix()
        for package in needed[2:]
        for path in (REPO / package).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    ]
    assert any(name.startswith("service/migrations/") for name in files)
    assert [name for name in files if docker_ignores(name)] == []
    for name in (".venv", ".git", "data", "tests", ".venv/bin/python"):
        assert docker_ignores(name), f".dockerignore lets {name} into the build context"
