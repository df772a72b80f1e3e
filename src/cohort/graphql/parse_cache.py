"""Parsed documents kept across requests: frontends send the same few operations again and again.

Only documents that parsed cleanly are stored. A miss leaves parsing to strawberry, inside its
error handling, so syntax errors and the token limit still answer ``invalid_request`` (a cache
that parses in ``on_parse`` itself raises outside that handling and turns them into 500s).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator

from graphql.language import DocumentNode
from strawberry.extensions import SchemaExtension

_Key = tuple[str, int | None]


class ParsedDocuments:
    """A bounded LRU of parsed documents keyed by text and token limit (a document accepted under
    one limit must not skip a stricter one)."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._documents: OrderedDict[_Key, DocumentNode] = OrderedDict()

    def get(self, key: _Key) -> DocumentNode | None:
        document = self._documents.get(key)
        if document is not None:
            self._documents.move_to_end(key)
        return document

    def put(self, key: _Key, document: DocumentNode) -> None:
        self._documents[key] = document
        self._documents.move_to_end(key)
        while len(self._documents) > self.maxsize:
            self._documents.popitem(last=False)


class DocumentCache(SchemaExtension):
    """Serve a known document's parse from :class:`ParsedDocuments`; remember new clean parses."""

    def __init__(self, documents: ParsedDocuments) -> None:
        self.documents = documents

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        query = context.query
        if query is None or context.graphql_document is not None:
            yield
            return
        key: _Key = (query, context.parse_options.get("max_tokens"))
        cached = self.documents.get(key)
        if cached is not None:
            context.graphql_document = cached
            yield
            return
        yield
        parsed = self._parsed()
        if parsed is not None and not context.pre_execution_errors:
            self.documents.put(key, parsed)

    def _parsed(self) -> DocumentNode | None:
        """The document strawberry parsed during the ``yield`` (read afresh: it was ``None``)."""
        return self.execution_context.graphql_document
