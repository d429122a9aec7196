"""`/spend/tags` and `/global/spend`: with LiteLLM's database (its exact shapes), and without."""

from __future__ import annotations

from datetime import date

import pytest

from tests.proxy.servers import Handler, json_route, serve
from tray.proxy.client import ProxyClient
from tray.proxy.spend import NO_DATABASE, SpendUnavailable, fetch_spend, global_spend, spend_by_tag

KEY = "sk-test-master-1234567890"
TAGS = [{"individual_request_tag": "jobA", "log_count": 12, "total_spend": 0.0042},
        {"individual_request_tag": "jobB", "log_count": 3, "total_spend": 1.5},
        {"individual_request_tag": "jobA", "log_count": 1, "total_spend": 0.0008}]


def test_with_database() -> None:
    def tags(handler: Handler) -> None:
        assert handler.headers["Authorization"] == f"Bearer {KEY}"
        handler.send_json(200, TAGS)

    routes = {"/spend/tags": tags, "/global/spend": json_route(200, {"spend": 1.23, "max_budget": 100})}
    with serve(routes) as server, ProxyClient(server.url, KEY) as client:
        spend = fetch_spend(client)
        assert spend_by_tag(client, date(2026, 12, 1), date(2026, 12, 4)) == pytest.approx({"jobA": 0.005, "jobB": 1.5})
    assert spend.has_database is True
    assert spend.by_tag == pytest.approx({"jobA": 0.005, "jobB": 1.5}) and spend.by_tag_error is None
    assert (spend.global_spend, spend.global_max_budget) == (1.23, 100.0)
    assert "start_date=2026-12-01&end_date=2026-12-04" in server.seen[-1][0]


def test_global_spend_without_budget() -> None:
    routes = {"/global/spend": json_route(200, {"spend": 0, "max_budget": None})}
    with serve(routes) as server, ProxyClient(server.url, KEY) as client:
        assert global_spend(client) == (0.0, None)


@pytest.mark.parametrize("status, body", [
    (500, {"error": {"message": "/spend/tags ErrorDatabase not connected", "type": "internal_error"}}),
    (400, {"error": {"message": "No connected db.", "type": "no_db_connection"}}),
])
def test_without_database(status: int, body: dict) -> None:
    routes = {"/spend/tags": json_route(status, body), "/global/spend": json_route(status, body)}
    with serve(routes) as server, ProxyClient(server.url, KEY) as client:
        spend = fetch_spend(client)
    assert spend.has_database is False and spend.by_tag is None
    assert spend.by_tag_error == NO_DATABASE == "LiteLLM has no database: spend by tag unavailable"
    assert [path for path, _ in server.seen] == ["/spend/tags"]     # the database is asked about once


def test_auth_and_odd_answers() -> None:
    routes = {"/spend/tags": json_route(401, {"error": {"message": "Authentication Error"}}),
              "/global/spend": json_route(200, ["not", "a", "dict"])}
    with serve(routes) as server, ProxyClient(server.url, KEY) as client:
        spend = fetch_spend(client)
        with pytest.raises(SpendUnavailable, match="did not answer JSON"):
            server.routes["/spend/tags"] = lambda h: h.send_text(200, "<html>hi</html>", "text/html")
            spend_by_tag(client)
    assert spend.by_tag_error and "master key" in spend.by_tag_error and KEY not in spend.by_tag_error
    assert spend.global_error == "/global/spend answered an unexpected shape"
