"""Chat assistants: plain async functions and types, no transport."""
