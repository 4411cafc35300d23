#!/usr/bin/env bash
# First Let's Encrypt certificates for GitLab and Jenkins, by the webroot method: Apache already
# serves /.well-known/acme-challenge/ on port 80 (http-redirect.conf), and the HTTPS vhosts switch
# on by themselves once the files exist (<IfFile> in gitlab.conf / jenkins.conf).
#   certbot-issue.sh EMAIL GITLAB_HOST JENKINS_HOST
# Idempotent: certbot keeps a certificate that is not due (--keep-until-expiring).
set -euo pipefail

email=${1:?contact email for Let's Encrypt}
shift
webroot=${ACME_ROOT:-/var/www/acme}
mkdir -p "$webroot/.well-known/acme-challenge"

for host in "$@"; do
  certbot certonly --webroot --webroot-path "$webroot" --domain "$host" \
    --email "$email" --agree-tos --non-interactive --keep-until-expiring
done
# A reload, not a restart: open GitLab/Jenkins sessions survive it.
apachectl configtest
systemctl reload apache2
