// segmadiff studio: the page. Plain JS, no build step. The state lives in `studio` (also read by
// the browser test): the runs, the label map being edited, its undo history and the jobs.
'use strict';

const studio = {
  runs: [], run: null, data: [],
  size: 16, labels: new Int32Array(256), baseImage: null,
  paintClass: 1, undo: [], redo: [],
  job: null, lastJob: null, events: null,
};
window.studio = studio;

const $ = (selector) => document.querySelector(selector);
const token = new URLSearchParams(location.search).get('token');

// Every API call carries the token when the page was opened with one (the cookie set with the
// page covers images and event streams).
async function api(path, options = {}) {
  const headers = Object.assign({}, options.headers || {}, token ? { 'X-Studio-Token': token } : {});
  const response = await fetch(path, Object.assign({}, options, { headers }));
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error || `${response.status} ${response.statusText}`);
  return body;
}

function say(text) { $('#message').textContent = text || ''; }
function fail(error) { say(error.message || String(error)); }
const query = (params) => new URLSearchParams(params).toString();
const fileURL = (id) => `/api/file?${query({ file: id })}`;
const overlayURL = (id, kind) => `/api/overlay?${query({ run: studio.run.id, file: id, kind })}`;

// MARK: runs

async function loadRuns() {
  const answer = await api('/api/runs');
  studio.runs = answer.runs;
  const select = $('#run');
  select.innerHTML = '';
  for (const run of studio.runs) {
    const option = document.createElement('option');
    option.value = run.id;
    option.textContent = run.name + (run.editable ? '' : ' (not editable)');
    select.append(option);
  }
  if (studio.runs.length === 0) { say('No runs (folders with unet/config.json) under the --runs folders.'); return; }
  const first = studio.runs.find((run) => run.editable) || studio.runs[0];
  select.value = first.id;
  studio.data = answer.data ? (await api('/api/data')).samples : [];
  await selectRun(first.id);
}

async function selectRun(id) {
  studio.run = studio.runs.find((run) => run.id === id);
  const run = studio.run;
  if (run.error) { $('#run-info').textContent = run.error; return; }
  const millions = run.parameters ? (run.parameters / 1e6).toFixed(2) + ' M parameters' : '';
  $('#run-info').innerHTML = [
    `<b>${escapeHTML(run.name)}</b>`, `${run.image_size} px, ${run.image_channels} channel(s)`,
    `U-Net ${run.block_out_channels.join(',')} x${run.layers_per_block}, MDFormer ${run.mdformer}`, millions,
    `${run.classes.length} classes, ${run.mask_encoding} masks (${run.channel_mode})`,
    `${run.prediction}, ${run.scheduler}`,
    run.steps !== null ? `${run.steps} training steps` : '', run.last_loss !== null ? `last loss ${run.last_loss}` : '',
  ].filter(Boolean).join(' · ');
  studio.size = run.image_size;
  $('#sampler').value = run.default_sampler;
  renderClasses();
  fillStartList();
  $('#generate').disabled = !run.editable;
  loadGalleries().catch(fail);
  if (!run.editable) {
    startBlank();
    say('This run is not conditioned on one label map (unguided or multi channel mode): browse its samples.');
    return;
  }
  // The first held-out mask of the data set, when there is one: something to edit at once.
  if (studio.data.length > 0) {
    $('#start').selectedIndex = 1;
    await loadStart();
  } else {
    startBlank();
  }
}

function renderClasses() {
  const list = $('#classes');
  list.innerHTML = '';
  for (const entry of studio.run.classes) {
    const item = document.createElement('li');
    item.dataset.label = entry.label;
    item.innerHTML = `<span class="swatch" style="background:${entry.colour}"></span><span>${entry.label} ${escapeHTML(entry.name)}</span>`;
    item.addEventListener('click', () => selectClass(entry.label));
    list.append(item);
  }
  selectClass(Math.min(1, studio.run.classes.length - 1));
}

function selectClass(label) {
  studio.paintClass = label;
  for (const item of document.querySelectorAll('#classes li')) item.classList.toggle('selected', Number(item.dataset.label) === label);
}

// MARK: starting masks

function fillStartList() {
  const select = $('#start');
  select.innerHTML = '<option value="blank">blank (background)</option>';
  for (const sample of studio.data) {
    const option = document.createElement('option');
    option.value = 'data|' + sample.mask + '|' + (sample.image || '');
    option.textContent = `${sample.split}/${sample.name}`;
    select.append(option);
  }
}

