"""YooKassa's published Python SDK (PyPI `yookassa`) against the sandbox's YooKassa
personality: any field the SDK expects and the copy lacks fails here.

    yookassa_check.py pay BASE_URL SHOP_ID SECRET_KEY   -> prints {"payment_id", "refund_id"}
    yookassa_check.py parse < notification.json          -> prints {"event", "object_id", "status"}
"""
import json
import sys
import time
import urllib.parse
import urllib.request
import uuid

from yookassa import Configuration, Payment, Refund
from yookassa.domain.notification import WebhookNotificationFactory


def pay(base, shop, secret):
    Configuration.configure(shop, secret, api_url=f"{base}/sandbox/yookassa/v3")
    created = Payment.create(
        {
            "amount": {"value": "100.00", "currency": "RUB"},
            "confirmation": {"type": "redirect", "return_url": "https://shop.example/back"},
            "capture": True,
            "description": "SDK check",
            "metadata": {"order_id": "sdk-1"},
        },
        str(uuid.uuid4()),
    )
    assert created.status == "pending", created.status
    assert created.paid is False
    assert created.amount.value == 100.0 or str(created.amount.value) in ("100.00", "100.0"), created.amount.value
    assert created.amount.currency == "RUB"
    # The SDK adds its own `cms_name`; ours comes back as sent.
    assert created.metadata["order_id"] == "sdk-1", created.metadata
    page = created.confirmation.confirmation_url
    assert created.confirmation.type == "redirect"

    found = Payment.find_one(created.id)
    assert found.id == created.id

    # The customer pays on the hosted page (a form with a card_number field).
    form = urllib.parse.urlencode({"card_number": "4242 4242 4242 4242"}).encode()

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(urllib.request.Request(page, data=form, method="POST"))
    except urllib.error.HTTPError as e:
        assert e.code in (302, 303), e.code

    for _ in range(50):
        paid = Payment.find_one(created.id)
        if paid.status == "succeeded":
            break
        time.sleep(0.1)
    assert paid.status == "succeeded", paid.status
    assert paid.paid is True
    assert paid.payment_method.type == "bank_card"
    assert paid.payment_method.card.last4 == "4242", paid.payment_method.card.last4

    refund = Refund.create(
        {"payment_id": created.id, "amount": {"value": "100.00", "currency": "RUB"}},
        str(uuid.uuid4()),
    )
    assert refund.status == "succeeded", refund.status
    assert refund.payment_id == created.id
    assert Refund.find_one(refund.id).id == refund.id
    print(json.dumps({"payment_id": created.id, "refund_id": refund.id}))


def parse():
    body = json.load(sys.stdin)
    note = WebhookNotificationFactory().create(body)
    print(json.dumps({"event": note.event, "object_id": note.object.id, "status": note.object.status}))


if __name__ == "__main__":
    if sys.argv[1] == "pay":
        pay(*sys.argv[2:5])
    elif sys.argv[1] == "parse":
        parse()
    else:
        sys.exit(f"unknown command {sys.argv[1]}")
