"""The Azure Functions app, as the host indexes it: everything wired to one composition root (functions/app.py).

Nothing connects until first used, so the host can index this module without reaching a broker or a database.
"""

from functions.app import build
from shared.bootstrap import Root

root = Root()
api, app = build(root)
