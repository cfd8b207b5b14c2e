"""An agency system's side of the API: get a token, submit one concern, then poll for what happened to it.

Standard library only. Run it against the demo (``make demo``; register a system on
/administration/api-clients/ and have a second administrator approve it on the approvals page):

    API_URL=http://127.0.0.1:8000 API_CLIENT_ID=... API_CLIENT_SECRET=... python examples/api_client.py

A real system keeps the Idempotency-Key with the concern until the answer arrives (so a retry after a
lost answer records nothing twice) and stores next_cursor between polls (so each change is seen once).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from typing import Any

BASE = os.environ.get("API_URL", "http://127.0.0.1:8000").rstrip("/")


def call(method: str, path: str, *, token: str | None = None, body: Any = None, headers: dict[str, str] | None = None,
         form: dict[str, str] | None = None, attempts: int = 5) -> tuple[int, Any]:
    """One request, retried on a rate limit (429, after Retry-After) and on a lost connection."""
    data, sent = None, dict(headers or {})
    if body is not None:
        data, sent["Content-Type"] = json.dumps(body).encode(), "application/json"
    if form is not None:
        data, sent["Content-Type"] = urllib.parse.urlencode(form).encode(), "application/x-www-form-urlencoded"
    if token:
        sent["Authorization"] = f"Bearer {token}"
    for attempt in range(attempts):
        request = urllib.request.Request(BASE + path, data=data, method=method, headers=sent)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - the configured API
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            if error.code == 429 and attempt + 1 < attempts:
                time.sleep(int(error.headers.get("Retry-After", "1")))
                continue
            raw = error.read()
            try:
                return error.code, json.loads(raw or b"null")
            except ValueError:  # not the API's JSON (a proxy's error page): say what came back
                return error.code, {"detail": raw[:200].decode("utf-8", "replace")}
        except urllib.error.URLError:
            if attempt + 1 == attempts:
                raise
            time.sleep(2 ** attempt)  # the same Idempotency-Key goes with the retry: one concern
    raise RuntimeError("unreachable")


def token() -> str:
    pair = f"{os.environ['API_CLIENT_ID']}:{os.environ['API_CLIENT_SECRET']}".encode()
    status, answer = call("POST", "/api/oauth/token/", form={"grant_type": "client_credentials"},
                          headers={"Authorization": "Basic " + base64.b64encode(pair).decode()})
    if status != 200:
        raise SystemExit(f"No token ({status}): {answer}")
    return str(answer["access_token"])


def main() -> None:
    bearer = token()
    catalogue = call("GET", "/api/v1/indicators/", token=bearer)[1]
    print(f"Indicator catalogue version {catalogue['version']}: {len(catalogue['indicators'])} signs")
    concern = {
        "young_person": {"given_name": "Example", "family_name": "Pupil", "date_of_birth": "2011-04-03",
                         "home_borough": "lambeth"},
        "observed_on": dt.datetime.now(dt.UTC).date().isoformat(),
        # Mapped from the school system's own categories (README, "Mapping guide").
        "indicators": ["missing-from-home-or-care", "older-boyfriend-or-associate"],
        "narrative": "Collected from school by an older man in a car; missed the afternoon.",
        "judgement": "seriously_worried",
        "actions_taken": [],
    }
    key = str(uuid.uuid4())  # kept with the concern until the answer arrives
    status, answer = call("POST", "/api/v1/concerns/", token=bearer, body=concern, headers={"Idempotency-Key": key})
    if status not in (200, 201):
        raise SystemExit(f"Refused ({status}): {answer.get('detail')} {answer.get('errors', '')}")
    reference = answer["reference"]
    print(f"Recorded as {reference}")
    cursor = None
    for _ in range(int(os.environ.get("POLLS", "3"))):
        status, detail = call("GET", f"/api/v1/concerns/{reference}/", token=bearer)
        print(f"{reference}: {len(detail.get('referrals', []))} referral(s) by this agency about her")
        query = "?" + urllib.parse.urlencode({"since": cursor}) if cursor else ""
        status, page = call("GET", f"/api/v1/referrals/{query}", token=bearer)
        for referral in page.get("items", []):
            pathways = ", ".join(p["label"] for p in referral["pathways"]) or "none yet"
            print(f"  {referral['reference']}: {referral['state_label']}; decision "
                  f"{referral['decision_label'] or 'not yet'}; pathways: {pathways}")
        cursor = page.get("next_cursor") or cursor
        time.sleep(int(os.environ.get("POLL_SECONDS", "5")))


if __name__ == "__main__":
    main()
