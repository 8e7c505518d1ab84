"""Mints an HS256 customer JWT as the auth service would (stdlib only)."""
import base64
import hashlib
import hmac
import json
import sys
import time
import uuid


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


secret = sys.argv[1].encode()
header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
claims = b64(
    json.dumps(
        {
            "sub": str(uuid.uuid4()),
            "email": "fuzz@example.com",
            "name": "API Fuzzer",
            "exp": int(time.time()) + 3600,
        }
    ).encode()
)
signature = b64(hmac.new(secret, f"{header}.{claims}".encode(), hashlib.sha256).digest())
print(f"{header}.{claims}.{signature}")
