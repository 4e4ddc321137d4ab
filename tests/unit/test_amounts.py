import pytest

from scoring.amounts import find_amounts


@pytest.mark.parametrize(
    ("text", "eur"),
    [
        ("ca. 600 Tsd p.a.", 600_000),
        ("Volumen ca. 1,1 Mio € bei uns", 1_100_000),
        ("€1.5k premium", 1_500),
        ("Umsatz 300 €/J", 300),
        ("geschätzt 5 Mio/Jahr", 5_000_000),
        ("40 T€ p.a.", 40_000),
        ("12k per month", 144_000),
        ("$2M ARR", 2_000_000),
        ("3 Mrd", 3e9),
        ("800k", 800_000),
        ("£300k p.a.", 300_000),
        ("1.500.000 EUR", 1_500_000),
        ("budget approved ~1.8M", 1_800_000),
        ("Leasing 2.500 €/Monat", 30_000),
    ],
)
def test_money_figures_are_read_and_annualised(text, eur):
    amounts = find_amounts(text)
    assert amounts and amounts[0].eur_per_year == pytest.approx(eur)


@pytest.mark.parametrize("text", ["420 trucks, 3yr", "KW 23", "seit 8 Jahren", "14 questions", "3m cable", "Q3"])
def test_counts_and_codes_are_not_money(text):
    assert find_amounts(text) == []


def test_offsets_point_at_the_figure():
    text = "Kunde mit ca. 1,2 Mio. Umsatz"
    (a,) = find_amounts(text)
    assert text[a.start : a.end].startswith("1,2 Mio")
