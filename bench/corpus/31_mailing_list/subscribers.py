"""Mailing-list subscriber management."""
import re

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")


def normalize(email):
    email = email.strip().lower()
    local, _, domain = email.partition("@")
    if domain in ("gmail.com", "googlemail.com"):
        local = local.split("+", 1)[0].replace(".", "")
        domain = "gmail.com"
    return f"{local}@{domain}"


def is_valid(email):
    return bool(_EMAIL.match(email.strip().lower()))


def dedupe(emails):
    """Valid, normalized addresses in first-seen order without duplicates."""
    seen = set()
    result = []
    for raw in emails:
        if not is_valid(raw):
            continue
        email = normalize(raw)
        if email in seen:
            seen.add(email)
            result.append(email)
    return result


def remove(emails, unsubscribed):
    gone = {normalize(e) for e in unsubscribed}
    return [e for e in dedupe(emails) if e not in gone]
