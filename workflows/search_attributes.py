"""Temporal search attributes, so operators can filter cases in the Temporal UI."""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

CASE_STATUS = SearchAttributeKey.for_keyword("CaseStatus")
CASE_UNIT = SearchAttributeKey.for_keyword("CaseUnit")
CASE_CATEGORY = SearchAttributeKey.for_keyword("CaseCategory")

# name -> type, as `temporal server start-dev --search-attribute` and operators register them
SEARCH_ATTRIBUTES: dict[str, str] = {
    key.name: "Keyword" for key in (CASE_STATUS, CASE_UNIT, CASE_CATEGORY)
}
