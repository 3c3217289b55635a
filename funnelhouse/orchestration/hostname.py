"""`[core] hostname_callable` for workers that share a host: the task instance's hostname (shown in
the UI, used to fetch its logs) is FUNNELHOUSE_WORKER_NAME when set, else the machine's FQDN.
Useful when several Celery workers run on one machine (tests, a single-host compose deployment)."""

from __future__ import annotations

import socket

from funnelhouse.core.runtime import worker_name


def worker_hostname() -> str:
    return worker_name() or socket.getfqdn()
