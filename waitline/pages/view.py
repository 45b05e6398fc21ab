"""How a waitlist looks on its hosted pages: theme colours and share links. Presentation
only; every rule about joining and the line lives in the entries service."""

from dataclasses import dataclass
from urllib.parse import quote, urlencode

DEFAULT_COLOR = "#2748D6"


@dataclass(frozen=True)
class Theme:
    brand: str
    on_brand: str


def theme(color: str | None) -> Theme:
    """The brand colour (already validated as #RRGGBB) and a text colour readable on it:
    black or white, whichever contrasts more (WCAG relative luminance)."""
    brand = color or DEFAULT_COLOR
    channels = [int(brand[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    # Contrast with white is 1.05 / (L + .05), with black (L + .05) / .05; they cross at ~.179.
    return Theme(brand=brand, on_brand="#000000" if luminance > 0.179 else "#FFFFFF")


@dataclass(frozen=True)
class ShareLink:
    label: str
    url: str


def share_links(link: str, message: str, email_label: str) -> list[ShareLink]:
    """Plain links to each network's own share page: no scripts, no trackers."""
    text = f"{message} {link}"
    return [
        ShareLink("X", "https://twitter.com/intent/tweet?" + urlencode({"text": text})),
        ShareLink(
            "LinkedIn",
            "https://www.linkedin.com/sharing/share-offsite/?" + urlencode({"url": link}),
        ),
        ShareLink("WhatsApp", "https://wa.me/?" + urlencode({"text": text})),
        ShareLink(email_label, f"mailto:?subject={quote(message)}&body={quote(text)}"),
    ]
