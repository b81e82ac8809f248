"""Generate synthetic, valid monographs for benchmarks: clearly fake medicines.

`generate_monographs(n, directory, seed=0)` writes n files shaped like
content/baclofen.md (every section, major and minor interactions, dosing cards,
side effects in several bands, FAQs, references with DOIs) and about as large
(30-40 KB each). Monograph i is "<Fake stem> NNNN" with slug "<stem>-NNNN",
for example "Fakebababaprofen 0000" / fakebababaprofen-0000. Its words are drawn with a
random generator seeded from (seed, i), so the same arguments always give the
same files, and the vocabulary varies enough between files for search
benchmarks to mean something. Nothing here is medical fact.

Run it as a script:  python bench/generate.py N DIR [--seed S]
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

STEMS = (
    "Fakeprofen",
    "Fakeolol",
    "Fakecillin",
    "Fakezepam",
    "Fakestatin",
    "Fakeprazole",
    "Fakesartan",
    "Fakeoxetine",
    "Fakecycline",
    "Fakemab",
    "Fakelukast",
    "Fakeamine",
)

CLASSES = (
    "Pretend pain reliever",
    "Imaginary muscle relaxant",
    "Mock blood pressure medicine",
    "Sample antibiotic",
    "Placeholder antacid",
    "Made-up sleeping medicine",
    "Invented cholesterol lowerer",
    "Fictional allergy medicine",
)

CONDITIONS = (
    "Imaginary back ache",
    "Pretend knee stiffness",
    "Mock migraine",
    "Sample heartburn",
    "Invented hay fever",
    "Fictional night cramps",
    "Placeholder high blood pressure",
    "Made-up skin rash",
    "Dummy joint swelling",
    "Synthetic cough",
    "Test tummy upset",
    "Fake sleep trouble",
    "Stand-in anxiety",
    "Example gout",
    "Model nerve pain",
    "Trial-only wheeze",
)

BRAND_START = (
    "Zor",
    "Quil",
    "Vex",
    "Mab",
    "Tril",
    "Nox",
    "Pel",
    "Dran",
    "Kiv",
    "Lum",
    "Sor",
    "Brel",
)
BRAND_END = ("ex", "ara", "ovo", "ium", "ix", "enta", "ol", "ast", "ena", "uvo", "id", "yra")

SIDE_EFFECTS = (
    "Headache",
    "Feeling sick (nausea)",
    "Being sick (vomiting)",
    "Dizziness",
    "Sleepiness",
    "Dry mouth",
    "Tiredness",
    "Constipation",
    "Diarrhoea",
    "Stomach ache",
    "Blurred vision",
    "Rash",
    "Itching",
    "Trouble sleeping (insomnia)",
    "Low mood",
    "Muscle aches",
    "Joint pain",
    "Hair thinning",
    "Ringing in the ears (tinnitus)",
    "A fast heartbeat",
    "A slow heartbeat",
    "Swollen ankles",
    "Hot flushes",
    "Sweating a lot",
    "Loss of appetite",
    "Weight gain",
    "Nosebleeds",
    "Bruising easily",
    "Pins and needles",
    "Cold hands and feet",
    "Mouth ulcers",
    "A change in taste",
    "Hiccups",
    "Leg cramps",
    "Shaky hands (tremor)",
    "Strange dreams",
    "Feeling restless",
    "Yellow skin or eyes (jaundice)",
    "Wheezing",
    "A sore throat",
)

GROUPS = (
    ("Opioid painkillers", ("morphine", "oxycodone", "codeine")),
    ("Benzodiazepines", ("diazepam", "lorazepam")),
    ("Blood thinners", ("warfarin", "apixaban")),
    ("Antidepressants", ("sertraline", "amitriptyline")),
    ("Blood pressure medicines", ("ramipril", "amlodipine")),
    ("Water tablets (diuretics)", ("furosemide", "bendroflumethiazide")),
    ("Antifungal medicines", ("fluconazole", "itraconazole")),
    ("Some antibiotics", ("clarithromycin", "erythromycin")),
    ("Epilepsy medicines", ("carbamazepine", "phenytoin")),
    ("Steroid tablets", ("prednisolone", "dexamethasone")),
    ("Antacids", ("calcium carbonate", "magnesium hydroxide")),
    ("Sedating antihistamines", ("chlorphenamine", "promethazine")),
    ("Diabetes medicines", ("metformin", "gliclazide")),
    ("Heart rhythm medicines", ("amiodarone", "digoxin")),
)

EFFECTS = (
    "You may feel far too sleepy",
    "Your breathing may slow down",
    "Your blood pressure may drop and you may fall",
    "The other medicine may build up in your blood",
    "Both medicines may work less well",
    "You may bleed or bruise more easily",
    "Your heartbeat may become uneven",
    "Your blood sugar may go too low",
)

ACTIONS = (
    "Your doctor uses the lowest doses that work and checks you closely.",
    "Take the two medicines at least 2 hours apart.",
    "Your doctor may change the dose of one of them.",
    "Have regular blood tests while you take both.",
    "Avoid this combination unless a specialist agrees to it.",
    "Watch for the signs and tell your doctor straight away.",
)

SUBJECTS = (
    "This medicine",
    "The tablet",
    "Your doctor",
    "Your pharmacist",
    "A nurse",
    "Your care team",
    "The leaflet in the pack",
    "Most people",
    "Some people",
    "Older people",
    "Children",
)

VERBS = (
    "usually helps with",
    "can make a difference to",
    "should be checked for",
    "may slowly ease",
    "is sometimes linked to",
    "can often prevent",
    "needs care with",
    "may change",
    "rarely affects",
    "will talk to you about",
)

OBJECTS = (
    "the stiffness in your muscles",
    "the pain you feel each morning",
    "your sleep at night",
    "how well your kidneys work",
    "the dose you take each day",
    "your blood pressure",
    "the way your liver handles medicines",
    "your mood and energy",
    "your balance when you stand up",
    "the level of sugar in your blood",
    "how you feel after meals",
    "your breathing at night",
    "the risk of a fall",
    "the time it takes to work",
)

ENDINGS = (
    "over the first few weeks",
    "if you take it every day",
    "when the dose goes up",
    "at the start of treatment",
    "in a small number of people",
    "if you also drink alcohol",
    "after a few days",
    "while you are unwell",
    "in hot weather",
    "during a long journey",
)

QUESTIONS = (
    "Can I drink alcohol while taking {name}?",
    "How long does {name} take to work?",
    "Can I take {name} with food?",
    "What should I do if I miss a dose of {name}?",
    "Is {name} safe in pregnancy?",
    "Can children take {name}?",
    "Will {name} make me sleepy?",
    "Can I stop taking {name} suddenly?",
    "Does {name} interact with herbal remedies?",
    "How should I store {name}?",
)

JOURNALS = (
    "Journal of Imaginary Therapeutics",
    "Pretend Pharmacology Review",
    "Annals of Made-up Medicine",
    "Fictional Clinical Trials",
    "Synthetic Drug Safety",
)

SURNAMES = (
    "Example",
    "Sample",
    "Placeholder",
    "Dummy",
    "Mockton",
    "Testwell",
    "Fauxley",
    "Pretendo",
    "Madeup",
    "Notreal",
)


# Three syllables chosen by the index's digits in base 22 make each name's first
# word unique (22**3 = 10,648 names), as real medicine names are: a name query
# then finds one medicine, not a twelfth of the collection.
SYLLABLES = (
    "ba", "de", "ki", "lo", "mu", "na", "po", "ra", "si", "tu", "vo",
    "za", "be", "do", "fi", "ga", "ho", "ju", "le", "mi", "no", "pe",
)  # fmt: skip


def synthetic_name(index: int) -> str:
    """The medicine name of synthetic monograph `index`, e.g. 'Fakebababaprofen 0000'."""
    base = len(SYLLABLES)
    middle = "".join(SYLLABLES[(index // base**place) % base] for place in range(3))
    stem = STEMS[index % len(STEMS)]
    return f"Fake{middle}{stem.removeprefix('Fake')} {index:04d}"


def synthetic_slug(index: int) -> str:
    return synthetic_name(index).lower().replace(" ", "-")


def generate_monographs(n: int, directory: str | Path, seed: int = 0) -> list[Path]:
    """Write n valid synthetic monographs into `directory` (created if needed).

    Returns the paths written, in index order. The same (n, seed) always gives
    byte-identical files.
    """
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(n):
        path = folder / f"{synthetic_slug(index)}.md"
        path.write_text(monograph_text(index, seed), encoding="utf-8")
        paths.append(path)
    return paths


def monograph_text(index: int, seed: int = 0) -> str:
    """The Markdown source of synthetic monograph `index`."""
    return _Writer(index, random.Random(f"{seed}:{index}")).write()


class _Writer:
    def __init__(self, index: int, rng: random.Random):
        self.rng = rng
        self.name = synthetic_name(index)
        self.slug = synthetic_slug(index)
        self.generic = self.name.lower()
        self.index = index
        self.lines: list[str] = []

    # --- small pieces ---------------------------------------------------------

    def sentence(self) -> str:
        r = self.rng
        return f"{r.choice(SUBJECTS)} {r.choice(VERBS)} {r.choice(OBJECTS)} {r.choice(ENDINGS)}."

    def paragraph(self, sentences: int = 6) -> str:
        return " ".join(self.sentence() for _ in range(sentences))

    def prose(self, paragraphs: int) -> None:
        for _ in range(paragraphs):
            self.add(self.paragraph(self.rng.randint(4, 8)))

    def add(self, *blocks: str) -> None:
        for block in blocks:
            self.lines.append(block)
            self.lines.append("")

    def bullets(self, items) -> None:
        self.lines.extend(f"- {item}" for item in items)
        self.lines.append("")

    def quick_answer(self) -> None:
        self.add(f"**Quick answer:** {self.name} is a made-up medicine. {self.sentence()}")

    def brand(self) -> str:
        return self.rng.choice(BRAND_START) + self.rng.choice(BRAND_END)

    # --- the file ---------------------------------------------------------------

    def write(self) -> str:
        r = self.rng
        self.brands = sorted({self.brand() for _ in range(r.randint(2, 4))})
        self.conditions = r.sample(CONDITIONS, r.randint(2, 4))
        self.front_matter()
        self.takeaways()
        self.uses()
        self.before()
        self.interactions()
        self.dosage()
        self.simple_section("Overdose", 3)
        self.simple_section("Stopping", 3)
        self.side_effects()
        self.simple_section("Storage", 3)
        self.contents()
        self.faqs()
        self.references()
        return "\n".join(self.lines).rstrip("\n") + "\n"

    def front_matter(self) -> None:
        r = self.rng
        letters = "ABCDEFGHJKLMNPRSV"
        atc = (
            f"{r.choice(letters)}{r.randint(1, 99):02d}"
            f"{r.choice(letters)}{r.choice(letters)}{r.randint(1, 99):02d}"
        )
        misspelt = self.generic.replace("fake", "faik", 1)
        brands = ", ".join(self.brands)
        conditions = ", ".join(self.conditions)
        self.lines += [
            "---",
            f"slug: {self.slug}",
            f"name: {self.name}",
            f"generic_name: {self.generic}",
            f"atc_code: {atc}",
            f"drug_class: {r.choice(CLASSES)}",
            "prescription_status: prescription only",
            "forms: [Tablet]",
            "routes: [oral]",
            f'strengths: ["{r.choice((5, 10, 20, 25, 50))} mg tablet"]',
            f"brands: [{brands}]",
            f'synonyms: ["{misspelt}", "{self.generic} tablets"]',
            f"conditions: [{conditions}]",
            "safety_warnings:",
            f'  - "**Do not stop {self.name} suddenly.** Lower the dose slowly with your doctor."',
            "version: 1",
            "status: published",
            "last_reviewed: 2026-01-10",
            "next_review: 2027-01-10",
            "authors: [druginfo benchmark generator]",
            "reviewers: [nobody (synthetic text)]",
            "source:",
            f"  - title: {self.name} Summary of Product Characteristics (fictional)",
            "    publisher: Pretend Medicines Agency",
            '    date: "2025"',
            "change_summary: Synthetic monograph for benchmarks.",
            "---",
            "",
        ]

    def takeaways(self) -> None:
        self.add("## Key takeaways")
        self.bullets(
            [f"{self.name} is a made-up medicine for {self.conditions[0].lower()}."]
            + [self.sentence() for _ in range(5)]
        )

    def uses(self) -> None:
        self.add("## What it is and what it is used for")
        self.quick_answer()
        self.prose(3)
        self.add("#### What it is used for")
        self.bullets(f"**{c}:** {self.sentence()}" for c in self.conditions)
        self.add("#### How it works")
        self.prose(3)

    def before(self) -> None:
        self.add("## Before you take it")
        self.quick_answer()
        for heading in (
            "Who should not take it",
            "Warnings and precautions",
            "Pregnancy and breastfeeding",
            "Driving and using machines",
        ):
            self.add(f"### {heading}")
            self.bullets(
                f"**{self.rng.choice(OBJECTS).capitalize()}:** {self.paragraph(3)}"
                for _ in range(4)
            )
            self.prose(1)
        self.add("### Long-term use")
        self.prose(2)

    def interactions(self) -> None:
        r = self.rng
        self.add("## Interactions")
        self.quick_answer()
        self.prose(1)
        groups = r.sample(GROUPS, 10)
        self.add("### Major interactions")
        self.lines += [
            "| Medicine or group | What can happen | What to do |",
            "| --- | --- | --- |",
        ]
        for group, examples in groups[:6]:
            self.lines.append(
                f"| {group} ({', '.join(examples)}) | {r.choice(EFFECTS)}. {self.sentence()} "
                f"| {r.choice(ACTIONS)} |"
            )
        self.lines.append("")
        self.add("### Minor interactions")
        self.bullets(
            f"**{group} ({', '.join(examples)}):** {self.paragraph(2)}"
            for group, examples in groups[6:]
        )
        self.add("### Alcohol")
        self.prose(1)

    def dosage(self) -> None:
        r = self.rng
        self.add("## Dosage")
        self.quick_answer()
        self.prose(1)
        for who in (
            "Adults",
            "Children aged 12 to 17",
            "People over 65",
            "People with kidney problems",
        ):
            start = r.choice((5, 10, 20, 25))
            times = r.choice(("once", "twice", "three times"))
            step = r.randint(3, 14)
            self.add(f"### {who}: tablets")
            self.bullets(
                [
                    f"**Who:** {who}",
                    "**Route:** By mouth",
                    f"**Starting dose:** {start} mg {times} a day",
                    f"**How to increase:** Every {step} days by {start} mg. {self.sentence()}",
                    f"**Usual maintenance dose:** {start * 2}–{start * 4} mg a day",
                    f"**Maximum dose:** {start * 6} mg a day",
                    f"**Notes:** {self.paragraph(3)}",
                ]
            )
        self.add("### Missed dose")
        self.bullets(["**Who:** Anyone taking it", f"**Notes:** {self.paragraph(4)}"])

    def simple_section(self, heading: str, paragraphs: int) -> None:
        self.add(f"## {heading}")
        self.quick_answer()
        self.prose(paragraphs)
        self.bullets(self.sentence() for _ in range(4))

    def side_effects(self) -> None:
        r = self.rng
        self.add("## Side effects")
        self.quick_answer()
        self.prose(2)
        effects = r.sample(SIDE_EFFECTS, 30)
        bands = (("Very common", 3), ("Common", 12), ("Uncommon", 8), ("Rare", 4), ("Not known", 3))
        start = 0
        for band, count in bands:
            self.add(f"### {band}")
            self.bullets(effects[start : start + count])
            start += count
        self.add("### When to get urgent help")
        self.bullets(f"**{r.choice(EFFECTS)}:** {self.sentence()}" for _ in range(3))

    def contents(self) -> None:
        self.add("## Contents and generic availability")
        self.quick_answer()
        self.prose(2)
        self.add("#### Brands")
        self.bullets(f"{brand} (a made-up brand)" for brand in self.brands)

    def faqs(self) -> None:
        self.add("## Frequently asked questions")
        self.quick_answer()
        for question in self.rng.sample(QUESTIONS, 7):
            self.add(f"### {question.format(name=self.name)}")
            self.prose(2)

    def references(self) -> None:
        r = self.rng
        self.add("## References")
        items = [f"Pretend Medicines Agency. {self.name} Summary of Product Characteristics. 2025."]
        for number in range(2, 11):
            authors = ", ".join(
                f"{r.choice(SURNAMES)} {r.choice('ABCDEFGH')}{r.choice('JKLMN')}"
                for _ in range(r.randint(1, 3))
            )
            year = r.randint(1995, 2025)
            items.append(
                f"{authors}. A made-up study of {self.generic} in {r.choice(CONDITIONS).lower()}. "
                f"{r.choice(JOURNALS)}. {year};{r.randint(1, 40)}({r.randint(1, 12)}):"
                f"{r.randint(1, 300)}-{r.randint(301, 600)}. "
                f"doi:10.5555/fake.{self.index:04d}.{number}"
            )
        self.lines.extend(f"{number}. {item}" for number, item in enumerate(items, start=1))
        self.lines.append("")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write N synthetic monographs into DIR.")
    parser.add_argument("n", type=int, help="how many monographs")
    parser.add_argument("directory", type=Path, help="folder to write them into")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    paths = generate_monographs(args.n, args.directory, seed=args.seed)
    print(f"generate: wrote {len(paths)} monographs to {args.directory}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
