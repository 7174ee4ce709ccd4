"""Stories in the browser: list and read story files, serve their media, and play one live over a WebSocket."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, WebSocket
from fastapi.responses import FileResponse

from ...errors import StoryError, UnknownStory
from ..contract import errors
from ..live import LiveEngine, get_live
from ..settings import Settings, get_settings
from ..stories import LiveStory, StoryLibrary

router = APIRouter(prefix="/v1/stories", tags=["stories"])


def get_library(settings: Annotated[Settings, Depends(get_settings)]) -> StoryLibrary:
    """The story folder of this server (EMOPY_STORIES, default: the shipped examples)."""
    return StoryLibrary(settings.stories)


Library = Annotated[StoryLibrary, Depends(get_library)]


@router.get("")
def list_stories(library: Library) -> list[dict]:
    """Every story in the folder: name, title, start segment, the emotions its decisions measure."""
    return [library.summary(name) for name in library.names()]


@router.get("/{name}", responses=errors(404, 422))
def get_story(name: str, library: Library) -> dict:
    """One story, validated, as JSON."""
    try:
        return library.public(name)
    except UnknownStory as exc:
        raise HTTPException(404, str(exc)) from None
    except StoryError as exc:
        raise HTTPException(422, str(exc)) from None


@router.get(
    "/{name}/media/{file:path}",
    response_class=FileResponse,
    responses={200: {"content": {"*/*": {}}, "description": "The file, typed by its extension."}, **errors(404)},
)
def get_media(name: str, file: str, library: Library) -> FileResponse:
    """A media file the story's segments name (nothing else in the story folder)."""
    try:
        return FileResponse(library.media(name, file))
    except (UnknownStory, StoryError) as exc:
        raise HTTPException(404, str(exc)) from None


@router.websocket("/{name}/play")
async def play(
    ws: WebSocket,
    name: str,
    library: Library,
    engine: Annotated[LiveEngine, Depends(get_live)],
    model: str | None = None,
) -> None:
    """Play a story from the viewer's webcam: binary JPEG/PNG frames in; segment, frame, step and end messages out."""
    await engine.serve(ws, LiveStory, model, name=name, library=library)
