// Shared by the EmoPy pages: emoji per emotion, webcam start, JPEG frames and WebSocket URLs.
"use strict";
const EMOJI = {anger: "😠", disgust: "🤢", fear: "😨", happiness: "😄", sadness: "😢", surprise: "😲", neutral: "😐", contempt: "😒"};
const COLORS = ["#d62728", "#8c564b", "#9467bd", "#2ca02c", "#1f77b4", "#ff7f0e", "#7f7f7f", "#e377c2"];
const $ = (id) => document.getElementById(id);

// A new element with attributes (false or null ones left out) and children: strings go in as text, never as HTML,
// so names, titles and messages from the server cannot add markup or scripts to the page.
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value !== false && value != null) node.setAttribute(name, value === true ? "" : value);
  }
  node.append(...children);
  return node;
}

async function startWebcam(video) {
  video.srcObject = await navigator.mediaDevices.getUserMedia({video: {width: 640, height: 480}, audio: false});
  await video.play();
}

function frameBlob(video) {
  const c = document.createElement("canvas");
  c.width = video.videoWidth; c.height = video.videoHeight;
  c.getContext("2d").drawImage(video, 0, 0);
  return new Promise((ok) => c.toBlob(ok, "image/jpeg", 0.8));
}

function wsUrl(path) {
  const url = new URL(path, location.href);
  url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  return url;
}

// Send webcam frames over `ws` every `everyMs`, at most `maxInFlight` unanswered; returns a function to call per answer.
function pumpFrames(ws, video, everyMs = 66, maxInFlight = 2) {
  let inFlight = 0;
  const timer = setInterval(async () => {
    if (ws.readyState > 1) { clearInterval(timer); return; }
    if (ws.readyState !== 1 || inFlight >= maxInFlight || !video.videoWidth || video.hidden) return;
    inFlight++;
    ws.send(await (await frameBlob(video)).arrayBuffer());
  }, everyMs);
  return () => { inFlight = Math.max(0, inFlight - 1); };
}

function drawBoxes(canvas, faces, width, height) {
  canvas.width = width; canvas.height = height;
  const g = canvas.getContext("2d");
  g.clearRect(0, 0, width, height);
  g.lineWidth = Math.max(2, width / 300);
  g.font = `${Math.max(16, width / 25)}px sans-serif`;
  for (const f of faces) {
    const [x, y, w, h] = f.box;
    g.strokeStyle = "#ffc800"; g.strokeRect(x, y, w, h);
    const label = `${EMOJI[f.dominant] || ""} ${f.dominant} ${Math.round(100 * f.emotions[f.dominant])}%`;
    g.fillStyle = "#ffc800"; g.fillRect(x, y - parseInt(g.font) - 6, g.measureText(label).width + 8, parseInt(g.font) + 6);
    g.fillStyle = "#000"; g.fillText(label, x + 4, y - 6);
  }
}
