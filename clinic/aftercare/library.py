"""The techniques every clinic starts with, written for clients to follow at home.

Where each one works follows common self-massage practice: the masseter runs from the
cheekbone to the angle of the jaw in front of the ear, the temporalis fans over the temple,
the frontal sinuses sit above the inner brows and the maxillary sinuses under the eyes
beside the nose, the suboccipital muscles under the ridge at the base of the skull.
The numbers in the steps match the numbers in each drawing.
"""

from dataclasses import dataclass

from clinic.aftercare.models import Area, Technique


@dataclass(frozen=True)
class StandardTechnique:
    slug: str
    title: str
    purpose: str
    steps: tuple[str, ...]
    duration: str
    frequency: str
    cautions: tuple[str, ...]
    conditions: tuple[str, ...]
    areas: tuple[Area, ...]
    illustration_alt: str

    @property
    def illustration(self) -> str:
        return f"{self.slug}.svg"

    def as_model(self) -> Technique:
        return Technique(
            slug=self.slug, title=self.title, purpose=self.purpose, steps=list(self.steps),
            duration=self.duration, frequency=self.frequency, cautions=list(self.cautions),
            conditions=list(self.conditions), areas=[area.value for area in self.areas],
            illustration=self.illustration, illustration_alt=self.illustration_alt,
        )


# Printed once on every handout, above the techniques.
GENERAL_CAUTIONS = (
    "Wash your hands first and keep your nails short.",
    "Not over broken skin, spots, a rash, an infection or a cold sore, or an area that was "
    "injected or treated in the last two weeks.",
    "Gentle is enough. Stop if anything hurts.",
    "If pain does not settle, or you are worried, see your doctor, dentist or therapist.",
)