function startBlank() {
  setLabels(new Int32Array(studio.size * studio.size), null, null);
}

async function loadStart() {
  const value = $('#start').value;
  if (value === 'blank') { startBlank(); return; }
  const [, mask, image] = value.split('|');
  await startFromMask(mask, image || null);
}

/// A mask file (data set, gallery or job result), at the model's size.
async function startFromMask(maskID, imageID) {
  const map = await api(`/api/mask?${query({ run: studio.run.id, file: maskID })}`);
  const base = imageID ? await loadImage(fileURL(imageID)) : null;
  setLabels(Int32Array.from(map.labels), base, imageID);
  say('');
}

function setLabels(labels, baseImage, imageID) {
  studio.labels = labels;
  studio.baseImage = baseImage;
  studio.sourceImage = imageID;
  studio.undo = [];
  studio.redo = [];
  const canvas = $('#mask-canvas');
  canvas.width = studio.size;
  canvas.height = studio.size;
  $('#translate').disabled = !imageID || !studio.run.editable;
  draw();
}

function loadImage(url) {
  return new Promise((resolve, reject) => {
    const image = new Image();
    image.onload = () => resolve(image);
    image.onerror = () => reject(new Error('image not loaded: ' + url));
    image.src = url;
  });
}

// MARK: drawing and painting

function colours() {
  return studio.run.classes.map((entry) => {
    const hex = entry.colour.slice(1);
    return [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16));
  });
}

function draw() {
  const canvas = $('#mask-canvas');
  const context = canvas.getContext('2d');
  const size = studio.size;
  context.fillStyle = '#000';
  context.fillRect(0, 0, size, size);
  if (studio.baseImage) context.drawImage(studio.baseImage, 0, 0, size, size);
  const under = context.getImageData(0, 0, size, size);
  const palette = colours();
  const alpha = 1 - Number($('#opacity').value) / 100;
  for (let i = 0; i < size * size; i++) {
    const label = studio.labels[i];
    if (label === 0) continue;
    const colour = palette[label] || [255, 255, 255];
    const weight = studio.baseImage ? alpha : 1;
    for (let c = 0; c < 3; c++) under.data[4 * i + c] = Math.round(under.data[4 * i + c] * (1 - weight) + colour[c] * weight);
    under.data[4 * i + 3] = 255;
  }
  context.putImageData(under, 0, 0);
}

function remember() {
  studio.undo.push(studio.labels.slice());
  if (studio.undo.length > 100) studio.undo.shift();
  studio.redo = [];
}

function undo() {
  if (studio.undo.length === 0) return;
  studio.redo.push(studio.labels);
  studio.labels = studio.undo.pop();
  draw();
}

function redo() {
  if (studio.redo.length === 0) return;
  studio.undo.push(studio.labels);
  studio.labels = studio.redo.pop();
  draw();
}

function pixelAt(event) {
  const rect = $('#mask-canvas').getBoundingClientRect();
  return [Math.floor((event.clientX - rect.left) / rect.width * studio.size),
          Math.floor((event.clientY - rect.top) / rect.height * studio.size)];
}

function paintDisc(x, y, label) {
  const radius = Number($('#brush-size').value);
  const size = studio.size;
  for (let dy = -radius; dy <= radius; dy++) {
    for (let dx = -radius; dx <= radius; dx++) {
      const px = x + dx, py = y + dy;
      if (dx * dx + dy * dy > radius * radius + radius || px < 0 || py < 0 || px >= size || py >= size) continue;
      studio.labels[py * size + px] = label;
    }
  }
}

function paintLine(from, to, label) {
  const steps = Math.max(Math.abs(to[0] - from[0]), Math.abs(to[1] - from[1]), 1);
  for (let i = 0; i <= steps; i++) {
    paintDisc(Math.round(from[0] + (to[0] - from[0]) * i / steps), Math.round(from[1] + (to[1] - from[1]) * i / steps), label);
  }
}

/// 4-connected flood fill of the region under (x, y).
function fill(x, y, label) {
  const size = studio.size, labels = studio.labels;
  const target = labels[y * size + x];
  if (target === label) return;
  const stack = [[x, y]];
  while (stack.length > 0) {
    const [px, py] = stack.pop();
    if (px < 0 || py < 0 || px >= size || py >= size || labels[py * size + px] !== target) continue;
    labels[py * size + px] = label;
    stack.push([px + 1, py], [px - 1, py], [px, py + 1], [px, py - 1]);
  }
}

