// The page: wires the controls, the API calls and the result views together.
import './styles.css';
import { type ApiState, checkApi, listModels, predict } from './api.js';
import { buildCurl } from './curl.js';
import { drawDetections } from './draw.js';
import { checkImageFile, type Problem } from './errors.js';
import { CONFIDENCE_FLOOR, clampConfidence, filterByConfidence, rankClasses } from './filter.js';
import { duration, percent } from './format.js';
import { labelOf } from './geometry.js';
import { colourFor } from './palette.js';
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
  caption: $('caption'),
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
}

const state: {
  image?: Picked;
  result?: { response: PredictResponse; roundTripMs: number; image: Picked };
  models: ModelMeta[];
  api: ApiState['state'] | 'checking';
  busy: boolean;
  highlight?: number;
} = { models: [], api: 'checking', busy: false };

// ---- problems --------------------------------------------------------------------------------------------

/** Where the problem on show came from: the status poll clears only its own. */
type ProblemSource = 'status' | 'action';

function showProblem(problem: Problem, source: ProblemSource = 'action') {
  (ui.problem.querySelector('.problem-title') as HTMLElement).textContent = problem.title;
  (ui.problem.querySelector('.problem-hint') as HTMLElement).textContent = problem.hint;
  ui.problem.dataset.source = source;
  ui.problem.hidden = false;
}

function clearProblem(source?: ProblemSource) {
  if (source && ui.problem.dataset.source !== source) return;
  ui.problem.hidden = true;
}

// ---- API status and models -------------------------------------------------------------------------------

const STATUS_TEXT = { ready: 'API ready', warming: 'API warming up…', down: 'API down' } as const;

async function refreshStatus() {
  const api = await checkApi();
  state.api = api.state;
  ui.status.dataset.state = api.state;
  const version = api.state === 'ready' && api.health.version ? ` · v${api.health.version}` : '';
  (ui.status.querySelector('.badge-text') as HTMLElement).textContent = STATUS_TEXT[api.state] + version;
  ui.status.title = api.state === 'ready' ? 'The model server answers and is warmed up.' : api.problem.hint;
  if (api.state === 'ready') clearProblem('status');
  else if (ui.problem.hidden || ui.problem.dataset.source === 'status') showProblem(api.problem, 'status');
  if (api.state === 'ready' && state.models.length === 0) await refreshModels();
  updatePredictButton();
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
    ...models.value.map(
      (m) => new Option(m.task && m.task !== m.name ? `${m.name} (${m.task})` : m.name, m.name),
    ),
  );
  if (models.value.some((m) => m.name === previous)) ui.model.value = previous;
  ui.model.disabled = models.value.length === 0;
  describeModel();
}

function describeModel() {
  const meta = state.models.find((m) => m.name === ui.model.value);
  const parts = [meta?.description, meta?.provider ? `Runs on ${meta.provider.toUpperCase()}.` : undefined];
  ui.modelInfo.textContent = parts.filter(Boolean).join(' ');
}

function updatePredictButton() {
  ui.predict.disabled = state.busy || !state.image || !ui.model.value;
}

// ---- picking an image ------------------------------------------------------------------------------------

async function pick(blob: Blob, name: string, autoPredict: boolean) {
  clearProblem();
  const problem = checkImageFile({ name, type: blob.type, size: blob.size });
  if (problem) {
    showProblem(problem);
    return;
  }
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob);
  } catch {
    showProblem({
      title: `“${name}” could not be opened as an image.`,
      hint: 'The file may be damaged. Try another.',
    });
    return;
  }
  state.image?.bitmap.close();
  state.image = { blob, name, bitmap };
  state.result = undefined;
  state.highlight = undefined;
  ui.imageName.textContent = `${name} · ${bitmap.width}×${bitmap.height} · ${Math.max(1, Math.round(blob.size / 1024))} KB`;
  render();
  updatePredictButton();
  if (autoPredict) await runPrediction();
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
  setBusy(true);
  const outcome = await predict(model, image.blob, CONFIDENCE_FLOOR);
  setBusy(false);
  if (!outcome.ok) {
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
  ui.figure.hidden = image === undefined;
  for (const el of [ui.stats, ui.tableWrap, ui.actions, ui.curlDetails]) el.hidden = result === undefined;
  ui.classesSection.hidden = !result?.response.classes?.length;
  renderCanvas();
  if (result) renderDetails(result);
}

/** The image with the outlines and labels above the threshold; the only part redrawn on hover. */
function renderCanvas() {
  const image = state.image;
  if (!image) return;
  const result = currentResult();
  const shown = result ? filterByConfidence(result.response.detections, threshold()) : [];
  const labels = drawDetections({
    canvas: ui.canvas,
    image: image.bitmap,
    detections: shown,
    highlight: state.highlight,
    maxWidth: ui.figure.clientWidth || ui.results.clientWidth,
    maxHeight: Math.max(240, window.innerHeight * 0.75),
  });
  // The drawn labels, for screen readers and for tests (the canvas pixels alone say nothing).
  ui.canvas.dataset.labels = JSON.stringify(labels);
  ui.canvas.dataset.highlight = state.highlight === undefined ? '' : String(state.highlight);
  ui.canvas.setAttribute(
    'aria-label',
    labels.length ? `${image.name}, with ${labels.length} outlined: ${labels.join(', ')}` : image.name,
  );
  if (!result) {
    ui.caption.textContent = 'Press Predict to run the model on this image.';
    return;
  }
  const total = result.response.detections.length;
  ui.caption.textContent =
    total === 0
      ? 'The model found nothing in this image.'
      : `${shown.length} of ${total} shown (confidence ${percent(threshold())} or more). Hover a row to highlight it.`;
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
    fileName: result.image.name,
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
    ui.copyStatus.textContent = 'Copied. Run it where the image file is.';
  } catch {
    // Clipboard access needs HTTPS or localhost; select the text so that Ctrl+C works instead.
    const range = document.createRange();
    range.selectNodeContents(ui.curl);
    window.getSelection()?.removeAllRanges();
    window.getSelection()?.addRange(range);
    ui.copyStatus.textContent = 'Selected below: press Ctrl+C (⌘C) to copy.';
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
      await pick(await response.blob(), sample.fileName, true);
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
