// vaekit explore: the latent map, sliders, interpolation and samples of one run.
"use strict";
const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
  "#7f7f7f", "#bcbd22", "#17becf"];
const $ = (id) => document.getElementById(id);
let meta = null, z = [], exampleZ = null, view = null, pending = null, inFlight = false;

function showError(msg) { $("error").textContent = msg || ""; }

async function api(path, body) {
  const opts = body === undefined ? {} : { method: "POST", body: JSON.stringify(body),
    headers: { "Content-Type": "application/json" } };
  const r = await fetch(path, opts);
  if (!r.ok) {
    let msg = r.status + "";
    try { msg = (await r.json()).error; } catch (e) { /* not JSON */ }
    throw new Error(msg);
  }
  return r;
}

function render(el, output) {  // an image data URL, a table row, or a string
  if (typeof output === "string" && output.startsWith("data:image/")) {
    const img = document.createElement("img");
    img.className = "small"; img.src = output; el.appendChild(img);
  } else if (Array.isArray(output)) {
    const t = document.createElement("table"); t.className = "rowview";
    output.forEach((v, i) => { const tr = t.insertRow(); tr.insertCell().textContent =
      (meta.columns && meta.columns[i]) || ("x" + i); tr.insertCell().textContent = v; });
    el.appendChild(t);
  } else {
    const p = document.createElement("pre"); p.className = "text"; p.textContent = output;
    el.appendChild(p);
  }
}

function setBig(viewId, imgId, output) {
  if (meta.kind === "image") { $(imgId).src = output; return; }
  const el = $(viewId); el.innerHTML = ""; render(el, output);
}

// ------------------------------------------------------------------ decoding (latest wins)
function requestDecode() { pending = z.slice(); if (!inFlight) pump(); }
async function pump() {
  if (pending === null) return;
  const zz = pending; pending = null; inFlight = true;
  try {
    if (meta.kind === "image") {
      const r = await api("/api/decode.png", { z: zz, label: currentLabel() });
      const url = URL.createObjectURL(await r.blob());
      const img = $("decoded"); const old = img.src; img.src = url;
      img.dataset.version = String(Number(img.dataset.version || 0) + 1);
      if (old.startsWith("blob:")) URL.revokeObjectURL(old);
    } else {
      const r = await (await api("/api/decode", { z: zz, label: currentLabel() })).json();
      setBig("decoded-view", "decoded", r.output);
      $("decoded-view").dataset.version = String(Number($("decoded-view").dataset.version || 0) + 1);
    }
    showError("");
  } catch (e) { showError(e.message); }
  inFlight = false;
  if (pending !== null) pump();
}

function currentLabel() {
  if (!meta.conditional) return null;
  const v = $("samples-class").value; return v === "" ? 0 : Number(v);
}

// ------------------------------------------------------------------ map
function setupView() {
  const pts = meta.points; let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (const [x, y] of pts) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
  if (!isFinite(x0)) { x0 = -3; x1 = 3; y0 = -3; y1 = 3; }
  const px = (x1 - x0) * 0.08 + 1e-6, py = (y1 - y0) * 0.08 + 1e-6;
  view = { x0: x0 - px, x1: x1 + px, y0: y0 - py, y1: y1 + py };
}
function toCanvas(x, y) {
  const c = $("map");
  return [(x - view.x0) / (view.x1 - view.x0) * c.width, (1 - (y - view.y0) / (view.y1 - view.y0)) * c.height];
}
function fromCanvas(cx, cy) {
  const c = $("map");
  return [view.x0 + cx / c.width * (view.x1 - view.x0), view.y0 + (1 - cy / c.height) * (view.y1 - view.y0)];
}
function drawMap(marker) {
  const c = $("map"), g = c.getContext("2d");
  g.clearRect(0, 0, c.width, c.height);
  meta.points.forEach(([x, y], i) => {
    const [cx, cy] = toCanvas(x, y);
    g.fillStyle = meta.labels ? PALETTE[meta.labels[i] % PALETTE.length] : "#1f77b4";
    g.globalAlpha = 0.55; g.fillRect(cx - 1.5, cy - 1.5, 3, 3);
  });
  g.globalAlpha = 1;
  if (marker) { g.strokeStyle = "#000"; g.lineWidth = 2; g.beginPath(); g.arc(marker[0], marker[1], 6, 0, 2 * Math.PI); g.stroke(); }
}
function zFromMap(mx, my) {
  return meta.origin.map((o, d) => o + mx * meta.axes[0][d] + my * meta.axes[1][d]);
}
function nearest(cx, cy) {
  let best = -1, bd = 49;  // within 7 px
  meta.points.forEach(([x, y], i) => {
    const [px, py] = toCanvas(x, y); const d = (px - cx) ** 2 + (py - cy) ** 2;
    if (d < bd) { bd = d; best = i; }
  });
  return best;
}
function pointerAt(ev) {
  const r = $("map").getBoundingClientRect();
  return [(ev.clientX - r.left) * $("map").width / r.width, (ev.clientY - r.top) * $("map").height / r.height];
}

