"""Page "How to film": set-up for a video the analysis can measure, and why each point matters."""

import streamlit as st

#: Side-view sketch: phone at hip height, 2-3 m in front of a person on one leg, arms crossed.
DIAGRAM = """
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 640 260" width="100%" role="img"
     aria-label="Phone on a stand at hip height, 2 to 3 metres in front of a person standing on one leg">
  <rect width="640" height="260" fill="#f7f9fc"/>
  <line x1="20" y1="230" x2="620" y2="230" stroke="#999" stroke-width="2"/>
  <!-- phone on a stand -->
  <line x1="90" y1="230" x2="90" y2="135" stroke="#555" stroke-width="4"/>
  <line x1="70" y1="230" x2="110" y2="230" stroke="#555" stroke-width="4"/>
  <rect x="80" y="100" width="20" height="36" rx="4" fill="#555"/>
  <text x="40" y="90" font-family="sans-serif" font-size="14" fill="#222">phone, upright</text>
  <!-- field of view -->
  <polygon points="100,118 520,20 520,235" fill="#999" fill-opacity="0.1" stroke="#777"
           stroke-dasharray="4 4"/>
  <!-- person: head, trunk, arms crossed, stance leg, free leg lifted -->
  <circle cx="470" cy="52" r="14" fill="#444"/>
  <line x1="470" y1="66" x2="470" y2="135" stroke="#444" stroke-width="8"/>
  <line x1="452" y1="92" x2="488" y2="100" stroke="#444" stroke-width="6"/>
  <line x1="452" y1="100" x2="488" y2="92" stroke="#444" stroke-width="6"/>
  <line x1="470" y1="135" x2="458" y2="182" stroke="#444" stroke-width="8"/>
  <line x1="458" y1="182" x2="470" y2="228" stroke="#444" stroke-width="8"/>
  <line x1="470" y1="135" x2="492" y2="178" stroke="#888" stroke-width="7"/>
  <line x1="492" y1="178" x2="515" y2="168" stroke="#888" stroke-width="7"/>
  <!-- hip height guide -->
  <line x1="90" y1="118" x2="470" y2="135" stroke="#555" stroke-width="1.5" stroke-dasharray="6 4"/>
  <text x="230" y="112" font-family="sans-serif" font-size="14" fill="#555">lens at hip height</text>
  <!-- distance -->
  <line x1="90" y1="248" x2="470" y2="248" stroke="#222" stroke-width="1.5"/>
  <polygon points="90,248 100,243 100,253" fill="#222"/>
  <polygon points="470,248 460,243 460,253" fill="#222"/>
  <text x="250" y="244" font-family="sans-serif" font-size="14" fill="#222">2 to 3 m</text>
  <text x="535" y="60" font-family="sans-serif" font-size="14" fill="#222">whole body</text>
  <text x="535" y="78" font-family="sans-serif" font-size="14" fill="#222">in the picture</text>
</svg>
"""

