"""@mentions in annotation text: written as `@[Name](/people/ID)`, they name an account, not a string.

The annotation form's combobox inserts the token when a person is chosen; the typed name is only a
reminder for the writer. What counts is the account id: the name readers see is the account's own
display name, put in when the text is rendered, and the link leads to that person's profile. Pure
functions, so the parsing can be tested with a string.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping

MENTION_RE = re.compile(r"@\[([^\[\]\n]{1,100})\]\(/people/([0-9]{1,9})\)")
# Characters that would change the meaning of a name inside Markdown link text.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~&])")


def mention_token(name: str, user_id: int) -> str:
    """Return the text that mentions account `user_id` (what the combobox inserts)."""
    clean = re.sub(r"[\[\]\n]", " ", name).strip()[:100] or "someone"
    return f"@[{clean}](/people/{user_id})"


def mentioned_ids(source: str) -> list[int]:
    """Return the ids of the accounts mentioned in `source`, once each, in order of appearance."""
    seen: list[int] = []
    for match in MENTION_RE.finditer(source or ""):
        user_id = int(match.group(2))
        if user_id not in seen:
            seen.append(user_id)
    return seen


def typed_name(source: str, user_id: int) -> str:
    """Return the name as typed in the first mention of `user_id` (for error messages)."""
    for match in MENTION_RE.finditer(source or ""):
        if int(match.group(2)) == user_id:
            return match.group(1)
    return f"person {user_id}"


def escape_markdown(text: str) -> str:
    """Backslash-escape the characters that Markdown would read as formatting."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def link_mentions(source: str, names: Mapping[int, str], url_for_id: Callable[[int], str]) -> str:
    """Replace each mention token by a Markdown link to the profile, labelled with the account's name.

    Tokens naming an id missing from `names` are left as typed (callers refuse those first).
    """
    def replace(match: re.Match) -> str:
        user_id = int(match.group(2))
        if user_id not in names:
            return match.group(0)
        return f"[@{escape_markdown(names[user_id])}]({url_for_id(user_id)})"

    return MENTION_RE.sub(replace, source or "")


def plain_mentions(source: str, names: Mapping[int, str]) -> str:
    """Replace each mention token by "@Name" (the account's name when known, else as typed), for plain text."""
    def replace(match: re.Match) -> str:
        return "@" + names.get(int(match.group(2)), match.group(1))

    return MENTION_RE.sub(replace, source or "")
