"""Pure rules of the conversation: visits and "new" markers, per-reader switches, retry backoff."""
from datetime import UTC, datetime, timedelta

from app.services.outbox import backoff
from app.services.shared_pages import ReaderMarks, personalise, share
from app.services.visits import VISIT_GAP, next_state

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def test_a_first_visit_marks_nothing_new_and_is_stored():
    state = next_state(None, None, T0)
    assert state.new_since is None and state.write and state.store_last_seen == T0


def test_a_visit_after_a_gap_counts_from_the_previous_one_and_keeps_it_for_the_whole_visit():
    later = T0 + VISIT_GAP + timedelta(minutes=1)
    state = next_state(T0, T0, later)
    assert state.new_since == T0 and state.store_new_since == T0 and state.store_last_seen == later
    reload = next_state(state.store_new_since, state.store_last_seen, later + timedelta(seconds=20))
    assert reload.new_since == T0 and not reload.write  # markers stay; no write within the minute
    a_minute_on = next_state(T0, later, later + timedelta(seconds=61))
    assert a_minute_on.new_since == T0 and a_minute_on.write


def test_personalise_flips_only_the_switches_concerning_the_reader():
    html = ('<a data-own="1" hidden>Edit</a><a data-flag="1">Flag</a><a data-vote="1">Helpful</a>'
            '<a data-unvote="1" hidden>Withdraw</a><span data-new="1" hidden>New</span>'
            '<a data-follow="1">Follow</a><a data-unfollow="1" hidden>Unfollow</a><a data-asker="1" hidden>Accept</a>'
            '<a data-vote="2">Helpful</a><span data-new="2" hidden>New</span>')
    content = share(html)
    assert str(personalise(content, ())) == html
    own = str(personalise(content, (1,)))
    assert '<a data-own="1">' in own and '<a data-flag="1" hidden>' in own and '<a data-asker="1">' in own
    assert '<a data-vote="1" hidden>' in own and '<a data-vote="2">' in own
    marks = ReaderMarks(voted=frozenset({2}), followed_threads=frozenset({1}), new=(2,))
    other = str(personalise(content, (), marks))
    assert '<a data-vote="2" hidden>' in other and '<span data-new="2">' in other
    assert '<a data-follow="1" hidden>' in other and '<a data-unfollow="1">' in other
    assert '<a data-own="1" hidden>' in other and '<span data-new="1" hidden>' in other


def test_retries_wait_longer_each_time_up_to_a_cap():
    waits = [backoff(n, 60).total_seconds() for n in range(1, 12)]
    assert waits[:4] == [60, 120, 240, 480] and max(waits) == 6 * 3600
