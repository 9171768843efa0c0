"""Who the demo customers are: countries, names, addresses, phones and emails.
Everything is drawn from a seeded numpy generator, so the same seed gives the
same people. Emails use reserved example domains; phones use fictional ranges
where a country has one (US 555-01xx, FR 01 99 00) and otherwise stay next to
libphonenumber's own example number."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import phonenumbers


@dataclass(frozen=True)
class Country:
    code: str
    share: float
    locales: tuple[tuple[str, float], ...]
    timezones: tuple[tuple[str, float], ...]
    # (city, region, postal code template: 9 = digit, A = letter, literal otherwise)
    cities: tuple[tuple[str, str | None, str], ...]
    streets: tuple[str, ...]
    number_first: bool  # "221 Baker Street" rather than "Hauptstraße 12"


COUNTRIES: tuple[Country, ...] = (
    Country("DE", 0.42, (("de", 0.93), ("en", 0.07)), (("Europe/Berlin", 1.0),),
            (("Berlin", "Berlin", "10999"), ("Hamburg", "Hamburg", "20999"),
             ("München", "Bayern", "80999"), ("Köln", "Nordrhein-Westfalen", "50999"),
             ("Frankfurt am Main", "Hessen", "60999"), ("Leipzig", "Sachsen", "04999"),
             ("Stuttgart", "Baden-Württemberg", "70999"), ("Dresden", "Sachsen", "01999"),
             ("Freiburg im Breisgau", "Baden-Württemberg", "79999"),
             ("Münster", "Nordrhein-Westfalen", "48999")),
            ("Hauptstraße", "Gartenstraße", "Lindenallee", "Bergstraße", "Schillerstraße",
             "Goethestraße", "Bahnhofstraße", "Am Markt", "Rosenweg", "Kastanienallee"), False),
    Country("AT", 0.08, (("de", 1.0),), (("Europe/Vienna", 1.0),),
            (("Wien", "Wien", "1999"), ("Graz", "Steiermark", "8999"),
             ("Linz", "Oberösterreich", "4999"), ("Salzburg", "Salzburg", "5999")),
            ("Mariahilfer Straße", "Landstraßer Hauptstraße", "Herrengasse", "Sporgasse"),
            False),
    Country("NL", 0.10, (("nl", 0.85), ("en", 0.15)), (("Europe/Amsterdam", 1.0),),
            (("Amsterdam", "Noord-Holland", "10999 AA"), ("Utrecht", "Utrecht", "35999 AA"),
             ("Rotterdam", "Zuid-Holland", "30999 AA"), ("Den Haag", "Zuid-Holland", "25999 AA"),
             ("Groningen", "Groningen", "97999 AA")),
            ("Prinsengracht", "Kerkstraat", "Oudegracht", "Molenweg", "Dorpsstraat"), False),
    Country("FR", 0.11, (("fr", 1.0),), (("Europe/Paris", 1.0),),
            (("Paris", "Île-de-France", "750999"), ("Lyon", "Auvergne-Rhône-Alpes", "690999"),
             ("Bordeaux", "Nouvelle-Aquitaine", "330999"), ("Lille", "Hauts-de-France", "590999"),
             ("Nantes", "Pays de la Loire", "440999")),
            ("rue de la République", "avenue Jean Jaurès", "rue Victor Hugo", "rue Pasteur",
             "boulevard Voltaire"), True),
    Country("BE", 0.05, (("fr", 0.45), ("nl", 0.55)), (("Europe/Brussels", 1.0),),
            (("Bruxelles", "Bruxelles-Capitale", "1999"), ("Antwerpen", "Vlaanderen", "2999"),
             ("Gent", "Vlaanderen", "9999"), ("Liège", "Wallonie", "4999")),
            ("Rue Neuve", "Meir", "Veldstraat", "Rue du Marché"), False),
    Country("CH", 0.04, (("de", 0.7), ("fr", 0.3)), (("Europe/Zurich", 1.0),),
            (("Zürich", "ZH", "8999"), ("Bern", "BE", "3999"), ("Genève", "GE", "1299"),
             ("Basel", "BS", "4999")),
            ("Bahnhofstrasse", "Seestrasse", "Rue du Rhône", "Marktgasse"), False),
    Country("GB", 0.08, (("en_GB", 1.0),), (("Europe/London", 1.0),),
            (("London", None, "SW9 9AA"), ("Manchester", None, "M9 9AA"),
             ("Bristol", None, "BS9 9AA"), ("Edinburgh", None, "EH9 9AA"),
             ("Leeds", None, "LS9 9AA")),
            ("High Street", "Station Road", "Church Lane", "Victoria Road", "Mill Lane"), True),
    Country("US", 0.08, (("en", 0.95), ("pt_BR", 0.05)),
            (("America/New_York", 0.45), ("America/Chicago", 0.25), ("America/Denver", 0.1),
             ("America/Los_Angeles", 0.2)),
            (("New York", "NY", "100999"), ("Brooklyn", "NY", "112999"),
             ("Boston", "MA", "021999"), ("Chicago", "IL", "606999"), ("Austin", "TX", "787999"),
             ("Seattle", "WA", "981999"), ("San Francisco", "CA", "941999")),
            ("Main Street", "Oak Avenue", "Maple Drive", "Park Place", "Cedar Lane"), True),
    Country("BR", 0.04, (("pt_BR", 1.0),), (("America/Sao_Paulo", 1.0),),
            (("São Paulo", "SP", "01999-999"), ("Rio de Janeiro", "RJ", "22999-999"),
             ("Belo Horizonte", "MG", "30999-999"), ("Curitiba", "PR", "80999-999")),
            ("Rua Augusta", "Avenida Paulista", "Rua das Flores", "Avenida Atlântica"), False),
)

FIRST_NAMES: dict[str, tuple[str, ...]] = {
    "en": ("Olivia", "Liam", "Emma", "Noah", "Ava", "James", "Sophia", "Benjamin", "Mia",
           "Lucas", "Charlotte", "Henry", "Amelia", "Jack", "Harper", "Daniel", "Grace",
           "Samuel", "Chloe", "Michael", "Ella", "David", "Zoe", "Ethan", "Nora", "Isaac",
           "Hannah", "Owen", "Lily", "Aaron"),
    "de": ("Anna", "Lukas", "Lena", "Leon", "Marie", "Felix", "Sophie", "Jonas", "Laura",
           "Paul", "Julia", "Maximilian", "Katharina", "Tobias", "Johanna", "Florian", "Clara",
           "Moritz", "Lea", "Sebastian", "Hannah", "Jan", "Charlotte", "Niklas", "Emilia",
           "Matthias", "Frieda", "Stefan", "Ida", "Tim"),
    "fr": ("Camille", "Louis", "Léa", "Gabriel", "Chloé", "Hugo", "Manon", "Arthur", "Inès",
           "Jules", "Louise", "Raphaël", "Juliette", "Adam", "Alice", "Nathan", "Élise",
           "Théo", "Margaux", "Antoine", "Sarah", "Mathis", "Zoé", "Paul", "Lucie", "Victor",
           "Anaïs", "Baptiste", "Clémence", "Maxime"),
    "nl": ("Emma", "Daan", "Julia", "Sem", "Tess", "Lucas", "Sophie", "Finn", "Anna", "Levi",
           "Fleur", "Bram", "Sanne", "Thijs", "Lotte", "Jesse", "Eva", "Ruben", "Noor",
           "Lars", "Fenna", "Milan", "Isa", "Stijn", "Roos"),
    "pt_BR": ("Ana", "João", "Maria", "Pedro", "Beatriz", "Lucas", "Juliana", "Gabriel",
              "Larissa", "Rafael", "Camila", "Mateus", "Fernanda", "Gustavo", "Letícia",
              "Thiago", "Mariana", "Felipe", "Bruna", "Rodrigo", "Isabela", "Vinícius",
              "Carolina", "Eduardo", "Luana"),
}
LAST_NAMES: dict[str, tuple[str, ...]] = {
    "en": ("Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson",
           "Taylor", "Clark", "Walker", "Hall", "Allen", "Young", "King", "Wright", "Scott",
           "Green", "Baker", "Adams", "Nelson", "Hill", "Campbell", "Mitchell", "Roberts",
           "Carter", "Evans", "Turner", "Parker", "Collins"),
    "de": ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
           "Schulz", "Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Schröder", "Neumann",
           "Schwarz", "Zimmermann", "Braun", "Krüger", "Hofmann", "Hartmann", "Lange",
           "Werner", "Krause", "Lehmann", "Köhler", "Maier", "Huber", "Kaiser"),
    "fr": ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
           "Leroy", "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David",
           "Bertrand", "Roux", "Vincent", "Fournier", "Morel", "Girard", "André", "Mercier",
           "Dupont", "Lambert", "Bonnet", "François", "Martinez", "Legrand"),
    "nl": ("de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen",
           "Visser", "Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos",
           "Peters", "Hendriks", "van Leeuwen", "Dekker", "Brouwer", "de Wit", "Dijkstra",
           "Smits", "de Graaf", "van der Meer"),
    "pt_BR": ("Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira", "Alves",
              "Pereira", "Lima", "Gomes", "Costa", "Ribeiro", "Martins", "Carvalho",
              "Almeida", "Lopes", "Soares", "Fernandes", "Vieira", "Barbosa", "Rocha", "Dias",
              "Nascimento", "Andrade", "Moreira"),
}
EMAIL_DOMAINS = ("example.com", "example.net", "example.org", "mail.example.com",
                 "post.example.org")
_ASCII = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "é": "e", "è": "e",
                        "ê": "e", "ë": "e", "à": "a", "á": "a", "â": "a", "ã": "a", "ç": "c",
                        "í": "i", "ï": "i", "î": "i", "ó": "o", "ô": "o", "õ": "o", "ú": "u",
                        "É": "e", "Î": "i", " ": "", "'": ""})
# US numbers in the 555-01xx range and French 01 99 00 numbers are reserved for fiction.
_US_AREAS = ("201", "212", "312", "415", "512", "617", "206", "718")


@dataclass
class People:
    """One row per customer, in column form."""

    country: list[str]
    locale: list[str]
    timezone: list[str]
    first_name: list[str]
    last_name: list[str]
    email: list[str]
    phone: list[str | None]
    birthday: list[date | None]
    city: list[str]
    region: list[str | None]
    postal_code: list[str]
    address1: list[str]
    email_marketing: list[bool]  # said yes to marketing email at checkout
    sms_marketing: list[bool]


def _pick(rng: np.random.Generator, options: tuple[tuple[str, float], ...], n: int) -> list[str]:
    names = [name for name, _ in options]
    weights = np.array([w for _, w in options])
    return [names[i] for i in rng.choice(len(names), size=n, p=weights / weights.sum())]


def _postal(template: str, rng: np.random.Generator) -> str:
    out = []
    for ch in template:
        if ch == "9":
            out.append(str(rng.integers(0, 10)))
        elif ch == "A":
            out.append(chr(ord("A") + int(rng.integers(0, 26))))
        else:
            out.append(ch)
    return "".join(out)


def _name_locale(locale: str) -> str:
    return "en" if locale.startswith("en") else locale


def make_phone(region: str, rng: np.random.Generator) -> str:
    for _ in range(20):
        if region == "US":
            area = _US_AREAS[int(rng.integers(0, len(_US_AREAS)))]
            raw = f"+1{area}55501{rng.integers(0, 100):02d}"
        elif region == "FR":
            raw = f"+3319900{rng.integers(0, 10000):04d}"
        else:
            example = phonenumbers.example_number_for_type(
                region, phonenumbers.PhoneNumberType.MOBILE)
            if example is None:  # pragma: no cover - every demo country has one
                raise RuntimeError(f"no example phone number for {region}")
            digits = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
            raw = digits[:-4] + f"{rng.integers(0, 10000):04d}"
        if phonenumbers.is_valid_number(phonenumbers.parse(raw)):
            return raw
    raise RuntimeError(f"no valid demo phone number for {region}")  # pragma: no cover


def make_people(n: int, rng: np.random.Generator, *, today: date) -> People:
    shares = np.array([c.share for c in COUNTRIES])
    country_idx = rng.choice(len(COUNTRIES), size=n, p=shares / shares.sum())
    people = People([], [], [], [], [], [], [], [], [], [], [], [], [], [])
    taken: set[str] = set()
    ages = np.clip(rng.gamma(7.0, 5.2, size=n) + 16, 18, 88).astype(int)
    has_birthday = rng.random(n) < 0.7
    has_phone = rng.random(n) < 0.45
    # About half say yes to marketing email, a third of phone owners to SMS.
    email_yes = rng.random(n) < 0.52
    sms_yes = rng.random(n) < 0.35
    for i in range(n):
        country = COUNTRIES[int(country_idx[i])]
        locale = _pick(rng, country.locales, 1)[0]
        names = _name_locale(locale)
        first = FIRST_NAMES[names][int(rng.integers(0, len(FIRST_NAMES[names])))]
        last = LAST_NAMES[names][int(rng.integers(0, len(LAST_NAMES[names])))]
        city, region, template = country.cities[int(rng.integers(0, len(country.cities)))]
        street = country.streets[int(rng.integers(0, len(country.streets)))]
        number = int(rng.integers(1, 180))
        people.country.append(country.code)
        people.locale.append(locale)
        people.timezone.append(_pick(rng, country.timezones, 1)[0])
        people.first_name.append(first)
        people.last_name.append(last)
        people.email.append(_unique_email(first, last, rng, taken))
        people.phone.append(make_phone(country.code, rng) if has_phone[i] else None)
        people.birthday.append(_birthday(int(ages[i]), rng, today) if has_birthday[i] else None)
        people.city.append(city)
        people.region.append(region)
        people.postal_code.append(_postal(template, rng))
        people.address1.append(f"{number} {street}" if country.number_first
                               else f"{street} {number}")
        people.email_marketing.append(bool(email_yes[i]))
        people.sms_marketing.append(bool(sms_yes[i] and has_phone[i]))
    return people


def _unique_email(first: str, last: str, rng: np.random.Generator, taken: set[str]) -> str:
    local_first = first.lower().translate(_ASCII)
    local_last = last.lower().translate(_ASCII)
    style = int(rng.integers(0, 4))
    base = (f"{local_first}.{local_last}", f"{local_first[0]}{local_last}",
            f"{local_first}{local_last[0]}", f"{local_last}.{local_first}")[style]
    domain = EMAIL_DOMAINS[int(rng.integers(0, len(EMAIL_DOMAINS)))]
    candidate = f"{base}@{domain}"
    suffix = int(rng.integers(2, 99))
    while candidate in taken:
        candidate = f"{base}{suffix}@{domain}"
        suffix += int(rng.integers(1, 40))
    taken.add(candidate)
    return candidate


def _birthday(age: int, rng: np.random.Generator, today: date) -> date:
    return today - timedelta(days=365 * age + int(rng.integers(0, 365)))
