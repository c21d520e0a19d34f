from __future__ import annotations

from ragflow_sdk.modules.chat import Chat

from ragchat_common.prompting import DEFAULT_CHAT_PROMPT, is_stock_prompt


def test_the_default_prompts_are_stock_and_a_written_one_is_not() -> None:
    assert is_stock_prompt(DEFAULT_CHAT_PROMPT)
    # What ragflow-sdk 0.22.1 sends when its caller gives no prompt (the installed SDK's own text).
    sdk_default = Chat.Prompt(None, {}).prompt
    assert "{knowledge}" in sdk_default and is_stock_prompt(sdk_default)
    # Whitespace does not make a prompt someone's own; any other change does.
    assert is_stock_prompt("  " + DEFAULT_CHAT_PROMPT.replace(" ", "\n  ") + "\n")
    assert not is_stock_prompt(DEFAULT_CHAT_PROMPT + " Answer in French.")
    assert not is_stock_prompt(sdk_default.replace("in detail", "briefly"))
    assert not is_stock_prompt("")
