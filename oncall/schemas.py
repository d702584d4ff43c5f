"""JSON Schemas of the data files, for editors."""

from __future__ import annotations


def schemas() -> dict[str, dict]:
    """JSON Schemas (draft-07) of the people file and a rotation file, for editors
    (taplo / Even Better TOML). The loader stays the authority: these catch typos and
    missing keys as you type. Times have no ``type``: editors differ in how they hand
    TOML date-times to a JSON Schema validator."""
    from .load import E164, PERSON_ID
    from .paging.channels import names as channels

    time_ = {"description": "A TOML date-time: local (wall time in the zone) or with an offset (exact)."}
    zone = {"type": "string", "description": "An IANA timezone name, e.g. America/New_York."}
    duration = {"type": "string", "pattern": r"^\s*(\d+\s*[wdhmsWDHMS]\s*)+$",
                "description": "e.g. 30m, 8h, 1d, 1w, 1d12h."}
    windows = {"type": "array", "minItems": 1, "items": {"type": "string"},
               "description": "Weekly windows: 'mon-fri 09:00-17:00', 'daily 22:00-06:00', "
                              "'fri 17:00 - mon 09:00', 'sat-sun', 'always'."}
    person = {"type": "string", "pattern": PERSON_ID.pattern, "description": "A person id from people.toml."}
    notices = _notices(duration)

    def obj(required: list[str], props: dict, description: str) -> dict:
        return {"type": "object", "description": description, "additionalProperties": False,
                "required": required, "properties": props}

    rotation = obj(["timezone", "layer"], {
        "name": {"type": "string", "description": "Display name."},
        "description": {"type": "string"},
        "timezone": zone,
        "coverage": windows,
        "layer": {"type": "array", "minItems": 1, "items": obj(["members", "start", "every"], {
            "name": {"type": "string", "description": "Unique in the rotation."},
            "members": {"type": "array", "minItems": 1, "items": person},
            "start": time_, "every": duration, "only": windows, "until": time_, "from": time_, "timezone": zone,
        }, "A layer: later layers win over earlier ones.")},
        "override": {"type": "array", "items": obj(["who", "start", "end"], {
            "who": person, "start": time_, "end": time_, "note": {"type": "string"},
            "swap": {"type": "string", "description": "Shared by the overrides of one swap: removed together."},
        }, "Someone covers [start, end); a later override wins over an earlier one.")},
        "escalation": {"type": "array", "items": obj(["who"], {
            "who": {"type": "string", "description": "A rotation id or a person id."}, "wait": duration,
        }, "One escalation step.")},
    }, "An oncall rotation file (rotations/<id>.toml).")
    people = obj(["people"], {"people": {
        "type": "object", "propertyNames": {"pattern": PERSON_ID.pattern},
        "additionalProperties": obj([], {
            "name": {"type": "string"},
            "phone": {"type": "string", "pattern": E164.pattern, "description": "E.164, e.g. +14155550101."},
            "timezone": zone,
            "email": {"type": "string"},
            "notify": {"type": "array", "minItems": 1, "items": {"enum": list(channels())}},
            "away": {"type": "array", "items": obj(["start", "end"], {
                "start": time_, "end": time_, "note": {"type": "string"},
            }, "Time off: unreachable in [start, end); a date is midnight in the person's zone.")},
            **notices,
        }, "A person."),
    }, "defaults": obj([], notices, "Folder-wide notice settings; a person's own keys win.")},
        "The oncall people file (rotations/people.toml).")
    draft = "http://json-schema.org/draft-07/schema#"
    return {"people": {"$schema": draft, "title": "oncall people", **people},
            "rotation": {"$schema": draft, "title": "oncall rotation", **rotation}}


def _notices(duration: dict) -> dict:
    """``remind`` and ``quiet``: a person's keys, and ``[defaults]``'s."""
    from .load import QUIET

    return {
        "remind": {"type": "array", "items": duration,
                   "description": "Reminders before each shift start, e.g. [\"1d\", \"1h\"] (default [\"1h\"])."},
        "quiet": {"type": "string", "pattern": QUIET.pattern,
                  "description": "Daily quiet hours in the person's zone, e.g. 22:00-08:00 (see docs/notify.md)."},
    }
