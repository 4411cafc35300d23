"""Create the budget database's Entra users and give each exactly its rights (grants.sql.tmpl).

Run by a member of the MySQL server's Entra admin group, signed in with `az login`, from inside
the virtual network (the deploy agent; MySQL has no public endpoint), with the repo's .venv:

    .venv/bin/python infra/mysql/apply_grants.py --host H --admin LOGIN --prefix P \\
        receiver=<client id> storage=<client id> processor=<client id> analyzer=<client id> migrator=<client id>

infra/mysql/apply-grants.sh looks all of that up with the Azure CLI. Idempotent.
"""

from __future__ import annotations

import argparse
import re
import ssl
from pathlib import Path

import pymysql
from azure.identity import AzureCliCredential

TEMPLATE = Path(__file__).with_name("grants.sql.tmpl")
USERS = ("receiver", "storage", "processor", "analyzer", "migrator")
# Entra ID sign-in to Azure Database for MySQL: a token for this scope is the password.
SCOPE = "https://ossrdbms-aad.database.windows.net/.default"
NAME = re.compile(r"^[a-z0-9][a-z0-9-]{2,40}$")
GUID = re.compile(r"^[0-9a-fA-F-]{36}$")


def statements(prefix: str) -> list[str]:
    """The template's statements for this prefix, comments dropped."""
    text = TEMPLATE.read_text().replace("${PREFIX}", prefix)
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", required=True)
    parser.add_argument("--admin", required=True, help="the Entra admin group's login name")
    parser.add_argument("--prefix", required=True)
    parser.add_argument("users", nargs="+", help="NAME=CLIENT_ID for each of " + ", ".join(USERS))
    args = parser.parse_args(argv)
    client_ids = dict(pair.split("=", 1) for pair in args.users)
    if sorted(client_ids) != sorted(USERS) or not all(GUID.match(v) for v in client_ids.values()):
        parser.error("give NAME=CLIENT_ID for exactly " + ", ".join(USERS))
    if not NAME.match(args.prefix):
        parser.error("the prefix is lowercase letters, digits and dashes")

    token = AzureCliCredential().get_token(SCOPE).token
    connection = pymysql.connect(
        host=args.host,
        user=args.admin,
        password=token,
        ssl=ssl.create_default_context(),
        autocommit=True,
    )
    with connection, connection.cursor() as cursor:
        # The client ids must be vetted before they get near SQL; names come from --prefix (vetted above).
        cursor.execute("SET aad_auth_validate_oids_in_tenant = OFF")
        for name in USERS:
            user = f"{args.prefix}-{name}"
            cursor.execute("SELECT COUNT(*) FROM mysql.user WHERE user = %s", (user,))
            if cursor.fetchone()[0] == 0:
                cursor.execute(f"CREATE AADUSER '{user}' IDENTIFIED BY '{client_ids[name]}'")
                print(f"created {user}")
        for statement in statements(args.prefix):
            cursor.execute(statement)
        for name in USERS:
            cursor.execute(f"SHOW GRANTS FOR '{args.prefix}-{name}'@'%'")
            for (grant,) in cursor.fetchall():
                print(grant)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
