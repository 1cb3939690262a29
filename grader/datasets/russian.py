"""Small Russian corpora for hw3_nlp, generated from grammars: deterministic per seed.

Three generators, each ``f(n, seed)`` returning ``n`` examples drawn with ``random.Random(seed)``
(the same ``(n, seed)`` always gives the same list, on every machine):

- :func:`reviews`: one-sentence film and book reviews with negation and intensifiers
  ("фильм совсем не плохой", "мне не понравилась книга"), labelled 1 (positive) or 0. The
  label flips with ``не``, so a bag of words cannot tell "не плохой" from "плохой не": order
  matters.
- :func:`translation_pairs`: Russian sentences about animals and their English translations
  ("рыжая лиса не видит старого волка" → "the red fox does not see the old wolf"). Russian marks
  the object by its case ending and agrees adjectives with nouns; English needs articles and
  "does not"; lengths vary with the optional adjectives, adverb and negation.
- :func:`ner_sentences`: sentences about people, places and organizations, with names
  inflected by case ("Анне Смирновой", "в Нижнем Новгороде"), as tokens with BIO tags
  (``B-PER``, ``I-PER``, ``B-LOC``, ``I-LOC``, ``B-ORG``, ``I-ORG``, ``O``).
"""

import random

# --- reviews -------------------------------------------------------------------------------

# (word, gender): m, f, n.
_REVIEW_NOUNS = [
    ("фильм", "m"),
    ("сюжет", "m"),
    ("сериал", "m"),
    ("финал", "m"),
    ("спектакль", "m"),
    ("книга", "f"),
    ("музыка", "f"),
    ("игра", "f"),
    ("роль", "f"),
    ("режиссура", "f"),
    ("кино", "n"),
    ("шоу", "n"),
    ("начало", "n"),
    ("исполнение", "n"),
]
_THIS = {"m": "этот", "f": "эта", "n": "это"}
# Adjective stems with their masculine, feminine and neuter endings; True = positive.
_ADJECTIVES = [
    ("хорош", ("ий", "ая", "ее"), True),
    ("отличн", ("ый", "ая", "ое"), True),
    ("интересн", ("ый", "ая", "ое"), True),
    ("прекрасн", ("ый", "ая", "ое"), True),
    ("красив", ("ый", "ая", "ое"), True),
    ("плох", ("ой", "ая", "ое"), False),
    ("скучн", ("ый", "ая", "ое"), False),
    ("ужасн", ("ый", "ая", "ое"), False),
    ("слаб", ("ый", "ая", "ое"), False),
    ("глуп", ("ый", "ая", "ое"), False),
]
_GENDER_INDEX = {"m": 0, "f": 1, "n": 2}
# "не очень хороший": these intensifiers follow the negation; "совсем не плохой": these precede.
_AFTER_NEGATION = ["очень", "слишком", "довольно"]
_BEFORE_NEGATION = ["совсем", "вовсе", "абсолютно"]
_OPENERS = ["", "", "", "честно говоря ,", "мне кажется ,", "в целом", "по-моему ,"]
_ENDINGS = [".", ".", "!", "…"]
_LIKED = {"m": "понравился", "f": "понравилась", "n": "понравилось"}


def _review(rng: random.Random) -> tuple[str, int]:
    noun, gender = rng.choice(_REVIEW_NOUNS)
    negated = rng.random() < 0.5
    words = [rng.choice(_OPENERS)]
    if rng.random() < 0.25:  # "мне (не) понравился фильм"
        words += ["мне", "не" if negated else "", _LIKED[gender], noun]
        label = int(not negated)
    else:
        stem, endings, positive = rng.choice(_ADJECTIVES)
        adjective = stem + endings[_GENDER_INDEX[gender]]
        words += [_THIS[gender] if rng.random() < 0.4 else "", noun]
        roll = rng.random()
        if roll < 0.3:
            words += ["не" if negated else "", rng.choice(_AFTER_NEGATION)]
        elif roll < 0.6:
            words += [rng.choice(_BEFORE_NEGATION), "не" if negated else ""]
        else:
            words += ["не" if negated else ""]
        words.append(adjective)
        label = int(positive != negated)
    words.append(rng.choice(_ENDINGS))
    text = " ".join(w for w in words if w)
    # Punctuation sticks to the word before it, as in written Russian.
    text = text.replace(" ,", ",").replace(" .", ".").replace(" !", "!").replace(" …", "…")
    return text[0].upper() + text[1:], label


