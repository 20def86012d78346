"""console search: a word index over the cases, list indexes, and staff members' saved views

The console searches the words of a case (its description, address and the name given with
it). Chinese has no spaces between words, so both databases index overlapping character
n-grams and check the candidates with a plain substring match. PostgreSQL gets a GIN index on
`to_tsvector('simple', hotline_bigrams(text))`: every two adjacent characters as a lexeme, so a
word of two or more characters (噪音, 油烟太大, broken) narrows to the cases holding all of its
bigrams. (Measured against a pg_trgm trigram index on 100,000 cases: a two-character word has
no trigram and read every row, 320 ms; the bigram index answers it in a few ms.) It is an
expression index: it follows every insert and update by itself. SQLite gets an FTS5 table with
the trigram tokenizer (SQLite >= 3.34), kept in step by triggers on `cases` in the same
transaction as every insert and update, and filled from the existing cases here. The list's
filters and sort get plain indexes (district, street, resolve deadline), and
`staff_saved_views` keeps each staff member's named list queries.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 22:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.types

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The searched text and its bigram vector; models/search.py builds the same expressions
# (PostgreSQL uses the index only when the query's expression is this one).
BODY = (
    "(coalesce(description, '') || ' ' || coalesce(address, '') || ' ' "
    "|| coalesce(contact_name, ''))"
)
VECTOR = f"to_tsvector('simple'::regconfig, hotline_bigrams({BODY}))"
NEW_BODY = (
    BODY.replace("description", "new.description")
    .replace("address", "new.address")
    .replace("contact_name", "new.contact_name")
)


def upgrade() -> None:
    op.create_index("ix_cases_district_code", "cases", ["district_code"])
    op.create_index("ix_cases_street_code", "cases", ["street_code"])
    op.create_index("ix_cases_resolve_due_at", "cases", ["resolve_due_at"])
    op.create_table(
        "staff_saved_views",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("query", sa.String(length=1000), nullable=False),
        sa.Column("created_at", models.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["staff_user_id"], ["staff_users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("staff_user_id", "name", name="uq_staff_saved_view"),
    )
    op.create_index("ix_staff_saved_views_staff_user_id", "staff_saved_views", ["staff_user_id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION hotline_bigrams(body text) RETURNS text "
            "LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ "
            "SELECT string_agg(substr(body, i, 2), ' ') "
            "FROM generate_series(1, greatest(char_length(body) - 1, 1)) AS i $$"
        )
        op.execute(f"CREATE INDEX ix_cases_search_bigrams ON cases USING gin ({VECTOR})")
        return
    op.execute("CREATE VIRTUAL TABLE case_search USING fts5(body, tokenize = 'trigram')")
    op.execute(f"INSERT INTO case_search (rowid, body) SELECT id, {BODY} FROM cases")
    op.execute(
        "CREATE TRIGGER case_search_insert AFTER INSERT ON cases BEGIN "
        f"INSERT INTO case_search (rowid, body) VALUES (new.id, {NEW_BODY}); END"
    )
    op.execute(
        "CREATE TRIGGER case_search_update AFTER UPDATE OF description, address, contact_name "
        "ON cases BEGIN "
        "DELETE FROM case_search WHERE rowid = old.id; "
        f"INSERT INTO case_search (rowid, body) VALUES (new.id, {NEW_BODY}); END"
    )
    op.execute(
        "CREATE TRIGGER case_search_delete AFTER DELETE ON cases BEGIN "
        "DELETE FROM case_search WHERE rowid = old.id; END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_cases_search_bigrams")
        op.execute("DROP FUNCTION IF EXISTS hotline_bigrams(text)")
    else:
        for trigger in ("case_search_insert", "case_search_update", "case_search_delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS case_search")
    op.drop_index("ix_staff_saved_views_staff_user_id", table_name="staff_saved_views")
    op.drop_table("staff_saved_views")
    op.drop_index("ix_cases_resolve_due_at", table_name="cases")
    op.drop_index("ix_cases_street_code", table_name="cases")
    op.drop_index("ix_cases_district_code", table_name="cases")
