"""`[core] hostname_callable` for workers that share a host: the task instance's hostname (shown in
the UI, used to fetch its logs) is FUNNELHOUSE_WORKER_NAME when set, else the machine's FQDN.
Useful when several Celery workers run on one machine (tests, a single-host compose deployment)."""

from __future__ import annotations

import os
import socket


def worker_hostname() -> str:
    return os.environ.get("FUNNELHOUSE_WORKER_NAME", "").strip() or socket.getfqdn()
