"""Chat domain functions against a real SecantusDB (no transport)."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

from ragchat_chat.domain import chats, ragflow027
from ragchat_chat.domain.config import DEFAULT_OPENER
from ragchat_chat.domain.types import ChatQuery, ChatSpec, ModelCatalog
from ragchat_chat.store import ChatStore
from ragchat_common.errors import InvalidArgument, NotFound
from ragchat_common.prompting import DEFAULT_CHAT_PROMPT

T1, T2 = "tenant-one", "tenant-two"


def exact(message: str) -> str:
    return "^" + re.escape(message) + "$"


async def create(store: ChatStore, datasets: Any, models: ModelCatalog, tenant: str = T1, **spec: Any) -> Any:
    return await chats.create_chat(store, datasets, models, tenant, ChatSpec(**spec))


async def test_create_fills_every_default(store: ChatStore, datasets: Any, models: ModelCatalog) -> None:
    chat = await create(store, datasets, models, name="Helper")
    assert chat.llm == {
        "model_name": "local-model",
        "temperature": 0.1,
        "top_p": 0.3,
        "presence_penalty": 0.4,
        "frequency_penalty": 0.7,
        "max_tokens": 512,
    }
    assert chat.prompt == {
        "prompt": DEFAULT_CHAT_PROMPT,
        "opener": DEFAULT_OPENER,
        "empty_response": "Sorry! No relevant content was found in the knowledge base!",
        "variables": [{"key": "knowledge", "optional": False}],
        "similarity_threshold": 0.2,
        "keywords_similarity_weight": 0.7,
        "top_n": 6,
        "top_k": 1024,
        "rerank_model": "",
        "show_quote": True,
    }
    assert "{knowledge}" in DEFAULT_CHAT_PROMPT
    assert chat.dataset_ids == [] and chat.datasets == []
    assert len(chat.id) == 32 and chat.create_time == chat.update_time
    assert await chats.get_chat(store, datasets, T1, chat.id) == chat


async def test_nulls_mean_defaults_aliases_and_unknown_keys(store: ChatStore, datasets: Any, models: Any) -> None:
    chat = await create(
        store,
        datasets,
        models,
        name="Aliased",
        llm={"model_name": None, "temperature": None, "max_tokens": 100, "custom": "kept"},
        prompt={
            "system": "Be brief. {knowledge} {style}",
            "parameters": [{"key": "knowledge", "optional": False}, {"key": "style", "optional": True}],
            "keywords_similarity_weight": 0.25,
            "top_n": None,
            "extra": {"nested": [1, 2]},
        },
    )
    assert chat.llm["model_name"] == "local-model" and chat.llm["temperature"] == 0.1
    assert chat.llm["max_tokens"] == 100 and chat.llm["custom"] == "kept"
    assert chat.prompt["prompt"] == "Be brief. {knowledge} {style}"
    assert "system" not in chat.prompt and "parameters" not in chat.prompt
    assert chat.prompt["variables"][1] == {"key": "style", "optional": True}
    assert chat.prompt["keywords_similarity_weight"] == 0.25  # as sent, not 1 - value
    assert chat.prompt["top_n"] == 6 and chat.prompt["extra"] == {"nested": [1, 2]}


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({}, "`name` is required."),
        ({"name": "   "}, "`name` is required."),
        ({"name": "x" * 256}, "`name` is longer than 255 characters."),
        ({"name": "v", "prompt": {"prompt": "no placeholders"}}, "Parameter 'knowledge' is not used"),
        (
            {"name": "v", "prompt": {"prompt": "{knowledge}", "variables": [{"key": "tone"}]}},
            "Parameter 'tone' is not used",
        ),
        ({"name": "m", "llm": {"model_name": "gpt-9"}}, "`model_name` gpt-9 doesn't exist"),
        ({"name": "t", "llm": {"temperature": "hot"}}, "`llm.temperature` should be a number between 0 and 2."),
        ({"name": "t", "prompt": {"top_n": 2.5}}, "`prompt.top_n` should be an integer between 0 and 1024."),
        ({"name": "t", "prompt": {"top_k": 0}}, "`prompt.top_k` should be an integer between 1 and 4096."),
        ({"name": "m", "ragflow027": {"llm_id": "gpt-9"}}, "`llm_id` gpt-9 doesn't exist"),
        (
            {"name": "r", "prompt": {"rerank_model": "nope"}},
            "`rerank_model` nope doesn't exist; available rerank models: bge-reranker.",
        ),
        (
            {"name": "r", "ragflow027": {"rerank_id": "nope"}},
            "`rerank_id` nope doesn't exist; available rerank models: bge-reranker.",
        ),
        (
            {"name": "t", "ragflow027": {"llm_setting": {"top_p": 3}}},
            "`llm_setting.top_p` should be a number between 0 and 1.",
        ),
        ({"name": "t", "ragflow027": {"llm_setting": []}}, "`llm_setting` should be an object."),
        (
            {"name": "t", "ragflow027": {"prompt_config": {"quote": "yes"}}},
            "`prompt_config.quote` should be a boolean.",
        ),
        ({"name": "t", "ragflow027": {"top_n": -1}}, "`top_n` should be an integer between 0 and 1024."),
        (
            {"name": "t", "ragflow027": {"vector_similarity_weight": 2}},
            "`vector_similarity_weight` should be a number between 0 and 1.",
        ),
        ({"name": "t", "ragflow027": {"icon": 3}}, "`icon` should be a string."),
        # Stored, these would fail every completion later (the search request holds an int32).
        ({"name": "t", "prompt": {"top_k": 2**31}}, "`prompt.top_k` should be an integer between 1 and 4096."),
        ({"name": "t", "prompt": {"top_n": 10**6}}, "`prompt.top_n` should be an integer between 0 and 1024."),
        ({"name": "t", "prompt": {"show_quote": "yes"}}, "`prompt.show_quote` should be a boolean."),
        ({"name": "t", "prompt": {"variables": "knowledge"}}, "`prompt.variables` should be a list."),
        (
            {"name": "t", "prompt": {"parameters": [{"key": "knowledge"}, {"key": "knowledge", "optional": True}]}},
            "`prompt.variables` contains duplicate key: knowledge",
        ),
    ],
)
async def test_create_validation_messages(
    store: ChatStore, datasets: Any, models: Any, spec: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidArgument, match=exact(message)):
        await create(store, datasets, models, **spec)


async def test_an_unknown_rerank_model_is_named_as_sent_on_update(store: ChatStore, datasets: Any, models: Any) -> None:
    chat = await create(store, datasets, models, name="Reranked")
    for spec, field in (
        (ChatSpec(ragflow027={"rerank_id": "nope"}), "rerank_id"),
        (ChatSpec(prompt={"rerank_model": "nope"}), "rerank_model"),
    ):
        with pytest.raises(
            InvalidArgument, match=exact(f"`{field}` nope doesn't exist; available rerank models: bge-reranker.")
        ):
            await chats.update_chat(store, datasets, models, T1, chat.id, spec)


async def test_other_available_model_is_accepted(store: ChatStore, datasets: Any, models: Any) -> None:
    chat = await create(store, datasets, models, name="Big", llm={"model_name": "big-model"})
    assert chat.llm["model_name"] == "big-model"


async def test_names_are_unique_per_tenant_ignoring_case(store: ChatStore, datasets: Any, models: Any) -> None:
    first = await create(store, datasets, models, name="Support")
    with pytest.raises(InvalidArgument, match=exact("Duplicated chat name in creating chat.")):
        await create(store, datasets, models, name="SUPPORT")
    other_tenant = await create(store, datasets, models, tenant=T2, name="support")
    assert other_tenant.tenant_id == T2
    second = await create(store, datasets, models, name="Sales")
    with pytest.raises(InvalidArgument, match=exact("Duplicated chat name in updating chat.")):
        await chats.update_chat(store, datasets, models, T1, second.id, ChatSpec(name="support"))
    # Renaming a chat to its own name in another case is not a duplicate.
    renamed = await chats.update_chat(store, datasets, models, T1, first.id, ChatSpec(name="SUPPORT"))
    assert renamed.name == "SUPPORT"


async def test_dataset_ownership_and_names(store: ChatStore, datasets: Any, models: Any) -> None:
    mine = datasets.add(T1, "Manuals")
    theirs = datasets.add(T2, "Secrets")
    with pytest.raises(InvalidArgument, match=exact(f"You don't own the dataset {theirs}")):
        await create(store, datasets, models, name="a", dataset_ids=[mine, theirs])
    with pytest.raises(InvalidArgument, match=exact("You don't own the dataset nope")):
        await create(store, datasets, models, name="a", dataset_ids=["nope"])
    chat = await create(store, datasets, models, name="a", dataset_ids=[mine, mine])
    assert chat.dataset_ids == [mine] and [(d.id, d.name) for d in chat.datasets] == [(mine, "Manuals")]
    datasets.owned[T1][mine] = "Manuals v2"  # renamed later: reads show the current name
    assert (await chats.get_chat(store, datasets, T1, chat.id)).datasets[0].name == "Manuals v2"
    datasets.fail = True  # retrieval down: the chat is still readable with the stored names
    assert (await chats.get_chat(store, datasets, T1, chat.id)).datasets[0].name == "Manuals"
    # Without the name look-up (a completion needs only the ids): the stored names, no call.
    datasets.fail = False
    quick = await chats.get_chat(store, datasets, T1, chat.id, current_names=False)
    assert quick.dataset_ids == [mine] and quick.datasets[0].name == "Manuals"


async def test_update_merges_and_leaves_the_rest(store: ChatStore, datasets: Any, models: Any) -> None:
    dataset = datasets.add(T1, "Docs")
    chat = await create(
        store, datasets, models, name="u", dataset_ids=[dataset], llm={"temperature": 0.5, "x": 1}, prompt={"top_n": 3}
    )
    await asyncio.sleep(0.002)
    updated = await chats.update_chat(
        store, datasets, models, T1, chat.id, ChatSpec(llm={"max_tokens": 64}, prompt={"system": "{knowledge}!"})
    )
    assert updated.dataset_ids == [dataset]  # omitted: unchanged (differs from RAGFlow)
    assert updated.llm["temperature"] == 0.5 and updated.llm["max_tokens"] == 64 and updated.llm["x"] == 1
    assert updated.prompt["top_n"] == 3 and updated.prompt["prompt"] == "{knowledge}!"
    assert updated.name == "u" and updated.update_time > chat.update_time
    reset = await chats.update_chat(store, datasets, models, T1, chat.id, ChatSpec(llm={"temperature": None}))
    assert reset.llm["temperature"] == 0.1
    cleared = await chats.update_chat(store, datasets, models, T1, chat.id, ChatSpec(dataset_ids=[]))
    assert cleared.dataset_ids == [] and cleared.datasets == []
    with pytest.raises(InvalidArgument, match=exact("`name` cannot be empty.")):
        await chats.update_chat(store, datasets, models, T1, chat.id, ChatSpec(name=""))
    with pytest.raises(InvalidArgument, match=exact("Parameter 'knowledge' is not used")):
        await chats.update_chat(store, datasets, models, T1, chat.id, ChatSpec(prompt={"prompt": "plain"}))
    with pytest.raises(NotFound):
        await chats.update_chat(store, datasets, models, T2, chat.id, ChatSpec(name="stolen"))


async def test_list_filters_orders_pages(store: ChatStore, datasets: Any, models: Any) -> None:
    created = []
    for name in ["b", "c", "a"]:
        created.append(await create(store, datasets, models, name=name))
        await asyncio.sleep(0.002)
    await create(store, datasets, models, tenant=T2, name="foreign")
    page = await chats.list_chats(store, datasets, T1, ChatQuery())
    assert page.total == 3 and [c.name for c in page.chats] == ["a", "c", "b"]
    by_name = await chats.list_chats(store, datasets, T1, ChatQuery(orderby="name", desc=False))
    assert [c.name for c in by_name.chats] == ["a", "b", "c"]
    second = await chats.list_chats(store, datasets, T1, ChatQuery(page=2, page_size=1, desc=False))
    assert [c.name for c in second.chats] == ["c"] and second.total == 3
    assert (await chats.list_chats(store, datasets, T1, ChatQuery(page=9))).chats == []
    assert [c.id for c in (await chats.list_chats(store, datasets, T1, ChatQuery(name="c"))).chats] == [created[1].id]
    assert (await chats.list_chats(store, datasets, T1, ChatQuery(id=created[0].id))).total == 1
    assert (await chats.list_chats(store, datasets, T2, ChatQuery(id=created[0].id))).total == 0
    for bad in (ChatQuery(page=0), ChatQuery(page_size=1001), ChatQuery(orderby="id")):
        with pytest.raises(InvalidArgument):
            await chats.list_chats(store, datasets, T1, bad)


async def test_delete_rules_and_sessions(store: ChatStore, datasets: Any, models: Any, sessions: Any) -> None:
    a, b, c = [await create(store, datasets, models, name=n) for n in "abc"]
    foreign = await create(store, datasets, models, tenant=T2, name="z")
    with pytest.raises(InvalidArgument, match=re.escape('`ids` is required; send "delete_all": true')):
        await chats.delete_chats(store, sessions, T1, [], False)
    assert sessions.deleted_for == []
    result = await chats.delete_chats(store, sessions, T1, [a.id, a.id, foreign.id], False)
    assert result.success_count == 1
    assert result.errors == [f"Assistant({foreign.id}) not found.", f"Duplicate assistant ids: {a.id}"]
    assert sessions.deleted_for == [(T1, [a.id])]
    with pytest.raises(NotFound, match=exact(f"Assistant({a.id}) not found.; Assistant(missing) not found.")):
        await chats.delete_chats(store, sessions, T1, [a.id, "missing"], False)
    everything = await chats.delete_chats(store, sessions, T1, None, True)
    assert everything.success_count == 2 and sessions.deleted_for[-1] == (T1, sorted([b.id, c.id]))
    assert (await chats.list_chats(store, datasets, T1, ChatQuery())).total == 0
    assert (await chats.get_chat(store, datasets, T2, foreign.id)).id == foreign.id


async def test_unique_index_guards_concurrent_creates(store: ChatStore, datasets: Any, models: Any) -> None:
    """Two creates racing past the name check: the unique (tenant, lower name) index decides."""
    results = await asyncio.gather(
        *(create(store, datasets, models, name=name) for name in ("Race", "race", "RACE")),
        return_exceptions=True,
    )
    created = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, InvalidArgument)]
    assert len(created) == 1 and len(refused) == 2
    assert all(r.message == "Duplicated chat name in creating chat." for r in refused)
    indexes = await store.collection.index_information()
    assert indexes["tenant_name_unique"]["unique"] is True


async def test_ragflow027_names_read_and_write_the_same_settings(store: ChatStore, datasets: Any, models: Any) -> None:
    chat = await create(
        store,
        datasets,
        models,
        name="v027",
        ragflow027={
            "icon": "data:image/png;base64,AA==",
            "llm_id": "big-model",
            "llm_setting": {"temperature": 0.9, "model_name": "ignored"},
            "prompt_config": {"system": "Use {knowledge}.", "prologue": "Hey!", "quote": False, "tts": True},
            "similarity_threshold": 0.35,
            "vector_similarity_weight": 0.4,
            "top_n": 0,
            "rerank_id": "",
        },
    )
    assert chat.avatar == "data:image/png;base64,AA=="
    assert chat.llm["model_name"] == "big-model" and chat.llm["temperature"] == 0.9
    assert (chat.prompt["prompt"], chat.prompt["opener"], chat.prompt["show_quote"]) == (
        "Use {knowledge}.",
        "Hey!",
        False,
    )
    assert chat.prompt["tts"] is True  # unknown keys are kept under either name
    assert (chat.prompt["similarity_threshold"], chat.prompt["top_n"]) == (0.35, 0)
    assert chat.prompt["keywords_similarity_weight"] == 0.6  # 1 - vector_similarity_weight
    view = ragflow027.view(chat.avatar, chat.llm, chat.prompt)
    assert view["llm_id"] == "big-model" and "model_name" not in view["llm_setting"]
    assert view["llm_setting"]["temperature"] == 0.9 and view["llm_setting"]["max_tokens"] == 512
    assert view["prompt_config"]["system"] == "Use {knowledge}." and view["prompt_config"]["prologue"] == "Hey!"
    assert view["prompt_config"]["quote"] is False and view["prompt_config"]["tts"] is True
    assert view["prompt_config"]["parameters"] == [{"key": "knowledge", "optional": False}]
    assert "top_n" not in view["prompt_config"] and "similarity_threshold" not in view["prompt_config"]
    assert (view["similarity_threshold"], view["vector_similarity_weight"], view["top_n"], view["top_k"]) == (
        0.35,
        0.4,
        0,
        1024,
    )
    # A PATCH through either name merges key by key into the one stored setting.
    updated = await chats.update_chat(
        store,
        datasets,
        models,
        T1,
        chat.id,
        ChatSpec(
            llm={"top_p": 0.5}, ragflow027={"llm_setting": {"max_tokens": 64}, "prompt_config": {"prologue": "Yo"}}
        ),
    )
    assert (updated.llm["temperature"], updated.llm["top_p"], updated.llm["max_tokens"]) == (0.9, 0.5, 64)
    assert (updated.prompt["opener"], updated.prompt["prompt"], updated.prompt["tts"]) == (
        "Yo",
        "Use {knowledge}.",
        True,
    )
    assert updated.llm["model_name"] == "big-model"
    vector = await chats.update_chat(
        store, datasets, models, T1, chat.id, ChatSpec(prompt={"keywords_similarity_weight": 0.7})
    )
    assert ragflow027.view(vector.avatar, vector.llm, vector.prompt)["vector_similarity_weight"] == 0.3


async def test_a_dataset_without_chunks_cannot_back_a_chat(store: ChatStore, datasets: Any, models: Any) -> None:
    empty = datasets.add(T1, "Empty")
    datasets.unparsed.add(empty)
    with pytest.raises(InvalidArgument, match=exact(f"The dataset {empty} doesn't own parsed file")):
        await create(store, datasets, models, name="e", dataset_ids=[empty])
    chat = await create(store, datasets, models, name="e")
    with pytest.raises(InvalidArgument, match=exact(f"The dataset {empty} doesn't own parsed file")):
        await chats.update_chat(store, datasets, models, T1, chat.id, ChatSpec(dataset_ids=[empty]))


async def test_list_by_keywords_and_owner(store: ChatStore, datasets: Any, models: Any) -> None:
    support = await create(store, datasets, models, name="Customer Support")
    await create(store, datasets, models, name="Sales (EU)")
    await create(store, datasets, models, tenant=T2, name="support desk")
    found = await chats.list_chats(store, datasets, T1, ChatQuery(keywords="SUPPORT"))
    assert [c.id for c in found.chats] == [support.id] and found.total == 1
    assert (await chats.list_chats(store, datasets, T1, ChatQuery(keywords="(eu)"))).total == 1  # not a pattern
    assert (await chats.list_chats(store, datasets, T1, ChatQuery(keywords="x", name="Customer Support"))).total == 1
    assert (await chats.list_chats(store, datasets, T1, ChatQuery(owner_ids=(T1,)))).total == 2
    assert (await chats.list_chats(store, datasets, T1, ChatQuery(owner_ids=(T2,)))).total == 0


async def test_completion_settings_overrides_and_the_deployment_chat(
    store: ChatStore, datasets: Any, models: Any
) -> None:
    chat = await create(store, datasets, models, name="o", llm={"temperature": 0.5})
    once = chats.with_llm_overrides(chat, {"llm_id": "big-model", "max_tokens": 32, "top_p": None}, models)
    assert (once.llm["model_name"], once.llm["max_tokens"], once.llm["temperature"]) == ("big-model", 32, 0.5)
    assert once.llm["top_p"] == 0.3  # null: the chat's own
    assert (await chats.get_chat(store, datasets, T1, chat.id)).llm["model_name"] == "local-model"  # not stored
    with pytest.raises(InvalidArgument, match=exact("Cannot use specified model gpt-9.")):
        chats.with_llm_overrides(chat, {"llm_id": "gpt-9"}, models)
    with pytest.raises(InvalidArgument, match=exact("`temperature` should be a number between 0 and 2.")):
        chats.with_llm_overrides(chat, {"temperature": 5}, models)
    with pytest.raises(InvalidArgument, match=exact("`prompt` cannot be set for one completion.")):
        chats.with_llm_overrides(chat, {"prompt": "x"}, models)
    direct = chats.deployment_chat(T1, models)
    assert direct.id == "" and direct.dataset_ids == [] and direct.llm["model_name"] == "local-model"
    assert (direct.prompt["prompt"], direct.prompt["opener"], direct.prompt["variables"]) == (
        chats.DIRECT_SYSTEM_PROMPT,
        "",
        [],
    )
    assert direct.prompt["show_quote"] is False


async def test_a_v027_prompt_config_is_not_held_to_its_parameters(store: ChatStore, datasets: Any, models: Any) -> None:
    """As RAGFlow v0.27: a system prompt without {knowledge} set through prompt_config is accepted."""
    chat = await create(store, datasets, models, name="pirate", ragflow027={"prompt_config": {"system": "Arr."}})
    assert chat.prompt["prompt"] == "Arr." and chat.prompt["variables"] == [{"key": "knowledge", "optional": False}]
    with pytest.raises(InvalidArgument, match=exact("Parameter 'knowledge' is not used")):
        await create(store, datasets, models, name="strict", prompt={"prompt": "Arr."})  # the v0.22 names: checked
