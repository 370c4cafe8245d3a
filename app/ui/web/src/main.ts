// The page: wires the controls, the API calls and the result views together.
import './styles.css';
import { type ApiState, checkApi, listModels, predict } from './api.js';
import { buildCurl } from './curl.js';
import { type Drawn, detectionAt, drawDetections } from './draw.js';
import { checkImageFile, type Problem, sniffImageType } from './errors.js';
import { CONFIDENCE_FLOOR, clampConfidence, filterByConfidence, rankClasses } from './filter.js';
import { duration, percent } from './format.js';
import { labelOf } from './geometry.js';
import { colourFor } from './palette.js';
import { readingOrder } from './reading-order.js';
import { SAMPLES } from './samples.js';
import type { ModelMeta, PredictResponse } from './types.js';

function $<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from index.html`);
  return el as T;
}

const ui = {
  status: $('api-status'),
  model: $<HTMLSelectElement>('model'),
  modelInfo: $('model-info'),
  dropzone: $('dropzone'),
  file: $<HTMLInputElement>('file'),
  camera: $<HTMLInputElement>('camera'),
  imageName: $('image-name'),
  samples: $('sample-list'),
  confidence: $<HTMLInputElement>('confidence'),
  confidenceValue: $<HTMLOutputElement>('confidence-value'),
  predict: $<HTMLButtonElement>('predict'),
  progress: $<HTMLProgressElement>('progress'),
  results: $('results'),
  problem: $('problem'),
  figure: $('figure'),
  canvas: $<HTMLCanvasElement>('canvas'),
  hoverText: $('hover-text'),
  caption: $('caption'),
  labelsToggle: $('labels-toggle'),
  showLabels: $<HTMLInputElement>('show-labels'),
  textSection: $('text-section'),
  textLines: $<HTMLTextAreaElement>('text-lines'),
  copyText: $<HTMLButtonElement>('copy-text'),
  copyTextStatus: $('copy-text-status'),
  empty: $('empty'),
  stats: $('stats'),
  serverTime: $('server-time'),
  roundTrip: $('round-trip'),
  shownCount: $('shown-count'),
  classesSection: $('classes-section'),
  classes: $<HTMLOListElement>('classes'),
  tableWrap: $('table-wrap'),
  tbody: $<HTMLTableElement>('detections').tBodies[0] as HTMLTableSectionElement,
  actions: $('actions'),
  download: $<HTMLButtonElement>('download'),
  copyCurl: $<HTMLButtonElement>('copy-curl'),
  copyStatus: $('copy-status'),
  curlDetails: $<HTMLDetailsElement>('curl-details'),
  curl: $('curl'),
};

interface Picked {
  blob: Blob;
  name: string;
  bitmap: ImageBitmap;
  /** The file name "copy as curl" uses: a sample's path in the repository, else the file's own name. */
  curlName: string;
}

const state: {
  image?: Picked;
  result?: { response: PredictResponse; roundTripMs: number; image: Picked };
  models: ModelMeta[];
  api: ApiState['state'] | 'checking';
  busy: boolean;
  highlight?: number;
  /** The image the last prediction failed on: the caption says so instead of "Press Predict". */
  failed?: Picked;
  drawn?: Drawn;
} = { models: [], api: 'checking', busy: false };

// ---- problems --------------------------------------------------------------------------------------------

/** Where the problem on show came from: the status poll clears only its own. */
type ProblemSource = 'status' | 'action';

function showProblem(problem: Problem, source: ProblemSource = 'action') {
  (ui.problem.querySelector('.problem-title') as HTMLElement).textContent = problem.title;
  (ui.problem.querySelector('.problem-hint') as HTMLElement).textContent = problem.hint;
  ui.problem.dataset.source = source;
  ui.problem.hidden = false;
  render();
  // The answer to something the user did: bring it where they are looking (on a phone the results are far
  // below the controls), and focus it for screen readers. The status poll never moves the page.
  if (source === 'action') reveal(ui.problem);
}

/** Focuses an element and scrolls it into view unless it is already fully visible. */
function reveal(element: HTMLElement) {
  element.focus({ preventScroll: true });
  const box = element.getBoundingClientRect();
  if (box.top < 0 || box.bottom > window.innerHeight) element.scrollIntoView({ block: 'center' });
}

function clearProblem(source?: ProblemSource) {
  if (source && ui.problem.dataset.source !== source) return;
  ui.problem.hidden = true;
}

/** Forgets the image on show: after a rejected file, Predict must not quietly run the previous one. */
function dropImage() {
  state.image?.bitmap.close();
  state.image = undefined;
  state.result = undefined;
  state.failed = undefined;
  state.highlight = undefined;
}

// ---- API status and models -------------------------------------------------------------------------------

const STATUS_TEXT = { ready: 'API ready', warming: 'API warming up…', down: 'API down' } as const;

async function refreshStatus() {
  const api = await checkApi();
  const changed = state.api !== api.state;
  state.api = api.state;
  ui.status.dataset.state = api.state;
  const version = api.state === 'ready' && api.health.version ? ` · v${api.health.version}` : '';
  (ui.status.querySelector('.badge-text') as HTMLElement).textContent = STATUS_TEXT[api.state] + version;
  ui.status.title = api.state === 'ready' ? 'The model server answers and is warmed up.' : api.problem.hint;
  if (api.state === 'ready') clearProblem('status');
  else if (ui.problem.hidden || ui.problem.dataset.source === 'status') showProblem(api.problem, 'status');
  if (api.state === 'ready' && state.models.length === 0) await refreshModels();
  updatePredictButton();
  if (changed) render();
}

async function refreshModels() {
  const models = await listModels();
  if (!models.ok) {
    ui.model.replaceChildren(new Option('Models unavailable', ''));
    ui.model.disabled = true;
    ui.modelInfo.textContent = models.problem.title;
    return;
  }
  state.models = models.value;
  const previous = ui.model.value;
  ui.model.replaceChildren(
    ...models.value.map((m) => {
      const option = new Option(m.task && m.task !== m.name ? `${m.name} (${m.task})` : m.name, m.name);
      // A model whose files failed to load is listed, with why, but cannot be picked.
      if (m.reason) {
        option.text = `${m.name} (failed to load)`;
        option.title = m.reason;
        option.disabled = true;
      }
      return option;
    }),
  );
  const usable = models.value.filter((m) => !m.reason);
  if (usable.some((m) => m.name === previous)) ui.model.value = previous;
  else if (usable[0]) ui.model.value = usable[0].name;
  ui.model.disabled = models.value.length === 0;
  describeModel();
}

function describeModel() {
  const meta = state.models.find((m) => m.name === ui.model.value);
  const failed = state.models.filter((m) => m.reason).map((m) => `“${m.name}” failed to load: ${m.reason}.`);
  const parts = [meta?.description, meta?.provider ? `Runs on ${meta.provider.toUpperCase()}.` : undefined];
  ui.modelInfo.textContent = [...parts, ...failed].filter(Boolean).join(' ');
}

function updatePredictButton() {
  ui.predict.disabled = state.busy || !state.image || !ui.model.value;
}

// ---- picking an image ------------------------------------------------------------------------------------

/** Counts picks: a slow decode that finishes after a later pick is dropped (the last pick wins). */
let picks = 0;

async function pick(picked: Blob, name: string, autoPredict: boolean, curlName = name) {
  const ticket = ++picks;
  clearProblem();
  clearCopyStatus();
  const blob = await withSniffedType(picked);
  if (ticket !== picks) return;
  const rejected = (problem: Problem) => {
    dropImage();
    ui.imageName.textContent = `“${name}” was not used: see the message.`;
    updatePredictButton();
    showProblem(problem);
  };
  const problem = checkImageFile({ name, type: blob.type, size: blob.size });
  if (problem) {
    rejected(problem);
    return;
  }
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob);
  } catch {
    if (ticket !== picks) return;
    rejected({
      title: `“${name}” could not be opened as an image.`,
      hint: 'The file may be damaged. Try another.',
    });
    return;
  }
  if (ticket !== picks) {
    bitmap.close();
    return;
  }
  dropImage();
  state.image = { blob, name, bitmap, curlName };
  ui.imageName.textContent = `${name} · ${bitmap.width}×${bitmap.height} · ${Math.max(1, Math.round(blob.size / 1024))} KB`;
  render();
  updatePredictButton();
  if (autoPredict) await runPrediction();
}

/** The blob, typed by its bytes when the browser gave it no type (a file name without an extension). */
async function withSniffedType(blob: Blob): Promise<Blob> {
  if (blob.type !== '' && blob.type !== 'application/octet-stream') return blob;
  const type = sniffImageType(new Uint8Array(await blob.slice(0, 12).arrayBuffer()));
  return type ? new Blob([blob], { type }) : blob;
}

function pickFromInput(input: HTMLInputElement) {
  const file = input.files?.[0];
  if (file) void pick(file, file.name, false);
  input.value = ''; // picking the same file again still fires `change`
}

function firstImage(items: DataTransferItemList | undefined, files: FileList | undefined): File | undefined {
  for (const file of Array.from(files ?? [])) return file;
  for (const item of Array.from(items ?? [])) {
    if (item.kind === 'file') return item.getAsFile() ?? undefined;
  }
  return undefined;
}

// ---- predicting ------------------------------------------------------------------------------------------

async function runPrediction() {
  const image = state.image;
  const model = ui.model.value;
  if (!image || !model || state.busy) return;
  clearProblem();
  clearCopyStatus();
  state.failed = undefined;
  setBusy(true);
  const outcome = await predict(model, image.blob, CONFIDENCE_FLOOR);
  setBusy(false);
  if (!outcome.ok) {
    if (state.image === image) state.failed = image;
    showProblem(outcome.problem);
    if (outcome.status === undefined || outcome.status >= 502) void refreshStatus();
    return;
  }
  if (state.image !== image) return; // another image was picked meanwhile
  state.result = { ...outcome.value, image };
  state.highlight = undefined;
  render();
  // On a phone the results are below the controls: bring them into view (focus also tells screen readers).
  ui.results.focus({ preventScroll: true });
  if (ui.results.getBoundingClientRect().top > window.innerHeight * 0.6)
    ui.results.scrollIntoView({ block: 'start' });
}

function setBusy(busy: boolean) {
  state.busy = busy;
  ui.predict.setAttribute('aria-busy', String(busy));
  (ui.predict.querySelector('.label') as HTMLElement).textContent = busy ? 'Predicting…' : 'Predict';
  ui.progress.hidden = !busy;
  ui.results.setAttribute('aria-busy', String(busy));
  updatePredictButton();
  render();
}

// ---- results ---------------------------------------------------------------------------------------------

function threshold(): number {
  return clampConfidence(Number(ui.confidence.value));
}

function currentResult() {
  return state.result && state.result.image === state.image ? state.result : undefined;
}

function render() {
  const image = state.image;
  const result = currentResult();
  ui.confidenceValue.textContent = percent(threshold());
  ui.empty.hidden = image !== undefined;
  ui.empty.textContent = ui.problem.hidden
    ? 'Pick an image, or a sample, then press Predict.'
    : 'No image to show: see the message above.';
  ui.figure.hidden = image === undefined;
  for (const el of [ui.stats, ui.tableWrap, ui.actions, ui.curlDetails, ui.labelsToggle])
    el.hidden = result === undefined;
  ui.classesSection.hidden = !result?.response.classes?.length;
  const text = result ? readingOrder(shownDetections(result).map((d) => d.item)) : '';
  ui.textSection.hidden = text === '';
  if (ui.textLines.value !== text) ui.textLines.value = text;
  ui.textLines.rows = Math.min(12, Math.max(2, text.split('\n').length));
  renderCanvas();
  if (result) renderDetails(result);
}

const shownDetections = (result: NonNullable<typeof state.result>) =>
  filterByConfidence(result.response.detections, threshold());

/** The image with the outlines and labels above the threshold; the only part redrawn on hover. */
function renderCanvas() {
  const image = state.image;
  if (!image) return;
  const result = currentResult();
  const shown = result ? shownDetections(result) : [];
  state.drawn = drawDetections({
    canvas: ui.canvas,
    image: image.bitmap,
    detections: shown,
    highlight: state.highlight,
    labels: ui.showLabels.checked,
    maxWidth: ui.figure.clientWidth || ui.results.clientWidth,
    maxHeight: Math.max(240, window.innerHeight * 0.75),
  });
  // What each outline is labelled, for screen readers and for tests (the canvas pixels alone say nothing),
  // and where the outlines and labels went.
  const labels = shown.map(({ item }) => labelOf(item));
  ui.canvas.dataset.labels = JSON.stringify(labels);
  ui.canvas.dataset.placement = JSON.stringify(state.drawn);
  ui.canvas.dataset.highlight = state.highlight === undefined ? '' : String(state.highlight);
  ui.canvas.setAttribute(
    'aria-label',
    labels.length ? `${image.name}, with ${labels.length} outlined: ${labels.join(', ')}` : image.name,
  );
  const highlighted = shown.find(({ index }) => index === state.highlight);
  ui.hoverText.textContent = highlighted ? labelOf(highlighted.item) : '';
  ui.caption.textContent = caption(image, shown.length);
}

/** What the image is waiting for, or what the model found: always the state the page is in. */
function caption(image: Picked, shown: number): string {
  const result = currentResult();
  if (result) {
    const total = result.response.detections.length;
    return total === 0
      ? 'The model found nothing in this image.'
      : `${shown} of ${total} shown (confidence ${percent(threshold())} or more). Hover a box or a row to see its text.`;
  }
  if (state.busy) return 'The model is reading this image…';
  if (state.failed === image) return 'This image could not be predicted: see the message above.';
  if (state.api === 'down') return 'The model server is down: Predict works again once it is back.';
  if (state.api === 'warming') return 'The model is still warming up: press Predict in a few seconds.';
  return 'Press Predict to run the model on this image.';
}

function renderDetails(result: NonNullable<typeof state.result>) {
  const shown = filterByConfidence(result.response.detections, threshold());
  const total = result.response.detections.length;
  ui.serverTime.textContent = duration(result.response.time * 1000);
  ui.roundTrip.textContent = duration(result.roundTripMs);
  ui.shownCount.textContent = `${shown.length} / ${total}`;

  ui.tbody.replaceChildren(
    ...shown.map(({ index, item }, position) => {
      const row = document.createElement('tr');
      row.tabIndex = 0;
      row.dataset.index = String(index);
      if (index === state.highlight) row.classList.add('active');
      const swatch = document.createElement('span');
      swatch.className = 'swatch';
      swatch.style.backgroundColor = colourFor(index);
      const label = cell(labelOf(item), 'label');
      label.prepend(swatch);
      row.append(
        cell(String(position + 1), 'num'),
        label,
        cell(percent(item.confidence), 'num'),
        cell(`${item.x_min}, ${item.y_min} → ${item.x_max}, ${item.y_max}`, 'box col-box'),
      );
      return row;
    }),
  );
  if (shown.length === 0) {
    const row = document.createElement('tr');
    const empty = cell(
      total === 0 ? 'Nothing found.' : 'Nothing at this confidence: move the slider left.',
      '',
    );
    empty.colSpan = 4;
    row.append(empty);
    ui.tbody.replaceChildren(row);
  }
  ui.classes.replaceChildren(
    ...rankClasses(result.response.classes ?? [], threshold()).map((c) => {
      const li = document.createElement('li');
      li.textContent = `${c.class_name} · ${percent(c.confidence)}`;
      return li;
    }),
  );
  ui.curl.textContent = curlCommand();
}

function cell(text: string, className: string): HTMLTableCellElement {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function setHighlight(index: number | undefined) {
  if (state.highlight === index) return;
  state.highlight = index;
  for (const row of Array.from(ui.tbody.rows))
    row.classList.toggle('active', row.dataset.index === String(index));
  renderCanvas();
}

function curlCommand(): string {
  const result = state.result;
  if (!result) return '';
  return buildCurl({
    origin: window.location.origin,
    model: result.response.model || ui.model.value,
    fileName: result.image.curlName,
    contentType: result.image.blob.type,
    confidence: threshold(),
  });
}

function downloadJson() {
  const result = state.result;
  if (!result) return;
  const blob = new Blob([`${JSON.stringify(result.response, null, 2)}\n`], { type: 'application/json' });
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = `${result.image.name.replace(/\.[^.]+$/, '')}.${result.response.model}.json`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

async function copyCurl() {
  const command = curlCommand();
  ui.curlDetails.open = true;
  try {
    await navigator.clipboard.writeText(command);
    const sample = state.result?.image.curlName !== state.result?.image.name;
    flash(
      ui.copyStatus,
      sample ? 'Copied. Run it from the modelship folder.' : 'Copied. Run it where the image file is.',
    );
  } catch {
    // Clipboard access needs HTTPS or localhost; select the text so that Ctrl+C works instead.
    selectContents(ui.curl);
    flash(ui.copyStatus, 'Selected below: press Ctrl+C (⌘C) to copy.');
  }
}

async function copyText() {
  try {
    await navigator.clipboard.writeText(ui.textLines.value);
    flash(ui.copyTextStatus, 'Copied.');
  } catch {
    ui.textLines.select();
    flash(ui.copyTextStatus, 'Selected: press Ctrl+C (⌘C) to copy.');
  }
}

function selectContents(element: HTMLElement) {
  const range = document.createRange();
  range.selectNodeContents(element);
  window.getSelection()?.removeAllRanges();
  window.getSelection()?.addRange(range);
}

const flashTimers = new Map<HTMLElement, number>();
/** A short confirmation that goes away by itself (and with the next prediction or image). */
function flash(element: HTMLElement, text: string) {
  element.textContent = text;
  clearTimeout(flashTimers.get(element));
  flashTimers.set(
    element,
    window.setTimeout(() => {
      element.textContent = '';
    }, 6_000),
  );
}

function clearCopyStatus() {
  for (const element of [ui.copyStatus, ui.copyTextStatus]) {
    clearTimeout(flashTimers.get(element));
    element.textContent = '';
  }
}

// ---- wiring ----------------------------------------------------------------------------------------------

for (const sample of SAMPLES) {
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'sample';
  button.dataset.sample = sample.id;
  const img = document.createElement('img');
  img.src = sample.url;
  img.alt = '';
  img.loading = 'lazy';
  const label = document.createElement('span');
  label.textContent = sample.title;
  button.append(img, label);
  button.setAttribute('aria-label', `Try the ${sample.title.toLowerCase()} sample`);
  button.addEventListener('click', async () => {
    try {
      const response = await fetch(sample.url);
      if (!response.ok) throw new Error(String(response.status));
      await pick(await response.blob(), sample.fileName, true, sample.repoPath);
    } catch {
      showProblem({ title: 'The sample image could not be loaded.', hint: 'Reload the page and try again.' });
    }
  });
  ui.samples.append(button);
}

ui.file.addEventListener('change', () => pickFromInput(ui.file));
ui.camera.addEventListener('change', () => pickFromInput(ui.camera));
ui.model.addEventListener('change', () => {
  describeModel();
  updatePredictButton();
});
ui.confidence.addEventListener('input', render);
ui.predict.addEventListener('click', () => void runPrediction());
ui.download.addEventListener('click', downloadJson);
ui.copyCurl.addEventListener('click', () => void copyCurl());
ui.copyText.addEventListener('click', () => void copyText());
ui.showLabels.addEventListener('change', renderCanvas);
ui.canvas.addEventListener('pointermove', (e) => {
  if (!state.drawn) return;
  const box = ui.canvas.getBoundingClientRect();
  setHighlight(detectionAt(state.drawn, e.clientX - box.left, e.clientY - box.top));
});
ui.canvas.addEventListener('pointerleave', () => setHighlight(undefined));

ui.tbody.addEventListener('pointerover', (e) => setHighlight(rowIndex(e.target)));
ui.tbody.addEventListener('pointerleave', () => setHighlight(undefined));
ui.tbody.addEventListener('focusin', (e) => setHighlight(rowIndex(e.target)));
ui.tbody.addEventListener('focusout', () => setHighlight(undefined));

function rowIndex(target: EventTarget | null): number | undefined {
  const row = (target as Element | null)?.closest?.('tr');
  return row?.dataset.index === undefined ? undefined : Number(row.dataset.index);
}

// A drop anywhere on the page counts (and never makes the browser navigate away to the file).
document.addEventListener('dragover', (e) => {
  e.preventDefault();
  ui.dropzone.classList.add('dragging');
});
document.addEventListener('dragleave', (e) => {
  if (e.relatedTarget === null) ui.dropzone.classList.remove('dragging');
});
document.addEventListener('drop', (e) => {
  e.preventDefault();
  ui.dropzone.classList.remove('dragging');
  const file = firstImage(e.dataTransfer?.items, e.dataTransfer?.files);
  if (file) void pick(file, file.name, false);
});
document.addEventListener('paste', (e) => {
  const file = firstImage(e.clipboardData?.items, e.clipboardData?.files);
  if (file) void pick(file, file.name || 'pasted image', false);
});

// Refit the canvas when the width available changes (rotation, window resize); height changes are ours.
let fittedWidth = 0;
new ResizeObserver(() => {
  if (ui.results.clientWidth === fittedWidth) return;
  fittedWidth = ui.results.clientWidth;
  renderCanvas();
}).observe(ui.results);

render();
void refreshStatus();
// Poll faster while the API is not ready, so that the page notices as soon as it comes back.
(function poll() {
  setTimeout(
    async () => {
      await refreshStatus().catch(() => undefined);
      poll();
    },
    state.api === 'ready' ? 10_000 : 2_000,
  );
})();
