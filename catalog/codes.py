"""Code lists the catalogue validates against: ISO 4217 currencies and UN/ECE Recommendation 20 order
units (the format; the common codes are listed as suggestions)."""

from __future__ import annotations

import re

# ISO 4217 currencies in circulation (funds, precious metals and test codes left out: no price list is
# in them).
CURRENCIES: frozenset[str] = frozenset(
    """
    AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD
    CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP
    GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD
    KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN
    NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP
    SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VED VES
    VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG
    """.split()  # noqa: SIM905 (a code list reads best as a block)
)
DEFAULT_CURRENCY = "EUR"

# UN/ECE Recommendation 20 unit codes: 1 to 3 upper-case letters or digits.
ORDER_UNIT_PATTERN = re.compile(r"[A-Z0-9]{1,3}")
DEFAULT_ORDER_UNIT = "C62"
# The units a catalogue of parts mostly uses (offered as suggestions in forms).
COMMON_ORDER_UNITS: tuple[tuple[str, str], ...] = (
    ("C62", "one (unit)"),
    ("EA", "each"),
    ("PK", "pack"),
    ("SET", "set"),
    ("PR", "pair"),
    ("MTR", "metre"),
    ("KGM", "kilogram"),
    ("LTR", "litre"),
)
