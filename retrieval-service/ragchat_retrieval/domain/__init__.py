"""Domain logic of knowledge bases: plain async functions and types, no transport."""
