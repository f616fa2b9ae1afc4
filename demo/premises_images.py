"""Pictures for the premises demo, drawn here so that the demo ships no photograph of a real
place: an entrance with its door and intercom, an interview room with its alarm button, and a
floor plan with the escape routes and the assembly point. Plain shapes, in the colours of a
phone photo's daylight; each is a JPEG or PNG the app cleans like any upload."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

SIZE = (960, 720)


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def entrance() -> bytes:
    """A front door seen from the street: a locked door, an intercom and a camera."""
    image = Image.new("RGB", SIZE, (196, 206, 214))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 560, 960, 720), fill=(128, 128, 124))  # pavement
    draw.rectangle((80, 80, 880, 560), fill=(176, 120, 96))  # brick wall
    for y in range(100, 560, 40):
        draw.line((80, y, 880, y), fill=(150, 100, 82), width=2)
    draw.rectangle((380, 200, 580, 560), fill=(44, 62, 80))  # door
    draw.rectangle((395, 215, 565, 330), fill=(120, 150, 170))  # door glass, frosted
    draw.ellipse((540, 380, 556, 396), fill=(210, 190, 90))  # handle
    draw.rectangle((610, 330, 650, 400), fill=(60, 60, 60))  # intercom
    draw.ellipse((620, 345, 640, 365), fill=(30, 30, 30))
    draw.polygon(((700, 130), (760, 120), (760, 150), (700, 150)), fill=(230, 230, 230))  # camera
    draw.rectangle((160, 160, 320, 300), fill=(150, 180, 200))  # window
    draw.rectangle((640, 160, 800, 300), fill=(150, 180, 200))
    return _jpeg(image)


def interview_room() -> bytes:
    """An interview room: two chairs, a table, the door within reach and an alarm button."""
    image = Image.new("RGB", SIZE, (232, 226, 212))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 520, 960, 720), fill=(170, 150, 120))  # floor
    draw.rectangle((60, 140, 240, 520), fill=(200, 190, 170))  # door
    draw.ellipse((210, 330, 226, 346), fill=(120, 110, 90))
    draw.rectangle((420, 420, 760, 450), fill=(140, 100, 70))  # table
    draw.rectangle((440, 450, 460, 560), fill=(120, 86, 60))
    draw.rectangle((720, 450, 740, 560), fill=(120, 86, 60))
    for x in (360, 780):  # chairs
        draw.rectangle((x, 380, x + 80, 470), fill=(90, 120, 150))
        draw.rectangle((x, 470, x + 80, 490), fill=(70, 100, 130))
    draw.ellipse((300, 260, 330, 290), fill=(200, 40, 40))  # alarm button by the door
    draw.rectangle((560, 100, 860, 300), fill=(170, 200, 220))  # window, blind half down
    draw.rectangle((560, 100, 860, 190), fill=(236, 236, 230))
    return _jpeg(image)


def floor_plan() -> bytes:
    """A ground-floor plan: rooms, two exits, the routes (green) and the assembly point."""
    image = Image.new("RGB", SIZE, (255, 255, 255))
    draw = ImageDraw.Draw(image)
    wall = (40, 40, 40)
    draw.rectangle((80, 80, 880, 600), outline=wall, width=6)  # outer walls
    draw.line((420, 80, 420, 380), fill=wall, width=4)  # reception | office
    draw.line((80, 380, 880, 380), fill=wall, width=4)  # corridor wall
    draw.line((620, 380, 620, 600), fill=wall, width=4)  # interview rooms
    draw.line((350, 380, 350, 600), fill=wall, width=4)
    draw.rectangle((230, 592, 310, 608), fill=(255, 255, 255))  # front exit
    draw.rectangle((872, 180, 888, 260), fill=(255, 255, 255))  # back exit
    green = (20, 140, 60)
    draw.line((250, 480, 270, 600), fill=green, width=8)  # route to the front exit
    draw.line((520, 300, 520, 220, 880, 220), fill=green, width=8)  # route to the back exit
    draw.line((760, 480, 760, 220), fill=green, width=8)
    draw.polygon(((880, 205), (910, 220), (880, 235)), fill=green)
    draw.polygon(((255, 600), (270, 640), (285, 600)), fill=green)
    draw.ellipse((230, 650, 290, 710), outline=green, width=6)  # assembly point
    return _png(image)
