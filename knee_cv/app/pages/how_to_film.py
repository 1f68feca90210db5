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
  <rect x="80" y="100" width="20" height="36" rx="4" fill="#2e86de"/>
  <text x="40" y="90" font-family="sans-serif" font-size="14" fill="#222">phone, upright</text>
  <!-- field of view -->
  <polygon points="100,118 520,20 520,235" fill="#2e86de" fill-opacity="0.08" stroke="#2e86de"
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
  <line x1="90" y1="118" x2="470" y2="135" stroke="#e67e22" stroke-width="1.5" stroke-dasharray="6 4"/>
  <text x="230" y="112" font-family="sans-serif" font-size="14" fill="#e67e22">lens at hip height</text>
  <!-- distance -->
  <line x1="90" y1="248" x2="470" y2="248" stroke="#222" stroke-width="1.5"/>
  <polygon points="90,248 100,243 100,253" fill="#222"/>
  <polygon points="470,248 460,243 460,253" fill="#222"/>
  <text x="250" y="244" font-family="sans-serif" font-size="14" fill="#222">2 to 3 m</text>
  <text x="535" y="60" font-family="sans-serif" font-size="14" fill="#222">whole body</text>
  <text x="535" y="78" font-family="sans-serif" font-size="14" fill="#222">in the picture</text>
</svg>
"""

st.title("How to film")
st.image(DIAGRAM, caption="Set-up seen from the side: phone upright at hip height, 2 to 3 m away.", width="stretch")
st.markdown(
    """
| Do this | Why it matters |
| --- | --- |
| **Camera in front of you**, facing you straight on | The knee's inward movement (valgus) and a dropping pelvis show only from the front; from the side they are invisible. |
| **Lens at hip height**, phone upright and still (a stand or a shelf) | A camera above or below tilts the picture and makes the angles wrong; a moving camera looks like a moving body. |
| **2 to 3 m away, whole body in view**, head to feet, the whole time | Hips, knees and ankles must all be seen to measure the leg; feet cut off means no measurement. |
| **Arms crossed** over the chest | Arms held out change the balance and hide the hips. |
| **5 slow single-leg squats on each leg**, about 2 s down and 2 s up, a short pause standing between them | Clinical tests average several reps; slow reps give the camera enough frames at the deepest point. |
| **Down to about 60 degrees of knee bend**, hip still above the knee | The clinical single-leg squat depth; deeper (pistol-style), the thigh points at the camera and its angle cannot be read from the front. |
| **Alone in the picture**, good light from the front, fitted clothes | A second person confuses the tracking; backlight and baggy trousers hide the knee. |
| **The back camera** if someone can film for you | A phone's front (selfie) camera often saves a mirror image, where your left leg shows as your right. If you filmed with it, turn on **Filmed with the selfie camera (mirrored picture)** before analysing; if unsure, raise your right hand at the start of the clip: in a video that is not mirrored it shows on the picture's left. |

A video that comes out sideways or upside down (the phone turned while filming) is turned upright before
measuring, and the results say so.

Stop if it hurts. Sudden pain, a swollen knee, locking or giving way are for a physiotherapist or doctor,
not for this app.
"""
)
