// EmoPy web app: upload or webcam (frames over a WebSocket), boxes + emoji, 30 s probability plot, feedback.
"use strict";
const video = $("video"), photo = $("photo"), overlay = $("overlay"), plot = $("plot");
window.emopyStats = {answered: 0};  // read by the browser test
let emotions = [], history = [], lastFaces = [], ws = null, frames = [];

async function init() {
  const h = await (await fetch("health")).json();
  emotions = h.emotions;
  $("status").textContent = `model ${h.model}`;
  $("legend").replaceChildren(...emotions.map((e, i) => {
    const key = el("span", {}, `■ ${EMOJI[e] || ""} ${e}`);
    key.style.color = COLORS[i % 8];  // a style property, not a style attribute: the page's policy allows no inline CSS
    return key;
  }));
}

function draw(faces, width, height) {
  lastFaces = faces;
  drawBoxes(overlay, faces, width, height);
  history.push({t: performance.now(), p: faces.length ? faces[0].emotions : null});
  const cutoff = performance.now() - 30000;
  while (history.length && history[0].t < cutoff) history.shift();
  drawPlot();
}

function listFaces(faces, imageId) {
  const shown = $("faces").querySelectorAll(".face");
  if (imageId === null && shown.length === faces.length && faces.length) {  // live: update text, keep the dropdowns
    faces.forEach((f, i) => {
      shown[i].querySelector(".emoji").textContent = EMOJI[f.dominant] || "";
      shown[i].querySelector(".dominant").textContent = `${f.dominant} ${Math.round(100 * f.emotions[f.dominant])}%`;
    });
    return;
  }
  const rows = faces.map((f) => {
    const options = emotions.map((e) => el("option", {value: e}, `${EMOJI[e] || ""} ${e}`));
    const select = el("select", {"aria-label": `true emotion of face ${f.face + 1}`}, el("option", {value: ""}, "actually…"), ...options);
    const sent = el("span", {class: "sent"});
    select.onchange = (ev) => sendFeedback(imageId, f.face, ev.target.value, div).catch((e) => (sent.textContent = `error: ${e.message}`));
    const div = el("div", {class: "face", "data-face": f.face}, el("span", {class: "emoji"}, EMOJI[f.dominant] || ""), ` face ${f.face + 1}: `,
      el("b", {class: "dominant"}, `${f.dominant} ${Math.round(100 * f.emotions[f.dominant])}%`), " ", select, " ", sent);
    return div;
  });
  $("faces").replaceChildren(...(rows.length ? rows : [el("p", {}, "no face found")]));
}

async function sendFeedback(imageId, index, emotion, div) {
  if (!emotion) return;
  if (!imageId) {  // a live frame: send it once, stored, so the feedback has a face crop to train on
    const res = await predictBlob(await frameBlob(video), true);
    imageId = res.image_id;
    const [x, y] = lastFaces[index].box;  // the same face in the stored frame: the nearest box
    index = res.faces.reduce((best, f) => (Math.hypot(f.box[0] - x, f.box[1] - y) < Math.hypot(res.faces[best].box[0] - x, res.faces[best].box[1] - y) ? f.face : best), 0);
  }
  const r = await fetch("v1/feedback", {method: "POST", headers: {"Content-Type": "application/json"},
    body: JSON.stringify({image_id: imageId, face: index, emotion})});
  div.querySelector(".sent").textContent = r.ok ? "✓ thanks" : `error: ${(await r.json()).detail}`;
}

function drawPlot() {
  const g = plot.getContext("2d"), W = plot.width, H = plot.height, now = performance.now();
  g.clearRect(0, 0, W, H);
  g.strokeStyle = "#eee";
  for (let i = 1; i < 4; i++) { g.beginPath(); g.moveTo(0, H * i / 4); g.lineTo(W, H * i / 4); g.stroke(); }
  emotions.forEach((e, k) => {
    g.strokeStyle = COLORS[k % 8]; g.lineWidth = 2; g.beginPath();
    let pen = false;
    for (const s of history) {
      if (!s.p) { pen = false; continue; }
      const x = W - (now - s.t) / 30000 * W, y = H - s.p[e] * H;
      pen ? g.lineTo(x, y) : g.moveTo(x, y); pen = true;
    }
    g.stroke();
  });
}

async function predictBlob(blob, store) {
  const form = new FormData();
  form.append("image", blob, "image.jpg");
  form.append("store", store ? "true" : "false");
  const r = await fetch("v1/predict", {method: "POST", body: form});
  const body = await r.json();
  if (!r.ok) throw new Error(body.detail);
  return body;
}

async function startCamera(calibrate = 0) {
  $("camera").disabled = true;
  photo.removeAttribute("src");
  video.hidden = false;
  if (ws && !calibrate) return;  // already streaming: the webcam view was only hidden by an upload
  if (ws) { ws.onclose = null; ws.close(); }
  if (!video.srcObject) await startWebcam(video);
  const url = wsUrl("v1/ws");
  if (calibrate) { url.searchParams.set("calibrate", calibrate); $("status").textContent = `calibrating: relax and look at the camera for ${calibrate} s`; }
  ws = new WebSocket(url);
  ws.binaryType = "arraybuffer";
  const answered = pumpFrames(ws, video);  // 15 fps target, at most 2 frames waiting for an answer
  ws.onmessage = (ev) => {
    answered();
    window.emopyStats.answered++;
    const msg = JSON.parse(ev.data);
    if (msg.calibrated) {
      window.emopyStats.calibrated = msg.calibrated;
      $("status").textContent = msg.calibrated.error || `calibrated to your resting face (${msg.calibrated.faces} frames)`;
      return;
    }
    if (msg.error) { $("status").textContent = msg.error; return; }
    frames.push(performance.now());
    while (frames.length && frames[0] < performance.now() - 1000) frames.shift();
    $("fps").textContent = `${frames.length} fps, ${msg.ms} ms/frame`;
    draw(msg.faces, msg.width, msg.height);
    listFaces(msg.faces, null);
  };
  ws.onclose = () => { $("status").textContent = "live stream closed; reload the page to restart it"; };
}

$("camera").onclick = () => startCamera().catch((e) => { $("status").textContent = `camera: ${e.message}`; $("camera").disabled = false; video.hidden = true; });
$("calibrate").onclick = () => startCamera(3).catch((e) => { $("status").textContent = `camera: ${e.message}`; });
$("file").onchange = async (ev) => {
  const file = ev.target.files[0];
  if (!file) return;
  photo.src = URL.createObjectURL(file);
  video.hidden = true;
  $("camera").disabled = false;
  try {
    const res = await predictBlob(file, $("store").checked);
    await photo.decode();
    draw(res.faces, res.width, res.height);
    listFaces(res.faces, res.image_id);
  } catch (e) { $("status").textContent = e.message; }
};
init().then(() => { if (new URLSearchParams(location.search).has("camera")) $("camera").click(); });