#: What the phone should see, drawn from the front: a portrait picture with the whole body in it, room above
#: the head and below the feet, the lens at hip height; and how deep to go, drawn from the side: the hip
#: stays above the knee. Drawn in greys only: the app's colours each mean something (knee_cv.palette).
FRAMING = """
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 640 430" width="100%" role="img"
     aria-label="Left: the phone's picture, upright, with the whole body from head to feet in it and room above
                 and below. Right: the bottom of a single-leg squat from the side, the hip still above the knee">
  <rect width="640" height="430" fill="#ffffff"/>
  <!-- the phone's picture, upright -->
  <rect x="30" y="12" width="230" height="405" rx="18" fill="#f3f3f3" stroke="#333" stroke-width="3"/>
  <text x="145" y="36" font-family="sans-serif" font-size="17" fill="#333" text-anchor="middle">what the phone sees</text>
  <!-- room above the head -->
  <line x1="60" y1="46" x2="60" y2="74" stroke="#777" stroke-width="1.5" stroke-dasharray="4 3"/>
  <text x="66" y="64" font-family="sans-serif" font-size="16" fill="#555">room above the head</text>
  <!-- person from the front on one leg, arms crossed -->
  <circle cx="145" cy="92" r="16" fill="#444"/>
  <line x1="145" y1="108" x2="145" y2="212" stroke="#444" stroke-width="10"/>
  <line x1="125" y1="138" x2="165" y2="152" stroke="#444" stroke-width="6"/>
  <line x1="125" y1="152" x2="165" y2="138" stroke="#444" stroke-width="6"/>
  <line x1="130" y1="212" x2="160" y2="212" stroke="#444" stroke-width="8"/>
  <line x1="133" y1="212" x2="131" y2="300" stroke="#444" stroke-width="9"/>
  <line x1="131" y1="300" x2="133" y2="380" stroke="#444" stroke-width="9"/>
  <line x1="121" y1="383" x2="143" y2="383" stroke="#444" stroke-width="6"/>
  <line x1="157" y1="212" x2="170" y2="292" stroke="#888" stroke-width="8"/>
  <line x1="170" y1="292" x2="176" y2="330" stroke="#888" stroke-width="8"/>
  <!-- lens at hip height -->
  <line x1="36" y1="212" x2="254" y2="212" stroke="#777" stroke-width="1.5" stroke-dasharray="6 4"/>
  <text x="252" y="184" font-family="sans-serif" font-size="16" fill="#555" text-anchor="end">hip height</text>
  <text x="252" y="204" font-family="sans-serif" font-size="16" fill="#555" text-anchor="end">= lens height</text>
  <!-- feet in the picture -->
  <line x1="60" y1="386" x2="60" y2="408" stroke="#777" stroke-width="1.5" stroke-dasharray="4 3"/>
  <text x="66" y="402" font-family="sans-serif" font-size="16" fill="#555">feet in the picture</text>
  <!-- depth, from the side -->
  <text x="460" y="36" font-family="sans-serif" font-size="17" fill="#333" text-anchor="middle">how deep: from the side</text>
  <line x1="330" y1="383" x2="610" y2="383" stroke="#999" stroke-width="2"/>
  <circle cx="452" cy="150" r="16" fill="#444"/>
  <line x1="447" y1="166" x2="420" y2="262" stroke="#444" stroke-width="10"/>
  <line x1="420" y1="262" x2="478" y2="306" stroke="#444" stroke-width="9"/>
  <line x1="478" y1="306" x2="452" y2="378" stroke="#444" stroke-width="9"/>
  <line x1="440" y1="381" x2="474" y2="381" stroke="#444" stroke-width="6"/>
  <line x1="420" y1="262" x2="505" y2="282" stroke="#888" stroke-width="8"/>
  <line x1="505" y1="282" x2="575" y2="290" stroke="#888" stroke-width="8"/>
  <line x1="340" y1="306" x2="610" y2="306" stroke="#777" stroke-width="1.5" stroke-dasharray="6 4"/>
  <text x="340" y="326" font-family="sans-serif" font-size="16" fill="#555">knee height</text>
  <line x1="330" y1="262" x2="412" y2="262" stroke="#777" stroke-width="1.5" stroke-dasharray="2 3"/>
  <text x="408" y="252" font-family="sans-serif" font-size="16" fill="#555" text-anchor="end">hip above the knee</text>
</svg>
"""

st.title("How to film")
st.image(
    FRAMING,
    caption="What the phone should see: upright, the whole body with room above the head and below "
    "the feet, the lens at hip height. How deep: stop while your hip is still above your knee.",
    width="stretch",
    alt="Drawing. Left: a person on one leg, arms crossed, seen from the front inside an upright phone picture, "
    "with room above the head and the feet in the picture; a dashed line marks hip height, where the lens "
    "goes. Right: the same person at the bottom of the squat seen from the side, the hip above the "
    "dashed line at knee height.",
)
st.image(
    DIAGRAM,
    caption="Set-up seen from the side: phone upright at hip height, 2 to 3 m away.",
    width="stretch",
    alt="Drawing from the side: a phone on a stand at hip height, 2 to 3 metres in front of a person standing on "
    "one leg with arms crossed, the whole body inside the camera's view.",
)
st.markdown(
    """
| Do this | Why it matters |
| --- | --- |
| **Camera in front of you**, facing you straight on | The knee's inward movement (valgus) and a dropping pelvis show only from the front; from the side they are invisible. |
| **Lens at hip height**, phone upright and still (a stand or a shelf) | A camera above or below tilts the picture and makes the angles wrong; a moving camera looks like a moving body. |
| **2 to 3 m away, whole body in view**, head to feet, the whole time | Hips, knees and ankles must all be seen to measure the leg; feet cut off means no measurement. |
| **Arms crossed** over the chest | Arms held out change the balance and hide the hips. |
| **Start and finish standing on both feet**, still for a second or two | The app takes your hips' level from those moments, so a hip dropping during a squat is measured from your own standing posture (and a slightly tilted phone does not count). |
| **5 slow single-leg squats on each leg**, about 2 s down and 2 s up, a short pause standing between them | Clinical tests average several reps (at least 3 a leg); slow reps give the camera enough frames at the deepest point. |
| **Only as deep as keeps your hip above your knee** (see the drawing) | The clinical single-leg squat depth; deeper (pistol-style), the thigh points at the camera and its angle cannot be read from the front. |
| **Alone in the picture**, good light from the front, fitted clothes | A second person confuses the tracking; backlight and baggy trousers hide the knee. |
| **The back camera** if someone can film for you | A phone's front (selfie) camera often saves a mirror image, where your left leg shows as your right. If you filmed with it, turn on **Filmed with the selfie camera (mirrored picture)** before analysing; if unsure, raise your right hand at the start of the clip: in a video that is not mirrored it shows on the picture's left. |

A video that comes out sideways or upside down (the phone turned while filming) is turned upright before
measuring, and the results say so.

Stop if it hurts. Sudden pain, a swollen knee, locking or giving way are for a physiotherapist or doctor,
not for this app.
"""
)
