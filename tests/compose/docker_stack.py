"""Docker for the compose tier (tests/compose/, `make compose-test`): the Debian packages, a Docker daemon
without a bridge network, the locally built images and `docker compose up` of docker-compose.yml +
docker-compose.hostnet.yml on 127.0.0.1. Everything started here is stopped here: the compose project
(containers, its networks and volumes; the images stay cached) and the daemon when this module
started it — never a daemon or a process it did not start."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from funnelhouse.core.settings import PROJECT_ROOT

APT_PACKAGES = ("docker.io", "docker-compose", "debootstrap")
# The daemon this module starts: its own socket, pidfile, exec root and data root (images stay cached
# in the data root between runs), no bridge, no iptables rules: containers can only use host networking.
OWN_RUN = Path("/run/funnelhouse-docker")
OWN_SOCKET = OWN_RUN / "docker.sock"
OWN_PIDFILE = OWN_RUN / "dockerd.pid"
OWN_DATA_ROOT = Path("/var/lib/docker/funnelhouse")
DOCKERD_ARGS = ("--bridge=none", "--iptables=false", "--ip6tables=false", "--ip-masq=false")
COMPOSE_FILES = ("docker-compose.yml", "docker-compose.hostnet.yml")


class DockerUnavailable(Exception):
    """Docker cannot be installed or started here: the compose tier is skipped with this reason."""


def docker_cli() -> str:
    """The Debian package's CLI when installed (it matches its daemon), else whatever `docker` is."""
    for candidate in ("/usr/bin/docker", shutil.which("docker")):
        if candidate and Path(candidate).exists():
            return candidate
    raise DockerUnavailable("no docker CLI")


def ensure_packages(log: Path) -> None:
    """Install docker.io, docker-compose and debootstrap with apt when one of them is missing."""
    missing = [p for p, exe in zip(APT_PACKAGES, ("dockerd", "docker-compose", "debootstrap"), strict=True)
               if not shutil.which(exe) and not Path(f"/usr/sbin/{exe}").exists()]
    if not missing:
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise DockerUnavailable(f"{', '.join(missing)} not installed and cannot be installed (needs root and apt)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    with log.open("ab") as out:
        for args in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *missing]):
            result = subprocess.run(args, stdout=out, stderr=subprocess.STDOUT, env=env, timeout=900)
            if result.returncode != 0:
                raise DockerUnavailable(f"`{' '.join(args)}` failed (exit {result.returncode}); see {log}")


def _answers(cli: str, host: str) -> bool:
    try:
        return subprocess.run([cli, "-H", host, "version", "--format", "{{.Server.Version}}"], capture_output=True,
                              timeout=20).returncode == 0
    except subprocess.TimeoutExpired:
        return False


@dataclass
class Daemon:
    host: str  # DOCKER_HOST
    started: subprocess.Popen | None = None  # set when this module started it

    def stop(self) -> None:
        if self.started is None or self.started.poll() is not None:
            return
        self.started.send_signal(signal.SIGTERM)  # dockerd stops its containers and its containerd
        try:
            self.started.wait(60)
        except subprocess.TimeoutExpired:
            self.started.kill()
            self.started.wait(10)


