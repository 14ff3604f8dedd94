"""The @mention token: parsed to account ids, linked with the account's name, escaped for Markdown."""
from app.text.mentions import link_mentions, mention_token, mentioned_ids, plain_mentions, typed_name


def test_mentions_are_found_once_each_in_order():
    text = "@[B](/people/2) then @[A](/people/1) and @[B again](/people/2); not @B nor @[C](/people/x)"
    assert mentioned_ids(text) == [2, 1]
    assert typed_name(text, 2) == "B" and typed_name(text, 9) == "person 9"


def test_the_token_the_combobox_inserts_survives_awkward_names():
    token = mention_token("Dr [Jo] Smith\nJr", 7)
    assert token == "@[Dr  Jo  Smith Jr](/people/7)" and mentioned_ids(token) == [7]


def test_links_carry_the_accounts_name_escaped_not_the_typed_text():
    linked = link_mentions("Hi @[typo](/people/3) and @[x](/people/4)", {3: "Dr *Star* [1]"},
                           lambda i: f"/p/{i}")
    assert linked == r"Hi [@Dr \*Star\* \[1\]](/p/3) and @[x](/people/4)"


def test_plain_text_reads_as_at_name():
    assert plain_mentions("Hi @[typo](/people/3), @[Kept](/people/4)", {3: "Dr Real"}) == "Hi @Dr Real, @Kept"