function installPainting() {
  const canvas = $('#mask-canvas');
  let last = null;
  let label = 1;
  canvas.addEventListener('contextmenu', (event) => event.preventDefault());
  canvas.addEventListener('pointerdown', (event) => {
    if (!studio.run || !studio.run.editable) return;
    canvas.setPointerCapture(event.pointerId);
    label = event.button === 2 ? 0 : studio.paintClass;
    const point = pixelAt(event);
    remember();
    if (document.querySelector('input[name=tool]:checked').value === 'fill') {
      fill(point[0], point[1], label);
      last = null;
    } else {
      paintLine(point, point, label);
      last = point;
    }
    draw();
  });
  canvas.addEventListener('pointermove', (event) => {
    if (!last) return;
    const point = pixelAt(event);
    paintLine(last, point, label);
    last = point;
    draw();
  });
  const end = () => { last = null; };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);
}

// MARK: jobs

function seeds() {
  return $('#seeds').value.split(/[\s,]+/).filter(Boolean).map(Number);
}

async function submit(mode) {
  const body = {
    run: studio.run.id, mode, mask: { width: studio.size, height: studio.size, labels: Array.from(studio.labels) },
    sampler: $('#sampler').value, steps: Number($('#steps').value), guidance_scale: Number($('#guidance').value),
    seeds: seeds(), strength: Number($('#strength').value) / 100,
  };
  if (mode === 'translate') body.image = studio.sourceImage;
  const job = await api('/api/jobs', { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });
  say('');
  watch(job);
}

function watch(job) {
  const record = { id: job.id, state: job.state, seeds: job.request.seeds, results: null };
  studio.job = record;
  studio.lastJob = record;
  renderResultCards(record);
  $('#cancel').disabled = false;
  setProgress(0, 0, job.state === 'queued' ? `queued (${job.position} ahead)` : job.state);
  const events = new EventSource(`/api/jobs/${job.id}/events`);
  studio.events = events;
  events.addEventListener('state', (event) => {
    const data = JSON.parse(event.data);
    if (data.state === 'queued') setProgress(0, 0, `queued (${data.position} ahead)`);
    if (data.state === 'running') setProgress(0, 0, 'running');
  });
  events.addEventListener('progress', (event) => {
    const data = JSON.parse(event.data);
    setProgress(data.step, data.total, `step ${data.step} of ${data.total}`);
  });
  events.addEventListener('preview', (event) => {
    JSON.parse(event.data).images.forEach((url, index) => showImage(record, index, url));
  });
  const finish = (state) => (event) => {
    events.close();
    record.state = state;
    if (studio.job === record) { studio.job = null; $('#cancel').disabled = true; }
    const data = event.data ? JSON.parse(event.data) : {};
    if (state === 'done') {
      record.results = data;
      data.images.forEach((url, index) => showImage(record, index, url));
      addLinks(record, data);
      setProgress(1, 1, `done in ${data.seconds.toFixed(1)} s`);
    } else {
      setProgress(0, 0, state === 'failed' ? 'failed' : 'cancelled');
      if (state === 'failed') say(data.error);
    }
  };
  events.addEventListener('done', finish('done'));
  events.addEventListener('failed', finish('failed'));
  events.addEventListener('cancelled', finish('cancelled'));
}

async function cancel() {
  if (!studio.job) return;
  await api(`/api/jobs/${studio.job.id}/cancel`, { method: 'POST' }).catch(fail);
}

function setProgress(step, total, text) {
  $('#progress-bar').style.right = total > 0 ? `${100 - 100 * step / total}%` : '100%';
  $('#progress-text').textContent = text;
}

function renderResultCards(record) {
  const strip = $('#results');
  strip.innerHTML = '';
  record.seeds.forEach((seed, index) => {
    const card = document.createElement('div');
    card.className = 'card';
    card.id = `result-${index}`;
    card.innerHTML = `<div class="title">seed ${seed}</div><div class="stack"><img class="results-image" alt="seed ${seed}"><img class="overlay" alt=""></div><div class="links"></div>`;
    strip.append(card);
  });
}

function showImage(record, index, url) {
  if (studio.lastJob !== record) return;
  const image = document.querySelector(`#result-${index} img.results-image`);
  if (image) image.src = url;
}

