#!/usr/bin/env bash
# certbot deploy hook (installed in /etc/letsencrypt/renewal-hooks/deploy/): runs only when a
# certificate was actually renewed, and reloads Apache so it serves the new one.
set -euo pipefail
apachectl configtest
systemctl reload apache2
