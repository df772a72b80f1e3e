"""The GraphQL schema, assembled from every area's types, mutations and the subscriptions.

Adding an area: its ``types/<area>.py`` (types, connections, a ``<Area>Queries`` class if it has
root fields) and ``mutations/<area>.py`` (a ``<Area>Mutations`` class), listed below; its loaders
in :mod:`cohort.graphql.loaders`. Then ``cohort graphql export`` refreshes
``graphql/schema.graphql``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import strawberry
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig

from cohort.config import Settings
from cohort.domain.listing import MAX_LIMIT
from cohort.graphql.errors import CohortSchema, ErrorShaping
from cohort.graphql.mutations.classroom import ClassroomMutations
from cohort.graphql.mutations.cohorts import CohortMutations
from cohort.graphql.mutations.identity import IdentityMutations
from cohort.graphql.mutations.lessons import LessonMutations
from cohort.graphql.mutations.mentoring import MentoringMutations
from cohort.graphql.mutations.projects import ProjectMutations
from cohort.graphql.mutations.reviews import ReviewMutations
from cohort.graphql.nodes import NodeQueries
from cohort.graphql.parse_cache import DocumentCache, ParsedDocuments
from cohort.graphql.subscriptions import Subscription
from cohort.graphql.types.classroom import ClassroomQueries
from cohort.graphql.types.cohorts import CohortQueries
from cohort.graphql.types.identity import IdentityQueries
from cohort.graphql.types.mentoring import MentoringQueries
from cohort.graphql.types.projects import ProjectQueries
from cohort.graphql.types.viewer import ViewerQueries

MAX_DEPTH = 12
"""Deepest selection accepted; the learner dashboard needs 10."""
MAX_TOKENS = 2_000
"""Largest document accepted, in lexical tokens."""
MAX_ALIASES = 30
"""Most aliased fields in one document (aliases multiply the work of one field)."""
CACHED_DOCUMENTS = 256
"""Parsed documents and validation results kept: frontends send the same few operations again and
again."""

# The limiters' validation rules, made once: the validation cache is keyed by the rule classes,
# and each limiter instance would make classes of its own.
LIMIT_RULES = (
    *QueryDepthLimiter(max_depth=MAX_DEPTH).validation_rules,
    *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules,
)


@strawberry.type
class Query(
    NodeQueries,
    ViewerQueries,
    IdentityQueries,
    CohortQueries,
    ProjectQueries,
    MentoringQueries,
    ClassroomQueries,
):
    pass


@strawberry.type
class Mutation(
    IdentityMutations,
    CohortMutations,
    LessonMutations,
    ProjectMutations,
    ReviewMutations,
    MentoringMutations,
    ClassroomMutations,
):
    pass


def _extensions(settings: Settings) -> list[Callable[[], SchemaExtension]]:
    """Fresh extension instances per operation (they keep per-operation state)."""
    rules = [*LIMIT_RULES]
    if not settings.graphql_introspection_enabled:
        rules.append(NoSchemaIntrospectionCustomRule)
    documents = ParsedDocuments(CACHED_DOCUMENTS)
    return [
        ErrorShaping,
        partial(MaxTokensLimiter, max_token_count=MAX_TOKENS),
        partial(DocumentCache, documents),
        partial(AddValidationRules, rules),
        partial(ValidationCache, maxsize=CACHED_DOCUMENTS),
    ]


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    """The schema with the protections ``settings`` ask for (the SDL is the same for any settings)."""
    settings = settings or Settings()
    introspection = settings.graphql_introspection_enabled
    return CohortSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=_extensions(settings),
        config=StrawberryConfig(relay_max_results=MAX_LIMIT, disable_field_suggestions=not introspection),
    )


def schema_sdl() -> str:
    """The schema in SDL, as exported to ``graphql/schema.graphql``."""
    return build_schema().as_str() + "\n"
