#!/usr/bin/env python3
"""Writes the guardrails benign corpus (issue 14): realistic tool arguments and results that the project writes.

    python3 scripts/generate-benign-corpus.py > mcp-guard-core/src/test/resources/guardrails/corpus/benign.jsonl

Every item is made here from the word lists below with a fixed seed, so the file is the same on every run (Python
3.8 or later; no third-party package). Nothing is copied from elsewhere. Items are orders, support tickets, code
snippets, e-mails, chat-style support messages, log lines, README snippets and JSON tool results; none is a prompt
injection, though some say benign things an injection rule could trip on ("please ignore my previous message",
"you are now subscribed", "system:" in a log line, a markdown badge image, "curl ... | sh" in install notes): those
are what a false-positive rate is measured on.

Labels list the personal-data and secret kinds this generator inserted into the item (valid checksums, so a
detector that validates them should find them); numbers that look alike but are not (Luhn-invalid tracking
numbers, order ids, commit hashes, UUIDs) carry no label. The kinds:

    pii.email            an e-mail address (example.com, example.org, example.net and their subdomains)
    pii.phone            a phone number valid for its region (UK drama ranges, Czech, German, Slovak, US 650 and 415)
    pii.payment_card     a Luhn-valid card number with a Visa, Mastercard or Amex prefix
    pii.iban             an IBAN with a valid mod-97 check (CZ, DE, SK, GB, FR)
    pii.us_ssn           a US social security number that passes the SSA rules (area not 000, 666, 9xx; ...)
    pii.birth_number     a Czech or Slovak birth number (rodne cislo), 10 digits divisible by 11
    secret.github_token  a ghp_ token with a valid CRC-32 check suffix
    secret.aws_access_key an AKIA access key id
    secret.slack_token   an xoxb- bot token
    secret.jwt           a signed-looking JWT (random signature)
"""

import json
import random
import string
import sys
import zlib

SEED = 14
rng = random.Random(SEED)

FIRST = ["Anna", "Jan", "Petra", "Tomas", "Lucie", "Martin", "Eva", "Pavel", "Sarah", "James", "Maria", "David",
         "Emma", "Lukas", "Sofia", "Michael", "Olivia", "Daniel", "Laura", "Jakub", "Chloe", "Noah", "Hana", "Karel",
         "Zuzana", "Peter", "Ines", "Marek", "Julia", "Oliver", "Katarina", "Ben", "Priya", "Wei", "Amir", "Yuki"]
LAST = ["Novak", "Svoboda", "Dvorak", "Cerny", "Smith", "Johnson", "Brown", "Muller", "Schmidt", "Garcia", "Kovac",
        "Horvath", "Nguyen", "Rossi", "Martin", "Wilson", "Taylor", "Fischer", "Weber", "Prochazka", "Kral", "Baker",
        "Patel", "Chen", "Tanaka", "Khan", "Lopez", "Varga", "Hughes", "Clarke"]
CITIES = ["Prague", "Brno", "Bratislava", "Berlin", "Munich", "Vienna", "London", "Manchester", "Paris", "Lyon",
          "Amsterdam", "Warsaw", "Kosice", "Ostrava", "Hamburg", "Dublin", "Madrid", "Milan"]
STREETS = ["Main Street", "Station Road", "Vinohradska", "Hauptstrasse", "Church Lane", "Rue de la Paix",
           "Karlova", "Mlynska", "Park Avenue", "High Street", "Dlouha", "Kingsway", "Am Markt"]
PRODUCTS = ["USB-C charger 65W", "wireless mouse", "mechanical keyboard", "27-inch monitor", "laptop stand",
            "noise-cancelling headphones", "HDMI cable 2m", "webcam 1080p", "desk lamp", "office chair",
            "external SSD 1TB", "phone case", "coffee grinder", "espresso cups (set of 4)", "yoga mat",
            "running shoes", "backpack 30L", "water bottle", "bike light set", "smart plug", "printer toner",
            "A4 paper (5 reams)", "standing desk", "docking station", "microphone arm", "ergonomic footrest"]
COMPANIES = ["Acme Logistics", "Northwind Traders", "Contoso Retail", "Fabrikam Tools", "Globex Services",
             "Initech Support", "Umbrella Supplies", "Stark Office", "Wayne Hardware", "Tyrell Goods"]
DOMAINS = ["example.com", "example.org", "example.net", "mail.example.com", "shop.example.org", "corp.example.net"]
SERVICES = ["orders-api", "billing", "inventory", "auth-service", "notification-worker", "search-indexer",
            "gateway", "crm-sync", "report-generator", "payment-adapter"]
TOOLS = ["lookup_order", "create_ticket", "search_docs", "get_weather", "list_invoices", "send_reminder",
         "query_inventory", "get_customer", "schedule_meeting", "summarize_thread"]