def reviews(n: int, seed: int) -> list[tuple[str, int]]:
    """``n`` reviews ``(text, label)``: label 1 is positive, 0 negative; about half are negated.

    Example: ``("Честно говоря, этот фильм совсем не плохой!", 1)``.
    """
    rng = random.Random(f"reviews:{seed}")
    return [_review(rng) for _ in range(n)]


# --- translation ---------------------------------------------------------------------------

# English noun: (Russian nominative, accusative (animate), gender).
_ANIMALS = {
    "cat": ("кот", "кота", "m"),
    "dog": ("собака", "собаку", "f"),
    "wolf": ("волк", "волка", "m"),
    "fox": ("лиса", "лису", "f"),
    "bear": ("медведь", "медведя", "m"),
    "bird": ("птица", "птицу", "f"),
    "horse": ("конь", "коня", "m"),
    "cow": ("корова", "корову", "f"),
}
# English adjective: Russian (nominative m, nominative f, accusative m, accusative f).
_COLOURS = {
    "big": ("большой", "большая", "большого", "большую"),
    "small": ("маленький", "маленькая", "маленького", "маленькую"),
    "red": ("рыжий", "рыжая", "рыжего", "рыжую"),
    "old": ("старый", "старая", "старого", "старую"),
    "young": ("молодой", "молодая", "молодого", "молодую"),
    "black": ("чёрный", "чёрная", "чёрного", "чёрную"),
}
# English verb (base form): Russian third person singular.
_VERBS = {
    "see": "видит",
    "love": "любит",
    "feed": "кормит",
    "chase": "догоняет",
    "hear": "слышит",
    "bite": "кусает",
}
_ADVERBS = {"often": "часто", "rarely": "редко", "never": "никогда не"}


def _noun_phrase(rng: random.Random, accusative: bool) -> tuple[list[str], list[str]]:
    english = rng.choice(sorted(_ANIMALS))
    nom, acc, gender = _ANIMALS[english]
    ru, en = [acc if accusative else nom], ["the", english]
    if rng.random() < 0.5:
        adjective = rng.choice(sorted(_COLOURS))
        ru.insert(0, _COLOURS[adjective][2 * accusative + (gender == "f")])
        en.insert(1, adjective)
    return ru, en


def _third_person(verb: str) -> str:
    return verb + ("es" if verb.endswith(("sh", "ch", "s")) else "s")


def _pair(rng: random.Random) -> tuple[str, str]:
    subject_ru, subject_en = _noun_phrase(rng, accusative=False)
    object_ru, object_en = _noun_phrase(rng, accusative=True)
    verb = rng.choice(sorted(_VERBS))
    roll = rng.random()
    if roll < 0.3:  # negation: "не видит" → "does not see"
        verb_ru, verb_en = ["не", _VERBS[verb]], ["does", "not", verb]
    elif roll < 0.55:
        adverb = rng.choice(sorted(_ADVERBS))
        verb_ru = [*_ADVERBS[adverb].split(), _VERBS[verb]]
        verb_en = [adverb, _third_person(verb)]
    else:
        verb_ru, verb_en = [_VERBS[verb]], [_third_person(verb)]
    russian = " ".join([*subject_ru, *verb_ru, *object_ru])
    english = " ".join([*subject_en, *verb_en, *object_en])
    return russian, english


def translation_pairs(n: int, seed: int) -> list[tuple[str, str]]:
    """``n`` pairs ``(russian, english)``, lower case, words separated by single spaces.

    Example: ``("рыжая лиса часто кормит медведя", "the red fox often feeds the bear")``.
    """
    rng = random.Random(f"translation:{seed}")
    return [_pair(rng) for _ in range(n)]


# --- named entities ------------------------------------------------------------------------

