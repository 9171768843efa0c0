"""Each provider's format parsed into normalized events, without a database."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from afterward.tracking.carriers import PROVIDERS, aftership, easypost, generic, shippo
from afterward.tracking.carriers.base import PayloadError, closest_status, timestamp
from afterward.tracking.statuses import Status
from tests.tracking import payloads


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


# --- EasyPost ----------------------------------------------------------------

def test_an_easypost_tracker_becomes_its_tracking_details():
    update = easypost.parse(payloads.easypost_event())

    assert (update.topic, update.tracking_number, update.carrier) == (
        "tracker.updated", "EZ1000000001", "usps")
    assert [(e.occurred_at, e.status, e.provider_status, e.substatus, e.message, e.location)
            for e in update.events] == [
        (at("2025-02-06T19:48:26+00:00"), Status.info_received, "pre_transit", "status_update",
         "Pre-Shipment Info Sent to USPS", None),
        (at("2025-02-07T08:25:26+00:00"), Status.info_received, "pre_transit", "status_update",
         "Shipping Label Created", "HOUSTON, TX, 77063"),
    ]
    assert update.events[1].raw["source"] == "USPS"
    assert update.estimated_delivery_at == at("2025-03-06T19:48:26+00:00")
    assert update.is_return is False


@pytest.mark.parametrize(("status", "detail", "expected"), [
    ("unknown", None, Status.pending),
    ("pre_transit", "label_created", Status.info_received),
    ("in_transit", "arrived_at_facility", Status.in_transit),
    ("out_for_delivery", "out_for_delivery", Status.out_for_delivery),
    ("available_for_pickup", None, Status.available_for_pickup),
    ("in_transit", "arrived_at_pickup_location", Status.available_for_pickup),
    ("delivered", "arrived_at_destination", Status.delivered),
    ("return_to_sender", "return", Status.returned_to_sender),
    ("failure", "lost", Status.exception),
    ("error", None, Status.exception),
    ("cancelled", "cancelled", Status.cancelled),
    ("failure", "expired", Status.expired),
])
def test_easypost_statuses_map_to_the_normalized_set(status, detail, expected):
    tracker = payloads.easypost_tracker()
    tracker["tracking_details"][0].update(status=status, status_detail=detail)

    event = easypost.parse(payloads.easypost_event(tracker)).events[0]

    assert (event.status, event.provider_status, event.substatus) == (expected, status, detail)


def test_an_unknown_easypost_status_is_kept_at_the_closest_stage():
    tracker = payloads.easypost_tracker()
    tracker["tracking_details"][1].update(status="teleported",
                                          message="Package held at customs")

    event = easypost.parse(payloads.easypost_event(tracker)).events[1]

    assert (event.status, event.provider_status, event.substatus) == (
        Status.exception, "teleported", "unknown:teleported")
    assert event.message == "Package held at customs"


def test_easypost_events_that_are_not_about_trackers_are_ignored():
    assert easypost.parse(payloads.easypost_event(description="batch.updated")) is None


def test_the_easypost_signature_uses_the_nfkd_normalised_secret():
    body = b'{"object": "Event"}'
    secret = "ﬁ-secret-Å"  # a ligature and a composed letter: NFKD changes both
    headers, _ = payloads.signed("easypost", body, secret)

    assert easypost.verify(secret, body, headers, {})
    assert easypost.verify(secret, body, {"x-hmac-signature": headers["X-Hmac-Signature"]}, {})
    assert not easypost.verify(secret, body + b" ", headers, {})
    assert not easypost.verify("other-secret", body, headers, {})
    assert not easypost.verify(secret, body, {}, {})


# --- AfterShip ---------------------------------------------------------------

def test_an_aftership_tracking_becomes_its_checkpoints():
    update = aftership.parse(payloads.aftership_webhook())

    assert (update.tracking_number, update.carrier) == ("3SKAAG5995399", "postnl")
    assert [(e.status, e.substatus) for e in update.events] == [
        (Status.info_received, "InfoReceived_001"), (Status.info_received, "InfoReceived_001"),
        (Status.in_transit, "InTransit_001"), (Status.in_transit, "InTransit_001"),
        (Status.in_transit, "InTransit_001"), (Status.in_transit, "InTransit_004")]
    last = update.events[-1]
    assert last.occurred_at == at("2021-03-25T09:59:00+00:00")  # 10:59 at +01:00
    assert (last.provider_status, last.message, last.location) == (
        "InTransit", "Shipment received in country of destination", "ES, Spain")


def test_the_aftership_api_response_shape_is_accepted_too():
    recorded = json.loads((payloads.DATA / "aftership/tracking_postnl.json").read_text())

    assert len(aftership.parse(recorded).events) == 6


@pytest.mark.parametrize(("tag", "subtag", "expected"), [
    ("Pending", "Pending_001", Status.pending),
    ("InfoReceived", "InfoReceived_001", Status.info_received),
    ("OutForDelivery", "OutForDelivery_001", Status.out_for_delivery),
    ("AttemptFail", "AttemptFail_001", Status.failed_attempt),
    ("AvailableForPickup", "AvailableForPickup_001", Status.available_for_pickup),
    ("Delivered", "Delivered_003", Status.delivered),
    ("Exception", "Exception_013", Status.exception),
    ("Exception", "Exception_010", Status.returned_to_sender),
    ("Exception", "Exception_011", Status.returned_to_sender),
    ("Expired", "Expired_001", Status.expired),
])
def test_aftership_tags_and_subtags_map_to_the_normalized_set(tag, subtag, expected):
    tracking = payloads.aftership_tracking()
    tracking["checkpoints"][0].update(tag=tag, subtag=subtag)

    event = aftership.parse(payloads.aftership_webhook(tracking)).events[0]

    assert (event.status, event.provider_status, event.substatus) == (expected, tag, subtag)


def test_the_aftership_signature_is_base64():
    body = json.dumps(payloads.aftership_webhook()).encode()
    headers, _ = payloads.signed("aftership", body)

    assert aftership.verify(payloads.SECRETS["aftership"], body, headers, {})
    assert not aftership.verify(payloads.SECRETS["aftership"], body[:-1], headers, {})


# --- Shippo ------------------------------------------------------------------

def test_a_shippo_track_becomes_its_history_with_the_current_status_once():
    update = shippo.parse(payloads.shippo_webhook())

    assert (update.tracking_number, update.carrier) == ("9205590164917312751089", "usps")
    assert [(e.status, e.substatus) for e in update.events] == [
        (Status.info_received, "information_received"), (Status.in_transit, "package_accepted"),
        (Status.out_for_delivery, "out_for_delivery"), (Status.delivered, "delivered"),
        (Status.delivered, "delivered")]  # the current status repeats the last history entry
    assert "object_id" not in update.events[-1].raw  # so the repeat deduplicates
    assert update.events[3].location == "Spotsylvania, VA, 22551, US"
    assert update.events[0].occurred_at == at("2026-03-01T20:10:00+00:00")


def test_shippo_is_verified_by_the_token_in_the_url():
    secret = payloads.SECRETS["shippo"]

    assert shippo.verify(secret, b"{}", {}, {"token": secret})
    assert not shippo.verify(secret, b"{}", {}, {"token": secret[:-1]})
    assert not shippo.verify(secret, b"{}", {}, {})


# --- generic -----------------------------------------------------------------

def test_the_generic_format_keeps_every_field():
    update = generic.parse(payloads.generic_body())

    assert (update.tracking_number, update.carrier) == ("1Z999AA10123456784", "ups")
    delivered = update.events[-1]
    assert (delivered.status, delivered.provider_status, delivered.signed_by) == (
        Status.delivered, "KB", "DUPONT")
    assert update.events[2].substatus == "arrived_at_hub"
    assert update.events[0].occurred_at == at("2026-03-02T08:14:00+00:00")


def test_a_generic_status_outside_the_normalized_set_is_kept_as_unknown():
    body = payloads.generic_body()
    body["events"][1]["status"] = "Flying"
    del body["events"][1]["provider_status"]

    event = generic.parse(body).events[1]

    assert (event.status, event.provider_status, event.substatus) == (
        Status.in_transit, "Flying", "unknown:Flying")


# --- bad input ---------------------------------------------------------------

@pytest.mark.parametrize(("value", "problem"), [
    ("2026-03-02T09:14:00", "no time zone offset"),
    ("2026-03-02", "no time zone offset"),
    ("2026-02-30T09:14:00Z", "not an ISO 8601 timestamp"),
    ("yesterday", "not an ISO 8601 timestamp"),
    ("2026-03-02T09:14:00+25:00", "not an ISO 8601 timestamp"),
    ("0001-01-01T00:00:00+01:00", "out of range"),
    ("2026-03-02T09:14:00+14:30", "offset no time zone uses"),
    ("2026-03-02T09:14:00-13:00", "offset no time zone uses"),
    (1772442840, "must be an ISO 8601 timestamp"),
    (None, "must be an ISO 8601 timestamp"),
])
def test_a_bad_timestamp_names_its_field(value, problem):
    body = payloads.generic_body()
    body["events"][3]["occurred_at"] = value

    with pytest.raises(PayloadError) as caught:
        generic.parse(body)

    assert caught.value.field == "events.3.occurred_at"
    assert problem in caught.value.message


@pytest.mark.parametrize(("provider", "mutate", "field"), [
    ("easypost", lambda p: p["result"]["tracking_details"][1].update(datetime="2025-02-07 8am"),
     "result.tracking_details.1.datetime"),
    ("aftership", lambda p: p["msg"]["checkpoints"][2].update(
        checkpoint_time="20/03/2021 15:32"), "msg.checkpoints.2.checkpoint_time"),
    ("shippo", lambda p: p["data"]["tracking_history"][0].update(status_date="01/03/2026"),
     "data.tracking_history.0.status_date"),
    ("easypost", lambda p: p["result"].pop("tracking_code"), "result.tracking_code"),
    ("aftership", lambda p: p["msg"].update(checkpoints={"a": 1}), "msg.checkpoints"),
    ("generic", lambda p: p.update(tracking_number="#%!"), "tracking_number"),
    ("generic", lambda p: p["events"].append("scan"), "events.5"),
])
def test_malformed_payloads_are_refused_with_the_field(provider, mutate, field):
    payload = payloads.webhook(provider)
    mutate(payload)

    with pytest.raises(PayloadError) as caught:
        PROVIDERS[provider].parse(payload)

    assert caught.value.field == field


def test_timestamps_in_any_offset_become_utc():
    assert timestamp("2021-03-20T15:29:27+01:00", "t") == at("2021-03-20T14:29:27+00:00")
    assert timestamp("2021-03-20T14:29:27z", "t") == at("2021-03-20T14:29:27+00:00")
    assert timestamp("2021-03-20T14:29:27.5-03:30", "t").tzinfo is UTC


@pytest.mark.parametrize(("status", "message", "expected"), [
    ("OFD", "Out for delivery", Status.out_for_delivery),
    ("X1", "Ready for pickup at the post office", Status.available_for_pickup),
    ("NH", "Delivery attempted, nobody home", Status.failed_attempt),
    ("CU", "Held by customs", Status.exception),
    ("LBL", "Label created", Status.info_received),
    ("D1", "Delivered to neighbour", Status.in_transit),  # never guesses a final outcome
    (None, None, Status.in_transit),
])
def test_an_unknown_status_is_shown_at_the_closest_stage(status, message, expected):
    assert closest_status(status, message) == expected


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20)


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
@given(payload=json_values)
def test_any_json_either_parses_or_is_refused_with_a_payload_error(provider, payload):
    try:
        PROVIDERS[provider].parse(payload)
    except PayloadError:
        pass


def paths(value, prefix=()):
    yield prefix
    children = value.items() if isinstance(value, dict) else (
        enumerate(value) if isinstance(value, list) else ())
    for key, child in children:
        yield from paths(child, (*prefix, key))


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
@given(data=st.data(), replacement=json_values)
def test_a_recorded_payload_with_any_one_value_replaced_parses_or_is_refused(
        provider, data, replacement):
    payload = payloads.webhook(provider)
    path = data.draw(st.sampled_from(list(paths(payload))[1:]))
    target = payload
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = replacement

    try:
        update = PROVIDERS[provider].parse(payload)
    except PayloadError as exc:
        assert exc.field is None or isinstance(exc.field, str)
    else:
        assert update is None or all(e.occurred_at.tzinfo is UTC for e in update.events)


@pytest.mark.parametrize(("checkpoint_country", "route", "utc"), [
    ("NLD", ("USA", None), "2021-03-20T14:32:37+00:00"),  # the scan's own country
    (None, ("USA", "NLD"), "2021-03-20T14:32:37+00:00"),  # US has many zones: the origin
    (None, ("DEU", "NLD"), "2021-03-20T14:32:37+00:00"),
    ("BRA", (None, None), "2021-03-20T15:32:37+00:00"),  # several zones, nothing else: UTC
    (None, (None, None), "2021-03-20T15:32:37+00:00"),
])
def test_an_aftership_time_without_an_offset_is_local_to_the_scan_and_kept(
        checkpoint_country, route, utc):
    payload = payloads.webhook("aftership")
    checkpoint = payload["msg"]["checkpoints"][2]
    checkpoint.update(checkpoint_time="2021-03-20T15:32:37", country_iso3=checkpoint_country)
    payload["msg"]["destination_country_iso3"], payload["msg"]["origin_country_iso3"] = route

    update = PROVIDERS["aftership"].parse(payload)

    event = update.events[2]
    assert event.occurred_at.isoformat() == utc
    assert event.raw["checkpoint_time"] == "2021-03-20T15:32:37"  # the original, kept


def test_a_summer_time_is_read_with_the_summer_offset():
    payload = payloads.webhook("aftership")
    payload["msg"]["checkpoints"][0].update(checkpoint_time="2021-07-01T12:00:00",
                                            country_iso3="NLD")

    event = PROVIDERS["aftership"].parse(payload).events[0]

    assert event.occurred_at.isoformat() == "2021-07-01T10:00:00+00:00"
