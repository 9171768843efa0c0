"""Generated product pictures and store logos under /media."""

from __future__ import annotations

from tests.factories import product_body


def make_product(client, store, **overrides) -> int:
    response = client.post("/api/v1/products", json=product_body(**overrides), headers=store.auth)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_a_product_picture_is_an_svg_that_caches_for_a_day(client, store):
    product_id = make_product(client, store, title="Sencha Morning Green Tea",
                              category="Coffee & Tea")

    response = client.get(f"/media/products/{product_id}.svg")

    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"
    assert response.headers["cache-control"] == "public, max-age=86400"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["etag"].startswith('"')
    assert response.text.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    assert ">SM</text>" in response.text
    assert "#6f4e37" in response.text  # the Coffee & Tea colour


def test_the_same_picture_twice_is_the_same_bytes(client, store):
    product_id = make_product(client, store)

    first = client.get(f"/media/products/{product_id}.svg")
    second = client.get(f"/media/products/{product_id}.svg")

    assert first.content == second.content
    assert first.headers["etag"] == second.headers["etag"]


def test_a_matching_etag_gets_not_modified(client, store):
    product_id = make_product(client, store)
    etag = client.get(f"/media/products/{product_id}.svg").headers["etag"]

    response = client.get(f"/media/products/{product_id}.svg", headers={"If-None-Match": etag})

    assert response.status_code == 304
    assert response.content == b""


def test_an_unknown_product_gets_the_json_not_found_error(client):
    response = client.get("/media/products/987654.svg")

    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found",
                                         "message": "no product image here", "field": None}}


def test_a_product_id_that_is_not_a_number_gets_not_found(client):
    for path in ("/media/products/abc.svg", "/media/products/%C2%B2.svg",
                 "/media/products/1.png", "/media/products/99999999999999999999.svg"):
        response = client.get(path)

        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "not_found"


def test_a_product_title_cannot_put_markup_into_the_picture(client, store):
    product_id = make_product(client, store, title='<script>alert("hi")</script> Tea')

    response = client.get(f"/media/products/{product_id}.svg")

    assert response.status_code == 200
    assert "<script" not in response.text
    assert "&lt;script&gt;" in response.text


def test_a_store_logo_shows_its_name_in_its_brand_colours(client, store):
    response = client.get("/media/stores/acme/logo.svg")

    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"
    assert ">Acme</text>" in response.text
    assert 'fill="#1f3a5f"' in response.text and 'fill="#e07a1f"' in response.text


def test_an_unknown_store_logo_gets_not_found(client):
    response = client.get("/media/stores/nobody/logo.svg")

    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "no store image here",
                                         "field": None}}


def test_media_routes_stay_out_of_the_api_description(client):
    paths = client.get("/openapi.json").json()["paths"]

    assert not any(path.startswith("/media") for path in paths)
