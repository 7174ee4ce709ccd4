"""Request and response bodies of the API."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    TypeAdapter,
    WithJsonSchema,
    field_validator,
)

from ..cards import names, registry
from ..emotions import ALIASES, EMOTIONS, resolve, resolve_many

MODELS = sorted(names())  # the shipped model names a request may give
EVERY_MODEL = set(EMOTIONS).intersection(*(w.card.labels for w in registry()))


def _names(canonical: set[str]) -> list[str]:
    """The canonical names in `canonical` and their aliases: what an enum of accepted emotion names lists."""
    return [*(e for e in EMOTIONS if e in canonical), *(a for a, c in ALIASES.items() if c in canonical)]


def _subset(names: list[str] | str | None) -> list[str] | None:
    """Canonical names of an emotion subset (a list, or comma-separated), each once, at least one."""
    if names is None:
        return None
    parts = [n for n in names.split(",") if n.strip()] if isinstance(names, str) else names
    return resolve_many(list(dict.fromkeys(map(resolve, parts))))  # a repeat, also as an alias, counts once


def _flag(value: object) -> object:
    """A form field's "true" or "false" as that boolean; anything else as given, for StrictBool to judge."""
    return {"true": True, "false": False}.get(value.lower(), value) if isinstance(value, str) else value


Flag = Annotated[StrictBool, BeforeValidator(_flag)]  # true or false, in JSON or as form text: not 0, "yes" or "on"
SUBSET_NAMES = _names(EVERY_MODEL)  # a model with more emotions (ferplus: contempt) also takes those
_ONE = "|".join(map(re.escape, sorted(SUBSET_NAMES, key=len, reverse=True)))
# emotion and model names: short, so no error message can echo much
EmotionName = Annotated[str, Field(max_length=100, json_schema_extra={"enum": SUBSET_NAMES})]
EmotionList = Annotated[list[EmotionName], Field(min_length=1, max_length=32)]
EmotionCSV = Annotated[
    str, Field(max_length=400, json_schema_extra={"pattern": rf"^[ ,]*(?:{_ONE})(?: *,[ ,]*(?:{_ONE}))*[ ,]*$"})
]
ModelName = Annotated[str, Field(min_length=1, max_length=100, json_schema_extra={"enum": MODELS})]


class FieldError(BaseModel):
    """One field's problem in a 422: where, what, and the refused input when it is short enough to repeat."""

    loc: list[str | int]
    msg: str
    type: str
    input: Any = None


class ErrorOut(BaseModel):
    """Every error answer: what went wrong, in words; a refused request body also lists each field's problem."""

    detail: str
    errors: list[FieldError] | None = None


class PredictOptions(BaseModel):
    """Options of /v1/predict, as JSON fields or multipart form fields."""

    emotions: Annotated[EmotionList | EmotionCSV | None, AfterValidator(_subset)] = Field(
        None,
        description="Subset of emotions (list or comma-separated, repeats count once); aliases allowed. Listed: the "
        "emotions every shipped model has; a model with more also takes those (contempt: the ferplus models).",
    )
    model: ModelName | None = Field(None, description="Shipped model name or alias; the server's model when omitted.")
    annotate_image: Flag = Field(False, description="Return the image with boxes and labels (JPEG, base64).")
    crop_faces: Flag = Field(False, description="Return each aligned face crop the model saw (PNG, base64).")
    store: Flag = Field(
        False, description="Keep the face crops (PNG, pixels only) for feedback export; nothing is kept otherwise."
    )


class PredictJSON(PredictOptions):
    """A JSON /v1/predict body: the image as base64 (a data: URL is fine) or, where enabled, a URL; exactly one."""

    model_config = ConfigDict(
        json_schema_extra={"oneOf": [{"required": ["image_base64"]}, {"required": ["image_url"]}]}
    )

    image_base64: Annotated[str | None, WithJsonSchema({"type": "string", "format": "byte", "minLength": 1})] = Field(
        None, description="The image file (JPEG, PNG, ...) as base64, or as a data: URL."
    )
    image_url: Annotated[
        str | None, WithJsonSchema({"type": "string", "format": "uri", "pattern": "^https?://", "maxLength": 2000})
    ] = Field(
        None, max_length=2000, description="An http(s) URL of the image, where the server allows them (else 403)."
    )

    @field_validator("image_base64", "image_url", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        """Refuse an explicit null: the field that is not used is left out, as the schema says."""
        if value is None:
            raise ValueError("leave the field out instead of sending null")
        return value


def form_schema() -> dict:
    """The multipart /v1/predict body: the image file, and the options as text fields (one value each, none null)."""
    options = PredictOptions.model_json_schema()["properties"]
    return {
        "type": "object",
        "required": ["image"],
        "properties": {
            "image": {
                "type": "string",
                "format": "binary",
                "minLength": 1,
                "description": "The image file: JPEG, PNG...",
            },
            **options,
            "emotions": {**TypeAdapter(EmotionCSV).json_schema(), "description": options["emotions"]["description"]},
            "model": {**TypeAdapter(ModelName).json_schema(), "description": options["model"]["description"]},
        },
    }


class FaceOut(BaseModel):
    """One face of a prediction: a face row (emopy.results), and its crop when asked for."""

    face: int = Field(description="The face's number: its place in detection order (feedback names it).")
    box: list[int] = Field(description="The square face box [x, y, w, h] in pixels.")
    score: float | None = Field(description="The detector's confidence.")
    emotions: dict[str, float] = Field(description="The probability of each chosen emotion (they sum to 1).")
    dominant: str | None = Field(description="The most probable emotion.")
    landmarks: dict[str, list[float]] | None = Field(description="Eyes, nose and mouth [x, y] where detected.")
    crop_base64: str | None = None


class PredictOut(BaseModel):
    """The answer of /v1/predict: a frame row (emopy.results) of the image, an id for feedback, and what was
    asked for."""

    source: str | None = Field(description="The image URL the server fetched; null for an uploaded image.")
    frame: int | None = Field(description="Always null: an image is no video frame.")
    time_s: float | None = Field(description="Always null: an image has no time.")
    faces: list[FaceOut] = Field(description="The faces in detection order.")
    error: str | None = Field(description="Always null: an image that cannot be read is an error answer.")
    image_id: str
    model: str
    width: int
    height: int
    stored: bool
    annotated_image_base64: str | None = None


class FeedbackIn(BaseModel):
    """The true emotion of face `face` of a predicted image."""

    image_id: str = Field(max_length=64)
    face: int = Field(ge=0, description="The face's number in the /v1/predict answer.")
    emotion: Annotated[
        str, Field(max_length=100, json_schema_extra={"enum": _names(set(EMOTIONS))}), AfterValidator(resolve)
    ] = Field(description="The emotion's name or an alias; stored as its canonical name.")


class FeedbackOut(FeedbackIn):
    """Stored feedback; `has_crop` says whether it will be in the training export."""

    id: int
    has_crop: bool
