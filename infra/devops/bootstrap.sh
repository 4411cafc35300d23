#!/usr/bin/env bash
# First-boot setup of the DevOps VM (run by cloud-init; safe to run again by hand).
# Order matters: Apache must answer the ACME challenge before certbot, and the certificates must
# exist before GitLab and Jenkins are told their https:// URLs.
set -euo pipefail
# shellcheck source=/dev/null
. /etc/budget/devops.env

# --- Azure CLI, to read this VM's secrets from Key Vault with its managed identity -----------
if ! command -v az >/dev/null; then
  curl -fsSL https://aka.ms/InstallAzureCLIDeb | bash
fi
az login --identity --output none
secret() { az keyvault secret show --vault-name "$KEY_VAULT" --name "$1" --query value -o tsv; }
# Secrets made later in docs/deploy.md (GitLab tokens): empty until then; re-run this script after.
later_secret() { secret "$1" 2>/dev/null || true; }

# --- Apache and Let's Encrypt ----------------------------------------------------------------
a2enmod ssl headers proxy proxy_http rewrite alias >/dev/null
a2dissite 000-default >/dev/null || true
a2ensite budget >/dev/null
mkdir -p /var/www/acme/.well-known/acme-challenge
systemctl reload-or-restart apache2
/usr/local/sbin/certbot-issue.sh "$LETSENCRYPT_EMAIL" "$GITLAB_HOST" "$JENKINS_HOST"
# One renewal schedule, ours (it runs the reload hook); Debian's own timer would be a second.
systemctl disable --now certbot.timer 2>/dev/null || true
systemctl daemon-reload
systemctl enable --now certbot-renew.timer

# --- GitLab CE (Omnibus), behind Apache: its nginx is off, workhorse on 127.0.0.1:8181 ---------
if ! command -v gitlab-ctl >/dev/null; then
  curl -fsSL https://packages.gitlab.com/install/repositories/gitlab/gitlab-ce/script.deb.sh | bash
  EXTERNAL_URL="https://$GITLAB_HOST" apt-get install -y gitlab-ce
fi
ENTRA_TENANT_ID=$(az account show --query tenantId -o tsv)
GITLAB_ENTRA_CLIENT_ID=$(secret gitlab-entra-client-id)
GITLAB_ENTRA_CLIENT_SECRET=$(secret gitlab-entra-client-secret)
export GITLAB_HOST ENTRA_TENANT_ID GITLAB_ENTRA_CLIENT_ID GITLAB_ENTRA_CLIENT_SECRET
umask 077
# Only the listed variables are substituted: the file's own Ruby stays as written.
envsubst '${GITLAB_HOST} ${ENTRA_TENANT_ID} ${GITLAB_ENTRA_CLIENT_ID} ${GITLAB_ENTRA_CLIENT_SECRET}' \
  </etc/budget/gitlab.rb.tmpl >/etc/gitlab/gitlab.rb
gitlab-ctl reconfigure
# Entra ID is the only way in (gitlab.rb.tmpl): no password sign-in on the web or for Git over
# HTTPS (tokens still work there), no self sign-up. These are application settings, which
# gitlab.rb cannot set. Admins are made with `gitlab-rails runner` (docs/deploy.md, step 8).
gitlab-rails runner 'ApplicationSetting.current_without_cache.update!(
  password_authentication_enabled_for_web: false,
  password_authentication_enabled_for_git: false,
  signup_enabled: false)'

# --- Jenkins, configured as code (infra/jenkins/casc.yaml) -------------------------------------
if ! command -v jenkins >/dev/null; then
  curl -fsSL https://pkg.jenkins.io/debian-stable/jenkins.io-2023.key \
    -o /usr/share/keyrings/jenkins-keyring.asc
  echo "deb [signed-by=/usr/share/keyrings/jenkins-keyring.asc] https://pkg.jenkins.io/debian-stable binary/" \
    >/etc/apt/sources.list.d/jenkins.list
  apt-get update -q
  apt-get install -y -q jenkins
fi
mkdir -p /etc/systemd/system/jenkins.service.d
# JCasC reads each ${VAR} from a file named VAR in $SECRETS: secrets stay out of the process
# environment. No build runs on this controller (numExecutors 0): they run on the agents.
secrets_dir=/var/lib/jenkins/casc-secrets
install -d -m 700 -o jenkins -g jenkins "$secrets_dir"
put() { printf '%s' "$2" >"$secrets_dir/$1"; chmod 600 "$secrets_dir/$1"; }
put ENTRA_TENANT_ID "$ENTRA_TENANT_ID"
put JENKINS_ENTRA_CLIENT_ID "$(secret jenkins-entra-client-id)"
put JENKINS_ENTRA_CLIENT_SECRET "$(secret jenkins-entra-client-secret)"
put GITLAB_API_TOKEN "$(later_secret gitlab-api-token)"
put GITLAB_READ_TOKEN "$(later_secret gitlab-read-token)"
# The same value configure-webhook.sh gives GitLab's hooks; the jobs' triggers compare it.
put GITLAB_WEBHOOK_TOKEN "$(secret gitlab-webhook-token)"
put AGENT_SSH_PRIVATE_KEY "$(secret jenkins-agent-ssh-key)"
put NOTIFY_WEBHOOK_URL "$(secret notify-webhook-url)"
chown -R jenkins:jenkins "$secrets_dir"
cat >/etc/systemd/system/jenkins.service.d/override.conf <<UNIT
[Service]
Environment=CASC_JENKINS_CONFIG=/var/lib/jenkins/casc/jenkins.yaml
Environment=SECRETS=$secrets_dir
Environment=JENKINS_URL=https://$JENKINS_HOST/
Environment=GITLAB_URL=https://$GITLAB_HOST
Environment=BUDGET_REPO_URL=https://$GITLAB_HOST/${BUDGET_PROJECT}.git
Environment=ACR_NAME=$ACR_NAME
Environment=RESOURCE_GROUP=$RESOURCE_GROUP
Environment=APP_PREFIX=$APP_PREFIX
Environment=MYSQL_HOST=$MYSQL_HOST
Environment=MIGRATOR_CLIENT_ID=$MIGRATOR_CLIENT_ID
Environment=DEPLOY_CLIENT_ID=$DEPLOY_CLIENT_ID
Environment=CI_AGENT_HOST=$CI_AGENT_HOST
Environment=DEPLOY_AGENT_HOST=$DEPLOY_AGENT_HOST
Environment="JAVA_OPTS=-Djava.awt.headless=true -Djenkins.install.runSetupWizard=false"
# Only Apache talks to Jenkins.
Environment=JENKINS_LISTEN_ADDRESS=127.0.0.1
UNIT
plugin_manager=/usr/local/lib/jenkins-plugin-manager.jar
if [[ ! -f $plugin_manager ]]; then
  curl -fsSL -o "$plugin_manager" \
    https://github.com/jenkinsci/plugin-installation-manager-tool/releases/download/2.13.2/jenkins-plugin-manager-2.13.2.jar
fi
java -jar "$plugin_manager" --war /usr/share/java/jenkins.war \
  --plugin-download-directory /var/lib/jenkins/plugins --plugin-file /etc/budget/jenkins-plugins.txt
chown -R jenkins:jenkins /var/lib/jenkins
systemctl daemon-reload
systemctl restart jenkins

# The GitLab webhooks to Jenkins need the project to exist: docs/deploy.md runs
# /usr/local/sbin/gitlab-configure-webhook.sh once it has been pushed.