@contextmanager
def docker_daemon(log: Path) -> Iterator[Daemon]:
    """A daemon that answers: DOCKER_HOST's or the default socket's when one runs, else one started here
    (and stopped on exit)."""
    cli = docker_cli()
    for host in filter(None, (os.environ.get("DOCKER_HOST"), "unix:///var/run/docker.sock", f"unix://{OWN_SOCKET}")):
        if _answers(cli, host):
            yield Daemon(host)
            return
    dockerd = shutil.which("dockerd") or "/usr/sbin/dockerd"
    if os.geteuid() != 0:
        raise DockerUnavailable("no Docker daemon runs and starting dockerd needs root")
    OWN_RUN.mkdir(parents=True, exist_ok=True)
    OWN_DATA_ROOT.mkdir(parents=True, exist_ok=True)
    host = f"unix://{OWN_SOCKET}"
    out = log.open("ab")
    proc = subprocess.Popen([dockerd, *DOCKERD_ARGS, "--data-root", str(OWN_DATA_ROOT), "--exec-root",
                             str(OWN_RUN / "exec"), "--pidfile", str(OWN_PIDFILE), "-H", host],
                            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    daemon = Daemon(host, proc)
    try:
        deadline = time.monotonic() + 60
        while not _answers(cli, host):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise DockerUnavailable(f"dockerd did not start (exit {proc.poll()}); see {log}")
            time.sleep(1)
        yield daemon
    finally:
        daemon.stop()
        out.close()


def compose_command() -> list[str]:
    """`docker-compose` (Debian's package) or the `docker compose` plugin."""
    if shutil.which("docker-compose"):
        return [shutil.which("docker-compose")]
    cli = docker_cli()
    if subprocess.run([cli, "compose", "version"], capture_output=True).returncode == 0:
        return [cli, "compose"]
    raise DockerUnavailable("neither docker-compose nor the docker compose plugin is installed")


def build_images(env: dict[str, str], log: Path) -> dict[str, str]:
    """scripts/build_local_images.sh; returns the image variables it prints (FUNNELHOUSE_IMAGE=...)."""
    with log.open("ab") as out:
        result = subprocess.run(["bash", str(PROJECT_ROOT / "scripts" / "build_local_images.sh")], env=env,
                                stdout=subprocess.PIPE, stderr=out, timeout=3600, cwd=PROJECT_ROOT)
    text = result.stdout.decode(errors="replace")
    log.open("a").write(text)
    assert result.returncode == 0, f"image build failed (exit {result.returncode}); see {log}"
    last = text.strip().splitlines()[-1]
    return dict(part.split("=", 1) for part in last.split())


def mask(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


@dataclass
class Stack:
    """One compose project of the two files, on host networking."""

    project: str
    env: dict[str, str]  # the environment docker compose runs with (variables of the files)
    logs: Path
    secrets: tuple[str, ...] = ()
    profiles: tuple[str, ...] = ()
    compose: list[str] = field(default_factory=compose_command)

    def command(self, *args: str) -> list[str]:
        files = [a for f in COMPOSE_FILES for a in ("-f", str(PROJECT_ROOT / f))]
        profiles = [a for p in self.profiles for a in ("--profile", p)]
        return [*self.compose, "-p", self.project, "--project-directory", str(PROJECT_ROOT), *files, *profiles,
                *args]

    def run(self, *args: str, timeout: float = 900, check: bool = True) -> str:
        result = subprocess.run(self.command(*args), env=self.env, capture_output=True, timeout=timeout,
                                cwd=PROJECT_ROOT)
        output = mask((result.stdout + result.stderr).decode(errors="replace"), self.secrets)
        with (self.logs / "compose.log").open("a") as log:
            log.write(f"$ compose {' '.join(args)}  (exit {result.returncode})\n{output}\n")
        if check and result.returncode != 0:
            raise AssertionError(f"docker compose {' '.join(args)} failed (exit {result.returncode}):\n"
                                 f"{output[-3000:]}")
        return output

    def docker(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run([docker_cli(), *args], env=self.env, capture_output=True, timeout=timeout)

    def containers(self) -> dict[str, dict]:
        """service name -> `docker inspect` of its (first) container."""
        ids = self.docker("ps", "-aq", "--filter", f"label=com.docker.compose.project={self.project}")
        out: dict[str, dict] = {}
        for cid in ids.stdout.decode().split():
            info = json.loads(self.docker("inspect", cid).stdout)[0]
            out.setdefault(info["Config"]["Labels"]["com.docker.compose.service"], info)
        return out

    def container(self, service: str) -> str:
        return self.containers()[service]["Id"]

    def wait_healthy(self, services: Iterable[str], timeout: float = 600) -> None:
        wanted = set(services)
        deadline = time.monotonic() + timeout
        states: dict[str, str] = {}
        while time.monotonic() < deadline:
            infos = self.containers()
            states = {s: (infos[s]["State"].get("Health") or {}).get("Status", infos[s]["State"]["Status"])
                      if s in infos else "missing" for s in wanted}
            if all(v == "healthy" for v in states.values()):
                return
            for s, info in infos.items():
                if s in wanted and info["State"]["Status"] == "exited":
                    raise AssertionError(f"{s} exited ({info['State']['ExitCode']}):\n{self.tail(s)}")
            time.sleep(3)
        raise TimeoutError(f"not healthy within {timeout:.0f}s: {states}")

    def tail(self, service: str, lines: int = 60) -> str:
        return self.run("logs", "--no-color", "--tail", str(lines), service, check=False)

    def save_logs(self) -> None:
        (self.logs / "services.log").write_text(self.run("logs", "--no-color", "--timestamps", check=False))

    def down(self) -> None:
        self.run("down", "--volumes", "--remove-orphans", "--timeout", "30", check=False, timeout=300)


def wait_port(port: int, timeout: float = 300) -> None:
    """Until something accepts TCP connections on 127.0.0.1:port."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(2)
