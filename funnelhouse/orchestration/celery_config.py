"""`[celery] celery_config_options` of the Celery deployments (docker-compose.yml, the test cluster):
Airflow's default Celery configuration, with the DAG files' imports done once per worker.

A Celery worker runs each task instance in a process forked from it (Airflow's supervisor), and that
process parses the DAG file before it runs the task: it imports Cosmos and the project's orchestration
package, then renders the task graph. The worker imports this module before it forks its pool, so
with the imports here every task process inherits them and pays only for the DAG file itself (parsing
`crm_funnel_elt.py` in a fresh interpreter: 0.85 s, 0.47 s with these imported first). The scheduler's
CeleryExecutor imports it too, which costs it the imports once; importing connects nothing, starts no
thread and reads no setting.

A worker also parses its DAG folder once, when it starts (Celery's `worker_init`, which the scheduler
never sends), and keeps the DAGs built through `dag_reuse.built_dag`: its task processes then get the
rendered DAG instead of rendering it again (dag_reuse.py). A DAG that fails to parse here is only
logged; each task process then parses it as before and reports the error itself.
"""

from __future__ import annotations

import logging
from typing import Any

import cosmos  # noqa: F401
from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG
from celery.signals import worker_init

import funnelhouse.orchestration.alerts  # noqa: F401
import funnelhouse.orchestration.dbt_producer  # noqa: F401
import funnelhouse.orchestration.dbt_render  # noqa: F401
import funnelhouse.orchestration.dbt_watchers  # noqa: F401
import funnelhouse.orchestration.lineage  # noqa: F401
import funnelhouse.orchestration.maintenance  # noqa: F401
import funnelhouse.orchestration.tasks  # noqa: F401
from funnelhouse.orchestration import dag_reuse

CELERY_CONFIG = dict(DEFAULT_CELERY_CONFIG)


@worker_init.connect
def build_dags_once(**_: Any) -> None:
    from airflow import settings
    from airflow.dag_processing.dagbag import DagBag

    dag_reuse.enable()
    try:
        bag = DagBag(dag_folder=settings.DAGS_FOLDER, safe_mode=False, load_op_links=False)
    except Exception:  # a broken DAG folder must not stop the worker; the task processes report it
        logging.getLogger(__name__).exception("parsing the DAG folder before forking failed")
        return
    logging.getLogger(__name__).info("DAGs built once for this worker's task processes: %s (import errors: %s)",
                                     sorted(bag.dags), sorted(bag.import_errors))
