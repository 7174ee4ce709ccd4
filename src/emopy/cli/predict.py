"""`emopy predict`, `emopy models`, `emopy bench`: prediction with shipped or exported models."""

from __future__ import annotations
