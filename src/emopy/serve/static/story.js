// EmoPy story page: the server plays the story on its clock and decides from the webcam frames this page sends.
"use strict";
const video = $("video"), overlay = $("overlay"), media = $("media");
window.emopyStory = {segments: [], steps: [], ended: null, frames: 0};  // read by the browser test
let segment = null;

async function init() {
  const stories = await (await fetch("v1/stories")).json();
  const wanted = new URLSearchParams(location.search).get("story");
  $("story").replaceChildren(...stories.map((s) => el("option", {value: s.name, disabled: Boolean(s.error)}, `${s.title || s.name}${s.error ? " (broken)" : ""}`)));
  if (wanted) $("story").value = wanted;
  $("status").textContent = stories.length ? `${stories.length} stor${stories.length === 1 ? "y" : "ies"}` : "no stories on this server";
}

function showSegment(msg) {
  segment = {...msg, shownAt: performance.now()};
  window.emopyStory.segments.push(msg.segment);
  media.hidden = msg.kind !== "media" || !msg.media_url;
  $("card").hidden = !media.hidden;
  if (!media.hidden) { media.src = msg.media_url; media.play().catch(() => {}); } else { media.removeAttribute("src"); }
  $("card").textContent = msg.kind === "card" ? msg.content : `▶ ${msg.content}`;
  $("measure").replaceChildren(msg.decision ? el("p", {}, `Deciding in the last ${msg.decision.window} s on: ${msg.decision.emotions.map((e) => `${EMOJI[e] || ""} ${e}`).join(", ")}`)
    : msg.calibrate ? el("p", {class: "calibrating"}, `Calibrating to you: relax and look at the screen for ${msg.duration} s`) : "");
}

function showCalibrated(msg) {
  window.emopyStory.calibrated = msg;
  $("measure").replaceChildren(el("p", {}, msg.error || `Calibrated to your resting face (${msg.faces} frames)`));
}

function showMeasure(m) {
  if (!m || !segment || !segment.decision) return;
  const threshold = segment.decision.threshold;
  $("measure").replaceChildren(el("p", {}, `Deciding in the last ${segment.decision.window} s (threshold ${Math.round(100 * threshold)}%, ${m.face_frames} face frames so far)`),
    ...Object.entries(m.means).map(([e, v]) => el("div", {class: "meter"}, el("span", {}, `${EMOJI[e] || ""} ${e}`), " ",
      el("meter", {min: 0, max: 1, value: v, low: threshold, optimum: 1}), ` ${Math.round(100 * v)}%`)));
}

function showStep(step) {
  window.emopyStory.steps.push(step);
  const d = step.decision;
  const why = d ? ` → ${d.target} (${d.reason}${d.emotion ? `: ${EMOJI[d.emotion] || ""} ${d.emotion} ${Math.round(100 * d.means[d.emotion])}%` : ""}, ${d.face_frames}/${d.frames} frames with a face)` : "";
  $("path").append(el("li", {class: "step", "data-segment": step.segment}, el("b", {}, step.segment), why));
}

function tickBar() {
  if (segment) $("bar").style.width = `${Math.min(100, (performance.now() - segment.shownAt) / 10 / segment.duration)}%`;
  requestAnimationFrame(tickBar);
}

async function play() {
  $("play").disabled = true;
  $("path").replaceChildren();
  await startWebcam(video);
  const ws = new WebSocket(wsUrl(`v1/stories/${encodeURIComponent($("story").value)}/play`));
  ws.binaryType = "arraybuffer";
  const answered = pumpFrames(ws, video, 100);  // 10 fps is plenty for a decision window of seconds
  const frames = [];
  ws.onmessage = (ev) => {
    const msg = JSON.parse(ev.data);
    if (msg.type === "segment") showSegment(msg);
    else if (msg.type === "step") showStep(msg);
    else if (msg.type === "calibrated") showCalibrated(msg);
    else if (msg.type === "error") { answered(); $("status").textContent = msg.error; }
    else if (msg.type === "end") {
      window.emopyStory.ended = msg;
      segment = null;
      $("card").hidden = false; media.hidden = true; media.pause();
      $("card").textContent = `The end: ${msg.path.join(" → ")}`;
      $("measure").replaceChildren();
    } else if (msg.type === "frame") {
      answered();
      window.emopyStory.frames++;
      frames.push(performance.now());
      while (frames[0] < performance.now() - 1000) frames.shift();
      $("fps").textContent = `${frames.length} fps, ${msg.ms} ms/frame`;
      drawBoxes(overlay, msg.faces, video.videoWidth, video.videoHeight);
      showMeasure(msg.measure);
    }
  };
  ws.onclose = () => { $("play").disabled = false; video.srcObject.getTracks().forEach((t) => t.stop()); };
}

$("play").onclick = () => play().catch((e) => { $("status").textContent = `camera: ${e.message}`; $("play").disabled = false; });
init().then(() => { tickBar(); if (new URLSearchParams(location.search).has("autoplay")) $("play").click(); });
