"""Projects (rubric, late policy, extensions), submissions and their versions; peer review (allocation
runs, reviews and scores, exclusions) and grade overrides.

Revision ID: d6b0b1aa41c5
Revises: 7178667c0fc9
Create Date: 2026-11-26 04:45:47.689994+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "d6b0b1aa41c5"
down_revision: str | None = "7178667c0fc9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "projects",
        sa.Column("id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("cohort_id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("lesson_id", advanced_alchemy.types.guid.GUID(length=16), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("brief_markdown", sa.Text(), nullable=False),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("review_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "late_policy",
            sa.Enum("hard_close", "accept_until_cutoff", name="late_policy", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("late_cutoff_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("late_penalty_percent_per_day", sa.Float(), nullable=False),
        sa.Column("late_penalty_cap_percent", sa.Float(), nullable=False),
        sa.Column("reviews_per_submission", sa.Integer(), nullable=False),
        sa.Column("anonymous_reviews", sa.Boolean(), nullable=False),
        sa.Column("review_to_be_graded", sa.Boolean(), nullable=False),
        sa.Column(
            "reviewer_pool",
            sa.Enum("submitters", "all_learners", name="reviewer_pool", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column(
            "grade_aggregation",
            sa.Enum("median", "mean", name="grade_aggregation", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("rubric_locked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(late_policy = 'hard_close' AND late_cutoff_at IS NULL) OR (late_policy = 'accept_until_cutoff' AND late_cutoff_at >= due_at)",
            name=op.f("ck_projects_late_cutoff_matches_policy"),
        ),
        sa.CheckConstraint("due_at >= opens_at", name=op.f("ck_projects_due_after_open")),
        sa.CheckConstraint(
            "late_penalty_cap_percent >= 0 AND late_penalty_cap_percent <= 100",
            name=op.f("ck_projects_cap_range"),
        ),
        sa.CheckConstraint(
            "late_penalty_percent_per_day >= 0 AND late_penalty_percent_per_day <= 100",
            name=op.f("ck_projects_penalty_range"),
        ),
        sa.CheckConstraint("review_due_at >= due_at", name=op.f("ck_projects_review_due_after_due")),
        sa.CheckConstraint("reviews_per_submission BETWEEN 1 AND 10", name=op.f("ck_projects_k_range")),
        sa.ForeignKeyConstraint(
            ["cohort_id"], ["cohorts.id"], name=op.f("fk_projects_cohort_id_cohorts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["lesson_id"], ["lessons.id"], name=op.f("fk_projects_lesson_id_lessons"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
    )
    op.create_index(op.f("ix_projects_cohort_id"), "projects", ["cohort_id"], unique=False)
    op.create_index(op.f("ix_projects_due_at"), "projects", ["due_at"], unique=False)
    op.create_index(op.f("ix_projects_lesson_id"), "projects", ["lesson_id"], unique=False)
    op.create_table(
        "allocation_runs",
        sa.Column("id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("project_id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("started_by_id", advanced_alchemy.types.guid.GUID(length=16), nullable=True),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("k", sa.Integer(), nullable=False),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("released", sa.Integer(), nullable=False),
        sa.Column("submissions", sa.Integer(), nullable=False),
        sa.Column("reviewers", sa.Integer(), nullable=False),
        sa.Column("assignments", sa.Integer(), nullable=False),
        sa.Column("min_load", sa.Integer(), nullable=False),
        sa.Column("max_load", sa.Integer(), nullable=False),
        sa.Column("repeats", sa.Integer(), nullable=False),
        sa.Column("complete_graph", sa.Boolean(), nullable=False),
        sa.Column("shortfalls", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_allocation_runs_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["started_by_id"],
            ["users.id"],
            name=op.f("fk_allocation_runs_started_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allocation_runs")),
    )
    op.create_index(op.f("ix_allocation_runs_project_id"), "allocation_runs", ["project_id"], unique=False)
    op.create_table(
        "project_extensions",
        sa.Column("id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("project_id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("learner_id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("granted_by_id", advanced_alchemy.types.guid.GUID(length=16), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["granted_by_id"],
            ["users.id"],
            name=op.f("fk_project_extensions_granted_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["learner_id"],
            ["users.id"],
            name=op.f("fk_project_extensions_learner_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_project_extensions_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_extensions")),
        sa.UniqueConstraint("project_id", "learner_id", name="uq_project_extensions_learner"),
    )
    op.create_index(
        op.f("ix_project_extensions_learner_id"), "project_extensions", ["learner_id"], unique=False
    )
    op.create_table(
        "review_exclusions",
        sa.Column("id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("project_id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("first_user_id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("second_user_id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by_id", advanced_alchemy.types.guid.GUID(length=16), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("first_user_id < second_user_id", name=op.f("ck_review_exclusions_pair_ordered")),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_review_exclusions_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["first_user_id"],
            ["users.id"],
            name=op.f("fk_review_exclusions_first_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_review_exclusions_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["second_user_id"],
            ["users.id"],
            name=op.f("fk_review_exclusions_second_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_exclusions")),
        sa.UniqueConstraint(
            "project_id", "first_user_id", "second_user_id", name="uq_review_exclusions_pair"
        ),
    )
    op.create_table(
        "rubric_criteria",
        sa.Column("id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("project_id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("max_points", sa.Integer(), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("levels", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("max_points > 0", name=op.f("ck_rubric_criteria_max_points_positive")),
        sa.CheckConstraint("weight > 0", name=op.f("ck_rubric_criteria_weight_positive")),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_rubric_criteria_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rubric_criteria")),
        sa.UniqueConstraint("project_id", "position", name="uq_rubric_criteria_project_position"),
    )
    op.create_table(
        "submissions",
        sa.Column("id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("project_id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("author_id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("version_count", sa.Integer(), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_submissions_author_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_submissions_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submissions")),
        sa.UniqueConstraint("project_id", "author_id", name="uq_submissions_project_author"),
    )
    op.create_index(op.f("ix_submissions_author_id"), "submissions", ["author_id"], unique=False)
    op.create_table(
        "grade_overrides",
        sa.Column("id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("submission_id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("grade", sa.Float(), nullable=True),
        sa.Column("previous_grade", sa.Float(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("by_id", advanced_alchemy.types.guid.GUID(length=16), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint(
            "grade IS NULL OR (grade >= 0 AND grade <= 100)", name=op.f("ck_grade_overrides_grade_range")
        ),
        sa.ForeignKeyConstraint(
            ["by_id"], ["users.id"], name=op.f("fk_grade_overrides_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("fk_grade_overrides_submission_id_submissions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grade_overrides")),
    )
    op.create_index(
        "ix_grade_overrides_submission_created",
        "grade_overrides",
        ["submission_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "reviews",
        sa.Column("id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("project_id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("submission_id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("reviewer_id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("allocation_run_id", advanced_alchemy.types.guid.GUID(length=16), nullable=True),
        sa.Column("overall_comment", sa.Text(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("helpfulness", sa.Integer(), nullable=True),
        sa.Column("flagged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("flag_reason", sa.Text(), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("helpfulness BETWEEN 1 AND 5", name=op.f("ck_reviews_helpfulness_range")),
        sa.ForeignKeyConstraint(
            ["allocation_run_id"],
            ["allocation_runs.id"],
            name=op.f("fk_reviews_allocation_run_id_allocation_runs"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_reviews_project_id_projects"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["users.id"], name=op.f("fk_reviews_reviewer_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("fk_reviews_submission_id_submissions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
        sa.UniqueConstraint("submission_id", "ordinal", name="uq_reviews_submission_ordinal"),
        sa.UniqueConstraint("submission_id", "reviewer_id", name="uq_reviews_submission_reviewer"),
    )
    op.create_index(op.f("ix_reviews_project_id"), "reviews", ["project_id"], unique=False)
    op.create_index("ix_reviews_reviewer_project", "reviews", ["reviewer_id", "project_id"], unique=False)
    op.create_table(
        "submission_versions",
        sa.Column("id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("submission_id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("repo_url", sa.String(length=300), nullable=False),
        sa.Column("commit_sha", sa.String(length=40), nullable=False),
        sa.Column("commit_resolved", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("fk_submission_versions_submission_id_submissions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submission_versions")),
        sa.UniqueConstraint("submission_id", "number", name="uq_submission_versions_number"),
    )
    op.create_index(
        "ix_submission_versions_submission_time",
        "submission_versions",
        ["submission_id", "submitted_at"],
        unique=False,
    )
    op.create_table(
        "review_scores",
        sa.Column("id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("review_id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("criterion_id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("points >= 0", name=op.f("ck_review_scores_points_not_negative")),
        sa.ForeignKeyConstraint(
            ["criterion_id"],
            ["rubric_criteria.id"],
            name=op.f("fk_review_scores_criterion_id_rubric_criteria"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["review_id"], ["reviews.id"], name=op.f("fk_review_scores_review_id_reviews"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_scores")),
        sa.UniqueConstraint("review_id", "criterion_id", name="uq_review_scores_criterion"),
    )
    op.create_index(op.f("ix_review_scores_criterion_id"), "review_scores", ["criterion_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_review_scores_criterion_id"), table_name="review_scores")
    op.drop_table("review_scores")
    op.drop_index("ix_submission_versions_submission_time", table_name="submission_versions")
    op.drop_table("submission_versions")
    op.drop_index("ix_reviews_reviewer_project", table_name="reviews")
    op.drop_index(op.f("ix_reviews_project_id"), table_name="reviews")
    op.drop_table("reviews")
    op.drop_index("ix_grade_overrides_submission_created", table_name="grade_overrides")
    op.drop_table("grade_overrides")
    op.drop_index(op.f("ix_submissions_author_id"), table_name="submissions")
    op.drop_table("submissions")
    op.drop_table("rubric_criteria")
    op.drop_table("review_exclusions")
    op.drop_index(op.f("ix_project_extensions_learner_id"), table_name="project_extensions")
    op.drop_table("project_extensions")
    op.drop_index(op.f("ix_allocation_runs_project_id"), table_name="allocation_runs")
    op.drop_table("allocation_runs")
    op.drop_index(op.f("ix_projects_lesson_id"), table_name="projects")
    op.drop_index(op.f("ix_projects_due_at"), table_name="projects")
    op.drop_index(op.f("ix_projects_cohort_id"), table_name="projects")
    op.drop_table("projects")
