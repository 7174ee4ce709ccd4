"""Request and response bodies of the API."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

Name = Annotated[str, Field(max_length=100)]  # emotion and model names: short, so no error message can echo much


class PredictOptions(BaseModel):
    """Options of /v1/predict, as JSON fields or multipart form fields."""

    emotions: Annotated[list[Name], Field(max_length=32)] | Annotated[str, Field(max_length=400)] | None = Field(
        None, description="Subset of emotions (list or comma-separated); aliases allowed."
    )
    model: Name | None = Field(None, description="Shipped model name or alias; the server's model when omitted.")
    annotate_image: bool = Field(False, description="Return the image with boxes and labels (JPEG, base64).")
    crop_faces: bool = Field(False, description="Return each aligned face crop the model saw (PNG, base64).")
    store: bool = Field(
        False, description="Keep the face crops (PNG, pixels only) for feedback export; nothing is kept otherwise."
    )


class PredictJSON(PredictOptions):
    """A JSON /v1/predict body: the image as base64 (a data: URL is fine) or, where enabled, a URL."""

    image_base64: str | None = None
    image_url: str | None = Field(None, max_length=2000)


class FaceOut(BaseModel):
    """One face of a prediction."""

    index: int
    box: list[int]
    score: float | None
    emotions: dict[str, float]
    dominant: str
    landmarks: dict[str, list[float]] | None = None
    crop_base64: str | None = None


class PredictOut(BaseModel):
    """The answer of /v1/predict: an id for feedback, and the faces in detection order."""

    image_id: str
    model: str
    width: int
    height: int
    stored: bool
    faces: list[FaceOut]
    annotated_image_base64: str | None = None


class FeedbackIn(BaseModel):
    """The true emotion of face `face_index` of a predicted image."""

    image_id: str = Field(max_length=64)
    face_index: int = Field(ge=0)
    emotion: Name


class FeedbackOut(FeedbackIn):
    """Stored feedback; `has_crop` says whether it will be in the training export."""

    id: int
    has_crop: bool