// ------------------------------------------------------------------ sliders
function buildSliders() {
  const box = $("sliders"); box.innerHTML = "";
  meta.order.forEach((d) => {
    const row = document.createElement("div"); row.className = "slider";
    const name = document.createElement("span"); name.textContent = `z${d} (KL ${meta.kl[d].toFixed(2)})`;
    const s = document.createElement("input"); s.type = "range"; s.min = -4; s.max = 4; s.step = 0.01;
    s.className = "zslider"; s.dataset.dim = d; s.value = z[d];
    const v = document.createElement("span"); v.textContent = Number(z[d]).toFixed(2);
    s.addEventListener("input", () => { z[d] = Number(s.value); v.textContent = z[d].toFixed(2); requestDecode(); drawMap(); });
    row.append(name, s, v); box.appendChild(row);
  });
}
function syncSliders() {
  document.querySelectorAll(".zslider").forEach((s) => {
    const d = Number(s.dataset.dim); s.value = z[d]; s.nextSibling.textContent = Number(z[d]).toFixed(2);
  });
}

async function showExample(i) {
  try {
    const r = await (await api("/api/example/" + i)).json();
    $("example-name").textContent = `#${i}` + (r.label !== null && meta.classes.length ? ` (${meta.classes[r.label] ?? r.label})` : "");
    setBig("example-input-view", "example-input", r.input);
    setBig("example-recon-view", "example-recon", r.reconstruction);
    $("example-recon").dataset.index = String(i);
    exampleZ = r.z.slice(); z = r.z.slice(); syncSliders(); requestDecode();
    drawMap(toCanvas(...meta.points[i]));
  } catch (e) { showError(e.message); }
}

// ------------------------------------------------------------------ set-up
async function main() {
  try { meta = await (await api("/api/meta")).json(); } catch (e) { $("meta").textContent = ""; showError(e.message); return; }
  $("title").textContent = `vaekit explore: ${meta.run}`;
  const metrics = Object.entries(meta.metrics).map(([k, v]) => `${k} ${Number(v).toFixed(3)}`).join(", ");
  $("meta").textContent = `${meta.model} on ${meta.dataset} (${meta.split} split), latent ${meta.latent_dim}; ` +
    Object.entries(meta.config).map(([k, v]) => `${k} ${JSON.stringify(v)}`).join(", ") + (metrics ? `; ${metrics}` : "");
  if (meta.classes.length) {
    $("legend").innerHTML = meta.classes.map((c, i) => `<span><i class="swatch" style="background:${PALETTE[i % PALETTE.length]}"></i>${c}</span>`).join("");
  }
  if (meta.conditional) {
    const sel = $("samples-class"); sel.hidden = false;
    sel.innerHTML = meta.classes.map((c, i) => `<option value="${i}">${c}</option>`).join("") ||
      [...Array(10).keys()].map((i) => `<option value="${i}">${i}</option>`).join("");
    sel.addEventListener("change", requestDecode);
  }
  $("samples-go").addEventListener("click", drawSamples);
  if (meta.note) {
    $("note").hidden = false; $("note").textContent = meta.note;
    $("main").hidden = true; $("interp-go").disabled = true;
    drawSamples(); return;
  }
  $("projection").textContent = `(${meta.projection})`;
  z = meta.origin.slice(); setupView(); drawMap(); buildSliders(); requestDecode();
  const c = $("map"); let dragging = false;
  const follow = (ev) => { const [cx, cy] = pointerAt(ev); z = zFromMap(...fromCanvas(cx, cy)); syncSliders(); drawMap([cx, cy]); requestDecode(); };
  c.addEventListener("pointerdown", (ev) => { dragging = true; follow(ev); });
  c.addEventListener("pointermove", (ev) => { if (dragging || ev.buttons === 0) follow(ev); });
  window.addEventListener("pointerup", () => { dragging = false; });
  c.addEventListener("click", (ev) => { const i = nearest(...pointerAt(ev)); if (i >= 0) showExample(i); });
  $("reset-example").addEventListener("click", () => { if (exampleZ) { z = exampleZ.slice(); syncSliders(); requestDecode(); } });
  $("reset-prior").addEventListener("click", () => { z = z.map(() => 0); syncSliders(); requestDecode(); });
  $("interp-go").addEventListener("click", async () => {
    try {
      const end = (id) => { const v = $(id).value.trim();  // "12" an example, "c3" class 3
        return v.startsWith("c") ? { class: Number(v.slice(1)) } : Number(v); };
      const r = await (await api("/api/interpolate", { a: end("interp-a"), b: end("interp-b"),
        steps: Number($("interp-steps").value), spherical: $("interp-spherical").checked })).json();
      const el = $("interp-strip"); el.innerHTML = ""; r.outputs.forEach((o) => render(el, o)); showError("");
    } catch (e) { showError(e.message); }
  });
}

async function drawSamples() {
  try {
    const body = { n: Number($("samples-n").value), seed: Number($("samples-seed").value) };
    if (meta.conditional) body.label = Number($("samples-class").value || 0);
    const r = await (await api("/api/samples", body)).json();
    const el = $("samples-grid"); el.innerHTML = ""; r.outputs.forEach((o) => render(el, o)); showError("");
  } catch (e) { showError(e.message); }
}

main();
