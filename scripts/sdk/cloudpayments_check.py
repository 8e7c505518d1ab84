"""CloudPayments' published Python client (PyPI `cloudpayments`) against the sandbox's
CloudPayments personality. The client builds its models with every field of the API
reference's transaction and order (`Transaction.from_dict` indexes each one), so any
field the copy lacks fails here.

    cloudpayments_check.py pay BASE_URL PUBLIC_ID API_SECRET
        -> prints {"transaction_id", "refund_id", "invoice_id"}
    cloudpayments_check.py parse KIND API_SECRET SIGNATURE < form-body
        -> prints the notification's fields after checking its Content-HMAC

The client has no model of notifications: `parse` checks the signature as CloudPayments
documents it (base64 HMAC-SHA256 of the raw body with the API secret) and the fields its
reference lists for each kind.
"""
import base64
import decimal
import hashlib
import hmac
import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

from cloudpayments import CloudPayments, CloudPaymentsError, PaymentError


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def pay_on_page(url, card):
    """The customer enters a card on the hosted page (a form with a card_number field)."""
    form = urllib.parse.urlencode({"card_number": card}).encode()
    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(urllib.request.Request(url, data=form, method="POST"))
    except urllib.error.HTTPError as e:
        assert e.code in (302, 303), e.code


def pay(base, public_id, secret):
    client = CloudPayments(public_id, secret)
    client.URL = f"{base}/sandbox/cloudpayments/"
    assert client.test(request_id="sdk-test") == "sdk-test"

    wrong = CloudPayments(public_id, "not-the-secret")
    wrong.URL = client.URL
    try:
        wrong.test()
        raise AssertionError("wrong credentials were accepted")
    except Exception as e:  # the API answers 401 without a JSON body
        assert not isinstance(e, AssertionError), e

    invoice = f"sdk-{uuid.uuid4()}"
    order = client.create_order(
        100, "RUB", "SDK check", invoice_id=invoice, account_id="sdk-account",
        require_confirmation=False, send_email=False,
    )
    assert order.amount == decimal.Decimal("100.00"), order.amount
    assert order.currency == "RUB" and order.currency_code == 0
    assert order.url.startswith(base), order.url

    # Nothing paid yet: nothing found.
    try:
        client.find_payment(invoice)
        raise AssertionError("an unpaid order has a transaction")
    except CloudPaymentsError as e:
        assert not isinstance(e, PaymentError)

    pay_on_page(order.url, "4242 4242 4242 4242")
    paid = client.find_payment(invoice)
    assert paid.status == "Completed", paid.status
    assert paid.status_code == 3
    assert paid.invoice_id == invoice and paid.account_id == "sdk-account"
    assert paid.amount == decimal.Decimal("100.00"), paid.amount
    assert paid.card_first_six == "424242" and paid.card_last_four == "4242"
    assert paid.token, "a paid transaction carries the card's token"
    assert paid.created_date is not None and paid.auth_date is not None
    again = client.get_transaction(paid.id)
    assert again.id == paid.id and again.status == "Completed"

    # The token pays again, merchant-initiated; a declined charge is a PaymentError.
    renewal = client.charge_token(paid.token, "sdk-account", 100, "RUB",
                                  invoice_id=f"{invoice}-renewal", description="Renewal")
    assert renewal.status == "Completed" and renewal.id != paid.id
    try:
        client.charge_token(paid.token, "someone-else", 100, "RUB")
        raise AssertionError("a token charged for another account")
    except PaymentError:
        raise AssertionError("a foreign token is refused, not declined")
    except CloudPaymentsError:
        pass

    declined_order = client.create_order(50, "RUB", "SDK decline", invoice_id=f"{invoice}-d",
                                         account_id="sdk-account")
    pay_on_page(declined_order.url, "4000000000009995")
    try:
        client.find_payment(f"{invoice}-d")
        raise AssertionError("a declined payment was found as paid")
    except CloudPaymentsError as e:
        # find_payment raises the plain error; the client's PaymentError reads the model.
        declined = PaymentError(e.response)
        assert declined.reason_code == 5051, declined.reason_code
        assert declined.verbose_reason, "the client knows the reason code"
        assert declined.transaction_id

    refund_id = client.refund(paid.id, 100, request_id=f"refund-{invoice}")
    assert isinstance(refund_id, int), refund_id
    # The same request id is the same refund.
    assert client.refund(paid.id, 100, request_id=f"refund-{invoice}") == refund_id
    try:
        client.refund(paid.id, 100)
        raise AssertionError("refunded twice")
    except CloudPaymentsError:
        pass
    print(json.dumps({"transaction_id": paid.id, "refund_id": refund_id, "invoice_id": invoice}))


# The fields CloudPayments' reference lists for each notification (the ones a merchant
# reads; the reference has more optional ones).
FIELDS = {
    "pay": ["TransactionId", "Amount", "Currency", "PaymentAmount", "PaymentCurrency",
            "DateTime", "CardFirstSix", "CardLastFour", "CardType", "CardExpDate",
            "TestMode", "Status", "OperationType", "InvoiceId", "AccountId", "Token",
            "Data", "AuthCode", "Name", "Email", "IpAddress"],
    "fail": ["TransactionId", "Amount", "Currency", "DateTime", "CardFirstSix",
             "CardLastFour", "CardType", "CardExpDate", "TestMode", "Reason", "ReasonCode",
             "OperationType", "InvoiceId", "AccountId"],
    "refund": ["TransactionId", "PaymentTransactionId", "Amount", "DateTime",
               "OperationType", "InvoiceId", "AccountId"],
    "check": ["TransactionId", "Amount", "Currency", "DateTime", "CardFirstSix",
              "CardLastFour", "CardType", "CardExpDate", "TestMode", "Status",
              "OperationType", "InvoiceId", "AccountId"],
}


def parse(kind, secret, signature):
    body = sys.stdin.buffer.read()
    expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    assert hmac.compare_digest(expected, signature), "Content-HMAC does not sign the body"
    fields = dict(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True))
    missing = [f for f in FIELDS[kind] if f not in fields]
    assert not missing, f"{kind} lacks {missing}"
    int(fields["TransactionId"])
    decimal.Decimal(fields["Amount"])
    time.strptime(fields["DateTime"], "%Y-%m-%d %H:%M:%S")
    print(json.dumps(fields))


if __name__ == "__main__":
    if sys.argv[1] == "pay":
        pay(*sys.argv[2:5])
    elif sys.argv[1] == "parse":
        parse(*sys.argv[2:5])
    else:
        sys.exit(f"unknown command {sys.argv[1]}")
