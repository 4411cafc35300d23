# The dashboard (issue 14): its front-end build and the browser its tests drive. Included by the
# Makefile (-include mk/*.mk), which defines SHELL, PY, VENV and BIN.
.PHONY: web web-clean browser-deps

WEB_SRC := $(shell find web/src -type f 2>/dev/null) web/build.mjs web/package.json
CHROMIUM := /usr/bin/chromium

# Stamp files, not directories: npm ci runs again only when the lock file changes, the build only
# when the lock file or a source file does.
web/node_modules/.installed: web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	@touch $@

web/dist/.built: web/node_modules/.installed $(WEB_SRC)
	cd web && npm run --silent build
	@touch $@

web: web/dist/.built ## build the dashboard into web/dist (npm ci from the lock file, then esbuild)

web-clean: ## remove the dashboard's build and its node_modules
	rm -rf web/dist web/node_modules

# CI runs as root on a fresh Debian machine; Playwright's own browser download cannot work here.
browser-deps: ## Debian's chromium for the browser tests (installed only when missing)
	@test -x $(CHROMIUM) || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; }
