"""The Azure Functions app, as the host indexes it: everything wired to one composition root (functions/app.py).

Nothing connects until first used, so the host can index this module without reaching a broker or a database.
"""

from functions.app import build
from shared.adapters.telemetry.setup import configure
from shared.bootstrap import Root

root = Root()
configure(root.settings)  # traces, metrics and JSON logs: Application Insights in Azure, OTLP when configured
api, app = build(root)