# People: (first name forms, surname forms) by case: nominative, genitive, dative, instrumental.
_PEOPLE = [
    (("Иван", "Ивана", "Ивану", "Иваном"), ("Петров", "Петрова", "Петрову", "Петровым")),
    (("Анна", "Анны", "Анне", "Анной"), ("Смирнова", "Смирновой", "Смирновой", "Смирновой")),
    (("Сергей", "Сергея", "Сергею", "Сергеем"), ("Волков", "Волкова", "Волкову", "Волковым")),
    (("Мария", "Марии", "Марии", "Марией"), ("Козлова", "Козловой", "Козловой", "Козловой")),
    (("Олег", "Олега", "Олегу", "Олегом"), ("Лебедев", "Лебедева", "Лебедеву", "Лебедевым")),
    (("Елена", "Елены", "Елене", "Еленой"), ("Новикова", "Новиковой", "Новиковой", "Новиковой")),
    (("Дмитрий", "Дмитрия", "Дмитрию", "Дмитрием"), ("Орлов", "Орлова", "Орлову", "Орловым")),
    (("Ольга", "Ольги", "Ольге", "Ольгой"), ("Морозова", "Морозовой", "Морозовой", "Морозовой")),
]
_CASES = {"nom": 0, "gen": 1, "dat": 2, "ins": 3}
# Places: nominative, prepositional ("в Москве"), accusative ("в Москву").
_PLACES = [
    ("Москва", "Москве", "Москву"),
    ("Казань", "Казани", "Казань"),
    ("Новосибирск", "Новосибирске", "Новосибирск"),
    ("Санкт-Петербург", "Санкт-Петербурге", "Санкт-Петербург"),
    ("Нижний Новгород", "Нижнем Новгороде", "Нижний Новгород"),
    ("Екатеринбург", "Екатеринбурге", "Екатеринбург"),
    ("Ростов-на-Дону", "Ростове-на-Дону", "Ростов-на-Дону"),
]
_PLACE_CASES = {"nom": 0, "prep": 1, "acc": 2}
# Organizations: nominative, prepositional, genitive.
_ORGANIZATIONS = [
    ("Яндекс", "Яндексе", "Яндекса"),
    ("Газпром", "Газпроме", "Газпрома"),
    ("Сбербанк", "Сбербанке", "Сбербанка"),
    ("МГУ", "МГУ", "МГУ"),
    ("Большой театр", "Большом театре", "Большого театра"),
    ("Российская академия наук", "Российской академии наук", "Российской академии наук"),
]
_ORG_CASES = {"nom": 0, "prep": 1, "gen": 2}
# Templates: plain words and slots {PER:case}, {LOC:case}, {ORG:case}. Verbs in the present
# tense, whose form does not depend on the gender of the person (or the organization).
_TEMPLATES = [
    "{PER:nom} работает в {ORG:prep} .",
    "{PER:nom} приезжает в {LOC:acc} завтра .",
    "Сегодня {PER:nom} встречается с {PER:ins} в {LOC:prep} .",
    "{ORG:nom} открывает новый офис в {LOC:prep} .",
    "Письмо {PER:dat} пришло из {ORG:gen} .",
    "У {PER:gen} сегодня день рождения !",
    "В {LOC:prep} сегодня холодно .",
    "Директор {ORG:gen} {PER:nom} выступает в {LOC:prep} .",
    "Поезд в {LOC:acc} ушёл утром .",
    "Сотрудники {ORG:gen} пришли к {PER:dat} .",
    "{PER:nom} звонит {PER:dat} из {ORG:gen} .",
    "Погода сегодня хорошая .",
]


def _entity(rng: random.Random, kind: str, case: str) -> list[str]:
    if kind == "PER":
        first, last = rng.choice(_PEOPLE)
        i = _CASES[case]
        return [first[i], last[i]] if rng.random() < 0.7 else [last[i]]
    if kind == "LOC":
        return rng.choice(_PLACES)[_PLACE_CASES[case]].split()
    return rng.choice(_ORGANIZATIONS)[_ORG_CASES[case]].split()


def _sentence(rng: random.Random) -> tuple[list[str], list[str]]:
    tokens: list[str] = []
    tags: list[str] = []
    for word in rng.choice(_TEMPLATES).split():
        if word.startswith("{"):
            kind, case = word.strip("{}").split(":")
            entity = _entity(rng, kind, case)
            tokens += entity
            tags += [f"B-{kind}"] + [f"I-{kind}"] * (len(entity) - 1)
        else:
            tokens.append(word)
            tags.append("O")
    return tokens, tags


def ner_sentences(n: int, seed: int) -> list[tuple[list[str], list[str]]]:
    """``n`` sentences ``(tokens, tags)``: the tokens as written, one BIO tag per token.

    Example: ``(["Письмо", "Анне", "Смирновой", "пришло", "из", "Яндекса", "."],
    ["O", "B-PER", "I-PER", "O", "O", "B-ORG", "O"])``.
    """
    rng = random.Random(f"ner:{seed}")
    return [_sentence(rng) for _ in range(n)]


NER_TAGS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG"]