function addLinks(record, results) {
  record.seeds.forEach((seed, index) => {
    const card = document.querySelector(`#result-${index}`);
    if (!card) return;
    card.querySelector('img.overlay').src = results.mask_overlay;
    card.querySelector('.links').innerHTML =
      `<a href="${results.images[index]}" download="seed-${seed}.png">PNG</a>` +
      `<a href="${results.arrays[index]}" download="seed-${seed}.npy">NPY</a>` +
      `<a href="${results.mask}" download="mask.png">mask PNG</a>` +
      `<a href="${results.mask_array}" download="mask.npy">mask NPY</a>` +
      `<a href="#" class="edit-result">show under the mask</a>`;
    card.querySelector('.edit-result').addEventListener('click', (event) => {
      event.preventDefault();
      loadImage(results.images[index]).then((image) => { studio.baseImage = image; draw(); });
    });
  });
}

// MARK: samples

async function loadGalleries() {
  const answer = await api(`/api/galleries?${query({ run: studio.run.id })}`);
  const root = $('#galleries');
  root.innerHTML = answer.galleries.length ? '' : '<p>No samples yet: eval, eval_many and synthesize outputs appear here.</p>';
  for (const gallery of answer.galleries) {
    const section = document.createElement('div');
    section.className = 'gallery';
    section.innerHTML = `<h2>${escapeHTML(gallery.title)}</h2>`;
    const strip = document.createElement('div');
    strip.className = 'strip';
    for (const item of gallery.items) {
      const card = document.createElement('div');
      card.className = 'card';
      const kind = gallery.mask_kind === 'grid' ? 'grid' : 'tile';
      const overlay = item.mask ? `<img class="overlay" src="${overlayURL(item.mask, gallery.mask_kind)}" alt="">` : '';
      card.innerHTML = `<div class="title">${escapeHTML(item.title)}</div><div class="stack"><img class="${kind}" src="${fileURL(item.image)}" alt="">${overlay}</div>`;
      if (item.mask && gallery.mask_kind === 'labels') {
        const edit = document.createElement('button');
        edit.textContent = 'Edit this mask';
        edit.addEventListener('click', () => {
          switchView('editor');
          startFromMask(item.mask, null).then(() => loadImage(fileURL(item.image))).then((image) => { studio.baseImage = image; draw(); }).catch(fail);
        });
        card.append(edit);
      }
      strip.append(card);
    }
    section.append(strip);
    root.append(section);
  }
}

function switchView(name) {
  history.replaceState(null, '', name === 'samples' ? '#samples' : location.pathname + location.search);
  for (const tab of document.querySelectorAll('.tab')) tab.classList.toggle('active', tab.dataset.view === name);
  $('#view-editor').classList.toggle('hidden', name !== 'editor');
  $('#view-samples').classList.toggle('hidden', name !== 'samples');
}

function escapeHTML(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

// MARK: wiring

function install() {
  installPainting();
  $('#run').addEventListener('change', (event) => selectRun(event.target.value).catch(fail));
  $('#load-start').addEventListener('click', () => loadStart().catch(fail));
  $('#undo').addEventListener('click', undo);
  $('#redo').addEventListener('click', redo);
  $('#generate').addEventListener('click', () => submit('generate').catch(fail));
  $('#translate').addEventListener('click', () => submit('translate').catch(fail));
  $('#cancel').addEventListener('click', cancel);
  $('#opacity').addEventListener('input', draw);
  $('#brush-size').addEventListener('input', (event) => { $('#brush-size-value').textContent = event.target.value; });
  $('#strength').addEventListener('input', (event) => { $('#strength-value').textContent = (event.target.value / 100).toFixed(2); });
  $('#show-masks').addEventListener('change', (event) => document.body.classList.toggle('show-masks', event.target.checked));
  for (const tab of document.querySelectorAll('.tab')) tab.addEventListener('click', () => switchView(tab.dataset.view));
  document.addEventListener('keydown', (event) => {
    if (!(event.ctrlKey || event.metaKey)) return;
    if (event.key === 'z') { event.preventDefault(); undo(); }
    if (event.key === 'y') { event.preventDefault(); redo(); }
  });
  // A closed page stops its job (the server also notices the event stream close).
  window.addEventListener('pagehide', () => {
    if (studio.job) navigator.sendBeacon(`/api/jobs/${studio.job.id}/cancel${token ? '?token=' + token : ''}`);
  });
  // #samples opens the samples view (a link or bookmark to it).
  if (location.hash === '#samples') switchView('samples');
  loadRuns().then(() => { studio.ready = true; }).catch(fail);
}

install();
