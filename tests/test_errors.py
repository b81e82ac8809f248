"""Error pages: friendly words, a way home and to search, correct status codes."""

import re

import pytest
from django.test import RequestFactory
from django.urls import path
from django.views.defaults import server_error

from druginfo.urls import urlpatterns as site_urlpatterns


def _raise_error(request):
    raise RuntimeError("deliberate failure for the 500 page test")


# Used as ROOT_URLCONF by the 500 test: the site's URLs plus one that fails.
urlpatterns = [path("test-only/boom/", _raise_error), *site_urlpatterns]


def test_unknown_address_shows_friendly_404_page(client, settings):
    settings.DEBUG = False

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "Page not found" in response.text
    assert 'href="/"' in response.text
    assert 'action="/search/"' in response.text


@pytest.mark.django_db
def test_failing_view_shows_friendly_500_page(client, settings):
    settings.DEBUG = False
    settings.ROOT_URLCONF = __name__
    client.raise_request_exception = False

    response = client.get("/test-only/boom/")

    assert response.status_code == 500
    assert "Sorry, something went wrong" in response.text
    assert "deliberate failure" not in response.text
    assert 'href="/"' in response.text


def test_500_page_renders_without_a_request_context():
    response = server_error(RequestFactory().get("/"))

    assert response.status_code == 500
    text = response.content.decode()
    assert "Sorry, something went wrong" in text
    assert '<html lang="en-gb">' in text
    # The stylesheet under its hashed production name, from collectstatic's manifest.
    assert re.search(r'href="/static/css/site\.[0-9a-f]{12}\.css"', text)
