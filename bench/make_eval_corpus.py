# ruff: noqa: E501  (the corpus texts and questions read best one sentence per line)
"""Writes the evaluation set of bench/bench_quality.py into tests/data/eval/.

    .venv/bin/python bench/make_eval_corpus.py

One invented company, Corallis (smart aquariums), in 24 documents of 11 formats (docx, xlsx,
pptx, pdf, md, html, txt, csv, json, eml, epub), and questions worded the way a customer would
ask them, not the way the documents say it. Each answerable question names the one document
that holds its answer and carries an answer key, a regular expression found in a chat answer
that states the document's fact; the unanswerable ones (document and answer null) have their
answer in none. The files are small and committed; rerun this after changing the texts below.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ragchat_retrieval.testing import Section, Table, build_document

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "eval"

Doc = tuple[str, str, list[Section], Table | None]  # file name, title, sections, table

DOCUMENTS: list[Doc] = [
    (
        "reefline_60_setup_manual.docx",
        "Reefline 60 setup manual",
        [
            (
                "Unpacking",
                [
                    "The Reefline 60 aquarium is made of 6 mm low-iron glass and weighs 18 kg when empty.",
                    "Two people should lift the aquarium out of its box, holding it by the bottom frame, never by the upper rim.",
                ],
            ),
            (
                "Filling",
                [
                    "Fill the aquarium with dechlorinated water up to 2 cm below the rim.",
                    "Let the water stand for 24 hours before you switch on the heater, so the glass and the water reach room temperature together.",
                ],
            ),
            (
                "Cycling",
                [
                    "A new aquarium needs four to six weeks to build up the bacteria of the nitrogen cycle.",
                    "Add the first fish only when ammonia and nitrite both read zero on two tests a week apart.",
                ],
            ),
        ],
        None,
    ),
    (
        "thermacore_heater_guide.pdf",
        "ThermaCore heater guide",
        [
            (
                "Choosing the wattage",
                [
                    "The ThermaCore 100 W model suits aquariums of up to 80 litres.",
                    "For 80 to 200 litres choose the ThermaCore 200 W model.",
                ],
            ),
            (
                "Temperature range",
                ["The thermostat can be set between 18 and 32 degrees Celsius in steps of half a degree."],
            ),
            (
                "Dry-run protection",
                [
                    "When the heater is out of the water for more than 30 seconds it switches itself off and its ring blinks amber.",
                ],
            ),
            ("Service life", ["Replace the heating element every three years, even when it still seems to work."]),
        ],
        None,
    ),
    (
        "flowcell_filter.md",
        "FlowCell canister filter",
        [
            (
                "Performance",
                [
                    "The FlowCell pump moves 600 litres per hour and runs at 28 dB, quieter than a whisper.",
                ],
            ),
            (
                "Sponge care",
                [
                    "Rinse the blue sponge every two weeks in a bucket of old aquarium water.",
                    "Never rinse it under the tap: chlorine kills the beneficial bacteria that live in the sponge.",
                ],
            ),
            (
                "Carbon cartridge",
                ["Swap the activated carbon cartridge once a month; spent carbon releases what it absorbed."],
            ),
        ],
        None,
    ),
    (
        "tidehub_app_guide.html",
        "TideHub controller and Corallis Companion app",
        [
            (
                "Pairing",
                [
                    "TideHub pairs with the Corallis Companion app over Bluetooth and then joins your Wi-Fi.",
                    "TideHub only supports 2.4 GHz Wi-Fi networks; 5 GHz networks are not visible to it.",
                ],
            ),
            (
                "Alerts",
                [
                    "The app sends a push notification when the water temperature drifts more than 2 degrees from the target."
                ],
            ),
            (
                "Lighting schedules",
                [
                    "The sunrise ramp brightens the lights gradually over 30 minutes each morning.",
                    "Schedules are stored on the TideHub itself and keep running for up to 7 days without an internet connection.",
                ],
            ),
        ],
        None,
    ),
    (
        "price_list_2024.xlsx",
        "Price list 2024",
        [],
        (
            ["Product", "SKU", "Price (EUR)", "In stock"],
            [
                ["Reefline 60 aquarium", "RL-60", "429", "yes"],
                ["Reefline 120 aquarium", "RL-120", "689", "yes"],
                ["Nano Pod 20", "NP-20", "149", "yes"],
                ["TideHub controller", "TH-1", "119", "yes"],
                ["ThermaCore 100 W heater", "TC-100", "39", "yes"],
                ["ThermaCore 200 W heater", "TC-200", "54", "no"],
                ["FlowCell filter", "FC-1", "89", "yes"],
                ["Carbon cartridge, pack of 3", "FC-C3", "14", "yes"],
            ],
        ),
    ),
    (
        "spare_parts.csv",
        "Spare parts",
        [],
        (
            ["Part", "Fits", "Part number", "Delivery time"],
            [
                ["Impeller", "FlowCell filter", "FC-IMP-02", "5 working days"],
                ["Glass lid", "Reefline 60", "RL60-LID", "10 working days"],
                ["Suction cups (set of 4)", "ThermaCore heaters", "TC-SC4", "3 working days"],
                ["LED strip", "Reefline 120", "RL-LED-120", "14 working days"],
                ["Power adapter", "TideHub controller", "TH-PSU", "3 working days"],
            ],
        ),
    ),
    (
        "warranty_policy.txt",
        "Corallis warranty policy",
        [
            (
                "Coverage",
                [
                    "Glass aquariums carry a 5-year warranty against leaking silicone seams.",
                    "Electronic devices such as TideHub and the FlowCell pump carry a 2-year warranty; ThermaCore heaters carry 3 years.",
                ],
            ),
            (
                "Making a claim",
                ["To make a claim, send us your order number and a photo of the defect through the support portal."],
            ),
            (
                "Exclusions and transfer",
                [
                    "Damage from salt creep, dropping or misuse is not covered.",
                    "The warranty can be transferred once to a new owner when the aquarium is sold on.",
                ],
            ),
        ],
        None,
    ),
    (
        "shipping_and_returns.md",
        "Shipping and returns",
        [
            (
                "Shipping",
                [
                    "Orders above 150 EUR ship free of charge anywhere in the European Union.",
                    "Standard parcels arrive in 3 to 5 working days; aquariums travel by freight carrier, which calls you to book a delivery slot.",
                ],
            ),
            (
                "Returns",
                [
                    "Unused products can be returned within 30 days in their original packaging.",
                    "Return freight for an aquarium costs 49 EUR; smaller parcels are returned free.",
                    "Corallis does not sell live fish, plants or corals.",
                ],
            ),
        ],
        None,
    ),
    (
        "water_chemistry_handbook.epub",
        "Water chemistry handbook",
        [
            (
                "Freshwater parameters",
                [
                    "Keep freshwater aquariums between pH 6.5 and 7.5.",
                    "Ammonia and nitrite should always read zero, and nitrate should stay below 40 ppm.",
                ],
            ),
            (
                "Marine parameters",
                [
                    "A reef aquarium needs a specific gravity of 1.025 and an alkalinity of 8 to 11 dKH.",
                ],
            ),
            ("Water changes", ["Change 20 percent of the water every week with water at the same temperature."]),
        ],
        None,
    ),
    (
        "fish_compatibility.xlsx",
        "Fish compatibility",
        [],
        (
            ["Species", "Temperament", "Minimum aquarium", "Do not keep with"],
            [
                ["Neon tetra", "peaceful", "40 litres", "large cichlids"],
                ["Betta", "semi-aggressive", "20 litres", "guppies and other long-finned fish"],
                ["Angelfish", "semi-aggressive", "120 litres", "neon tetras"],
                ["Corydoras catfish", "peaceful", "60 litres", "none known"],
                ["Clownfish", "peaceful (marine)", "60 litres", "freshwater species"],
            ],
        ),
    ),
    (
        "employee_onboarding.pptx",
        "Welcome to Corallis",
        [
            (
                "Our story",
                [
                    "Corallis was founded in 2016 in Rotterdam by the marine biologist Ilse Marten.",
                    "Today 140 people work for Corallis.",
                ],
            ),
            (
                "Customer support",
                [
                    "Support is open Monday to Friday from 8:00 to 18:00 CET.",
                    "Internal questions go to the #help-desk Slack channel.",
                ],
            ),
        ],
        None,
    ),
    (
        "sales_deck_2024.pptx",
        "Corallis sales deck 2024",
        [
            ("Reach", ["Corallis products are sold through 420 partner pet stores in 9 countries."]),
            ("Launches", ["The Nano Pod 20 launched in March 2024."]),
            (
                "Classroom Reef",
                ["Schools and universities get a 20 percent education discount through the Classroom Reef programme."],
            ),
        ],
        None,
    ),
    (
        "heater_recall_notice.eml",
        "Voluntary recall: ThermaCore 200 W batch TC2-2309",
        [
            (
                "What happened",
                [
                    "A small number of ThermaCore 200 W heaters with serial numbers starting with TC2-2309 may develop cracks in the glass tube.",
                    "Please unplug these heaters and stop using them.",
                ],
            ),
            (
                "What we do",
                [
                    "We replace every affected heater free of charge. Write to recall@corallis.example with your serial number before 31 December 2024.",
                ],
            ),
        ],
        None,
    ),
    (
        "nano_pod_press_release.html",
        "Corallis launches the Nano Pod 20",
        [
            (
                "The product",
                [
                    "The Nano Pod 20 is a 20-litre aquarium with a built-in filter and a 5 W LED light, designed for dwarf shrimp.",
                    "It ships in packaging made of recycled PET.",
                ],
            ),
            ("Recognition", ["The Nano Pod 20 won the Aquatics Design Prize 2024."]),
        ],
        None,
    ),
    (
        "aquarium_specifications.json",
        "Aquarium specifications",
        [
            ("Reefline 60", ["Outer dimensions 60 x 35 x 40 cm, 6 mm glass, LED 1800 lumen, lighting power 24 W."]),
            ("Reefline 120", ["Outer dimensions 100 x 40 x 50 cm, 10 mm glass, LED 3600 lumen, lighting power 48 W."]),
            ("Nano Pod 20", ["Outer dimensions 30 x 25 x 30 cm, 4 mm glass, LED 400 lumen, lighting power 5 W."]),
        ],
        None,
    ),
    (
        "standpro_cabinet_assembly.docx",
        "StandPro cabinet assembly",
        [
            (
                "Before you start",
                [
                    "The floor under a filled aquarium must carry at least 250 kg per square metre.",
                    "Assembly takes about 90 minutes; the 4 mm hex key you need is in the box.",
                ],
            ),
            (
                "Placement",
                [
                    "Level the cabinet to within 2 mm with the adjustable feet.",
                    "Leave 10 cm between the cabinet and the wall for hoses and cables.",
                ],
            ),
        ],
        None,
    ),
    (
        "maintenance_schedule.xlsx",
        "Maintenance schedule",
        [],
        (
            ["Task", "How often", "Time needed"],
            [
                ["Clean the front glass with the magnet cleaner", "twice a week", "5 minutes"],
                ["Trim the live plants", "every three weeks", "20 minutes"],
                ["Check for TideHub firmware updates", "monthly", "2 minutes"],
                ["Replace the LED strips (their light output drops by 20 percent)", "every five years", "15 minutes"],
            ],
        ),
    ),
    (
        "electrical_safety.pdf",
        "Electrical safety notices",
        [
            (
                "Installation",
                [
                    "Plug every device into a socket protected by a 30 mA residual current device.",
                    "Form a drip loop in every cable so water cannot run along it into the socket.",
                    "Do not place the aquarium next to a radiator or in direct sunlight.",
                ],
            ),
            (
                "Disposal",
                ["Hand in old electronic devices at a municipal WEEE collection point, never with household waste."],
            ),
        ],
        None,
    ),
    (
        "corallis_care_plans.md",
        "Corallis Care subscription plans",
        [
            (
                "Plans",
                [
                    "Basic costs 4.99 EUR per month and delivers a fresh carbon cartridge every month.",
                    "Plus costs 9.99 EUR per month and adds water test strips and priority support.",
                    "Pro costs 19.99 EUR per month and adds a technician visit at your home every quarter, in the Netherlands and Belgium.",
                ],
            ),
            ("Cancelling", ["You can cancel any plan with 14 days notice."]),
        ],
        None,
    ),
    (
        "privacy_policy.txt",
        "Corallis app privacy policy",
        [
            ("What we collect", ["The Companion app collects your e-mail address and your aquarium telemetry."]),
            (
                "Where and how long",
                [
                    "All data is stored in a data centre in Frankfurt, Germany.",
                    "We keep your data for 24 months after your last login and never sell it.",
                ],
            ),
            (
                "Deleting your account",
                [
                    "Delete your account under Settings in the app; your data is erased within 30 days.",
                    "Questions go to our data protection officer at privacy@corallis.example.",
                ],
            ),
        ],
        None,
    ),
    (
        "troubleshooting_faq.csv",
        "Troubleshooting FAQ",
        [],
        (
            ["Question", "Answer"],
            [
                [
                    "Why is my water cloudy after setting up?",
                    "A bacterial bloom; it clears by itself within 3 to 5 days.",
                ],
                ["Why is the TideHub LED blinking red?", "TideHub has lost its Wi-Fi connection; check your router."],
                ["Why is the heater light off?", "The heater has reached its target temperature and is resting."],
                ["Why does the filter rattle?", "Air or dirt in the impeller housing; clean the impeller."],
                ["How do I stop green algae on the glass?", "Reduce the lighting period to 8 hours a day."],
            ],
        ),
    ),
    (
        "tidehub_firmware_notes.md",
        "TideHub firmware release notes",
        [
            (
                "Version 3.2 (May 2024)",
                ["Adds CO2 dosing schedules and fixes the time zone bug after daylight saving changes."],
            ),
            ("Version 3.1 (January 2024)", ["Adds moonlight mode, a dim blue light for the night."]),
            ("Version 3.0", ["Adds Matter support for smart home systems."]),
            (
                "Updating",
                ["Updates are installed from the app and take about 4 minutes; do not unplug TideHub meanwhile."],
            ),
        ],
        None,
    ),
    (
        "community_newsletter.eml",
        "Corallis community newsletter: autumn 2024",
        [
            (
                "Aquascaping contest",
                [
                    "Send photos of your aquascape before 15 September 2024.",
                    "The winner receives a voucher worth 500 EUR.",
                ],
            ),
            ("Meetup", ["Our community meetup takes place on 12 October in Utrecht."]),
        ],
        None,
    ),
    (
        "shrimp_care_guide.docx",
        "Shrimp care in the Nano Pod",
        [
            ("Water", ["Cherry shrimp thrive between 20 and 26 degrees Celsius at a general hardness of 6 to 8 GH."]),
            ("Feeding", ["Feed cherry shrimp every other day, only as much as they finish in two hours."]),
            ("Dangers", ["Copper is toxic to shrimp: check plant fertilisers and medicines for it."]),
        ],
        None,
    ),
]

# (question, the document holding the answer or None when no document does, and the answer key:
# a regular expression that re.search finds, case-insensitively, in an answer exactly when it
# states the document's fact; None for the unanswerable questions). For a yes/no question the key
# is the reason or figure the document gives, since a bare yes or no would match wrong answers too.
# fmt: off
QUESTIONS: list[tuple[str, str | None, str | None]] = [
    ("How heavy is the 60 litre tank before any water goes in?", "reefline_60_setup_manual.docx", r"\b(18|eighteen)\s*(kg|kilo)"),
    ("How long must I wait before putting the first fish into a brand-new tank?", "reefline_60_setup_manual.docx", r"\b(4|four)\s*(to|[-\u2013]|and)\s*(6|six)\s*weeks?"),
    ("Up to what level should I pour water into the Reefline 60?", "reefline_60_setup_manual.docx", r"\b(2|two)\s*(cm|centimet)"),
    ("Which heater wattage fits a 150 litre aquarium?", "thermacore_heater_guide.pdf", r"\b200[\s-]*(w\b|watt)|tc-?200"),
    ("What does the heater do if it is accidentally left out of the water?", "thermacore_heater_guide.pdf", r"\b(switch|turn|shut|power)\w*\s+(itself\s+)?(off|down)|amber"),
    ("After how many years should the heater be replaced?", "thermacore_heater_guide.pdf", r"\b(3|three)\b(?![\s-]*(months?|weeks?|days?|hours?))"),  # "The answer is 3." is right
    ("How noisy is the canister pump?", "flowcell_filter.md", r"\b(28|twenty[\s-]?eight)\s*(db|decibel)"),
    # no: the reason (chlorine) or the alternative the document gives
    ("Is it fine to wash the filter foam under running tap water?", "flowcell_filter.md", r"chlorin|\b(old|used) (aquarium |tank )?water"),
    ("How often should the carbon in the filter be replaced?", "flowcell_filter.md", r"\b(once (a|per|every)|every|each)\s+month\b|\bmonthly"),
    # no: 2.4 GHz only
    ("Can the controller join a 5 GHz wireless network?", "tidehub_app_guide.html", r"\b2[.,]4(?!\d)"),
    ("How long does the morning sunrise effect of the lights last?", "tidehub_app_guide.html", r"\b(30|thirty)[\s-]*min|half an hour"),
    # yes: up to 7 days offline
    ("Will my light timers keep working if my internet goes down?", "tidehub_app_guide.html", r"\b(7|seven)[\s-]*days?|\b(a|one)[\s-]week"),
    ("When will the app warn me about the water getting too warm or too cold?", "tidehub_app_guide.html", r"\b(2|two)\s*(°|º|degree|c\b)"),
    ("What does the larger Reefline model cost?", "price_list_2024.xlsx", r"\b689\b"),
    # 14 EUR, also as 14.00, but not 14.99
    ("How much do I pay for three carbon refills?", "price_list_2024.xlsx", r"\b(14|fourteen)\b(?![.,]\d*[1-9])"),
    # no: not in stock
    ("Is the 200 watt heater available to order right now?", "price_list_2024.xlsx", r"out of stock|sold out|unavailable|(not|n't|no longer)\s+(\w+\s+)?(in stock|available)"),
    ("What is the order code of the replacement impeller?", "spare_parts.csv", r"fc[\s-]?imp[\s-]?02"),
    ("How long does delivery of a new cover for the 60 litre tank take?", "spare_parts.csv", r"\b(10|ten)\s+(working\s+|business\s+)?days?"),
    ("I lost the adapter that powers my controller; which part do I order?", "spare_parts.csv", r"th[\s-]?psu"),
    # yes: seams carry a 5-year warranty
    ("My tank's silicone joint started leaking after four years. Is that covered?", "warranty_policy.txt", r"\b(5|five)[\s-]*years?"),
    # yes: transferable once (a bare 'once' would match 'once sold, it ends')
    ("Does the warranty still apply after I sell my aquarium to someone else?", "warranty_policy.txt", r"\b(can|may) be transferred|\bis transferable|transfer\w*\s+once|once to (a|the) new owner|one time"),
    # both: the order number and a photo of the defect
    ("What do I have to send in to file a guarantee claim?", "warranty_policy.txt", r"(?s)(?=.*order\s+(number|no|id|#))(?=.*(photo|picture|image))"),
    # yes: free above 150 EUR
    ("Is delivery free when I spend 200 euros?", "shipping_and_returns.md", r"\b150\b"),
    ("How many days do I have to send back something I haven't used?", "shipping_and_returns.md", r"\b(30|thirty)[\s-]*days?"),
    ("What will it cost me to send an aquarium back?", "shipping_and_returns.md", r"\b(49|forty[\s-]?nine)\b"),
    # no: Corallis does not sell live animals or corals
    ("Can I buy live corals from Corallis?", "shipping_and_returns.md", r"(not|n't)\s+(\w+\s+)?(sell|offer|stock|carry|buy)|\bno live"),
    ("What salinity should a reef tank be kept at?", "water_chemistry_handbook.epub", r"1[.,]025"),
    ("What share of the water should be swapped out weekly?", "water_chemistry_handbook.epub", r"\b(20|twenty)\s*(%|percent|per[\s-]cent)|\b(a|one)[\s-]fifth"),
    ("What is the highest acceptable nitrate concentration?", "water_chemistry_handbook.epub", r"\b(40|forty)\s*(ppm|mg|parts)"),
    ("Which acidity range suits a freshwater tank?", "water_chemistry_handbook.epub", r"6[.,]5\s*(to|[-\u2013]|and)\s*7[.,]5"),
    # no: the reason (long-finned fish) or a plain 'should not be kept with'
    ("Can a betta share a tank with guppies?", "fish_compatibility.xlsx", r"long[\s-]*finn|(not|n't|never)\s+(\w+\s+){0,2}(keep|kept|share|house|mix|recommend|advis|compatible|suitable)"),
    ("What is the smallest tank size for angelfish?", "fish_compatibility.xlsx", r"\b120[\s-]*(l\b|lit)"),
    # yes: the fact is the question's own word, so only a negated 'peaceful' is refused
    ("Are corydoras peaceful fish?", "fish_compatibility.xlsx", r"(?<!not )(?<!n't )peaceful"),
    ("Who started the company?", "employee_onboarding.pptx", r"\bmarten\b"),
    ("In which city was Corallis established?", "employee_onboarding.pptx", r"rotterdam"),
    ("At what times can customers reach the support team?", "employee_onboarding.pptx", r"\b0?8([:.]00)?\s*(a\.?m\.?)?\s*(to|[-\u2013]|and|until)\s*(18\b|6([:.]00)?\s*p\.?m)"),
    ("How many people are employed at Corallis?", "employee_onboarding.pptx", r"\b140\b"),
    ("In how many shops can I find Corallis products?", "sales_deck_2024.pptx", r"\b420\b"),
    # yes: 20 percent through Classroom Reef
    ("Do schools get a lower price?", "sales_deck_2024.pptx", r"\b(20|twenty)\s*(%|percent|per[\s-]cent)|classroom reef"),
    ("When did the Nano Pod come out?", "sales_deck_2024.pptx", r"march,?\s+(of\s+)?2024"),
    # the batch, TC2-2309
    ("Which heater units are being called back?", "heater_recall_notice.eml", r"2309"),
    ("Until what date can I get a faulty heater exchanged?", "heater_recall_notice.eml", r"\b31(st)?\s+(of\s+)?dec|\bdec\w*\.?\s+31\b|12-31|31[./]12\b"),
    ("What animals is the 20 litre tank intended for?", "nano_pod_press_release.html", r"shrimp"),
    # yes: the Aquatics Design Prize 2024
    ("Has the Nano Pod received any prize?", "nano_pod_press_release.html", r"aquatics?\s+design"),
    ("How thick is the glass of the Reefline 120?", "aquarium_specifications.json", r"\b(10|ten)\s*(mm|millimet)"),
    # 60 x 35 x 40 cm in any order or wording ('60 cm wide, 35 cm deep')
    ("What are the outer measurements of the Reefline 60?", "aquarium_specifications.json", r"(?s)(?=.*\b35\b)(?=.*\b40\b)(?=.*\b60\b)"),
    ("How many watts do the lights of the biggest tank draw?", "aquarium_specifications.json", r"\b(48|forty[\s-]?eight)\s*(w\b|watt)"),
    ("How much space should I leave behind the stand?", "standpro_cabinet_assembly.docx", r"\b(10|ten)\s*(cm|centimet)"),
    # a 4 mm hex key; another size of hex key is refused
    ("Which tool is included for putting the cabinet together?", "standpro_cabinet_assembly.docx", r"\b(4|four)[\s-]*(mm|millimet)|(?<!mm )\b(hex|allen)"),
    ("What load must my floor be able to bear?", "standpro_cabinet_assembly.docx", r"\b250\s*(kg|kilo)"),
    ("How often should I prune the aquarium plants?", "maintenance_schedule.xlsx", r"\b(3|three)[\s-]*weeks?"),
    # every five years, or: when their output has dropped by 20 percent
    ("When do the light strips need to be swapped?", "maintenance_schedule.xlsx", r"\b(5|five)[\s-]*years?|\b(20|twenty)\s*(%|percent|per[\s-]cent)"),
    ("How often should I wipe the front pane?", "maintenance_schedule.xlsx", r"(twice|two times|\b2\s*(x|times))\s*(a |per |each |every )?week"),
    ("What kind of earth leakage breaker should protect the sockets?", "electrical_safety.pdf", r"\b(30|thirty)\s*(ma\b|milliamp)"),
    ("How should I get rid of an old broken controller?", "electrical_safety.pdf", r"weee|collection point|(electronic|e-)\s*waste|recycling (cent|point|facilit)"),
    # no: not next to a radiator
    ("Can I put my aquarium beside the radiator?", "electrical_safety.pdf", r"(not|n't|never)\s+(\w+\s+){0,2}(place|put|position|set|install|recommend|advis|suitable)|\bavoid|away from (the |a |any )?radiator"),
    ("Which subscription includes a technician coming to my home?", "corallis_care_plans.md", r"\bpro\b"),
    ("How much notice do I need to give to stop my subscription?", "corallis_care_plans.md", r"\b(14|fourteen)[\s-]*days?|\b(2|two)[\s-]*weeks?"),
    ("How much is the cheapest care plan per month?", "corallis_care_plans.md", r"\b4[.,]99"),
    ("In which country are my tank readings stored?", "privacy_policy.txt", r"german|frankfurt"),
    ("How long do you hold on to my data after I stop using the app?", "privacy_policy.txt", r"\b(24|twenty[\s-]?four)[\s-]*months?|\b(2|two)[\s-]*years?"),
    ("How fast is my information wiped once I close my account?", "privacy_policy.txt", r"\b(30|thirty)[\s-]*days?"),
    ("My water went milky a few days after I filled the tank. What is going on?", "troubleshooting_faq.csv", r"bacteri\w*\s+bloom"),
    ("The controller light keeps flashing red. What does it mean?", "troubleshooting_faq.csv", r"wi[\s-]?fi|wlan|wireless"),
    ("How many hours per day should the lamps be on to fight algae?", "troubleshooting_faq.csv", r"\b(8|eight)[\s-]*(hours?|h\b|hrs?)"),
    # version 3.1 (January 2024)
    ("Which firmware release brought the night-time lunar lighting?", "tidehub_firmware_notes.md", r"(?<![\d.])3\.1(?!\d)|january"),
    # yes: since version 3.0; 'not compatible with Matter' is refused
    ("Does TideHub work with the Matter smart-home standard?", "tidehub_firmware_notes.md", r"(?<![\d.])3\.0(?!\d)|(?<!not )(supports|adds|added|compatible with|works with) (the )?matter"),
    ("How long does installing a controller update take?", "tidehub_firmware_notes.md", r"\b(4|four)\s*min"),
    ("What can the winner of the aquascape competition get?", "community_newsletter.eml", r"\b500\b|five hundred"),
    ("Where will the autumn community gathering be held?", "community_newsletter.eml", r"utrecht"),
    ("Which metal is poisonous for shrimp?", "shrimp_care_guide.docx", r"copper"),
    ("How often should cherry shrimp be fed?", "shrimp_care_guide.docx", r"every (other|second) day|every (2|two) days|alternate days"),
    # Answered by no document.
    ("Can I pay for my order with PayPal?", None, None),
    ("Is there a Corallis shop in Tokyo?", None, None),
    ("What is the annual salary of the Corallis chief executive?", None, None),
    ("Does the Reefline come with a black frame option?", None, None),
    ("Can TideHub be controlled by voice through Alexa?", None, None),
    ("What is the stock exchange ticker of Corallis?", None, None),
    ("How many calories are in the fish flakes?", None, None),
    ("Who won the football world cup in 2022?", None, None),
]
# fmt: on


def write_eval_set(out: Path, documents: list[Doc], questions: list[tuple[str, str | None, str | None]]) -> None:
    """Writes out/corpus/* and out/questions.json, after checking every question against its keys."""
    corpus = out / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    for stale in corpus.iterdir():
        stale.unlink()
    for name, title, sections, table in documents:
        fmt = name.rsplit(".", 1)[1]
        (corpus / name).write_bytes(build_document(fmt, title, sections, table))
        words = sum(len(p.split()) for _, paragraphs in sections for p in paragraphs)
        print(f"{name}: {len(sections)} sections, {words} words")
    names = {d[0] for d in documents}
    assert all(doc is None or doc in names for _, doc, _ in questions), "a question names an unknown document"
    assert all((doc is None) == (answer is None) for _, doc, answer in questions), (
        "an answerable question lacks an answer key, or an unanswerable one has one"
    )
    for _, _, answer in questions:
        if answer is not None:
            # re.error on a broken key; a key must not find its fact in the chat's empty_response
            assert not re.search(answer, "Sorry! No relevant content was found in the knowledge base!", re.IGNORECASE)
    (out / "questions.json").write_text(
        json.dumps([{"question": q, "document": d, "answer": a} for q, d, a in questions], indent=1) + "\n"
    )
    answerable = sum(d is not None for _, d, _ in questions)
    print(
        f"{len(documents)} documents, {answerable} answerable and {len(questions) - answerable} unanswerable questions"
    )


def main() -> None:
    write_eval_set(OUT, DOCUMENTS, QUESTIONS)


if __name__ == "__main__":
    main()
