"""Progress reports keep their first submission and the bureau's return for revision

Revision ID: 5c3e9a1f7b20
Revises: 2bf43d2d8fa0
Create Date: 2026-11-29 04:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5c3e9a1f7b20'
down_revision = '2bf43d2d8fa0'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('progress_reports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_submitted_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('returned_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('return_reason', sa.Text(), server_default='', nullable=False))
    # Every report submitted so far was submitted once.
    op.execute('UPDATE progress_reports SET first_submitted_at = submitted_at')


def downgrade():
    with op.batch_alter_table('progress_reports', schema=None) as batch_op:
        batch_op.drop_column('return_reason')
        batch_op.drop_column('returned_at')
        batch_op.drop_column('first_submitted_at')
