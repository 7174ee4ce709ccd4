"""The cross-domain scoreboard of every shipped model and of candidate files: the table in RESULTS.md.

Each model is scored as FERModel gives it to users (card temperature and prior correction) on FER+ Valid/Test
(majority labels), CK+48 (6 classes) and FER2013 PublicTest/PrivateTest; see emopy.train.domains.
Run: python benchmarks/bench_domains.py [CANDIDATE.onnx ...] [--data ../shared/data] [--json out.json] [--write-cards]
`--write-cards` records each shipped model's board in its card (`metrics["domains"]`, with this command).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from emopy.cards import get_weights, list_pretrained, update_card
from emopy.train.domains import SCOREBOARD_HEADER, scoreboard, scoreboard_row


def record(model: str, board: dict) -> None:
    """Put `board` into the shipped model's card as metrics["domains"] (file and sidecar rewritten)."""
    weights = get_weights(model)
    domains = {**board, "command": "python benchmarks/bench_domains.py --write-cards"}
    update_card(weights.path, metrics={**weights.card.metrics, "domains": domains})


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