STANDARD_TECHNIQUES = (
    StandardTechnique(
        slug="jaw-release",
        title="Jaw release for clenching and grinding",
        purpose=("Relaxes the chewing muscles that tighten when you clench or grind your "
                 "teeth, easing jaw ache and the headaches that can come with it."),
        steps=(
            "Hold a warm cloth on your cheeks for a few minutes first: warm muscles let go "
            "more easily.",
            "Part your teeth and let your jaw hang loose, lips gently together.",
            "Find the muscle: put your fingertips on your cheeks about an inch in front of "
            "your ears and clench for a moment. The part that bulges is the masseter. Relax "
            "your jaw again.",
            "With two or three fingers on each side, make small slow circles on the muscle, "
            "or stroke down it from the cheekbone to the jawline (1). Work both sides at "
            "once, with moderate pressure, for 2 to 3 minutes.",
            "Move your fingertips up to your temples, above and in front of your ears (2), "
            "and make small circles there for about a minute.",
            "Finish by opening and closing your mouth slowly a few times.",
        ),
        duration="3 to 5 minutes",
        frequency="Once or twice a day, and before bed if you grind at night",
        cautions=(
            "Press only to a feeling of stretch, never into pain.",
            "If your jaw clicks, locks or hurts for more than two weeks, see your dentist "
            "or doctor.",
        ),
        conditions=("teeth_grinding", "jaw_pain"),
        areas=(Area.CHEEKS, Area.JAW, Area.TEMPLES),
        illustration_alt=(
            "Front view of a face. On each side a dashed outline marks the masseter, the "
            "chewing muscle running from the cheekbone down to the angle of the jaw in front "
            "of the ear, with an arrow down it from cheekbone to jawline (1). Above and in "
            "front of each ear a dashed fan marks the temporalis muscle over the temple, with "
            "a small circling arrow (2)."
        ),
    ),
    StandardTechnique(
        slug="sinus-pressure",
        title="Pressure points for sinus congestion and headaches",
        purpose=("Gentle pressure over the sinuses, from the brow outwards, helps them drain "
                 "and eases the ache of a blocked nose or a tension headache."),
        steps=(
            "Sit comfortably; rest your elbows on a table if you can.",
            "Put your fingertips at the inner ends of your eyebrows, beside the top of the "
            "nose (1). Press gently and hold for 5 seconds.",
            "Move a finger's width outwards along the eyebrows and press again. Keep "
            "stepping outwards until you reach the temples.",
            "Put your fingertips under your eyes beside the nose, on the bone (2). Press and "
            "hold for 5 seconds, then step outwards along the cheekbones towards your ears.",
            "At the temples (3), make slow small circles for 20 to 30 seconds.",
            "Stroke lightly from the temples down the sides of your neck to help the sinuses "
            "drain. Repeat the whole sequence 2 or 3 times.",
        ),
        duration="3 to 5 minutes",
        frequency="2 or 3 times a day while you are congested or have a headache",
        cautions=(
            "Press on the bone around the eyes, never on the eyes themselves.",
            "See a doctor for a sudden severe headache, a headache with fever, a stiff neck "
            "or changes in your sight, or congestion that lasts more than ten days.",
        ),
        conditions=("sinus", "headaches"),
        areas=(Area.BROWS, Area.FOREHEAD, Area.EYES, Area.NOSE, Area.CHEEKS, Area.TEMPLES),
        illustration_alt=(
            "Front view of a face. Point 1 is at the inner end of each eyebrow; dots step "
            "outwards along the eyebrow towards the temple. Point 2 is under each eye beside "
            "the nose; dots step outwards along the cheekbone towards the ear. Point 3 is at "
            "each temple, with a small circling arrow."
        ),
    ),
    StandardTechnique(
        slug="skull-base-release",
        title="Release at the base of the skull",
        purpose=("Eases the small muscles under the back of the skull that tighten with "
                 "desk work and stress, a common cause of tension headaches and a stiff neck."),
        steps=(
            "Sit with your back supported, or lie on your back on a small pillow.",
            "Rest your fingertips on the back of your head and slide them down to the bony "
            "ridge at the base of the skull. Just below it is a soft hollow on each side of "
            "the spine (1).",
            "Let the weight of your head sink into your fingertips, or press gently upwards "
            "and inwards. Hold for 30 seconds and breathe slowly.",
            "Then make small slow circles there for another 30 seconds.",
            "Move your fingertips a little outwards along the ridge, towards the ears, and "
            "repeat.",
        ),
        duration="2 to 3 minutes",
        frequency="Once or twice a day, and when you feel a headache starting",
        cautions=(
            "Stop if you feel dizzy, or tingling or numbness in your arms or face.",
            "A sudden severe headache, or one after a fall or a knock to the head, needs a "
            "doctor straight away.",
        ),
        conditions=("headaches", "neck_tension"),
        areas=(Area.SKULL_BASE, Area.NECK),
        illustration_alt=(
            "The head and neck seen from behind. A dashed curve marks the base of the "
            "skull, where the neck muscles attach. Dots just below it on both sides of the "
            "spine show where the fingertips press and make small circles (1)."
        ),
    ),
    StandardTechnique(
        slug="neck-jawline-lift",
        title="Lifting strokes for the neck and jawline",
        purpose=("Upward strokes that bring circulation to the neck and jawline and leave "
                 "the skin feeling firmer."),
        steps=(
            "Put a little oil or cream on your hands so they glide without pulling the skin.",
            "Lay one hand flat at the base of your neck, just above the collarbone, and "
            "stroke up to just under the jaw (1).",
            "As that hand reaches the jaw, start the same stroke with the other hand. Keep "
            "alternating for about a minute, across the front and sides of the neck.",
            "Rest the fingers of both hands under the middle of your chin and glide them "
            "along the jawbone up towards your ears (2).",
            "Repeat the jawline stroke 10 times, slowly.",
        ),
        duration="2 to 3 minutes",
        frequency="Once a day, morning or evening",
        cautions=(
            "Keep the strokes light over the front of the throat; never press on it.",
            "Let your hands glide: the skin should not be dragged or stretched.",
        ),
        conditions=("fine_lines",),
        areas=(Area.NECK, Area.JAW),
        illustration_alt=(
            "Front view of a face and neck. Arrows run upwards on both sides of the neck, "
            "from the collarbones to under the jaw (1), and along the jawline from the chin "
            "up towards each ear (2)."
        ),
    ),
    StandardTechnique(
        slug="smoothing-strokes",
        title="Smoothing strokes for forehead and cheeks",
        purpose=("Light strokes outwards and back that relax the small muscles that fold "
                 "the skin into lines, and bring circulation to the skin."),
        steps=(
            "Warm a drop of oil or cream between your fingertips.",
            "Put the pads of your fingers in the middle of your forehead, just above the "
            "eyebrows. Stroke outwards to the temples, then back to the centre (1).",
            "Move up a finger's width and repeat until you reach the hairline. Go over the "
            "forehead three times.",
            "Put your fingertips beside your nose, on top of the cheeks. Stroke outwards "
            "across the cheeks towards your ears, then glide back (2).",
            "Repeat lower down, from beside the nostrils and from the corners of the mouth, "
            "three times each.",
        ),
        duration="About 3 minutes",
        frequency="Once a day; the evening is best",
        cautions=(
            "Use very light pressure: smooth the skin, do not stretch it.",
            "Keep away from the eyes.",
        ),
        conditions=("fine_lines",),
        areas=(Area.FOREHEAD, Area.BROWS, Area.CHEEKS),
        illustration_alt=(
            "Front view of a face. On the forehead, arrows start at the centre and run "
            "outwards to each temple (1). On each cheek, arrows start beside the nose and run "
            "outwards across the cheek towards the ear (2)."
        ),
    ),
    StandardTechnique(
        slug="puffiness-drainage",
        title="Gentle drainage strokes for puffiness",
        purpose=("Feather-light strokes from the middle of the face outwards and down the "
                 "neck help fluid drain, so puffiness settles sooner."),
        steps=(
            "Start at the neck: with flat fingers, stroke lightly down the sides of your neck "
            "to the collarbones, 5 times. This clears the way for the fluid.",
            "Put your fingertips under your eyes, on the bone beside the nose. Glide them very "
            "lightly outwards to just in front of your ears (1). Repeat 5 times.",
            "Do the same from beside the nose across the cheeks to the ears, 5 times.",
            "From in front of the ears, stroke down the sides of your neck to the "
            "collarbones (2), 5 times.",
        ),
        duration="2 to 3 minutes",
        frequency="Once a day, best in the morning",
        cautions=(
            "The lightest touch works best: move the skin, not the muscle beneath.",
            "Swelling on one side only, or with pain, heat or redness, needs a doctor.",
        ),
        conditions=("puffiness", "sinus"),
        areas=(Area.EYES, Area.CHEEKS, Area.NECK),
        illustration_alt=(
            "Front view of a face and neck. Light arrows run from under the eyes and from "
            "beside the nose outwards to just in front of the ears (1), then down the sides "
            "of the neck to the collarbones (2)."
        ),
    ),
)
