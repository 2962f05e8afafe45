"""Every live event carries the broker's ``published_at`` stamp (epoch seconds), from which the
reliability bench measures the live feed's publish-to-receive lag."""

from __future__ import annotations

import asyncio
import time

from xunfang.api.live import Broker


def test_published_events_are_stamped_and_the_original_is_untouched() -> None:
    async def run() -> dict[str, object]:
        broker = Broker()
        sub = broker.subscribe(lambda _ev: True)
        original = {"kind": "incident", "incident_id": 1}
        before = time.time()
        broker.publish(original)
        got = await sub.get(timeout=1)
        assert got is not None
        assert "published_at" not in original
        assert before - 0.001 <= float(got["published_at"]) <= time.time() + 0.001  # type: ignore[arg-type]
        return got

    got = asyncio.run(run())
    assert got["kind"] == "incident" and got["incident_id"] == 1
