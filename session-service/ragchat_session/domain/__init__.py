"""Sessions and their messages: plain async functions over the store, no transport."""
