"""Admin logins: the lockout that stops password guessing, and the page it shows.

django-axes counts failed logins per address and per user name; past five in
fifteen minutes, that address or user name is refused, even with the right
password, and the person sees a page saying what happened and what to do.
"""

from django.contrib.auth.models import User
from django.test import Client

LOGIN = "/admin/login/"


def post_login(client: Client, username: str, password: str, address: str = "203.0.113.7"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def test_one_address_trying_many_user_names_is_locked(db):
    User.objects.create_user("erin", password="pw-erin", is_staff=True)
    client = Client()

    statuses = [post_login(client, f"guess{n}", "wrong").status_code for n in range(5)]
    locked = post_login(client, "erin", "pw-erin")

    # Five user names, one wrong password each: the address is locked, and a
    # real editor's right password from it is refused too.
    assert statuses == [200, 200, 200, 200, 429]
    assert locked.status_code == 429
    # Another address is not affected.
    assert post_login(Client(), "erin", "pw-erin", address="198.51.100.9").status_code == 302


def test_one_user_name_tried_from_many_addresses_is_locked(db):
    User.objects.create_user("erin", password="pw-erin", is_staff=True)

    statuses = [
        post_login(Client(), "erin", "wrong", address=f"198.51.100.{n}").status_code
        for n in range(1, 6)
    ]
    locked = post_login(Client(), "erin", "pw-erin", address="192.0.2.50")

    assert statuses == [200, 200, 200, 200, 429]
    assert locked.status_code == 429
    # Another user name from the same fresh address still gets in.
    User.objects.create_user("rita", password="pw-rita", is_staff=True)
    assert post_login(Client(), "rita", "pw-rita", address="192.0.2.50").status_code == 302


def test_the_lockout_page_says_what_happened_for_how_long_and_what_to_do(db):
    client = Client()
    for _ in range(5):
        response = post_login(client, "erin", "wrong")

    page = response.content.decode()
    assert response.status_code == 429
    assert "<title>Sign-in locked – druginfo</title>" in page
    assert '<link rel="stylesheet" href="/static/css/site.' in page
    assert "There were 5 wrong passwords in a row" in page
    assert "locked for 15 minutes" in page
    assert "ask the site's administrator to reset it" in page
