"""`[celery] celery_config_options` of the Celery deployments (docker-compose.yml, the test cluster):
Airflow's default Celery configuration, with the DAG files' imports done once per worker.

A Celery worker runs each task instance in a process forked from it (Airflow's supervisor), and that
process parses the DAG file before it runs the task: it imports Cosmos and the project's orchestration
package, then renders the task graph. The worker imports this module before it forks its pool, so
with the imports here every task process inherits them and pays only for the DAG file itself (parsing
`crm_funnel_elt.py` in a fresh interpreter: 0.85 s, 0.47 s with these imported first). The scheduler's
CeleryExecutor imports it too, which costs it the imports once. Nothing here connects, starts a thread
or reads a setting: importing is all it does.
"""

from __future__ import annotations

import cosmos  # noqa: F401
from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG

import funnelhouse.orchestration.alerts  # noqa: F401
import funnelhouse.orchestration.dbt_producer  # noqa: F401
import funnelhouse.orchestration.dbt_render  # noqa: F401
import funnelhouse.orchestration.dbt_watchers  # noqa: F401
import funnelhouse.orchestration.lineage  # noqa: F401
import funnelhouse.orchestration.maintenance  # noqa: F401
import funnelhouse.orchestration.tasks  # noqa: F401

CELERY_CONFIG = dict(DEFAULT_CELERY_CONFIG)