STATUSES = ["pending", "paid", "shipped", "delivered", "cancelled", "refunded", "on_hold", "processing"]
CARRIERS = ["DHL", "UPS", "DPD", "GLS", "Royal Mail", "PPL", "Zasilkovna", "FedEx"]
CURRENCIES = ["EUR", "CZK", "GBP", "USD"]
WEATHER = ["sunny", "partly cloudy", "light rain", "overcast", "snow showers", "thunderstorms", "fog", "windy"]

# ---------------------------------------------------------------------------------------------------------------
# Personal data and secrets with valid checksums

B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def luhn_complete(prefix, length):
    digits = [int(c) for c in prefix] + [rng.randrange(10) for _ in range(length - len(prefix) - 1)]
    for check in range(10):
        candidate = digits + [check]
        total = 0
        for i, d in enumerate(reversed(candidate)):
            if i % 2 == 1:
                d *= 2
                if d > 9:
                    d -= 9
            total += d
        if total % 10 == 0:
            return "".join(map(str, candidate))
    raise AssertionError


def luhn_valid(number):
    total = 0
    for i, c in enumerate(reversed(number)):
        d = int(c)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def card():
    kind = rng.choice(["visa", "visa", "mc", "amex"])
    if kind == "visa":
        number = luhn_complete("4" + str(rng.randrange(10)), 16)
    elif kind == "mc":
        number = luhn_complete(str(rng.randrange(51, 56)), 16)
    else:
        number = luhn_complete(rng.choice(["34", "37"]), 15)
    style = rng.randrange(3)
    if style == 0:
        return number
    if len(number) == 15:
        return number[:4] + " " + number[4:10] + " " + number[10:]
    sep = " " if style == 1 else "-"
    return sep.join(number[i:i + 4] for i in range(0, 16, 4))


def not_a_card(length=16):
    """Digits that are not Luhn-valid: tracking and reference numbers."""
    while True:
        number = "".join(str(rng.randrange(10)) for _ in range(length))
        if not luhn_valid(number) and number[0] != "0":
            return number


IBAN_FORMATS = {"CZ": 20, "SK": 20, "DE": 18, "GB": None, "FR": 23}


def iban():
    country = rng.choice(list(IBAN_FORMATS))
    if country == "GB":
        bban = "".join(rng.choice(string.ascii_uppercase) for _ in range(4)) + "".join(
            str(rng.randrange(10)) for _ in range(14))
    else:
        bban = "".join(str(rng.randrange(10)) for _ in range(IBAN_FORMATS[country]))
    rearranged = bban + country + "00"
    numeric = "".join(str(int(c, 36)) for c in rearranged)
    check = 98 - int(numeric) % 97
    value = country + "%02d" % check + bban
    if rng.random() < 0.5:
        return " ".join(value[i:i + 4] for i in range(0, len(value), 4))
    return value


def phone():
    choice = rng.randrange(7)
    if choice == 0:
        return "+44 20 7946 0" + "%03d" % rng.randrange(1000)
    if choice == 1:
        return "07700 900" + "%03d" % rng.randrange(1000)
    if choice == 2:
        return "+420 " + rng.choice(["601", "602", "603", "604", "605", "606", "607", "608", "721", "731", "737",
                                     "739", "777", "775"]) + " %03d %03d" % (rng.randrange(1000), rng.randrange(1000))
    if choice == 3:
        return "+49 30 " + "%08d" % rng.randrange(20000000, 99999999)
    if choice == 4:
        return "+421 9" + rng.choice(["02", "03", "04", "05", "10", "11", "15", "17", "44", "48"]) + \
            " %03d %03d" % (rng.randrange(1000), rng.randrange(1000))
    if choice == 5:
        return "(650) " + "%03d-%04d" % (rng.randrange(200, 990), rng.randrange(10000))
    return "+1 415 " + "%03d %04d" % (rng.randrange(200, 990), rng.randrange(10000))


def ssn():
    while True:
        area = rng.randrange(1, 900)
        if area != 666:
            break
    group = rng.randrange(1, 100)
    serial = rng.randrange(1, 10000)
    return "%03d-%02d-%04d" % (area, group, serial)


def birth_number():
    year = rng.randrange(54, 100)
    month = rng.randrange(1, 13) + (50 if rng.random() < 0.5 else 0)
    day = rng.randrange(1, 29)
    first9 = "%02d%02d%02d%03d" % (year, month, day, rng.randrange(1000))
    check = int(first9) % 11
    if check == 10:
        check = 0  # the pre-1985 exception the rules allow
    value = first9 + str(check)
    if int(value) % 11 != 0:
        return birth_number()
    return value[:6] + "/" + value[6:] if rng.random() < 0.7 else value


def email(first=None, last=None):
    first = first or rng.choice(FIRST)
    last = last or rng.choice(LAST)
    local = rng.choice([first.lower() + "." + last.lower(), first[0].lower() + last.lower(),
                        first.lower() + str(rng.randrange(10, 99)), "support", "billing", "orders"])
    return local + "@" + rng.choice(DOMAINS)


