"""Children reached per organization, town, plan task and county each year

Revision ID: 2bf43d2d8fa0
Revises: d71efda59a70
Create Date: 2026-11-28 19:10:12.000000

"""
from collections import defaultdict
from datetime import UTC, datetime, timedelta
import json

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '2bf43d2d8fa0'
down_revision = 'd71efda59a70'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('yearly_reach',
    sa.Column('grouping', sa.String(length=16), nullable=False),
    sa.Column('key', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('children', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('grouping', 'key', 'year', name=op.f('pk_yearly_reach'))
    )
    _count_existing()


def _count_existing():
    """Unique children with an attendance at the held (completed) activities already recorded, per organizer and
    co-organizer, town, plan task and county, per Beijing-time year: the rule of ``app.reports.reach`` today."""
    bind = op.get_bind()

    def local_year(value):
        if isinstance(value, str):  # SQLite hands back text, in UTC
            value = datetime.fromisoformat(value)
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return (value + timedelta(hours=8)).year  # China Standard Time, no daylight saving

    activities = {}
    for activity_id, organization_id, town_id, tasks, starts_at in bind.execute(
        sa.text("SELECT id, organization_id, town_id, plan_tasks, starts_at FROM activities WHERE status = 'completed'")
    ):
        if isinstance(tasks, str):
            tasks = json.loads(tasks)
        year = local_year(starts_at)
        keys = {("organization", organization_id), ("county", 0)} | {("task", t) for t in tasks or ()}
        if town_id:
            keys.add(("town", town_id))
        activities[activity_id] = (year, keys)
    for activity_id, organization_id in bind.execute(sa.text("SELECT activity_id, organization_id FROM activity_coorganizers")):
        if activity_id in activities:
            activities[activity_id][1].add(("organization", organization_id))
    reached = defaultdict(set)
    for activity_id, child_id in bind.execute(sa.text("SELECT activity_id, child_id FROM attendances")):
        if activity_id in activities:
            year, keys = activities[activity_id]
            for grouping, key in keys:
                reached[(grouping, key, year)].add(child_id)
    rows = [
        {"grouping": grouping, "key": key, "year": year, "children": len(children)}
        for (grouping, key, year), children in reached.items()
    ]
    table = sa.table("yearly_reach", sa.column("grouping", sa.String), sa.column("key", sa.Integer),
                     sa.column("year", sa.Integer), sa.column("children", sa.Integer))
    for start in range(0, len(rows), 1000):
        bind.execute(table.insert(), rows[start:start + 1000])


def downgrade():
    op.drop_table('yearly_reach')
