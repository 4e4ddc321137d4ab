import pytest

from scoring.customer import customer_key, extract_customer


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("#MüllerGmbH hat angerufen", "MüllerGmbH"),
        ("Termin bei Kessler Baustoffe GmbH: will Angebot", "Kessler Baustoffe GmbH"),
        ("Hr. Vogt (Leiter SCM) will ein Angebot", "Hr. Vogt"),
        ("Klinikum Süd, Apothekenleitung Fr. Dr. Ebert", "Fr. Dr. Ebert"),
        ("Mr. Tanaka (small consultancy) asked for a quote", "Mr. Tanaka"),
        ("Great mtg w/ Dana @ Fjordline Shipping, signed", "Fjordline Shipping"),
        ("Hollis Manufacturing – €1m working capital line", "Hollis Manufacturing"),
        ("Weber & Söhne KG will Rahmenvertrag", "Weber & Söhne KG"),
    ],
)
def test_customer_names_are_found(text, name):
    assert extract_customer(text) == name


def test_no_name_gives_none():
    assert extract_customer("kurzer Anruf, nichts Neues") is None
    assert customer_key(None) is None


def test_the_same_customer_gets_the_same_key():
    keys = {customer_key(n) for n in ("#MüllerGmbH", "Müller GmbH", "Mueller GmbH & Co. KG", "müller gmbh")}
    assert keys == {"mueller"}
    assert customer_key("Fr. Dr. Ebert") == customer_key("Ebert")
