# The Function App image: one image, four apps; BudgetServices (an app setting) picks the service.
# Pinned by tag to the Functions host 4.x / Python 3.11 line the code targets; Dependabot-style
# bumps go through the Jenkins pipeline like any other change.
FROM mcr.microsoft.com/azure-functions/python:4-python3.11

# checkov:skip=CKV_DOCKER_3: the Functions host runs as root in this base image; App Service slot swap and Easy Auth fail when it does not (azure-functions-docker #424, #1063). The runner image (Dockerfile.runner) is non-root.
# checkov:skip=CKV_DOCKER_2: App Service probes the container itself and the slot swap is gated on /api/health by the pipeline; a Docker HEALTHCHECK is ignored there.

ENV AzureWebJobsScriptRoot=/home/site/wwwroot \
    AzureFunctionsJobHost__Logging__Console__IsEnabled=true \
    FUNCTIONS_WORKER_RUNTIME=python \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

# Dependencies first, in their own layer, so a code-only change rebuilds in seconds.
COPY requirements.txt /tmp/requirements.txt
RUN pip install --no-cache-dir -r /tmp/requirements.txt && rm /tmp/requirements.txt

# Only what the host indexes and imports; .dockerignore keeps tests, venvs and local state out.
COPY host.json function_app.py /home/site/wwwroot/
COPY shared /home/site/wwwroot/shared
COPY functions /home/site/wwwroot/functions
