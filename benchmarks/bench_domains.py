"""The cross-domain scoreboard of every shipped model and of candidate files: the table in RESULTS.md.

Each model is scored as FERModel gives it to users (card temperature and prior correction) on FER+ Valid/Test
(majority labels), CK+48 (6 classes) and FER2013 PublicTest/PrivateTest; see emopy.train.domains.
Run: python benchmarks/bench_domains.py [CANDIDATE.onnx ...] [--data ../shared/data] [--json out.json] [--write-cards]
`--write-cards` records each shipped model's board in its card (`metrics["domains"]`, with this command).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

from emopy.predict.runtime import Classifier
from emopy.pretrained import list_pretrained, resolve_model
from emopy.train.domains import SCOREBOARD_HEADER, scoreboard, scoreboard_row


def record(model: str, board: dict) -> None:
    """Put `board` into the shipped model's card as metrics["domains"] (file and sidecar rewritten)."""
    from emopy.train.export import write_card

    card = Classifier(model).card
    domains = {**board, "command": "python benchmarks/bench_domains.py --write-cards"}
    write_card(resolve_model(model), replace(card, metrics={**card.metrics, "domains": domains}))


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("candidates", nargs="*", help="Further .onnx files to score beside the shipped models.")
    p.add_argument("--data", type=Path, help="Shared data folder (default $EMOPY_DATA or ../shared/data).")
    p.add_argument("--json", type=Path, help="Write every board here.")
    p.add_argument("--write-cards", action="store_true", help="Record each shipped model's board in its card.")
    args = p.parse_args()
    print(SCOREBOARD_HEADER, flush=True)
    boards = []
    for model in [*list_pretrained(), *args.candidates]:
        board = scoreboard(model, args.data)
        boards.append(board)
        print(scoreboard_row(board), flush=True)
        if args.write_cards and model in list_pretrained():
            record(model, board)
    if args.json:
        args.json.write_text(json.dumps(boards, indent=1) + "\n")


if __name__ == "__main__":
    main()
