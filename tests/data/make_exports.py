"""Build tests/data/exports/: small files shaped like the exports of other tools.

Run: python tests/data/make_exports.py

Headers follow the public sample files and field lists of each tool (a
Transcend contact sample, request export and cron pull file, a CustomerGauge contact export,
Salesforce and HubSpot contact exports); every value is reserved for
examples: example.com/.org/.net addresses and telephones from +44 7700
900000-900999 and +1 202 555 0100-0199. Each file also carries columns that
only describe a key (opt-in, verified, type, bounce date...), which must not
be taken as key columns. The output is deterministic: a rebuild gives the
same bytes.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import zipfile
from pathlib import Path

import openpyxl

OUT = Path(__file__).resolve().parent / "exports"
NOW = (2024, 1, 1, 0, 0, 0)


def _cells(line: str) -> list[str]:
    return line.split("|")


TRANSCEND_CONTACTS = (
    _cells(
        "CONTACT_ID|FIRST_NAME|LAST_NAME|COMPANY|PERSONAL_EMAIL|WORK_EMAIL|PREFERRED_EMAIL|PHONE|"
        "WORK_PHONE|MOBILE_PHONE|EMAIL_OPT_IN|PHONE_TYPE|EMAIL_VERIFIED_AT|COUNTRY"
    ),
    [
        # a personal and a preferred email (the same address) and a mobile; PHONE is empty
        _cells(
            "C-1001|Ann|Lee|Example Ltd|ann.lee@example.com||Ann.Lee@example.com|||"
            "+44 7700 900101|TRUE|mobile|2024-02-01T10:00:00Z|GB"
        ),
        # three emails, two of them the same; two telephones
        _cells(
            "C-1002|Bob|Stone|Example Inc|bob.stone@example.org|b.stone@example.net|"
            "b.stone@example.net|+1 202 555 0101|+1 (202) 555-0102||FALSE|work||US"
        ),
        # nobody to look for
        _cells("C-1003|Cara|Quinn||||||||FALSE|||GB"),
        # only a work email and a mobile
        _cells(
            "C-1004|Dev|Patel|Example Ltd||dev.patel@example.com||||+44 7700 900102|TRUE|mobile|"
            "2024-02-03T08:15:00Z|GB"
        ),
        # Ann again, under her work address: a duplicate of row 2
        _cells(
            "C-1005|Ann|Lee|Example Ltd||ann.lee@example.com||||+44 7700 900103|TRUE|mobile||GB"
        ),
    ],
)

TRANSCEND_REQUESTS = (
    _cells(
        "Request ID|Created At|Email|Core Identifier|Request Type|Status|Email Verified|"
        "Email Verified At|Data Subject Type|Country"
    ),
    [
        _cells(
            "4f1c2d9e-0001|2024-03-01T09:00:00Z|eve@example.com|eve@example.com|ERASURE|COMPLETED|"
            "TRUE|2024-03-01T09:05:00Z|customer|GB"
        ),
        # the core identifier is another address of the same person
        _cells(
            "4f1c2d9e-0002|2024-03-01T23:30:00-05:00|finn@example.org|finn.old@example.net|"
            "ERASURE|COMPILING|TRUE||customer|US"
        ),
        _cells(
            "4f1c2d9e-0003|2024-03-02T10:00:00Z|gus@example.com|gus@example.com|ACCESS|COMPLETED|"
            "FALSE||customer|GB"
        ),
        # a core identifier that is not an email: not a key, not a problem
        _cells(
            "4f1c2d9e-0004|2024-03-03T11:00:00+01:00|hana@example.net|user-42|ERASURE|COMPILING|"
            "TRUE||employee|GB"
        ),
        _cells(
            "4f1c2d9e-0005|2024-03-04T12:00:00Z||ivo@example.com|ERASURE|COMPILING|FALSE||"
            "customer|GB"
        ),
    ],
)

SALESFORCE_CONTACTS = (
    _cells(
        "Id|AccountId|FirstName|LastName|Email|Phone|MobilePhone|HomePhone|OtherPhone|Fax|"
        "AssistantName|AssistantPhone|HasOptedOutOfEmail|EmailBouncedDate|EmailBouncedReason|"
        "DoNotCall|MailingCity|CreatedDate"
    ),
    [
        _cells(
            "0035g00000AAA01|0015g00000BBB01|Jo|Marsh|jo.marsh@example.com|+1 202 555 0111|"
            "+1 202 555 0112|||+1 202 555 0199|Kim Ray|+1 202 555 0198|false|||false|Springfield|"
            "2023-11-02T10:00:00.000Z"
        ),
        # one number in two columns: one line
        _cells(
            "0035g00000AAA02|0015g00000BBB01|Lars|Berg|lars.berg@example.org||+44 7700 900111|"
            "+447700900111|+44 7700 900112||||true|2024-01-15T08:00:00.000Z|Mailbox full|true|"
            "London|2023-12-01T09:00:00.000Z"
        ),
        _cells(
            "0035g00000AAA03|0015g00000BBB02|Mia|Cole||||+1 202 555 0113|||||false|||false|"
            "Denver|2024-01-05T12:00:00.000Z"
        ),
        _cells(
            "0035g00000AAA04|0015g00000BBB02|Ned|Fox|jo.marsh@example.com||||||||false|||false|"
            "Springfield|2024-02-01T12:00:00.000Z"
        ),
        _cells(
            "0035g00000AAA05|0015g00000BBB03|Ola|Nyberg|ola@example.net||||||||false|||false|Oslo|"
            "2024-02-02T12:00:00.000Z"
        ),
    ],
)

HUBSPOT_CONTACTS = (
    _cells(
        "Record ID|First Name|Last Name|Email|Phone Number|Mobile Phone Number|Email Domain|"
        "Unsubscribed from all email|Last marketing email send date|Phone type|Contact owner|"
        "Lifecycle Stage|Create Date"
    ),
    [
        _cells(
            "101|Pia|Holm|pia@example.com|+44 7700 900121|+44 7700 900122|example.com|false|"
            "2024-02-10 09:00|landline|Sam Owner|customer|2023-10-01 08:00"
        ),
        _cells(
            "102|Quin|Ash|quin@example.org||+1 202 555 0121|example.org|true||mobile|Sam Owner|"
            "lead|2023-10-02 08:00"
        ),
        _cells("103|Rae|Dunn||+1 202 555 0122|||false||landline|Sam Owner|lead|2023-10-03 08:00"),
        # one number in both columns: one line
        _cells(
            "104|Sol|Vik|sol@example.net|+1 202 555 0123|+1 202 555 0123|example.net|false|"
            "2024-02-11 09:00|mobile|Sam Owner|customer|2023-10-04 08:00"
        ),
    ],
)

# CustomerGauge's own contact fields are email and sms_telephone; the workbook has
# number cells for telephones and real date cells, as a spreadsheet program saves them.
CUSTOMERGAUGE_CONTACTS: tuple[list[str], list[list[object]]] = (
    _cells(
        "first_name|last_name|email|sms_telephone|company_name|country|email_opt_out|phone_type|"
        "last_email_sent_date"
    ),
    [
        [
            *_cells("Tia|Berg|tia@example.com"),
            447700900131,
            *_cells("Example Ltd|GB|FALSE|mobile"),
            dt.datetime(2024, 3, 1, 9, 30),
        ],
        [*_cells("Uma|Ross|uma@example.org||Example Inc|US|FALSE|"), None],
        [*_cells("Vic|Lane||+1 202 555 0131|Example Inc|US|TRUE|mobile"), None],
        [
            *_cells("Wes|Kerr|tia@example.com"),
            447700900132,
            *_cells("Example Ltd|GB|FALSE|mobile"),
            dt.datetime(2024, 3, 2),
        ],
    ],
)


# Transcend's cron hand-off (`transcend request cron pull-identifiers`): one line per
# identifier of each open request for this system. Request A has two identifiers (an
# email and a telephone); C has a user id (not sent) beside its email; D is an access
# request (nothing sent); F's email has a typo (invalid, nothing sent); G repeats A's email.
TRANSCEND_PULL = (
    _cells(
        "identifier|type|coreIdentifier|dataSiloId|requestId|nonce|requestCreatedAt|"
        "daysUntilOverdue|action|country"
    ),
    [
        _cells(
            "ann.pull@example.com|email|ann.pull@example.com|silo-cg-01|"
            "7d0c0a3e-000a|nonce-a1|2026-11-20T09:00:00.000Z|13|ERASURE|GB"
        ),
        _cells(
            "+44 7700 900201|phone|ann.pull@example.com|silo-cg-01|"
            "7d0c0a3e-000a|nonce-a2|2026-11-20T09:00:00.000Z|13|ERASURE|GB"
        ),
        _cells(
            "bob.pull@example.org|email|bob.pull@example.org|silo-cg-01|"
            "7d0c0a3e-000b|nonce-b1|2026-11-21T10:30:00.000Z|14|ERASURE|US"
        ),
        _cells(
            "user-8812|userId|cara.pull@example.net|silo-cg-01|"
            "7d0c0a3e-000c|nonce-c1|2026-11-22T08:00:00.000Z|15|ERASURE|GB"
        ),
        _cells(
            "cara.pull@example.net|email|cara.pull@example.net|silo-cg-01|"
            "7d0c0a3e-000c|nonce-c2|2026-11-22T08:00:00.000Z|15|ERASURE|GB"
        ),
        _cells(
            "dev.pull@example.com|email|dev.pull@example.com|silo-cg-01|"
            "7d0c0a3e-000d|nonce-d1|2026-11-23T12:00:00.000Z|16|ACCESS|GB"
        ),
        # not held by CustomerGauge: settled as not_found, handed back exactly as pulled
        _cells(
            "Eve.Pull@Example.com|email|Eve.Pull@Example.com|silo-cg-01|"
            "7d0c0a3e-000e|nonce-e1|2026-11-24T07:45:00.000Z|17|ERASURE|GB"
        ),
        _cells(
            "frank.pull@@example.com|email|frank.pull@@example.com|silo-cg-01|"
            "7d0c0a3e-000f|nonce-f1|2026-11-25T16:20:00.000Z|18|ERASURE|US"
        ),
        # Ann again, in a later request: a duplicate, settled by the line that sent her key
        _cells(
            "ann.pull@example.com|email|ann.pull@example.com|silo-cg-01|"
            "7d0c0a3e-0010|nonce-g1|2026-11-26T11:00:00.000Z|19|ERASURE|GB"
        ),
    ],
)


def _csv(name: str, header: list[str], rows: list[list[str]]) -> None:
    assert all(len(r) == len(header) for r in rows), name
    with (OUT / name).open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(header)
        w.writerows(rows)


def _xlsx(name: str, sheet: str, header: list[str], rows: list[list[object]]) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = sheet
    assert all(len(r) == len(header) for r in rows), name
    ws.append(header)
    for row in rows:
        ws.append(row)
    for cell in ws["I"][1:]:
        cell.number_format = "yyyy-mm-dd hh:mm"
    wb.properties.created = wb.properties.modified = dt.datetime(2024, 1, 1)
    wb.save(OUT / name)
    _freeze_zip(OUT / name)


def _freeze_zip(path: Path) -> None:
    """Rewrite a zip with fixed timestamps so a rebuild gives the same bytes."""
    with zipfile.ZipFile(path) as z:
        items = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    items = [
        (n, re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2024-01-01T00:00:00Z", d))
        for n, d in items
    ]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in items:
            z.writestr(zipfile.ZipInfo(name, date_time=NOW), data, zipfile.ZIP_DEFLATED)


def main() -> None:
    OUT.mkdir(exist_ok=True)
    _csv("transcend_contacts.csv", *TRANSCEND_CONTACTS)
    _csv("transcend_requests.csv", *TRANSCEND_REQUESTS)
    _csv("transcend_pull.csv", *TRANSCEND_PULL)
    _csv("salesforce_contacts.csv", *SALESFORCE_CONTACTS)
    _csv("hubspot_contacts.csv", *HUBSPOT_CONTACTS)
    _xlsx("customergauge_contacts.xlsx", "Contacts", *CUSTOMERGAUGE_CONTACTS)


if __name__ == "__main__":
    main()
