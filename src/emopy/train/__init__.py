"""Training toolkit: trainer, evaluation, ONNX export (trainer and export need emopy-fer[train])."""
