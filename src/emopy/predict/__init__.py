"""Prediction with exported models: face detection, alignment and onnxruntime inference (no PyTorch here)."""

from __future__ import annotations

from .detect import Detection, FaceDetector, available_detectors, get_detector
from .model import Face, FERModel
from .runtime import Classifier

__all__ = ["Classifier", "Detection", "FERModel", "Face", "FaceDetector", "available_detectors", "get_detector"]
