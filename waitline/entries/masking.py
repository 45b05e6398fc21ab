"""How people appear on the public leaderboard: recognisable to themselves, to no one else."""


def mask_email(email: str) -> str:
    """`bob@gmail.com` -> `b***@g***.com`."""
    local, _, domain = email.rpartition("@")
    labels = domain.split(".")
    tld = labels[-1] if len(labels) > 1 else ""
    masked_domain = f"{domain[:1]}***" + (f".{tld}" if tld else "")
    return f"{local[:1]}***@{masked_domain}"


def display_name(name: str | None) -> str | None:
    """`Ada Lovelace` -> `Ada L.`; a single name stays as it is."""
    parts = (name or "").split()
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    return f"{parts[0]} {parts[-1][0]}."
