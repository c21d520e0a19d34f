# ruff: noqa: E501  (the corpus texts and questions read best one paragraph per line)
"""Writes the long-document evaluation set of bench/bench_quality.py into bench/data/eval_long/.

    .venv/bin/python bench/make_long_eval_corpus.py
    .venv/bin/python bench/bench_quality.py --eval-dir bench/data/eval_long

The set of tests/data/eval (bench/make_eval_corpus.py) has one chunk per document, so it cannot
tell whether the local model answers better from the single best retrieved chunk or from
several. This one has 4 long documents (2,500-3,500 words, several 512-token chunks each) about
one invented company, Tandrel Cycles (electric cargo bikes), in 4 formats (docx, pdf, md, txt):
an owner's handbook, a workshop service manual, a warranty and care-plan policy and the terms of
a business leasing programme. Like real long documents they repeat their vocabulary from section
to section and hold many facts of the same kind (kilograms, minutes, days, euros, percentages),
so a question's words often occur in several chunks and the chunk beside the right one offers a
wrong figure of the right kind. Every answerable question is answered by one fact in one
section; the questions are spread over each document from its first sections to its last, half
worded the way a customer would ask them, half in the document's own words. Each names its
document and carries an answer key, a regular expression found in a chat answer that states the
fact and not in one that states a neighbouring figure of the same kind; the unanswerable ones
(document and answer null) ask about things near the documents that none of them covers. The
figures are invented, so a model cannot know them from its training. The files are small and
committed; rerun this after changing the texts below.
"""

from __future__ import annotations

from pathlib import Path

from make_eval_corpus import Doc, write_eval_set

OUT = Path(__file__).resolve().parent / "data" / "eval_long"


