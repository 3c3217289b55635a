# The Funnelhouse Airflow image: the official Airflow 3.3.2 image plus this project, installed with the
# committed constraints so containers run exactly the versions the tests ran. dbt lives in the same
# environment (dbt-core 1.11 co-installs with Airflow 3.3; see docs/orchestration.md).
FROM apache/airflow:3.3.2-python3.11

ENV FUNNELHOUSE_HOME=/opt/funnelhouse \
    FUNNELHOUSE_STATE_DIR=/opt/airflow/state \
    FUNNELHOUSE_DBT_MANIFEST_DIR=/opt/funnelhouse/.dbt-manifest \
    GX_ANALYTICS_ENABLED=False \
    DO_NOT_TRACK=1 \
    DBT_SEND_ANONYMOUS_USAGE_STATS=False \
    AIRFLOW__COSMOS__ENABLE_TELEMETRY=False

USER root
RUN mkdir -p /opt/funnelhouse /opt/airflow/state && chown -R airflow:0 /opt/funnelhouse /opt/airflow/state
USER airflow

# Dependencies first (cached until pyproject/constraints change), then the code.
COPY --chown=airflow:0 pyproject.toml constraints.txt README.md /opt/funnelhouse/
COPY --chown=airflow:0 funnelhouse/ /opt/funnelhouse/funnelhouse/
COPY --chown=airflow:0 extractors/ /opt/funnelhouse/extractors/
COPY --chown=airflow:0 expectations/ /opt/funnelhouse/expectations/
COPY --chown=airflow:0 sandbox/ /opt/funnelhouse/sandbox/
COPY --chown=airflow:0 dbt_project/ /opt/funnelhouse/dbt_project/
COPY --chown=airflow:0 dags/ /opt/airflow/dags/

# Editable install: the packages find dbt_project/ and expectations/ next to themselves (PROJECT_ROOT).
# apache-airflow is re-pinned so pip can never swap the image's Airflow (Airflow's install guidance).
RUN pip install --no-cache-dir --constraint /opt/funnelhouse/constraints.txt \
        "apache-airflow==3.3.2" -e /opt/funnelhouse

# Render the dbt graph once at build time so no container runs `dbt parse` while parsing the DAG.
RUN funnelhouse manifest
