"""stage_wait's verdict: slow but alive (answers, or prints on its console) against dead."""

from ansible_collections.kdebug.kernel.plugins.action.stage_wait import Watch


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_a_host_that_answers_is_waited_for_until_the_timeout():
    clock = Clock()
    watch = Watch(timeout=100, grace=30, clock=clock)
    for t in range(0, 130, 10):
        clock.now = t
        watch.answered()
        assert watch.verdict() is None
    clock.now = 130
    assert watch.verdict() == 'timeout'


def test_silence_past_the_grace_is_unresponsive():
    clock = Clock()
    watch = Watch(timeout=600, grace=30, clock=clock)
    watch.console(1000)
    clock.now = 10
    watch.no_answer()
    clock.now = 29
    assert watch.verdict() is None
    clock.now = 30
    watch.console(1000)  # the console did not grow either
    assert watch.verdict() == 'unresponsive'


def test_a_console_that_grows_keeps_the_host_alive():
    clock = Clock()
    watch = Watch(timeout=600, grace=30, clock=clock)
    watch.console(1000)
    watch.no_answer()
    size = 1000
    for t in range(5, 200, 5):
        clock.now = t
        size += 80
        watch.console(size)
        assert watch.verdict() is None, t
    # the console stops, ssh still fails: dead after the grace
    clock.now = 225
    watch.console(size)
    assert watch.verdict() == 'unresponsive'


def test_the_grace_counts_from_the_last_sign_of_life():
    clock = Clock()
    watch = Watch(timeout=600, grace=30, clock=clock)
    watch.no_answer()
    clock.now = 25
    watch.answered()
    assert watch.verdict() is None
    clock.now = 50
    watch.no_answer()
    clock.now = 54
    assert watch.verdict() is None
    # the last answer was at 25: 30 s without one
    clock.now = 55
    assert watch.verdict() == 'unresponsive'


def test_alive_on_the_console_but_unreachable_past_the_bound_is_unresponsive():
    clock = Clock()
    watch = Watch(timeout=100, grace=30, clock=clock)
    watch.console(1000)
    clock.now = 5
    watch.no_answer()
    size = 1000
    for t in range(10, 130, 10):
        clock.now = t
        size += 80  # OOM kills and hung-task reports keep coming
        watch.console(size)
        assert watch.verdict() is None, t
    clock.now = 130
    watch.console(size + 80)
    assert watch.verdict() == 'unresponsive'


def test_a_host_that_answered_lately_is_a_timeout_past_the_bound():
    clock = Clock()
    watch = Watch(timeout=100, grace=30, clock=clock)
    clock.now = 110
    watch.answered()
    clock.now = 120
    watch.no_answer()
    clock.now = 130
    assert watch.verdict() == 'timeout'
