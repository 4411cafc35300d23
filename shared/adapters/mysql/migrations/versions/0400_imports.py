"""Bank-file imports (issue 13): a transaction's bank row id, and how many rows of an operation were matched.

`transactions.import_ref` is the derived id (shared/domain/imports.py) of the bank row a transaction stands for:
an imported row's own id, or on a hand-entered row the id of the bank row it was matched with. Unique per user
and account, so a re-import finds it; NULL on hand-entered rows nothing was matched with (MySQL and SQLite both
let a unique index hold many NULLs). `operations.matched` counts the applied rows that were links.
Expand only: code from before writes neither column, and gets NULL and 0.

Revision ID: 0400
Revises: 0200
"""

import sqlalchemy as sa
from alembic import op

revision = "0400"
down_revision = "0200"
branch_labels = ("imports",)
depends_on = None


def upgrade() -> None:
    op.add_column("transactions", sa.Column("import_ref", sa.String(36), nullable=True))
    op.create_index("uq_transactions_import_ref", "transactions", ["user_id", "account_id", "import_ref"], unique=True)
    op.add_column("operations", sa.Column("matched", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("operations") as batch:  # SQLite drops columns by copying the table
        batch.drop_column("matched")
    op.drop_index("uq_transactions_import_ref", "transactions")
    with op.batch_alter_table("transactions") as batch:
        batch.drop_column("import_ref")