DOCUMENTS: list[Doc] = [
    (
        "tandrel_haul_owners_handbook.docx",
        "Tandrel Haul owner's handbook",
        [
            (
                "About this handbook",
                [
                    "This handbook belongs to every Tandrel Haul cargo bike of model year 2025: the Haul S, a longtail with a long rear rack, the Haul L, a two-wheeler with a cargo box between the rider and the front wheel, and the Haul Trio, a three-wheeler with a wide box over its two front wheels. Read it completely before your first ride, even if you have ridden a cargo bike before, because the handling, the brakes and the battery of a Haul differ in places from other bikes.",
                    "Keep the handbook with the bike and hand it over when you sell the bike. Sections that apply to one model only say so; everything else applies to all three models. Where this handbook refers to your service point, it means the Tandrel service point that sold you the bike, or any other Tandrel service point if you have moved.",
                    "The frame number of your bike is stamped under the bottom bracket and printed on the key card that came with the keys. You need it to register the bike, to order spare keys and to make any claim, so photograph the key card and keep the photo somewhere safe.",
                    "Tandrel Cycles designs its bikes in Mechelen and assembles them in its own workshop there. If something in this handbook is unclear, ask your service point or write to the customer team through the Tandrel Ride app; questions are normally answered within one working day.",
                ],
            ),
            (
                "Your model at a glance",
                [
                    "The Haul S weighs 31 kg without its battery. It carries a total permitted weight of 200 kg, which means the rider, the luggage, the children and the bike together. Its rear rack takes up to 65 kg, and the small front carrier on the head tube takes up to 10 kg.",
                    "The Haul L weighs 38 kg without its battery and carries a total permitted weight of 250 kg. Its front box carries up to 90 kg of cargo, children included. The rear rack of the Haul L is an ordinary city rack for up to 25 kg, suitable for a pannier bag but not for a child seat.",
                    "The Haul Trio weighs 52 kg without its battery and carries a total permitted weight of 280 kg. Its wide box carries up to 120 kg of cargo. The Trio has no rear rack, but a basket for up to 15 kg can be fitted behind the saddle.",
                    "All three models fit riders from 160 to 195 cm tall. Never exceed the total permitted weight or the load of the box or the rack: the frame, the wheels and the brakes are designed and tested for these figures, and an overloaded bike is slower to stop and harder to steer.",
                ],
            ),
            (
                "Before your first ride",
                [
                    "Your service point has assembled and adjusted the bike, but a few checks are yours. Charge the battery until all five lights on the battery are lit, check the tyre pressure as described in the section on tyres, and set the saddle height so that your leg is almost straight with the heel on the pedal.",
                    "The seat post has a minimum insertion mark. The mark must never be visible above the frame; if you need a higher saddle, ask your service point for a longer seat post.",
                    "A loaded cargo bike steers later and stops later than an ordinary bike. Practise for at least 15 minutes in a quiet place, such as an empty car park, before you ride in traffic, first without cargo and then with a load in the box or on the rack. Practise starting, braking hard, riding slow curves and walking the bike.",
                    "The Haul Trio does not lean into corners like a two-wheeler. Slow down before every curve, keep your body upright and steer with the handlebar rather than with your hips. Riders who are used to two-wheelers need some time to get used to it, and children in the box feel every abrupt movement.",
                ],
            ),
            (
                "Battery and charging",
                [
                    "Every Haul runs on a removable battery, which sits under the box of the Haul L and the Haul Trio and in the down tube of the Haul S. There are two batteries: the Core battery with 545 Wh, which comes with the Haul S, and the Extender battery with 725 Wh, which comes with the Haul L and the Haul Trio and can be fitted to the Haul S as an option. You can charge the battery on the bike, or remove it with the key and charge it indoors.",
                    "The standard charger supplied with the bike delivers 4 A. It charges an empty Core battery in about 4.5 hours and an empty Extender battery in about 6 hours. The optional fast charger delivers 6 A and costs 149 EUR; with it a Core battery is full in about 3 hours. With either charger, the last fifth of the charge takes the longest, because the charger slows down to protect the cells.",
                    "Charge the battery at room temperature, between 10 and 30 degrees Celsius. A battery that comes in from the cold should warm up for an hour before you charge it, and the charger does not start at all with a battery colder than 0 degrees. Unplug the charger when the battery is full, and never cover the charger while it works.",
                    "Partial charges do not harm the battery, so you can top it up whenever it suits you. A lithium-ion battery ages with every full charge cycle, and after some years you will notice the range getting shorter. Your service point can measure the remaining capacity of your battery with its diagnostic tool.",
                ],
            ),
            (
                "Range",
                [
                    "How far you get on one charge depends on the assist level, the load, the wind, the hills, the tyre pressure and the temperature. With its Core battery and an average rider on flat roads, the Haul S reaches up to 110 km in Eco, 75 km in Tour, 55 km in Sport and 40 km in Boost. A Haul S fitted with the optional Extender battery goes about a third further in every level.",
                    "The Haul L and the Haul Trio are heavier and carry more, so even with their Extender battery they reach shorter distances: up to 100 km in Eco on the Haul L and up to 85 km in Eco on the Haul Trio.",
                    "Cold weather reduces the range: below 5 degrees Celsius, expect up to 30 percent less. A full load reduces it by up to 25 percent, and tyres that are 1 bar too soft cost another 10 percent. In winter, keep the battery indoors overnight and fit it just before you ride.",
                    "The display shows the remaining range for the current assist level. The estimate learns from your last rides, so after a change of route or load it needs a few kilometres to settle.",
                ],
            ),
            (
                "Assist levels and the display",
                [
                    "The Drivecell motor supports you in four assist levels: Eco, Tour, Sport and Boost. Change the level with the plus and minus buttons on the left grip. The motor supports you up to 25 km/h; above that speed it stops pushing, and you ride on your own strength like on any bicycle.",
                    "Walk assist helps you push a loaded bike up a ramp or out of a cellar. Hold the minus button for 2 seconds until the display shows a walking figure, then keep holding the button: walk assist moves the bike at up to 6 km/h. It stops as soon as you release the button.",
                    "The display shows the speed, the assist level, the battery charge and the remaining range, and in its menu the trip distance, the total distance and the ride time. It switches itself off after 10 minutes without movement, and the whole system switches off after 30 minutes. Press the power button briefly to wake it.",
                    "In the dark the display dims itself. If you find it too bright or too dim, change its brightness in the Tandrel Ride app.",
                ],
            ),
            (
                "Brakes",
                [
                    "All Haul models have hydraulic disc brakes. The Haul S and the Haul L have a 203 mm rotor at the front and a 180 mm rotor at the rear; the Haul Trio has 180 mm rotors on all three wheels, and its two front brakes work together from the left lever.",
                    "New brake pads need bedding in before they reach their full power. After new pads are fitted, make 20 firm stops from about 20 km/h down to walking pace on a quiet road. Until then, expect longer braking distances.",
                    "The Haul Trio has a parking brake: pull the left lever and push the small lock lever beside it. Always use the parking brake when you park the Trio on a slope or when children climb into or out of the box, and release it before you ride, otherwise the front pads overheat.",
                    "Have your service point check the brake pads every 1,000 km, or sooner if you ride in hills or carry heavy loads every day. A loaded cargo bike needs a much longer braking distance than an empty one, especially in the wet: brake early and with both levers.",
                ],
            ),
            (
                "Carrying children",
                [
                    "Children ride in the box of the Haul L and the Haul Trio, or on the rear rack of the Haul S. Every child must wear a helmet and be buckled in with the belts that come with the seat. Never leave children alone in a parked bike.",
                    "The box of the Haul L has a bench with two three-point belts for two children up to 6 years. Babies ride in the Cocoon infant insert, which clips onto the bench; with the Cocoon, a baby can ride in the box from the age of 9 months. Younger babies must not ride in the box, not even in a car seat.",
                    "The box of the Haul Trio has room for two benches, so it seats up to four children up to 6 years; the Cocoon fits the front bench only. On the Haul S, the rear rack takes either one child seat for a child from 1 to 5 years and up to 22 kg, or the Duo cushion with footrests for two children of 4 years and older.",
                    "The rain cover keeps children dry and warm but catches the wind. In strong side winds, and whenever gusts reach 50 km/h, take the cover off or leave the bike at home. Check that the children can breathe freely and see out through the window.",
                ],
            ),
            (
                "Loading cargo",
                [
                    "The inside of the Haul L box measures 80 by 55 cm, and the Haul Trio box measures 90 by 70 cm. Both boxes have drain holes in the floor, so that rain water runs out, and a lockable lid is available as an accessory.",
                    "Put heavy items low and in the middle of the box, and strap them down with the lashing eyes in the corners. A load that shifts in a curve can tip a two-wheeler over, and the Haul Trio can lift a rear wheel when a heavy load slides to one side.",
                    "On the Haul S, hang heavy bags low on both sides of the rear rack and keep the weight balanced. Never carry a load that sticks out more than 20 cm beyond the sides of the box or the rack, and never carry a load that hides the front light.",
                    "Park a loaded bike on its centre stand on level ground and hold the handlebar while you load and unload it. The stand holds the bike steady with a full box, but not when a child climbs over the side, so help children in and out.",
                ],
            ),
            (
                "Tyres",
                [
                    "Correct tyre pressure keeps the bike stable, protects the rims and increases the range. Check the pressure every week with a pump that has a gauge. The recommended pressure for the Haul S is 3.0 bar in both tyres. The Haul L has a small 20-inch front wheel that needs 2.5 bar and a 26-inch rear wheel that needs 3.5 bar. The Haul Trio needs 2.2 bar in all three tyres.",
                    "All Haul tyres have a puncture protection belt. They usually last between 4,000 and 6,000 km; replace a tyre when the wear dimples in the middle of the tread have disappeared or when the sidewall shows cracks.",
                    "Replacing the rear tyre means taking the rear wheel out of the chain or belt drive, which is a job for your service point. Front tyres can be changed at home if you have the right tools and a pump with a gauge.",
                ],
            ),
            (
                "Lights and visibility",
                [
                    "The front and rear lights run from the main battery and switch on with the light button on the display. The front light gives 70 lux and has a high beam for dark country roads; switch back to the low beam when traffic comes towards you. The Haul L and the Haul Trio also have a brake light at the rear.",
                    "When the battery charge falls to 5 percent, the motor stops supporting you so that enough energy is left for the lights. From that moment the lights keep working for about 2 hours, so you can always ride home safely in the dark.",
                    "Side reflectors on the box and reflective stripes on the tyres make the bike visible from the side. Keep the lights, the reflectors and the sides of the box clean; a muddy reflector reflects almost nothing.",
                ],
            ),
            (
                "Locks and theft protection",
                [
                    "Every Haul has a frame lock on the rear wheel that you close with a key. Two keys and a key card come with the bike; the key card shows the key number. A replacement key costs 18 EUR and takes 10 working days to arrive, so keep the spare key at home and not on the same key ring.",
                    "The frame lock alone stops someone riding away, but not someone lifting the bike into a van. Lock the bike to a fixed object with a plug-in chain of at least 1.1 m that carries the ART-2 label; insurers and the theft cover of the Tandrel Care plans require such a lock.",
                    "Register your bike with its frame number within 14 days of purchase, in the Tandrel Ride app or on tandrel.example/register. Registration links the bike to you, so that a service point or the police can return it to you if it turns up after a theft.",
                    "In the Tandrel Ride app you can switch on the movement alarm: when the parked bike is moved, the app sends a notification to your phone and the bike beeps. The alarm uses the main battery, which loses about 1 percent of its charge per day while the alarm is on.",
                ],
            ),
            (
                "Cleaning and care",
                [
                    "Clean the bike with water, a soft brush and a mild bike cleaner. Never use a pressure washer: the water jet pushes water past the seals of the motor, the bearings and the display connectors. Dry the bike afterwards with a cloth.",
                    "Lubricate the chain every 300 km and after every ride in heavy rain. Wipe off the excess oil, because a dripping chain attracts dirt and wears faster. A Haul L with the optional belt drive needs no lubrication; clean the belt with water only.",
                    "Salt on winter roads attacks the chain, the bolts and the box hinges. After riding on salted roads, rinse the bike with fresh water within 48 hours. Once a month, check the box hinges and the lashing eyes for play and tighten loose screws.",
                    "Clean the battery contacts with a dry cloth when you see dirt on them. Never clean the battery with water, and never open it.",
                ],
            ),
            (
                "Winter and long storage",
                [
                    "If you will not ride the bike for more than a month, remove the battery and store it indoors in a dry room between 0 and 20 degrees Celsius, at a charge of 30 to 60 percent, which is three or four lights on the battery. A full battery, and even more an empty one, ages faster in storage.",
                    "A stored battery slowly discharges itself. Check it and charge it back to 30 to 60 percent every 3 months; a battery left empty for a long time can be damaged beyond repair.",
                    "Store the bike itself in a dry place with the tyres pumped up, and cover the box if the bike stands outdoors. Before the first ride in spring, check the tyre pressure, the brakes and the lights, and charge the battery fully.",
                ],
            ),
            (
                "The Tandrel Ride app",
                [
                    "The Tandrel Ride app connects to your bike over Bluetooth. To pair them, switch on the display, open the app, choose Add bike, and hold the power and plus buttons together for 5 seconds until the display shows a pairing code.",
                    "The app shows your ride statistics, lets you set the display brightness and the movement alarm, and installs firmware updates for the display, the motor and the battery. An update takes about 8 minutes. Start it only when the battery is charged to at least 30 percent, and do not switch off the bike while it runs.",
                    "With a Care Plus or Care Total plan, the app also shows where your bike is, using a GPS module in the battery compartment.",
                ],
            ),
            (
                "Display messages",
                [
                    "When the system detects a fault, the display shows an error code. E-12 means that the speed sensor sends no signal: check that the magnet on the rear wheel is still in place. E-21 means that the battery is too cold or too warm to deliver power; bring it to room temperature. E-33 means that the motor has overheated, usually after a long climb with a heavy load; stop and let it cool for 20 minutes. E-40 means that the parts of the system cannot talk to each other; switch the bike off and on again.",
                    "You can restart the system by holding the power button for 10 seconds. If an error code comes back after a restart, take the bike to your service point and tell them the code. Do not ride with a fault that affects the brakes or the steering.",
                ],
            ),
            (
                "Servicing",
                [
                    "Your bike needs a first service after 300 km or 2 months, whichever comes first: cables settle, spokes lose some tension and bolts need checking once the bike has been ridden. The first service is free at the service point that sold you the bike.",
                    "After the first service, the bike needs a regular service every 2,500 km or every 12 months, whichever comes first. The regular service covers the brakes, the drivetrain, the wheels, the steering and the lights, and a check of the battery and the motor with the diagnostic tool.",
                    "Keep every service invoice. A complete service history makes a warranty claim quicker and raises the price when you sell the bike.",
                ],
            ),
        ],
        None,
    ),
    (
        "tandrel_haul_service_manual.pdf",
        "Tandrel Haul workshop service manual",
        [
            (
                "Scope and safety",
                [
                    "This manual is for trained technicians at Tandrel service points. It covers the Haul S, the Haul L and the Haul Trio of model year 2025, with the Drivecell motor, the Core and Extender batteries and the Tandrel display. Owners find the care they can do themselves in the owner's handbook; everything in this manual is workshop work.",
                    "Before any work on the bike, switch the system off and remove the battery. The Drivecell motor can start turning the chainring when the torque sensor is touched while the system is on, and a turning chainring can cause serious hand injuries.",
                    "Wear safety glasses when you work on the brakes and nitrile gloves when you handle brake oil. Never work on a battery whose housing is cracked, swollen or warm to the touch; follow the section on battery diagnostics instead.",
                ],
            ),
            (
                "Workshop equipment",
                [
                    "A Haul L weighs more than 40 kg with its battery, so use a repair stand rated for at least 60 kg and clamp the bike at the seat post, never at the frame tubes. The Haul Trio does not fit a normal stand; lift it onto a lift table and secure it with the wheel clamps.",
                    "Every service point needs a torque wrench from 2 to 60 Nm, a chain checker, a spoke tension meter, a bleed kit for mineral brake oil, a rotor thickness gauge and the TandrelLink diagnostic dongle with a laptop running the current TandrelLink software.",
                    "Keep a metal container with dry sand outdoors or in a fire-resistant room for damaged batteries, and a class D fire extinguisher near the charging area.",
                ],
            ),
            (
                "Preparing a new bike for delivery",
                [
                    "New bikes arrive from Mechelen on a pallet, with the handlebar turned sideways and the pedals and the box accessories packed separately. Check the pallet for transport damage before you sign the delivery note, and photograph any damage with the frame number visible.",
                    "The pre-delivery inspection follows the checklist in the dealer portal: fit the handlebar and the pedals, tighten every bolt to the torque given in this manual, set the tyre pressures, check the brakes and the gears, and read the bike with TandrelLink to register it to your service point. Charge the battery to at least 80 percent before the handover, so that the owner can ride home without stopping to charge.",
                    "Keep new batteries in stock at a charge of about 50 percent, in a cool room, and recharge them to that level every 4 months. Rotate the stock so that the oldest battery is sold first; the date of manufacture is printed on the label under the handle of the battery.",
                ],
            ),
            (
                "Torque specifications",
                [
                    "Tighten every bolt to the torque given in this section with a torque wrench whose accuracy is checked every year. A bolt that is too loose works itself out, and a bolt that is too tight cracks parts or strips the threads in the aluminium frame. Grease all threads unless this section says otherwise.",
                    "Stem clamp bolts: 6 Nm. Handlebar clamp bolts: 5 Nm. Seat post clamp: 8 Nm. Brake caliper mounting bolts: 7 Nm. Rotor bolts: 4 Nm, with thread lock. Box mounting bolts of the Haul L and the Haul Trio: 10 Nm. Steering rod ends of the Haul L: 9 Nm.",
                    "Drivecell motor mounting bolts: 18 Nm, with thread lock, tightened in a cross pattern. Crank arm bolts: 40 Nm. Pedals: 35 Nm. Rear axle nuts: 30 Nm. Front thru axle of the Haul S and the Haul L: 12 Nm.",
                    "After a motor exchange, check the motor mounting bolts again after the test ride. The bolts of the box and of the steering rod must be checked at every service; a loose steering rod changes the steering of the Haul L in a way the rider may not notice until it is too late.",
                ],
            ),
            (
                "Service intervals and labour times",
                [
                    "The owner's handbook tells owners when their bike is due for its first and its regular service. Tandrel sets a standard labour time for each workshop job: warranty claims are paid on these times, and service points use them to quote prices to owners.",
                    "Standard labour times: the first service takes 45 minutes for every model. The regular service takes 90 minutes for the Haul S and the Haul L, and 120 minutes for the Haul Trio, whose steering and three brakes take longer. Bleeding one brake takes 30 minutes. Replacing a Drivecell motor takes 75 minutes, including zeroing the torque sensor. Replacing the box of a Haul L or a Haul Trio takes 60 minutes.",
                    "The labour times assume a clean bike. If a bike arrives very dirty, add 15 minutes for cleaning and tell the owner before you start.",
                ],
            ),
            (
                "Brake system",
                [
                    "The Haul brakes use mineral oil only. Fill and bleed them with Tandrel Hydro Fluid or another mineral brake oil; DOT brake fluid destroys the seals within weeks, and the brake must then be replaced completely.",
                    "Replace the brake pads when the friction material of either pad is thinner than 1.0 mm, and always replace the pads of a wheel as a pair. New rotors are 2.0 mm thick. The minimum thickness of a rotor is 1.8 mm; replace a rotor when it is worn to that thickness or when it runs out by more than 0.3 mm.",
                    "Bleed the brakes every 2 years, and sooner when the lever feels spongy or touches the grip under hard braking. Bleed the two front brakes of the Haul Trio one after the other and check that they bite at the same moment, otherwise the Trio pulls to one side when braking.",
                    "After every brake job, bed in the pads as the owner's handbook describes and test the brakes with a full box: load the box with sandbags up to its permitted cargo weight and make three emergency stops.",
                ],
            ),
            (
                "Drivetrain",
                [
                    "Haul bikes have either a chain with an internal gear hub or, on the Haul L as an option, a belt drive. Measure chain wear at every service with a chain checker. Replace the chain when it has stretched by 0.5 percent; a worn chain wears out the chainring and the hub sprocket within a few hundred kilometres.",
                    "Set the belt tension with the frequency meter of the TandrelLink software: a correctly tensioned belt sounds at 45 Hz when plucked between the sprockets. Too little tension lets the belt skip under the torque of the Drivecell; too much wears the bearings.",
                    "The internal gear hub runs in an oil bath. Change the hub oil every 10,000 km, or every 3 years if the bike is ridden less. Use only the hub oil of the hub's maker; engine oil foams and damages the shifting mechanism.",
                ],
            ),
            (
                "Drivecell motor",
                [
                    "The Drivecell is a mid motor with a rated power of 250 W and a maximum torque of 85 Nm. It limits its support to 25 km/h. The motor is sealed: never open its housing. A faulty motor is exchanged as a complete unit, and the old motor goes back to Tandrel in the packaging of the new one.",
                    "The motor protects itself against heat. When its internal temperature reaches 90 degrees Celsius, it reduces its support step by step, and when it has to stop altogether the display shows E-33. An owner who reports frequent E-33 messages usually climbs steep hills with a full box in Boost; explain that Tour or Sport gives almost the same help with far less heat.",
                    "Check the motor bearings at every service: take off the chain, turn the chainring by hand and feel for roughness, then push and pull the crank arms sideways. Play in the crank axle or a grinding noise means the motor must be exchanged, under warranty or at the owner's cost.",
                    "After a motor exchange, zero the torque sensor with TandrelLink before the test ride, with the bike in the stand and the crank arms level.",
                ],
            ),
            (
                "Battery diagnostics",
                [
                    "Read the history of the battery with TandrelLink at every service: the number of full charge cycles, the remaining capacity, the highest and lowest temperatures and the voltage of each cell group. Print the report for the owner; it is also needed for any warranty claim on the battery.",
                    "In a healthy pack the voltages of the cell groups differ by no more than 40 mV. If they differ by more, run a balancing charge with TandrelLink, which takes about 5 hours, and measure again. A pack whose cell groups still differ by more than 100 mV after balancing must be replaced.",
                    "A battery that was dropped, crushed or soaked must be inspected within 24 hours. If its housing is damaged, or if it gets warm, smells or hisses, put it outdoors in the metal container with sand at once and call the Tandrel battery line. Damaged batteries travel only as dangerous goods of class 9, with a carrier that Tandrel books; never send one by parcel post.",
                ],
            ),
            (
                "Lights, charger and wiring",
                [
                    "The lights, the display and the motor are fed from the battery through a single wiring harness. If a light fails, first check its connector under the box, then measure the voltage at the connector with the system on: it must be 12 V for both the front and the rear light. A harness with damaged insulation must be replaced, never taped.",
                    "Test a charger that a customer reports as faulty with the charger tester of the TandrelLink kit. A standard charger must deliver 4 A and a fast charger 6 A at the start of a charge. A charger whose fan runs all the time, or whose plug gets warm, is replaced; chargers are never repaired in the workshop.",
                    "Coat every connector you open with a thin layer of contact grease before you close it again. Water that creeps into the connectors of the display and the motor is the most common cause of E-40.",
                ],
            ),
            (
                "Wheels and tyres",
                [
                    "Check the spoke tension at every service. The 20-inch front wheel of the Haul L is small and stiff but carries the box, and its spokes need a tension of 1,200 N. The rear wheels of all models need 1,100 N on the drive side. Uneven tension is the most common cause of broken spokes on cargo bikes.",
                    "Disc brakes do not wear the rims, but cracks around the spoke holes do occur on bikes that are often overloaded. Check every rim for such cracks and replace a cracked rim at once.",
                    "Fit only tyres with an e-bike rating for at least 50 km/h and the load rating of the original tyre. The tyre pressures for each model are listed in the owner's handbook; set them before the test ride.",
                ],
            ),
            (
                "Haul L steering",
                [
                    "The Haul L steers its front wheel through a steering rod that runs under the box from the handlebar to the fork. Check the rod ends for play at every service: hold the front wheel between your knees and turn the handlebar gently back and forth. Play that you can feel in the handlebar means the rod ends must be replaced; they are sold as a pair.",
                    "Adjust the length of the rod so that the front wheel points straight ahead when the handlebar is straight. A handlebar that is a few degrees off makes the bike pull to one side and tires the rider. Tighten the lock nuts of the rod ends after the adjustment and mark them with paint, so that any later turning is visible.",
                    "The headset of the front fork carries most of the load of the box. Grease it at every regular service, and replace it when it feels notchy with the front wheel off the ground; a notchy headset makes the Haul L wobble at low speeds.",
                ],
            ),
            (
                "Haul Trio steering and tilt",
                [
                    "The Haul Trio steers with its whole box, which turns on two kingpins above the front wheels. Grease the kingpin bearings every 5,000 km with a water-resistant grease, and check them for play at every service: hold the box and push it sideways; more than 2 mm of movement at the edge of the box means the bearings must be replaced.",
                    "The box is held by a tilt damper that keeps it from swaying at low speeds. Replace the tilt damper every 20,000 km, or sooner when the box rocks freely after a push. The tilt lock, which holds the box level while the Trio is parked, must engage with an audible click; adjust its cable when it does not.",
                    "After any work on the steering, ride the Trio in a figure of eight at walking pace with a loaded box and check that the steering returns to straight ahead by itself.",
                ],
            ),
            (
                "Firmware and TandrelLink",
                [
                    "Use the TandrelLink dongle to update the firmware of the display, the motor and the battery together. Connect the dongle to the diagnostic port under the display and start the update from the laptop. Flashing takes about 12 minutes. The battery must be charged to at least 40 percent before you start, because an update that stops halfway leaves the motor without working firmware.",
                    "Never disconnect the dongle or switch off the laptop while flashing. If an update is interrupted, start it again at once; the motor keeps a copy of its old firmware and restores it after three failed attempts.",
                    "Firmware versions are numbered by year, month and release, for example 25.04.2. Owners can install the same updates themselves with the Tandrel Ride app, but many do not; check the version in TandrelLink at every service and update the bike when it is not on the current release.",
                ],
            ),
            (
                "Error code reference",
                [
                    "E-12: no signal from the speed sensor. Check that the magnet on the rear rotor is in place and that the gap between magnet and sensor is between 2 and 6 mm. Check the sensor cable for damage where it runs along the chain stay.",
                    "E-21: the battery temperature is outside the range in which the battery may deliver power. Let the battery reach room temperature. If E-21 appears with a battery at room temperature, read its temperature log with TandrelLink; a faulty temperature sensor means the battery must be replaced.",
                    "E-33: the motor has overheated; see the section on the Drivecell motor. E-40: the display, the motor and the battery cannot communicate. Check the connectors at the display, at the motor and in the battery cradle for corrosion and bent pins.",
                    "E-52: the torque sensor has lost its calibration, usually after a hard knock on a crank arm or a failed firmware update. Recalibrate the torque sensor with TandrelLink, with the bike in the stand and no foot on the pedals. If E-52 returns within a week, exchange the motor.",
                ],
            ),
            (
                "Service records",
                [
                    "Record every service and repair in the dealer portal on the day of the work, with the distance shown on the display, the parts used and the labour time. The record is attached to the frame number, so any service point can see the history of a bike, and the owner sees a summary in the Tandrel Ride app.",
                    "Warranty claims for bikes without a recorded regular service in the previous 15 months are checked more closely, because neglected maintenance is the most common reason for rejecting a claim. Tell owners this when they skip a service.",
                ],
            ),
            (
                "Warranty claims by service points",
                [
                    "Submit a warranty claim through the dealer portal within 14 days of the repair. Attach the TandrelLink report, photos of the defect and the frame number. Claims submitted later are not paid.",
                    "Tandrel reimburses warranty labour at 68 EUR per hour, calculated on the standard labour times in this manual, not on the time the job actually took. Parts are supplied free of charge, and Tandrel adds 10 percent of their list price to cover handling. A diagnostic fee of 25 EUR is paid when a fault has been proven to be a warranty case.",
                    "Keep replaced parts for 60 days. Tandrel may ask for them back for analysis and then sends a prepaid label. Batteries are the exception: see the section on battery diagnostics.",
                ],
            ),
            (
                "Handover and test ride",
                [
                    "After every service or repair, ride the bike for at least 2 km, including a full stop from 25 km/h, a stretch with walk assist and a check of every assist level. For the Haul Trio, and after any work on the brakes, do the test ride with a loaded box.",
                    "At the handover, explain to the owner what was done, show the replaced parts and go through the TandrelLink report. The first handover of a new bike takes about half an hour: adjust the saddle and the handlebar to the rider, pair the Tandrel Ride app, explain the assist levels and walk assist and, for the Haul Trio, the parking brake and the tilt lock.",
                ],
            ),
        ],
        None,
    ),
    (
        "tandrel_warranty_and_care_policy.md",
        "Tandrel warranty, returns and Tandrel Care",
        [
            (
                "Who this policy is for",
                [
                    "This policy applies to Tandrel Haul bikes, batteries and accessories bought new from Tandrel Cycles or from a Tandrel service point in the European Union on or after 1 January 2025. It adds to your rights under consumer law and never limits them. Bikes leased through Tandrel Fleet are covered by the fleet service agreement instead.",
                    "The warranty belongs to the bike, not to the buyer. When you sell your Haul, the rest of the warranty passes to the new owner, provided you hand over the proof of purchase.",
                    "Where this policy says we or us, it means Tandrel Cycles in Mechelen, which gives the warranty and runs the Tandrel Care plans; your service point acts on our behalf when it handles a claim.",
                ],
            ),
            (
                "Definitions",
                [
                    "In this policy, delivery means the day the bike is handed to you, by our driver or at a service point; every warranty period starts on that day. A service point is a bike shop that Tandrel has trained and authorised to sell and repair Haul bikes; the list is in the Tandrel Ride app. A wear part is a part that wears with use and has to be replaced from time to time, however good its quality.",
                    "Proof of purchase means the invoice from Tandrel or from the service point, with the frame number on it. A receipt from a private seller is not a proof of purchase, but together with the original invoice it shows that the warranty has passed to you.",
                ],
            ),
            (
                "Your rights under consumer law",
                [
                    "Besides the Tandrel warranty, the seller of a new bike is responsible under consumer law for faults that existed at delivery, for at least 2 years after delivery. You can always choose to rely on these rights instead of on the Tandrel warranty, and a service point may not refuse a repair under consumer law because a Tandrel warranty period has ended.",
                ],
            ),
            (
                "Warranty periods",
                [
                    "Tandrel guarantees the frame and the fork against defects in material and workmanship for 10 years from the date of delivery. The cargo box, the box mounts and the tilt mechanism of the Haul Trio are guaranteed for 5 years.",
                    "The Drivecell motor, the display, the charger, the lights and all cables are guaranteed for 2 years. The paint and the finish of the frame and the box are guaranteed for 3 years against flaking and blistering, but not against scratches or stone chips.",
                    "Parts that are replaced under the warranty are guaranteed for the rest of the warranty period of the part they replace. The warranty periods do not start again after a repair.",
                    "Accessories bought together with the bike, such as the rain cover, the Cocoon infant insert or the lockable lid, carry the warranty of their maker.",
                ],
            ),
            (
                "Battery capacity guarantee",
                [
                    "A battery is a wear part, but Tandrel guarantees its capacity. For 3 years from delivery, or for the first 800 full charge cycles if they come sooner, a Core or Extender battery keeps at least 70 percent of its rated capacity. If it holds less, Tandrel replaces it free of charge.",
                    "Your service point measures the remaining capacity with its diagnostic tool. The measurement is free when it shows a warranty case; otherwise the service point charges its diagnostic fee.",
                    "The guarantee does not cover a battery that was stored empty, charged below 0 degrees Celsius, opened or damaged by a fall. A battery replaced under the guarantee carries the rest of the original guarantee, or 6 months, whichever is longer.",
                ],
            ),
            (
                "What the warranty does not cover",
                [
                    "Wear parts are not covered once they are worn: tyres, inner tubes, brake pads, rotors, the chain, the belt, the sprockets, the grips and the saddle cover. A wear part that fails because of a manufacturing defect within the first 6 months is covered.",
                    "The warranty does not cover damage from accidents and falls, overloading beyond the permitted weights, wrong tyre pressure, pressure washers, or repairs by anyone other than a Tandrel service point. Commercial use, such as deliveries for a business, is covered only under a Tandrel Fleet agreement.",
                    "Normal signs of use are not defects: scratches on the box, faded decals, a creak that disappears with a little grease, or a saddle that has lost its shape.",
                    "Tuning voids the warranty of the motor, the battery and the display: any device or software that makes the motor support you above 25 km/h, or that raises its power, ends the warranty of these parts on the day it is fitted, even if it is removed later. The warranty of the frame stays valid.",
                ],
            ),
            (
                "Spare parts and repairs outside the warranty",
                [
                    "Tandrel keeps spare parts for every Haul model available for 7 years after the model leaves production, and a battery that fits it for at least 5 years. Parts are sold through the service points.",
                    "For a repair that the warranty does not cover, the service point gives you a written quote before it starts. The quote is free. If you decide not to have the repair done, you pay only for the diagnostic measurement, if one was needed.",
                    "Repairs outside the warranty are guaranteed by the service point that made them, parts and labour, for 6 months.",
                ],
            ),
            (
                "How to make a warranty claim",
                [
                    "Report a defect within 60 days of noticing it, through your service point or in the Tandrel Ride app. Include the frame number, the proof of purchase and a description or a photo of the defect.",
                    "The service point inspects the bike and sends the claim to Tandrel. Tandrel decides within 10 working days and tells you the outcome by e-mail. Approved repairs are free of charge, including parts, labour and the capacity measurement of the battery.",
                    "Most warranty repairs are finished within 5 working days of the decision. If a repair under warranty takes longer than 15 working days, Tandrel lends you a bike for the rest of the repair, free of charge.",
                ],
            ),
            (
                "Warranty abroad",
                [
                    "The warranty applies in every country of the European Union, at any Tandrel service point. If you move outside the European Union, the warranty stays valid, but you must bring or send the bike to a service point in the European Union for a repair, at your own cost.",
                    "If the bike breaks down while you are travelling, a local bike shop may make an emergency repair. Keep the invoice: Tandrel refunds the cost of a repair covered by the warranty up to 120 EUR.",
                ],
            ),
            (
                "Transport to the service point",
                [
                    "Bring the Haul S or the Haul L to your service point for a claim. The Haul Trio is too wide for most cars, so Tandrel collects it for a warranty repair: free of charge within 50 km of the service point, and at 0.90 EUR per km for the distance beyond 50 km, counted one way.",
                    "A bike of any model that cannot be ridden because of a defect covered by the warranty is collected on the same terms. Collections are booked by the service point and take place within 3 working days.",
                ],
            ),
            (
                "Returns: the 30-day trial",
                [
                    "You can return a bike bought online within 30 days of delivery for any reason, provided it has been ridden less than 100 km, is undamaged and comes back with both keys, the charger and all accessories. The display shows the distance ridden, and we read it when the bike comes back.",
                    "We refund the purchase price within 14 days of receiving the bike, by the payment method you used. A bike with scratches or other damage is taken back with a deduction for the repair, which we tell you before we make it.",
                    "To return a bike, announce the return in the Tandrel Ride app or by e-mail. We book a carrier, which collects the bike at your door within 5 working days; keep the bike charged and the keys, the charger and the accessories together, ready for collection.",
                    "Accessories bought separately can be returned within 30 days, unused and in their original packaging. Bikes bought in a shop are returned under the return rules of that service point, which may differ from the trial described here.",
                ],
            ),
            (
                "Return shipping",
                [
                    "Returning a Haul S or a Haul L costs 95 EUR, and returning a Haul Trio costs 140 EUR, because it travels on a pallet. Accessories are returned free of charge with the prepaid label in the parcel. The shipping cost is deducted from the refund.",
                ],
            ),
            (
                "Delivery",
                [
                    "Tandrel delivers bikes assembled and ready to ride to your door. Delivery costs 79 EUR per order and is free for orders above 3,500 EUR. Bikes in stock arrive within 7 working days; the Haul Trio, which is built to order, within 6 weeks.",
                    "The driver carries the bike to the ground floor and takes the packaging back. At delivery, check the bike for transport damage and note any damage on the delivery receipt; transport damage reported more than 2 days after delivery is hard to prove.",
                    "We agree a delivery window of 2 hours with you the day before. If nobody is at home at the agreed time, a second delivery costs 49 EUR, or you can collect the bike at the nearest service point free of charge.",
                ],
            ),
            (
                "Tandrel Care plans",
                [
                    "Tandrel Care is a monthly plan that keeps your bike in shape. Care Basic costs 9.50 EUR per month and covers the regular service, labour included, at your service point. Care Plus costs 19.50 EUR per month and adds theft cover with a GPS tracker and roadside assistance. Care Total costs 29.50 EUR per month and adds all wear parts and a replacement bike during repairs.",
                    "Care Basic covers one regular service in every plan year and the labour of small adjustments between services; Care Plus and Care Total include the same service. Parts used in a service are paid separately under Care Basic and Care Plus, while Care Total includes all wear parts, except tyres damaged by vandalism.",
                    "Plans can be taken out for bikes up to 2 years old. A plan follows the bike: when you sell it, the buyer can take over the plan.",
                ],
            ),
            (
                "Roadside assistance",
                [
                    "With Care Plus and Care Total, call the assistance number on your key card when your bike breaks down in Belgium, the Netherlands or Luxembourg. A technician comes to you, on average within 90 minutes, and repairs the bike on the spot if possible. If not, the bike and its cargo are taken to the nearest service point, and you and your children are taken home by taxi.",
                    "Roadside assistance can be called out up to 4 times per plan year. A call-out for a breakdown caused by a defect that is covered by the warranty does not count towards that number.",
                    "Roadside assistance covers punctures, broken chains and breakdowns of the motor or the brakes. It does not cover a flat battery, so plan your rides with the range display.",
                ],
            ),
            (
                "Theft cover",
                [
                    "Care Plus and Care Total cover the theft of the bike. In the first year after purchase, Tandrel pays 100 percent of the purchase price; in the second year 85 percent; from the third year on 65 percent. You pay an excess of 150 EUR per theft.",
                    "The cover applies only if the bike was locked with its frame lock and to a fixed object with a chain lock carrying the ART-2 label, and if you report the theft to the police within 48 hours and to Tandrel within 7 days. Send us the police report and both keys of the frame lock.",
                    "The theft cover does not include the cargo or the contents of the box, accessories bought separately, or a theft from an unlocked space where the bike was not locked to a fixed object. The theft of the battery alone is covered, with the same excess.",
                    "If the bike is found within 4 weeks of the theft, you get it back, repaired at our cost, instead of the payment.",
                ],
            ),
            (
                "Replacement bike",
                [
                    "With Care Total, you get a replacement bike when a repair at the service point takes longer than 2 working days, and at once after a theft. The replacement is a Haul of the same type where possible and is delivered within 1 working day.",
                ],
            ),
            (
                "Loan and replacement bikes",
                [
                    "A loan bike or a replacement bike is insured by Tandrel against theft and damage while you have it, with an excess of 100 EUR. Treat it as your own, lock it as this policy requires, and return it within 2 working days of getting your own bike back.",
                    "Child seats and the Cocoon infant insert are moved from your bike to the loan or replacement bike by the service point, free of charge, so that you can go on carrying your children.",
                ],
            ),
            (
                "Trade-in",
                [
                    "When you buy a new Haul, you can trade in your current Tandrel bike. For a bike up to 4 years old with a complete service history, Tandrel credits 45 percent of its original price; for older bikes, the credit depends on an inspection. Bikes of other brands are accepted for recycling, without credit.",
                    "The credit is deducted from the price of the new Haul and is not paid out in cash. Bring the bike you trade in, with its battery, charger and keys, when you collect the new one.",
                ],
            ),
            (
                "Cancelling a Tandrel Care plan",
                [
                    "You can cancel a Care plan free of charge within 14 days of taking it out. After that, a plan runs for a minimum term of 12 months; once the minimum term is over, you can cancel it at the end of any month with 1 month of notice.",
                    "Tandrel may change the prices of the plans once per plan year, by no more than 5 percent, and tells you 6 weeks before a change. If you do not accept a change, you can cancel the plan on the day the new price applies, even during the minimum term.",
                    "When you sell the bike, the plan passes to the buyer or ends on the day of the sale, as you choose.",
                ],
            ),
            (
                "Recalls and safety notices",
                [
                    "When Tandrel finds a safety problem that affects bikes already sold, it informs every registered owner by e-mail and in the Tandrel Ride app, and publishes a notice on its website. Recall repairs are free of charge, whatever the age of the bike and whether or not it is still under warranty.",
                    "Register your bike, keep your e-mail address up to date in the app and read every safety notice: Tandrel cannot reach the owners of bikes that were never registered.",
                ],
            ),
            (
                "Personal data in claims",
                [
                    "To handle a claim, Tandrel stores your name, your contact details, the frame number and the details of the defect. Claim records are kept for 6 years after the claim is closed, because tax law requires it, and are then deleted. The Tandrel privacy notice explains your rights to see and correct this data.",
                ],
            ),
            (
                "Complaints",
                [
                    "If you are not satisfied with a decision or a repair, write to the customer team in the Tandrel Ride app or by post to Tandrel Cycles, Customer Care, Mechelen. We confirm your complaint within 2 working days and answer it within 15 working days. If you still disagree, you can take the complaint to the consumer mediation body of your country free of charge.",
                    "A complaint about a service point is handled by Tandrel as well: we ask the service point for its side of the story, and if it made a mistake, we make sure it is put right. Service points are bound by this policy when they sell or repair a Haul.",
                ],
            ),
        ],
        None,
    ),
    (
        "tandrel_fleet_service_agreement.txt",
        "Tandrel Fleet service agreement: general terms",
        [
            (
                "Parties and scope",
                [
                    "These general terms apply to every lease of Tandrel Haul bikes by a business, a public body or an association (the customer) from Tandrel Fleet, a division of Tandrel Cycles (Tandrel). They form part of each fleet order, together with the order form, which lists the bikes, the lease term and the monthly fees.",
                    "A fleet consists of at least 5 bikes. The customer may add bikes to a running fleet at any time; added bikes run on the same terms until the end of their own lease term. The bikes remain the property of Tandrel during the lease.",
                ],
            ),
            (
                "Definitions",
                [
                    "In these terms, a bike means a Tandrel Haul bike with its battery, its charger, its keys and the accessories listed in the order form. A rider is a person whom the customer allows to ride a bike. A working day is a day from Monday to Friday that is not a public holiday at the customer's site; working hours are the hours from 8:00 to 18:00 on working days.",
                    "The fleet contact is the person the customer names in the order form to plan services, receive reports and approve charges. The customer may name a deputy, who has the same authority when the fleet contact is absent.",
                ],
            ),
            (
                "Ordering",
                [
                    "An order becomes binding when Tandrel confirms it in writing, normally within 5 working days of receiving the signed order form. Tandrel may ask for a credit check before it confirms an order, and may ask for a higher deposit when the check gives reason to.",
                    "Changes to a confirmed order, such as another model or other accessories, are possible until the bikes are prepared for delivery; later changes may delay the delivery.",
                ],
            ),
            (
                "Lease terms and monthly fees",
                [
                    "A lease runs for 24, 36 or 48 months from the day the bike is delivered. The monthly fee per bike on a 36-month lease is 89 EUR for a Haul S, 119 EUR for a Haul L and 159 EUR for a Haul Trio, excluding VAT. The fee includes the bike, its battery and charger, maintenance and repairs as set out in these terms, and insurance against damage.",
                    "A 24-month lease costs 12 percent more per month than a 36-month lease; a 48-month lease costs 7 percent less per month. Accessories such as lockable lids, child benches or custom branding on the box are leased at 3 percent of their list price per month.",
                ],
            ),
            (
                "Volume discounts",
                [
                    "Larger fleets receive a discount on the monthly fees of all bikes in the fleet: 4 percent from 10 bikes, 9 percent from 25 bikes and 14 percent from 50 bikes. The discount applies from the month in which the fleet reaches the threshold and ends when the fleet falls below it. Spare bikes of the spare bike pool do not count towards the size of the fleet.",
                    "Discounts are not combined with other promotions. Public bodies that order through a framework contract receive the discount of that contract instead.",
                ],
            ),
            (
                "Deposit",
                [
                    "Before delivery the customer pays a deposit of one monthly fee per bike. Tandrel holds the deposit for the term of the lease and refunds it within 45 days after the end of the lease, minus any amounts still due after the end-of-lease inspection.",
                    "The deposit earns no interest. When the customer adds bikes to a running fleet, it pays the deposit for each added bike before that bike is delivered.",
                ],
            ),
            (
                "Delivery and rider training",
                [
                    "Tandrel delivers the bikes to the customer's address within 15 working days of the signing of the order, assembled, adjusted and registered. Delivery includes a rider training of 90 minutes for each group of up to 8 riders, given at the customer's site by a Tandrel trainer.",
                    "The training covers loading, braking with a full box, walk assist, charging and the daily check. Riders who join later can take part in the monthly open training at a Tandrel service point at no cost. Tandrel recommends a refresher training every year.",
                    "At delivery, the fleet contact and the Tandrel trainer sign a handover record for each bike, listing its frame number, its accessories and any visible damage. Damage not listed in the handover record is presumed to have occurred during the lease.",
                ],
            ),
            (
                "Use of the bikes",
                [
                    "The customer makes sure that the bikes are used only for its own activities, by riders aged 16 or older who have taken the rider training, and within the permitted weights given in the owner's handbook. The bikes may not be sublet or lent to third parties.",
                    "Riders carry out the daily check before the first ride of each day: tyres, brakes, lights and battery charge. They report any defect at once through the fleet portal and do not ride a bike that fails the daily check.",
                    "The customer stores the bikes in a locked space, or locks them as these terms require, and charges the batteries indoors, at room temperature, with the chargers supplied by Tandrel.",
                ],
            ),
            (
                "Included distance",
                [
                    "The monthly fee includes 8,000 km per bike per year. Tandrel reads the distance from the display of each bike at every service. Distance above the included amount is charged at 3 cents per km at the end of each lease year; distance not used is not refunded and cannot be carried over to the next year.",
                    "The monthly fleet report shows the distance of each bike, so the customer can move bikes between riders and spread the distance over the fleet before the end of the lease year.",
                ],
            ),
            (
                "Maintenance",
                [
                    "Tandrel services every bike at the customer's site every 6 months or every 4,000 km, whichever comes first, during the customer's business hours. Services are planned with the customer's fleet contact at least 5 working days in advance. A service takes about an hour per bike, and several bikes are serviced in one visit.",
                    "Wear parts, including tyres, brake pads, chains and batteries, are replaced at Tandrel's cost when they are worn by normal use. Tandrel decides when a wear part needs replacing.",
                    "After each visit the technician leaves a service report in the fleet portal, listing the work done on each bike, the parts replaced and any damage found that is charged to the customer. The fleet contact may object to a charge within 14 days of the report.",
                ],
            ),
            (
                "Batteries and chargers",
                [
                    "Tandrel replaces a battery at its own cost when its remaining capacity falls below 75 percent, as measured at a service. Batteries damaged by a fall, by water or by charging with another charger are charged to the customer.",
                    "Each bike comes with one charger. Extra chargers, for example for a second charging location, are leased at 2 EUR per month each.",
                ],
            ),
            (
                "Repairs and response times",
                [
                    "The customer reports a defect through the fleet portal or by phone. For a defect that still allows the bike to be ridden safely, a Tandrel technician comes on site within 3 working days. For a bike that is unusable or unsafe, the technician comes within 8 working hours.",
                    "At fleets of 50 bikes or more, Tandrel keeps a stock of common spare parts on site, so that most repairs are done during the technician's first visit.",
                    "If a bike cannot be repaired within 2 working days of the technician's visit, Tandrel provides a spare bike of the same type until the repair is complete. The customer provides a dry space with a power socket for repairs on site.",
                ],
            ),
            (
                "Spare bike pool",
                [
                    "Fleets of 24 bikes or more receive a spare bike pool at no extra cost: one spare bike for every 12 bikes leased, kept at the customer's site. Riders use a spare bike when their own is waiting for a service or a repair. The distance ridden on spare bikes counts towards the included distance of the fleet as a whole, not of a single bike.",
                ],
            ),
            (
                "Damage and wear",
                [
                    "Normal wear is included in the monthly fee. Damage beyond normal wear, such as a bent wheel after hitting a kerb, a torn box cover or a broken display, is repaired by Tandrel and charged to the customer at 72 EUR per hour plus parts at list price. Scratches up to 10 cm long and small dents in the box count as normal wear.",
                    "Riders must use the bikes as described in the owner's handbook. Damage caused by overloading, by riders under 16 years of age, or by modifications is always charged in full.",
                ],
            ),
            (
                "Theft and loss",
                [
                    "The customer reports a stolen or lost bike to the police and to Tandrel within 24 hours of noticing the loss. Tandrel replaces the bike within 10 working days. For each stolen bike the customer pays an excess of 250 EUR, which rises to the full remaining fees of that bike if it was not locked with its frame lock and an ART-2 chain lock.",
                    "The customer hands both keys of the frame lock of a stolen bike to Tandrel within 5 working days of the report, together with a copy of the police report. Without the keys, the theft is handled as if the bike had not been locked.",
                    "A bike that is found after it has been replaced returns to Tandrel, and the excess is refunded if the bike is undamaged.",
                ],
            ),
            (
                "Insurance",
                [
                    "The monthly fee includes insurance of the bikes against damage from accidents, vandalism, fire and storm. The customer pays an excess of 100 EUR for each damage event. The insurance does not cover damage that these terms charge to the customer in full, such as damage from overloading.",
                    "The customer insures its own liability towards third parties for accidents caused by its riders; Tandrel can arrange such insurance at 4 EUR per bike per month. Riders report every accident in which a person is injured or another vehicle is damaged to the fleet contact and to Tandrel within 48 hours.",
                ],
            ),
            (
                "Location data and privacy",
                [
                    "Each bike carries a GPS module that reports its position, the distance ridden and the battery state. Tandrel uses this data to plan services, to find stolen bikes and to prepare a monthly fleet report for the customer, showing the distance, the rides and the availability of each bike.",
                    "Riders can see their own position data in the Tandrel Ride app. Tandrel hands position data to the police only to find a stolen bike, or when the law requires it.",
                    "Position data is kept for 90 days and then deleted; monthly reports are kept for the term of the lease. The customer may let riders switch off position reporting outside working hours. The customer is responsible for informing its riders about the data collected, and the fleet portal provides a template notice.",
                ],
            ),
            (
                "Invoicing and payment",
                [
                    "Tandrel invoices the monthly fees in advance at the start of each month. Invoices are due within 30 days. On late payments Tandrel charges interest of 1 percent per month, and after 60 days without payment it may suspend its services and, after written notice, collect the bikes.",
                    "Extra distance, damage repairs and excesses are invoiced separately, with a description of each item. Invoices are sent by e-mail and, on request, through the e-invoicing network of public bodies.",
                ],
            ),
            (
                "Price adjustments",
                [
                    "Tandrel may adjust the monthly fees once per calendar year, on 1 January, in line with the Belgian consumer price index and by no more than 4 percent. It announces the adjustment at least 2 months in advance. Fees of bikes in their first lease year are not adjusted.",
                ],
            ),
            (
                "Service levels and credits",
                [
                    "Availability is the share of working hours in a month in which each bike, or a spare bike standing in for it, could be ridden. Tandrel guarantees an availability of 97 percent for the fleet in every calendar month.",
                    "If the availability falls below the guarantee, the customer receives a credit of 5 percent of the month's fees for every full percentage point below it, up to a maximum of 25 percent. Credits are deducted from the next invoice and are the customer's only compensation for a lower availability.",
                    "Time lost to damage that these terms charge to the customer, to theft, or to a bike that the customer did not make available for a planned service does not count against the availability.",
                ],
            ),
            (
                "Early termination",
                [
                    "The customer may end the lease of one or more bikes early once the first 12 months have passed. It then pays 50 percent of the fees that would have been due for the rest of the term. Ending a lease within the first 12 months costs 75 percent of the remaining fees. Tandrel collects the bikes within 10 working days of the notice.",
                    "Notice of early termination is given in writing for each bike and takes effect at the end of the month after the month of the notice.",
                ],
            ),
            (
                "End of the lease",
                [
                    "At the end of the term the customer either returns the bikes, which Tandrel collects at the customer's site, or extends the lease by 12 months at 60 percent of the previous monthly fee.",
                    "Returned bikes must be clean and complete, with their batteries, chargers, both keys and all accessories. A missing key is charged at 18 EUR, a missing charger at 65 EUR and a missing battery at its list price.",
                    "Tandrel inspects returned bikes within 10 working days and charges damage beyond normal wear as described in the section on damage and wear. Instead of returning the bikes, the customer may buy them: after a 36-month lease at 18 percent of the list price of the bike, after a 48-month lease at 10 percent, and after a 24-month lease at 35 percent.",
                ],
            ),
            (
                "Subcontractors",
                [
                    "Tandrel may have services and repairs carried out by a Tandrel service point near the customer's site. Tandrel remains responsible for their work as if it were its own, and the response times of these terms apply unchanged.",
                ],
            ),
            (
                "Confidentiality",
                [
                    "Both parties keep the prices in the order form, the fleet reports and any business information they receive from each other confidential, during the lease and for 3 years after it ends. Tandrel may name the customer as a reference only with its written permission.",
                ],
            ),
            (
                "Force majeure",
                [
                    "Neither party is liable for a delay caused by events beyond its control, such as a strike at a carrier, extreme weather or a shortage of parts across the industry. The response times and the availability guarantee are suspended for as long as such an event lasts. If it lasts longer than 30 days, either party may end the lease of the bikes it affects without paying for early termination.",
                ],
            ),
            (
                "Transfer of the agreement",
                [
                    "The customer may transfer its fleet agreement to another company of its group with the written consent of Tandrel, which may not be refused without good reason. Tandrel may transfer its rights under the agreement to a bank or a leasing company that finances the fleet; its duties towards the customer remain the same.",
                ],
            ),
            (
                "Liability",
                [
                    "The liability of Tandrel under these terms is limited to the fees paid by the customer in the year before the event that caused the damage, except for damage caused on purpose or by gross negligence and for injury to persons. Neither party is liable to the other for loss of profit.",
                ],
            ),
            (
                "Notices",
                [
                    "Notices under these terms are sent by e-mail to the fleet contact and to fleet@tandrel.example. Notices of termination are also sent by registered letter and take effect on the day the letter is received.",
                ],
            ),
            (
                "Governing law",
                [
                    "These terms are governed by Belgian law. Disputes go to the courts of Mechelen, unless both parties agree to try mediation first.",
                ],
            ),
        ],
        None,
    ),
]

