"""The emergency numbers the site gives, for the country in settings.SITE_COUNTRY.

Pages show them as tap-to-call links (`tel:`) next to the urgent-help advice;
the footer of every page repeats the emergency number. One table, so a page and
a printout never give different numbers. The countries are those that
settings.SITE_COUNTRIES accepts.
"""

from __future__ import annotations

import dataclasses

from django.conf import settings
from django.utils.translation import gettext_lazy as _


@dataclasses.dataclass(frozen=True)
class PhoneNumber:
    number: str  # as a reader dials it: "999", "1-800-222-1222"
    tel: str  # for the tel: link: digits, with + and the country code where needed
    name: str  # what the number is: "an ambulance", "NHS 111"


@dataclasses.dataclass(frozen=True)
class EmergencyContacts:
    country: str
    emergency: PhoneNumber  # life in danger: ambulance, fire, police
    advice: PhoneNumber | None  # urgent advice when it is not an emergency


CONTACTS = {
    "GB": EmergencyContacts(
        country="GB",
        emergency=PhoneNumber("999", "999", _("an ambulance")),
        advice=PhoneNumber("111", "111", _("NHS 111 for urgent medical advice")),
    ),
    "US": EmergencyContacts(
        country="US",
        emergency=PhoneNumber("911", "911", _("an ambulance")),
        advice=PhoneNumber("1-800-222-1222", "+18002221222", _("Poison Control")),
    ),
    "EU": EmergencyContacts(
        country="EU",
        emergency=PhoneNumber("112", "112", _("an ambulance")),
        advice=None,
    ),
}


def emergency_contacts() -> EmergencyContacts:
    """The numbers for settings.SITE_COUNTRY (validated by the settings at start-up)."""
    return CONTACTS[settings.SITE_COUNTRY]
