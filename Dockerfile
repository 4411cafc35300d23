# The Function App image: one image, four apps; BudgetServices (an app setting) picks the service.
# Two stages: Node builds the dashboard (web/), then the Functions host image carries the Python
# code and the built dashboard, which the receiver serves at /.

# Node 20 to match web/'s toolchain, pinned to a release (20.20.2, the newest 20.x on npm when
# written) so a rebuild gives the same bundle; bumps go through the pipeline like any change.
FROM node:20.20.2-bookworm-slim AS web
WORKDIR /web
# The lockfile first: `npm ci` installs exactly it, and the layer is reused while it is unchanged.
COPY web/package.json web/package-lock.json web/.npmrc ./
RUN npm ci --no-audit --no-fund
COPY web/ ./
RUN npm run build

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
# The dashboard's static build only: no node_modules, no sources.
COPY --from=web /web/dist /home/site/wwwroot/web/dist
