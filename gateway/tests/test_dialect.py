"""The RAGFlow dialect helpers (API.md §9.1) and the related-questions parser, without a server."""

from __future__ import annotations

from ragchat_gateway.auth.principal import Principal
from ragchat_gateway.dialect import deletes_nothing, dialect_of, reword, wording
from ragchat_gateway.routes.chat_tools import numbered_lines

V022 = Principal(key_id="k1", tenant_id="t1", tenant_name="one")
V027 = Principal(key_id="k2", tenant_id="t2", tenant_name="two", ragflow_version="0.27")


def test_services_words_are_v022_and_reworded_for_v027() -> None:
    message = "Assistant(abc) not found.; Assistant(def) not found.; Duplicate assistant ids: abc"
    assert reword(V022, message) == message
    assert reword(None, message) == message  # before authentication: the default dialect
    assert reword(V027, message) == "Chat(abc) not found.; Chat(def) not found.; Duplicate chat ids: abc"
    assert reword(V027, "Duplicated chat name in updating chat.") == "duplicated chat name"
    assert reword(V027, "`name` is required.") == "`name` is required"
    # Only whole messages of that wording: a longer sentence is left alone.
    assert reword(V027, "`name` is required. Really.") == "`name` is required. Really."


def test_shapes_that_follow_the_key() -> None:
    assert (dialect_of(V022), dialect_of(V027), dialect_of(None)) == ("0.22", "0.27", "0.22")
    assert deletes_nothing(V027, [], False) and not deletes_nothing(V022, [], False)
    assert not deletes_nothing(V027, ["x"], False) and not deletes_nothing(V027, [], True)
    assert wording(V022).chat_filter_matched_nothing == "The chat doesn't exist"
    assert wording(V027).chat_filter_matched_nothing is None
    assert wording(V022).chat_unknown_list_sessions.format(chat_id="c") == "You don't own the assistant c."


def test_numbered_lines_are_the_related_questions() -> None:
    text = "Sure!\n1. First one?\n  2.  Second one? \n3.\nnot numbered\n10. Tenth?"
    assert numbered_lines(text) == ["First one?", "Second one?", "Tenth?"]
    assert numbered_lines("Echo: nothing") == []