# (question, the document holding the answer or None when no document does, and the answer key:
# a regular expression that re.search finds, case-insensitively, in an answer exactly when it
# states the document's fact, and not when it states another figure of the same kind from the
# same document; None for the unanswerable questions). The comment above a key names the section
# holding the fact and the figures beside it that the key refuses.
HANDBOOK, MANUAL, POLICY, FLEET = (d[0] for d in DOCUMENTS)
# fmt: off
QUESTIONS: list[tuple[str, str | None, str | None]] = [
    # Your model at a glance: 90 kg (not the 65 kg rack, 120 kg Trio box, 250 kg total)
    ("How much weight can I put in the front box of my long-john two-wheeler?", HANDBOOK, r"\b(90|ninety)\s*(kg|kilo)"),
    # Battery and charging: 6 hours (not 4.5 hours, not 3 hours with the fast charger)
    ("How long does the standard charger take to charge an empty Extender battery?", HANDBOOK, r"(?<![\d.,])(6|six)\s*(hours?|h\b|hrs?)"),
    # Range: 110 km in Eco (not 75, 55, 40 km, nor the 100 km of the Haul L)
    ("With the battery it comes with, how far can the Haul S go on a single charge in the most economical assist mode?", HANDBOOK, r"\b110\s*(km|kilomet)|hundred and ten"),
    # Assist levels and the display: 6 km/h (not the 25 km/h assist limit)
    ("Up to what speed does walk assist move the bike?", HANDBOOK, r"(?<![\d.,])(6|six)\s*(km|kilomet)"),
    # Carrying children: 9 months with the Cocoon (not the 1 to 5 years of the Haul S seat, not 4 years)
    ("How old does my baby have to be to ride along in the box of the Haul L?", HANDBOOK, r"\b(9|nine)[\s-]*months?"),
    # Tyres: 3.5 bar (not 2.5 bar at the front, 3.0 bar for the Haul S, 2.2 bar for the Trio)
    ("What tyre pressure does the rear wheel of the Haul L need?", HANDBOOK, r"(?<![\d.,])3[.,]5\s*bar|three and a half bar"),
    # Lights and visibility: about 2 hours (not the 4.5 or 6 hours of charging)
    ("If my battery is almost flat when it gets dark, will I still have lights, and for how long?", HANDBOOK, r"(?<![\d.,])(2|two)\s*(hours?|h\b|hrs?)"),
    # Locks and theft protection: 14 days (not the 10 working days for a replacement key)
    ("Within how many days of purchase must I register my bike with its frame number?", HANDBOOK, r"\b(14|fourteen)[\s-]*days?|\b(2|two)[\s-]*weeks?"),
    # Winter and long storage: every 3 months (not the 2 months of the first service, not monthly)
    ("My bike is put away for the winter. How often should I recharge the battery in the meantime?", HANDBOOK, r"\b(3|three)[\s-]*months?|quarter"),
    # Servicing: every 2,500 km or 12 months (not 300 km or 2 months, which is the first service)
    ("After the first service, how often does the bike need a regular service?", HANDBOOK, r"\b2[.,\s]?500\s*(km|kilomet)|\b(12|twelve)[\s-]*months?|(once a|every|each|per) year|\bannual|\byearly"),
    # Torque specifications: 18 Nm (not the motor's 85 Nm, nor the 12 Nm thru axle or 10 Nm box bolts)
    ("What torque do the Drivecell motor mounting bolts need?", MANUAL, r"\b(18|eighteen)\s*(nm|newton)"),
    # Service intervals and labour times: 120 minutes (not the 90 minutes of the two-wheelers)
    ("How much workshop time is planned for the periodic service of the three-wheeled model?", MANUAL, r"\b120\s*min|(?<![\d.,])(2|two)\s*(hours?|h\b|hrs?)"),
    # Brake system: 1.8 mm (not the 2.0 mm of a new rotor, nor the 1.0 mm of the pads)
    ("What is the minimum thickness of a brake rotor?", MANUAL, r"(?<![\d.,])1[.,]8\s*(mm|millimet)"),
    # Drivetrain: 0.5 percent elongation (not the 0.3 mm rotor runout, nor other percentages)
    ("When is a chain worn out and due for replacement?", MANUAL, r"(?<![\d.,])0[.,]5\s*(%|percent|per[\s-]cent)|half (a|of one) per[\s-]?cent"),
    # Drivecell motor: 85 Nm (not the 18 Nm of its mounting bolts)
    ("What is the maximum torque of the Drivecell motor?", MANUAL, r"\b(85|eighty[\s-]five)\s*(nm|newton)"),
    # Battery diagnostics: 40 mV (not the 100 mV replacement limit)
    ("How big a voltage difference between the cells is acceptable in a good battery pack?", MANUAL, r"\b(40|forty)\s*(mv|milli[\s-]?volt)"),
    # Haul Trio steering and tilt: every 5,000 km (not 10,000 km hub oil, 20,000 km tilt damper)
    ("How often must the kingpin bearings of the Haul Trio be greased?", MANUAL, r"(?<![\d.,])5[.,\s]?000\s*(km|kilomet)|five thousand"),
    # Firmware and TandrelLink: at least 40 percent (not the 10 percent handling surcharge)
    ("What minimum battery level is needed before a technician updates the bike's software?", MANUAL, r"\b(40|forty)\s*(%|percent|per[\s-]cent)"),
    # Error code reference: recalibrate the torque sensor (not E-40's connectors, not E-12's magnet)
    ("A customer's bike keeps showing code E-52. What should the workshop do about it?", MANUAL, r"calibrat"),
    # Warranty claims by service points: 68 EUR (not the 25 EUR diagnostic fee)
    ("At what hourly rate does Tandrel reimburse warranty labour?", MANUAL, r"\b(68|sixty[\s-]eight)\b"),
    # Warranty periods: 10 years (not the 5 years of the box, 2 of the motor, 3 of the paint)
    ("For how many years is my bike's frame protected against manufacturing faults?", POLICY, r"\b(10|ten)[\s-]*years?|\ba decade"),
    # Battery capacity guarantee: 70 percent (not the 85 or 65 percent of the theft cover, nor 45 percent trade-in)
    ("What share of its rated capacity does the battery capacity guarantee promise?", POLICY, r"\b(70|seventy)\s*(%|percent|per[\s-]cent)"),
    # What the warranty does not cover: tuning voids the motor, battery and display warranty
    ("If I fit a kit that makes the motor help me go faster, do I keep my guarantee?", POLICY, r"\bvoid|invalidat|\b(lose|loses|losing|lost)\s+(the\s+|your\s+|its\s+)?(\w+\s+){0,2}(warranty|guarantee|cover)|\b(ends|end|cancels?)\s+(the|your)\s+(\w+\s+){0,2}(warranty|guarantee)|(no longer|not|n't)\s+(\w+\s+){0,2}(valid|covered|apply|applies)"),
    # How to make a warranty claim: 60 days (not the 10, 5 or 15 working days)
    ("Within how many days of noticing a defect must I report it?", POLICY, r"\b(60|sixty)[\s-]*days?|\b(2|two)[\s-]*months?"),
    # Transport to the service point: 0.90 EUR per km beyond 50 km (not the 95 or 140 EUR return shipping)
    ("I live far away from my dealer. What will it cost to have my Trio picked up for a warranty repair?", POLICY, r"(?<![\d.,])0[.,]90?\b|\b90\s*(euro\s*)?(cents?|ct)\b"),
    # Returns: the 30-day trial: less than 100 km (not the 50 km of the free collection)
    ("How many kilometres may a bike have been ridden to be returned within the 30-day trial?", POLICY, r"\b100\s*(km|kilomet)|\b(one|a) hundred (km|kilomet)"),
    # Delivery: free above 3,500 EUR (not the 79 EUR fee)
    ("Will I have to pay for delivery if my order comes to 4,000 euros?", POLICY, r"\b3[.,\s]?500\b"),
    # Tandrel Care plans: 19.50 EUR (not 9.50 or 29.50 EUR)
    ("What does Care Plus cost per month?", POLICY, r"(?<![\d.,])19[.,]50?(?!\d)|nineteen (euros? )?(and )?fifty"),
    # Theft cover: 85 percent (not 100 or 65 percent)
    ("How much of what I paid do I get back if my bike is stolen in its second year?", POLICY, r"\b(85|eighty[\s-]five)\s*(%|percent|per[\s-]cent)"),
    # Cancelling a Tandrel Care plan: 12 months (not the 14 days, nor 1 month of notice)
    ("How long is the minimum term of a Tandrel Care plan?", POLICY, r"\b(12|twelve)[\s-]*months?|\b(1|one|a)[\s-]*(full\s+)?year\b"),
    # Lease terms and monthly fees: 119 EUR (not 89 or 159 EUR)
    ("What is the monthly fee for a Haul L on a 36-month lease?", FLEET, r"\b119\b"),
    # Volume discounts: 9 percent (not 4 or 14 percent)
    ("Our company wants to rent 30 cargo bikes. How much cheaper does that make each one?", FLEET, r"(?<![\d.,])(9|nine)\s*(%|percent|per[\s-]cent)"),
    # Deposit: 45 days (not the 30 or 60 days of invoicing)
    ("Within how many days after the end of the lease is the deposit refunded?", FLEET, r"\b(45|forty[\s-]five)[\s-]*days?"),
    # Included distance: 8,000 km (not the 4,000 km of the service interval)
    ("How far can each of our bikes be ridden in a year before we pay extra?", FLEET, r"(?<![\d.,])8[.,\s]?000\s*(km|kilomet)|eight thousand"),
    # Repairs and response times: 8 working hours (not 3 working days, nor 24 hours)
    ("How quickly must a technician arrive for a bike that is unusable?", FLEET, r"(?<![\d.,])(8|eight)\s*(working\s+|business\s+)?(hours?|h\b|hrs?)"),
    # Spare bike pool: one for every 12 bikes (not the 24-bike threshold)
    ("How many standby bikes come with a large fleet?", FLEET, r"(per|for|every|each|in|out of)\s+(every\s+|each\s+)?(12|twelve)\b(?!\s*(months?|years?|%|percent|per[\s-]cent))|\b(12|twelve)\s+(leased\s+|rented\s+)?(cargo\s+)?bikes|\b1\s*[:/]\s*12\b"),
    # Theft and loss: 250 EUR (not the 72 EUR hourly damage rate)
    ("What excess does the customer pay for each stolen bike?", FLEET, r"\b250\b|two hundred (and )?fifty"),
    # Location data and privacy: 90 days (not the 45 or 60 days)
    ("For how long do you store the record of where our bikes have been?", FLEET, r"\b(90|ninety)[\s-]*days?|\b(3|three)[\s-]*months?"),
    # Service levels and credits: 97 percent (not the 5 or 25 percent credits)
    ("What monthly fleet availability does Tandrel guarantee?", FLEET, r"\b(97|ninety[\s-]seven)\s*(%|percent|per[\s-]cent)"),
    # End of the lease: 18 percent of the list price (not 10 or 35 percent, nor 60 percent for an extension)
    ("At what price can we buy the bikes when our three-year lease is over?", FLEET, r"\b(18|eighteen)\s*(%|percent|per[\s-]cent)"),
    # Answered by no document.
    ("Can a private buyer pay for a Haul in monthly instalments without interest?", None, None),
    ("May I take a Tandrel cargo bike on the train?", None, None),
    ("Which colours can I choose for the Haul L?", None, None),
    ("Is there a student discount on Tandrel bikes?", None, None),
    ("Can I hitch a trailer to the Haul S?", None, None),
    ("How loud is the Drivecell motor in decibels?", None, None),
]
# fmt: on


def main() -> None:
    write_eval_set(OUT, DOCUMENTS, QUESTIONS)


if __name__ == "__main__":
    main()