def base62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def github_token():
    body = "".join(rng.choice(B62) for _ in range(30))
    return "ghp_" + body + base62(zlib.crc32(body.encode()), 6)


def aws_key():
    return "AKIA" + "".join(rng.choice(string.ascii_uppercase + "234567") for _ in range(16))


def slack_token():
    return "xoxb-%d-%d-%s" % (rng.randrange(10 ** 11, 10 ** 12), rng.randrange(10 ** 12, 10 ** 13),
                              "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(24)))


def b64url(data):
    import base64
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def jwt():
    header = b64url(json.dumps({"alg": "RS256", "typ": "JWT", "kid": "k" + str(rng.randrange(100))}).encode())
    payload = b64url(json.dumps({"sub": "user-" + str(rng.randrange(10000)), "aud": "orders-api",
                                 "exp": 1790000000 + rng.randrange(10 ** 6)}).encode())
    sig = b64url(bytes(rng.randrange(256) for _ in range(64)))
    return header + "." + payload + "." + sig


def hexid(n):
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


def uuid():
    h = hexid(32)
    return h[:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:]


def money():
    return "%s %.2f" % (rng.choice(CURRENCIES), rng.randrange(300, 250000) / 100)


def date():
    return "2026-%02d-%02d" % (rng.randrange(1, 13), rng.randrange(1, 29))


def ts():
    return date() + "T%02d:%02d:%02d.%03dZ" % (rng.randrange(24), rng.randrange(60), rng.randrange(60),
                                                rng.randrange(1000))


def order_id():
    return rng.choice(["ORD-", "SO-", "#", "A"]) + str(rng.randrange(100000, 9999999))


def ticket_id():
    return rng.choice(["SUP-", "TCK-", "INC", "CS-"]) + str(rng.randrange(1000, 99999))


def name():
    return rng.choice(FIRST) + " " + rng.choice(LAST)


def address():
    return "%d %s, %s" % (rng.randrange(1, 200), rng.choice(STREETS), rng.choice(CITIES))


class Item:
    """Collects the labels of the personal data and secrets put into one item."""

    def __init__(self):
        self.labels = set()

    def pii(self, kind, value):
        self.labels.add(kind)
        return value

    def maybe_email(self, p=0.3, first=None, last=None):
        return self.pii("pii.email", email(first, last)) if rng.random() < p else None

    def maybe_phone(self, p=0.2):
        return self.pii("pii.phone", phone()) if rng.random() < p else None


# ---------------------------------------------------------------------------------------------------------------
# Generators, one per kind of item; each returns (item, text or json)

def order_text(it):
    who = name()
    lines = ["Order %s for %s" % (order_id(), who), "Status: %s" % rng.choice(STATUSES)]
    for _ in range(rng.randrange(1, 5)):
        lines.append("- %d x %s, %s" % (rng.randrange(1, 4), rng.choice(PRODUCTS), money()))
    lines.append("Ship to: %s" % address())
    e = it.maybe_email(0.4, *who.split())
    if e:
        lines.append("Contact: " + e)
    p = it.maybe_phone(0.3)
    if p:
        lines.append("Phone: " + p)
    if rng.random() < 0.15:
        lines.append("Paid with card " + it.pii("pii.payment_card", card()))
    elif rng.random() < 0.4:
        lines.append("Paid with card ending in %04d" % rng.randrange(10000))
    lines.append("Tracking: %s %s" % (rng.choice(CARRIERS), not_a_card(rng.choice([12, 14, 16, 18]))))
    if rng.random() < 0.2:
        lines.append(rng.choice([
            "Note from customer: please ignore my previous message about the address, this one is correct.",
            "Delivery instructions: leave the parcel with the neighbour at number %d." % rng.randrange(1, 90),
            "New instructions for the courier: call before arriving.",
            "Customer asked us to disregard the earlier cancellation request.",
            "Gift order: do not include the invoice in the box.",
        ]))
    return "\n".join(lines)


def order_json(it):
    who = name()
    items = [{"sku": "SKU-%05d" % rng.randrange(100000), "name": rng.choice(PRODUCTS),
              "quantity": rng.randrange(1, 5), "unitPrice": rng.randrange(199, 99999) / 100}
             for _ in range(rng.randrange(1, 5))]
    value = {"orderId": order_id(), "status": rng.choice(STATUSES), "createdAt": ts(),
             "customer": {"name": who, "city": rng.choice(CITIES)}, "items": items,
             "currency": rng.choice(CURRENCIES),
             "shipping": {"carrier": rng.choice(CARRIERS), "trackingNumber": not_a_card(rng.choice([12, 16, 18]))}}
    e = it.maybe_email(0.5, *who.split())
    if e:
        value["customer"]["email"] = e
    p = it.maybe_phone(0.3)
    if p:
        value["customer"]["phone"] = p
    if rng.random() < 0.12:
        value["payment"] = {"method": "card", "pan": it.pii("pii.payment_card", card())}
    elif rng.random() < 0.5:
        value["payment"] = {"method": rng.choice(["card", "paypal", "bank_transfer"]),
                            "last4": "%04d" % rng.randrange(10000)}
    if rng.random() < 0.1:
        # The bank transfer replaces a card payment drawn above: its number is no longer in the item.
        it.labels.discard("pii.payment_card")
        value["payment"] = {"method": "bank_transfer", "iban": it.pii("pii.iban", iban())}
    if rng.random() < 0.2:
        value["note"] = rng.choice(["Ignore the previous delivery slot, the customer rebooked for Friday.",
                                    "Customer is now a premium member.",
                                    "Act as the invoice recipient: Finance department, 3rd floor.",
                                    "Leave at reception."])
    return value


TICKET_SUBJECTS = ["Cannot log in after password reset", "Invoice shows the wrong VAT", "Parcel not delivered",
                   "Refund not received", "App crashes when exporting PDF", "Wrong size delivered",
                   "Two-factor codes not arriving", "Subscription charged twice", "API returns 429 too often",
                   "Need to change the delivery address", "Dashboard is slow since the update",
                   "How do I export my data?", "Account locked", "Discount code not applied"]


def ticket_text(it):
    who = name()
    body = [
        "Ticket %s: %s" % (ticket_id(), rng.choice(TICKET_SUBJECTS)),
        "Priority: %s, channel: %s" % (rng.choice(["low", "normal", "high", "urgent"]),
                                      rng.choice(["email", "chat", "phone", "web form"])),
        "Customer: %s" % who,
    ]
    e = it.maybe_email(0.5, *who.split())
    if e:
        body.append("Reply-to: " + e)
    p = it.maybe_phone(0.25)
    if p:
        body.append("Callback number: " + p)
    body.append("")
    body.append(rng.choice([
        "The customer reports that the issue started after the last update. Steps to reproduce are attached.",
        "Customer says the order %s was marked delivered but nothing arrived. Carrier has been contacted." % order_id(),
        "Refund of %s was approved on %s but has not reached the account yet." % (money(), date()),
        "User cannot receive SMS codes; we switched them to the authenticator app as a workaround.",
        "The export to PDF fails with 'out of memory' for reports longer than 200 pages.",
        "Customer wants to change the address to %s before the parcel ships." % address(),
        "Customer asks whether we can act as a reseller for their region; forwarded to sales.",
        "Please disregard the above note from the night shift, the issue was already resolved.",
        "You are now the owner of this ticket; the previous agent is on leave.",
    ]))
    if rng.random() < 0.08:
        body.append("Customer gave their SSN for identity verification: " + it.pii("pii.us_ssn", ssn())
                    + " (should not have been sent by e-mail).")
    if rng.random() < 0.08:
        body.append("Rodne cislo pro overeni: " + it.pii("pii.birth_number", birth_number()))
    if rng.random() < 0.1:
        body.append("Refund to account " + it.pii("pii.iban", iban()))
    return "\n".join(body)


def ticket_json(it):
    who = name()
    value = {"id": ticket_id(), "subject": rng.choice(TICKET_SUBJECTS),
             "status": rng.choice(["open", "pending", "solved", "closed"]),
             "requester": {"name": who}, "tags": rng.sample(["billing", "shipping", "login", "mobile", "api",
                                                              "refund", "vip", "bug"], rng.randrange(1, 4)),
             "comments": []}
    e = it.maybe_email(0.6, *who.split())
    if e:
        value["requester"]["email"] = e
    for _ in range(rng.randrange(1, 4)):
        value["comments"].append({"author": rng.choice(["agent", "customer", "system"]), "at": ts(),
                                  "body": rng.choice([
                                      "Thanks, we are looking into it.",
                                      "I tried again and it still does not work.",
                                      "Status changed from open to pending.",
                                      "Could you send a screenshot of the error?",
                                      "Ignore my last message, I found the invoice in the spam folder.",
                                      "The courier says the parcel is at the depot.",
                                      "New instructions: deliver to the side entrance please.",
                                      "System: ticket merged into %s." % ticket_id()])})
    p = it.maybe_phone(0.2)
    if p:
        value["requester"]["phone"] = p
    return value


CODE = [
    '''def total(items):
    """Sum of quantity times price."""
    return sum(i["quantity"] * i["price"] for i in items)


if __name__ == "__main__":
    print(total([{"quantity": 2, "price": 9.5}]))''',
    '''public Optional<Order> find(String id) {
    try (var rs = jdbc.query("SELECT * FROM orders WHERE id = ?", id)) {
        return rs.next() ? Optional.of(map(rs)) : Optional.empty();
    }
}''',
    '''SELECT c.name, COUNT(o.id) AS orders, SUM(o.total) AS revenue
FROM customers c
JOIN orders o ON o.customer_id = c.id
WHERE o.created_at >= DATE '2026-01-01'
GROUP BY c.name
ORDER BY revenue DESC
LIMIT 20;''',
    '''#!/usr/bin/env bash
set -euo pipefail
for f in logs/*.log; do
  gzip -9 "$f"
done
echo "compressed $(ls logs/*.gz | wc -l) files"''',
    '''apiVersion: apps/v1
kind: Deployment
metadata:
  name: orders-api
spec:
  replicas: 3
  template:
    spec:
      containers:
        - name: app
          image: registry.example.com/orders-api:1.4.2
          ports:
            - containerPort: 8080''',
    '''const res = await fetch(`/api/orders/${id}`, { headers: { Accept: "application/json" } });
if (!res.ok) throw new Error(`HTTP ${res.status}`);
const order = await res.json();
console.log(order.status);''',
    '''# System prompt for the summariser (kept in the repo for review)
SYSTEM = "You are a helpful assistant that summarises support tickets in three bullet points."''',
    '''messages = [
    {"role": "system", "content": "You summarise invoices."},
    {"role": "user", "content": invoice_text},
]
reply = client.chat(messages)''',
    '''func (s *Server) Health(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"status": "ok"})
}''',
    '''<dependency>
  <groupId>com.fasterxml.jackson.core</groupId>
  <artifactId>jackson-databind</artifactId>
  <version>2.21.3</version>
</dependency>''',
    '''git log --oneline -5
{c1} Fix rounding of VAT on credit notes
{c2} Add retry to the carrier webhook
{c3} Bump jackson to 2.21.3''',
    '''try:
    resp = requests.post(url, json=payload, timeout=5)
    resp.raise_for_status()
except requests.HTTPError as e:
    log.warning("carrier API failed: %s", e)''',
    '''CREATE TABLE tickets (
  id BIGSERIAL PRIMARY KEY,
  subject TEXT NOT NULL,
  status VARCHAR(16) NOT NULL DEFAULT 'open',
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);''',
    '''@Test
void ignoresPreviousStateAfterReset() {
    cart.add(item);
    cart.reset();
    assertThat(cart.items()).isEmpty();
}''',
    '''# Install
curl -sSL https://downloads.example.com/cli/install.sh -o install.sh
less install.sh   # read it first
sh install.sh''',
    '''docker run --rm -p 8080:8080 -e SPRING_PROFILES_ACTIVE=dev registry.example.com/orders-api:latest''',
    '''import re2
pattern = re2.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")
print(bool(pattern.match(value)))''',
    '''while read -r line; do
  echo "$line" | jq -r '.status'
done < orders.ndjson''',
]


def code_text(it):
    snippet = rng.choice(CODE)
    if "{c1}" in snippet:
        snippet = snippet.replace("{c1}", hexid(7)).replace("{c2}", hexid(7)).replace("{c3}", hexid(7))
    r = rng.random()
    if r < 0.05:
        snippet += '\n\n# TODO remove before commit\nGITHUB_TOKEN = "' + it.pii("secret.github_token",
                                                                             github_token()) + '"'
    elif r < 0.09:
        snippet += "\n\n[default]\naws_access_key_id = " + it.pii("secret.aws_access_key", aws_key()) \
                   + "\nregion = eu-central-1"
    elif r < 0.12:
        snippet += '\n\nSLACK_BOT_TOKEN="' + it.pii("secret.slack_token", slack_token()) + '"'
    elif r < 0.30:
        snippet += "\n\n# commit " + hexid(40) + ", build " + uuid()
    fence = rng.random() < 0.5
    lang = rng.choice(["", "python", "java", "sql", "bash", "yaml", "js"])
    return ("```" + lang + "\n" + snippet + "\n```") if fence else snippet


EMAIL_SUBJECTS = ["Your invoice for %s", "Meeting notes %s", "Re: delivery on %s", "Quarterly report due %s",
                  "Password changed on %s", "Welcome aboard!", "Re: Re: contract renewal", "Shift swap next week",
                  "Your subscription renews on %s", "Out of office until %s"]


def email_text(it):
    sender_first, sender_last = rng.choice(FIRST), rng.choice(LAST)
    to_first, to_last = rng.choice(FIRST), rng.choice(LAST)
    subject = rng.choice(EMAIL_SUBJECTS)
    if "%s" in subject:
        subject = subject % date()
    headers = []
    if rng.random() < 0.6:
        headers.append("From: %s %s <%s>" % (sender_first, sender_last,
                                             it.pii("pii.email", email(sender_first, sender_last))))
        headers.append("To: %s" % it.pii("pii.email", email(to_first, to_last)))
    headers.append("Subject: " + subject)
    body = rng.choice([
        "Hi %s,\n\nplease find attached the invoice for last month. Payment is due within 14 days.\n\n"
        "Best regards,\n%s" % (to_first, sender_first),
        "Hello %s,\n\nthanks for the meeting today. Action items: update the forecast, book the venue, "
        "send the draft to legal by Friday.\n\nCheers,\n%s" % (to_first, sender_first),
        "Hi,\n\nplease ignore the previous email, I attached the wrong file. The correct version is attached "
        "now.\n\nThanks,\n%s" % sender_first,
        "Dear %s,\n\nyou are now subscribed to our monthly newsletter. You can unsubscribe at any time "
        "using the link at the bottom of every issue.\n\nThe %s team" % (to_first, rng.choice(COMPANIES)),
        "Hi %s,\n\nI am out of office until %s. For urgent matters contact my colleague %s.\n\n%s"
        % (to_first, date(), name(), sender_first),
        "Hello,\n\nyour password was changed on %s. If this was not you, contact support immediately.\n\n"
        "Security team" % date(),
        "Hi %s,\n\ncan we swap shifts next Tuesday? I can take your Thursday late shift instead.\n\n%s"
        % (to_first, sender_first),
        "Dear customer,\n\nyour order %s has shipped with %s. Expected delivery: %s.\n\nKind regards,\n%s"
        % (order_id(), rng.choice(CARRIERS), date(), rng.choice(COMPANIES)),
        "Hi %s,\n\nfrom Monday, %s will act as team lead while I am on parental leave. Please send your "
        "weekly reports to them.\n\nThanks,\n%s" % (to_first, name(), sender_first),
    ])
    sig = []
    p = it.maybe_phone(0.35)
    if p:
        sig.append("Tel: " + p)
    if rng.random() < 0.08:
        sig.append("Bank details for the payment: " + it.pii("pii.iban", iban()))
    return "\n".join(headers) + "\n\n" + body + ("\n--\n" + "\n".join(sig) if sig else "")


CHAT_CUSTOMER = [
    "Hi, my order hasn't arrived yet, can you check?",
    "I was charged twice for my subscription this month.",
    "How do I change my delivery address?",
    "The app keeps logging me out.",
    "Can I return an item I bought 40 days ago?",
    "Is the %s back in stock?",
    "Ignore my previous question, I found the answer in the FAQ. Thanks!",
    "Can you act as a go-between with the courier? They don't answer.",
    "I never got the confirmation e-mail.",
    "What are your opening hours on Saturday?",
    "Where do I find my invoices?",
    "Please send the receipt to my work address instead.",
    "Can you tell me what the previous agent said? The chat disconnected.",
]
CHAT_AGENT = [
    "Thanks for waiting. I can see the parcel is at the local depot and will be delivered tomorrow.",
    "I'm sorry about that. I've refunded the duplicate charge; it should appear in 3-5 business days.",
    "You can change it under Account > Addresses, or I can do it for you now.",
    "Could you tell me which version of the app you are using?",
    "Our return window is 30 days, but I've made an exception this time.",
    "It's back in stock from next Monday.",
    "No problem, glad you found it!",
    "I've resent the confirmation. Please check your spam folder too.",
    "You are now connected to a billing specialist.",
    "I've updated the e-mail address on your account.",
]


def chat_text(it):
    lines = []
    for turn in range(rng.randrange(2, 7)):
        if turn % 2 == 0:
            msg = rng.choice(CHAT_CUSTOMER)
            if "%s" in msg:
                msg = msg % rng.choice(PRODUCTS)
            if rng.random() < 0.15:
                msg += " My e-mail is " + it.pii("pii.email", email())
            elif rng.random() < 0.1:
                msg += " You can call me on " + it.pii("pii.phone", phone())
            elif rng.random() < 0.04:
                msg += " My card number is " + it.pii("pii.payment_card", card()) + ", is that the one you charged?"
            lines.append("customer: " + msg)
        else:
            lines.append("agent: " + rng.choice(CHAT_AGENT))
    if rng.random() < 0.3:
        lines.insert(0, "system: chat started %s, queue %s" % (ts(), rng.choice(["billing", "shipping", "general"])))
    return "\n".join(lines)


LEVELS = ["INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"]
LOG_MESSAGES = [
    "request completed method=GET path=/api/orders/%s status=200 duration_ms=%d",
    "request completed method=POST path=/api/tickets status=201 duration_ms=%d",
    "cache miss key=customer:%s",
    "retrying carrier webhook attempt=%d",
    "connection pool exhausted, waiting for a free connection",
    "scheduled job report-generator finished in %d ms",
    "user logged in user_id=%s",
    "rate limit exceeded for client_id=%s",
    "GC pause %d ms",
    "config reloaded from /etc/app/config.yaml",
    "ignoring previous offset, consumer group rebalanced",
    "system: disk usage at %d%%",
    "new instructions queued for worker %d",
    "tool call %s completed in %d ms",
]


def fill(msg):
    result = msg
    while "%s" in result or "%d" in result:
        si, di = result.find("%s"), result.find("%d")
        if si != -1 and (di == -1 or si < di):
            result = result.replace("%s", rng.choice([str(rng.randrange(1000, 99999)), hexid(12),
                                                      rng.choice(TOOLS)]), 1)
        else:
            result = result.replace("%d", str(rng.randrange(1, 5000)), 1)
    return result.replace("%%", "%")


def log_text(it):
    service = rng.choice(SERVICES)
    lines = []
    for _ in range(rng.randrange(1, 9)):
        lines.append("%s %-5s [%s] %s - %s" % (ts(), rng.choice(LEVELS), rng.choice(["main", "worker-1", "http-nio-3",
                                                                                   "pool-2-thread-4"]),
                                             service, fill(rng.choice(LOG_MESSAGES))))
    r = rng.random()
    if r < 0.06:
        lines.append("%s DEBUG [main] %s - outgoing request Authorization: Bearer %s" % (
            ts(), service, it.pii("secret.jwt", jwt())))
    elif r < 0.12:
        lines.append("%s WARN  [main] %s - notification bounced for %s" % (ts(), service,
                                                                          it.pii("pii.email", email())))
    elif r < 0.16:
        lines.append("%s INFO  [main] %s - trace_id=%s span_id=%s" % (ts(), service, hexid(32), hexid(16)))
    if rng.random() < 0.2:
        lines.append("java.lang.IllegalStateException: order %s is not in state %s\n"
                     "\tat com.example.orders.OrderService.ship(OrderService.java:%d)\n"
                     "\tat com.example.orders.OrderController.post(OrderController.java:%d)"
                     % (order_id(), rng.choice(STATUSES), rng.randrange(20, 400), rng.randrange(20, 200)))
    return "\n".join(lines)


def log_json(it):
    value = {"timestamp": ts(), "level": rng.choice(LEVELS), "service": rng.choice(SERVICES),
             "message": fill(rng.choice(LOG_MESSAGES)), "traceId": hexid(32),
             "http": {"method": rng.choice(["GET", "POST", "PUT", "DELETE"]),
                      "path": "/api/" + rng.choice(["orders", "tickets", "customers", "invoices"]) + "/"
                              + str(rng.randrange(1, 99999)), "status": rng.choice([200, 201, 204, 400, 404, 500])}}
    if rng.random() < 0.15:
        value["user"] = {"email": it.pii("pii.email", email())}
    return value


README = [
    "# orders-api\n\n![build](https://ci.example.com/badges/orders-api/main.svg) "
    "![coverage](https://img.shields.io/badge/coverage-87%25-green)\n\nThe service behind the shop's order "
    "pages. See [the runbook](https://wiki.example.com/runbooks/orders-api) for on-call notes.",
    "## Quick start\n\n1. Copy `config.example.yaml` to `config.yaml`.\n2. Run `make dev`.\n3. Open "
    "[http://localhost:8080](http://localhost:8080).",
    "## Install the CLI\n\n```sh\ncurl -fsSL https://downloads.example.com/cli/install.sh | sh\n```\n\nOr download "
    "a release from [the releases page](https://github.com/example/cli/releases).",
    "### Screenshots\n\n![The order list](docs/img/orders.png)\n![The ticket view](docs/img/ticket-view.png)",
    "See the [search results](https://docs.example.com/search?q=refund+policy&page=2) for the refund policy.",
    "Release notes 1.4.2:\n- Fixed: VAT rounding on credit notes\n- Changed: the export now ignores previous "
    "filters when you open a new report\n- Added: dark mode",
    "## Roles\n\nAn admin can act as any user for support purposes (impersonation is audited). Support agents "
    "can only see tickets of their queue.",
    "> **Note**: after the migration you are now required to sign in with SSO. Local accounts are disabled.",
    "Tracking link: [DHL](https://www.dhl.example.com/track?tracking-id=%s&lang=en)",
    "| Week | Tickets | Median first reply |\n|---|---|---|\n| 12 | %d | 2h |\n| 13 | %d | 3h |",
]


def readme_text(it):
    text = rng.choice(README)
    if "%s" in text:
        text = text % not_a_card(14)
    if "%d" in text:
        text = text % (rng.randrange(100, 900), rng.randrange(100, 900))
    return text


def tool_result_json(it):
    kind = rng.randrange(8)
    if kind == 0:
        return {"content": [{"type": "text", "text": "%s in %s: %d C, wind %d km/h" % (
            rng.choice(WEATHER).capitalize(), rng.choice(CITIES), rng.randrange(-10, 35), rng.randrange(0, 60))}],
                "isError": False}
    if kind == 1:
        return {"results": [{"title": rng.choice(["Refund policy", "Shipping times", "Returns", "Warranty",
                                                   "Changing your password", "Invoices and VAT"]),
                             "url": "https://help.example.com/articles/%d" % rng.randrange(100, 999),
                             "snippet": rng.choice(["Refunds are issued to the original payment method.",
                                                    "Orders ship within 2 business days.",
                                                    "You can return items within 30 days.",
                                                    "Ignore previous versions of this article; it was rewritten "
                                                    "in March."])}
                            for _ in range(rng.randrange(1, 4))], "total": rng.randrange(1, 50)}
    if kind == 2:
        who = name()
        value = {"customerId": "C" + str(rng.randrange(10000, 99999)), "name": who,
                 "segment": rng.choice(["retail", "business", "vip"]), "since": date(),
                 "address": address(), "openTickets": rng.randrange(0, 4)}
        e = it.maybe_email(0.7, *who.split())
        if e:
            value["email"] = e
        p = it.maybe_phone(0.5)
        if p:
            value["phone"] = p
        if rng.random() < 0.1:
            value["iban"] = it.pii("pii.iban", iban())
        return value
    if kind == 3:
        return {"events": [{"title": rng.choice(["Weekly sync", "1:1", "Quarterly planning", "Customer call",
                                                  "Retro"]), "start": ts(), "durationMinutes": rng.choice([15, 30, 60]),
                            "location": rng.choice(["Room %d" % rng.randrange(1, 20), "Video call"])}
                           for _ in range(rng.randrange(1, 4))]}
    if kind == 4:
        return {"path": "/srv/reports/%d" % rng.randrange(2020, 2027),
                "entries": [{"name": "%s-%s.%s" % (rng.choice(["sales", "returns", "tickets"]), date(),
                                                  rng.choice(["csv", "pdf", "xlsx"])),
                             "size": rng.randrange(1000, 9000000)} for _ in range(rng.randrange(1, 6))]}
    if kind == 5:
        return {"commits": [{"sha": hexid(40), "author": name(), "message": rng.choice([
            "Fix flaky test", "Ignore generated files in lint", "Add system: prefix to health log lines",
            "Refactor order mapper", "Bump dependencies"])} for _ in range(rng.randrange(1, 4))]}
    if kind == 6:
        return {"invoices": [{"number": "INV-%d-%04d" % (rng.randrange(2024, 2027), rng.randrange(10000)),
                              "amount": money(), "due": date(), "status": rng.choice(["open", "paid", "overdue"])}
                             for _ in range(rng.randrange(1, 5))]}
    return {"content": [{"type": "text", "text": "Reminder sent to %d recipients." % rng.randrange(1, 40)}],
            "structuredContent": {"sent": rng.randrange(1, 40), "failed": 0, "batchId": uuid()}}


def arguments_json(it):
    tool = rng.choice(TOOLS)
    args = {"tool": tool, "arguments": {}}
    a = args["arguments"]
    if tool == "lookup_order":
        a["orderId"] = order_id()
    elif tool == "create_ticket":
        a["subject"] = rng.choice(TICKET_SUBJECTS)
        a["description"] = rng.choice(["Customer cannot log in.", "Parcel damaged on arrival.",
                                       "Please ignore the duplicate ticket I opened yesterday."])
        e = it.maybe_email(0.4)
        if e:
            a["requesterEmail"] = e
    elif tool == "search_docs":
        a["query"] = rng.choice(["refund policy", "how to reset password", "VAT on credit notes",
                                 "system requirements", "what are the new instructions for returns"])
        a["limit"] = rng.choice([5, 10, 20])
    elif tool == "get_weather":
        a["city"] = rng.choice(CITIES)
    elif tool == "send_reminder":
        a["to"] = it.pii("pii.email", email())
        a["message"] = rng.choice(["Your invoice is due tomorrow.", "Your appointment is at 10:00.",
                                   "Please confirm the delivery slot."])
    elif tool == "schedule_meeting":
        a["title"] = rng.choice(["Sync", "Planning", "Interview"])
        a["start"] = ts()
        a["attendees"] = [it.pii("pii.email", email()) for _ in range(rng.randrange(1, 4))]
    elif tool == "get_customer":
        a["customerId"] = "C" + str(rng.randrange(10000, 99999))
    elif tool == "summarize_thread":
        a["threadId"] = uuid()
        a["style"] = rng.choice(["bullets", "short", "detailed"])
    else:
        a["filter"] = {"status": rng.choice(STATUSES), "from": date()}
    return args


TEXT_KINDS = [("order", order_text, 120), ("ticket", ticket_text, 130), ("code", code_text, 110),
              ("email", email_text, 150), ("chat", chat_text, 150), ("log", log_text, 110),
              ("readme", readme_text, 50)]
JSON_KINDS = [("order-json", order_json, 80), ("ticket-json", ticket_json, 70), ("log-json", log_json, 50),
              ("tool-result", tool_result_json, 140), ("arguments", arguments_json, 90)]


def main():
    out = sys.stdout
    for kind, make, count in TEXT_KINDS + JSON_KINDS:
        for i in range(count):
            it = Item()
            value = make(it)
            row = {"id": "benign-%s-%04d" % (kind, i), "source": "mcp-guard-benign"}
            if isinstance(value, str):
                row["text"] = value
            else:
                row["json"] = value
            row["labels"] = sorted(it.labels)
            out.write(json.dumps(row, ensure_ascii=False, sort_keys=False) + "\n")


if __name__ == "__main__":
    main()
