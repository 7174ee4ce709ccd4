"""One router per resource: predict, feedback, images, health and the webcam WebSocket."""
