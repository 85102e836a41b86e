/**
 * TwinTag web page: a plain ES2020 module, no framework, no dependencies.
 * All data goes into the page through textContent or attributes, never innerHTML,
 * so filenames and tags cannot inject markup.
 *
 * Stable hooks for browser tests (single elements have id == data-testid):
 *   auth-panel, auth-form, auth-email, auth-password, auth-email-error, auth-password-error,
 *   login-button, register-button            log in / create an account (register then logs in)
 *   session, user-email, logout-button       who is signed in
 *   error-message (role=alert), error-dismiss, status-message (polite live region)
 *   app-panel, drop-zone (drop files on it), choose-files, file-input (setInputFiles here)
 *   upload-list > [data-testid=upload-item][data-filename][data-state=queued|uploading|done|error]
 *     > upload-progress (<progress> 0..100), upload-status
 *   clear-uploads, status-filter (<select>)
 *   tag-filter > tag-filter-all, [data-testid=tag-filter-chip][data-tag][aria-pressed]
 *   gallery > [data-testid=image-card][data-image-id][data-status=pending|processing|done|failed]
 *     > image-thumb (<img>, data-loaded=true once shown), image-filename, image-status,
 *       image-tags > [data-testid=image-tag][data-label][data-confidence] (a button: filters),
 *       image-error, delete-button
 *   gallery-empty, load-more, confirm-dialog > confirm-delete, confirm-cancel
 */

const API = '/api/v1';
const TOKEN_KEY = 'twintag.token';
const PAGE_SIZE = 24;
const MAX_PARALLEL_UPLOADS = 3;
const UPLOAD_RETRIES = 2;
const THUMB_RETRIES = 2;
const POLL_FIRST_MS = 1000;
const POLL_MAX_MS = 15000;
const POLL_FACTOR = 1.6;
const STATUS_LABELS = new Map([['pending', 'Pending'], ['processing', 'Processing'], ['done', 'Done'], ['failed', 'Failed']]);
const FALLBACK_MESSAGES = {
  0: 'Could not reach the server. Check your connection and try again.',
  401: 'Please log in again.',
  404: 'It no longer exists.',
  413: 'That file is too big.',
  415: 'That file type is not supported.',
  429: 'Too many attempts.',
  500: 'Something went wrong on the server.',
  502: 'The service is temporarily unavailable.',
  503: 'The service is temporarily unavailable.',
  504: 'The service took too long to answer.',
};

const state = {
  token: null,
  filter: { tag: '', status: '' },
  cursor: null,
  generation: 0, // bumped on every gallery reset so late answers for an old list are dropped
  pollers: new Map(), // image id -> ticket {timer}; a new ticket supersedes an old chain
  thumbs: new Map(), // image id -> blob: URL, revoked when the card goes away
  queue: [],
  activeUploads: 0,
  uploads: new Set(), // live XMLHttpRequests, aborted on log out
  tagRefreshTimer: 0,
  pageFailed: false, // the last gallery page could not be loaded: offer to try again, not "no images"
};

const $ = (id) => document.getElementById(id);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/* ---------- API ---------- */

class ApiError extends Error {
  constructor(status, problem = null, retryAfter = null) {
    super(describeProblem(status, problem, retryAfter));
    this.status = status;
    this.retryAfter = /^\d+$/.test(retryAfter || '') ? Number(retryAfter) : null; // seconds the server asked for
    this.fieldErrors = Array.isArray(problem?.errors) ? problem.errors : [];
  }
}

function describeProblem(status, problem, retryAfter) {
  const title = typeof problem?.title === 'string' ? problem.title.trim() : '';
  const detail = typeof problem?.detail === 'string' ? problem.detail.trim() : '';
  let text = FALLBACK_MESSAGES[status] || `The server answered with status ${status}.`;
  if (title && detail && detail !== title) text = `${title}: ${detail}`;
  else if (detail || title) text = detail || title;
  if (status === 429 && /^\d+$/.test(retryAfter || '')) text += ` Try again in ${retryAfter} s.`;
  return text;
}

function parseJson(text) {
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return null; // an HTML error page from a proxy: fall back to a generic message
  }
}

function failure(status, problem, retryAfter) {
  const error = new ApiError(status, problem, retryAfter);
  if (status === 401 && state.token) endSession('Your session has expired. Please log in again.');
  return error;
}

function authHeaders(token = state.token) {
  const headers = new Headers({ Accept: 'application/json, application/problem+json' });
  if (token) headers.set('Authorization', `Bearer ${token}`);
  return headers;
}

async function api(path, { method = 'GET', json } = {}) {
  const init = { method, headers: authHeaders() };
  if (json !== undefined) {
    init.headers.set('Content-Type', 'application/json');
    init.body = JSON.stringify(json);
  }
  let response;
  try {
    response = await fetch(API + path, init);
  } catch {
    throw new ApiError(0);
  }
  if (response.status === 204) return null;
  const data = parseJson(await response.text());
  if (response.ok) return data;
  throw failure(response.status, data, response.headers.get('Retry-After'));
}

async function fetchBlobUrl(id) {
  let response;
  try {
    response = await fetch(`${API}/images/${encodeURIComponent(id)}/content`, { headers: authHeaders() });
  } catch {
    throw new ApiError(0);
  }
  if (!response.ok) throw failure(response.status, parseJson(await response.text()), response.headers.get('Retry-After'));
  return URL.createObjectURL(await response.blob());
}

/* ---------- small DOM helpers ---------- */

function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === 'text') node.textContent = value;
    else if (value !== false && value != null) node.setAttribute(name, value === true ? '' : String(value));
  }
  node.append(...children);
  return node;
}

function showError(message) {
  $('error-text').textContent = message;
  $('error-message').hidden = false;
}

function clearError() {
  $('error-message').hidden = true;
  $('error-text').textContent = '';
}

function announce(message) {
  const region = $('status-message');
  region.textContent = '';
  // A fresh text node after a tick makes screen readers repeat an identical message.
  setTimeout(() => { region.textContent = message; }, 50);
}

function percent(confidence) {
  const value = Number(confidence);
  return Number.isFinite(value) ? `${Math.round(Math.min(Math.max(value, 0), 1) * 100)}%` : '';
}

function formatBytes(bytes) {
  if (!Number.isFinite(bytes)) return '';
  const units = ['B', 'KB', 'MB', 'GB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit ? value.toFixed(1) : value} ${units[unit]}`;
}

/* ---------- session ---------- */

function showAuth() {
  $('session').hidden = true;
  $('app-panel').hidden = true;
  $('auth-panel').hidden = false;
}

function setFieldError(field, message) {
  const node = $(`auth-${field}-error`);
  if (!node) return false;
  node.textContent = message;
  node.hidden = !message;
  $(`auth-${field}`).setAttribute('aria-invalid', message ? 'true' : 'false');
  return true;
}

function validateAuth(email, password) {
  const emailError = /^[^\s@]+@[^\s@]+$/.test(email) ? '' : 'Enter an email address like name@example.com.';
  const passwordError = password ? '' : 'Enter a password.';
  setFieldError('email', emailError);
  setFieldError('password', passwordError);
  return !emailError && !passwordError;
}

function showAuthError(error) {
  for (const { field, message } of error.fieldErrors) {
    setFieldError(String(field || '').split('.').pop(), String(message || ''));
  }
  showError(error.message);
}

function setAuthBusy(busy) {
  for (const id of ['login-button', 'register-button']) $(id).disabled = busy;
  $('auth-form').setAttribute('aria-busy', String(busy));
}

async function onAuthSubmit(event) {
  event.preventDefault();
  const register = event.submitter?.value === 'register';
  const email = $('auth-email').value.trim();
  const password = $('auth-password').value;
  clearError();
  if (!validateAuth(email, password)) return;
  setAuthBusy(true);
  try {
    if (register) await api('/users', { method: 'POST', json: { email, password } });
    const token = await api('/tokens', { method: 'POST', json: { email, password } });
    state.token = token.access_token;
    sessionStorage.setItem(TOKEN_KEY, state.token);
    $('auth-password').value = '';
    await startSession(register ? 'Account created. ' : '');
  } catch (error) {
    showAuthError(error);
  } finally {
    setAuthBusy(false);
  }
}

async function startSession(greeting = '') {
  const me = await api('/users/me');
  $('user-email').textContent = me.email;
  $('auth-panel').hidden = true;
  $('session').hidden = false;
  $('app-panel').hidden = false;
  announce(`${greeting}Signed in as ${me.email}.`);
  $('choose-files').focus();
  resetGallery();
  loadTags();
}

function endSession(message = '') {
  if ($('confirm-dialog').open) $('confirm-dialog').close(); // a delete asked for in the session that ended
  state.token = null;
  sessionStorage.removeItem(TOKEN_KEY);
  state.queue = [];
  for (const xhr of state.uploads) xhr.abort();
  clearGallery();
  clearTimeout(state.tagRefreshTimer);
  $('upload-list').replaceChildren();
  $('uploads-head').hidden = true;
  $('tag-filter').replaceChildren();
  $('user-email').textContent = '';
  state.filter = { tag: '', status: '' };
  $('status-filter').value = '';
  showAuth();
  if (message) showError(message);
  else announce('Logged out.');
  $('auth-email').focus();
}

/* ---------- uploads ---------- */

function newIdempotencyKey() {
  if (crypto.randomUUID) return crypto.randomUUID(); // only in secure contexts (https, localhost)
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

function renderUploadItem(file) {
  const item = el('li', { class: 'upload-item', 'data-testid': 'upload-item', 'data-filename': file.name, 'data-state': 'queued' }, [
    el('span', { class: 'upload-name', title: file.name, text: file.name }),
    el('span', { class: 'upload-size muted small', text: formatBytes(file.size) }),
    el('progress', { max: '100', value: '0', 'data-testid': 'upload-progress', 'aria-label': `Upload progress for ${file.name}` }),
    el('span', { class: 'upload-status small', 'data-testid': 'upload-status', text: 'Waiting…' }),
  ]);
  $('upload-list').append(item);
  return item;
}

function setUploadState(item, uploadState, text) {
  item.dataset.state = uploadState;
  item.querySelector('[data-testid="upload-status"]').textContent = text;
}

function showProgress(item, fraction) {
  const value = Math.round(fraction * 100);
  item.querySelector('progress').value = value;
  // The last bytes are sent before the server has answered: say so rather than sit at 100%.
  setUploadState(item, 'uploading', value < 100 ? `Uploading… ${value}%` : 'Processing…');
}

function sendFile(file, key, token, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    state.uploads.add(xhr);
    xhr.open('POST', `${API}/images`);
    authHeaders(token).forEach((value, name) => xhr.setRequestHeader(name, value));
    // The same key on a retry lets the server answer with the first upload, not a duplicate.
    xhr.setRequestHeader('Idempotency-Key', key);
    xhr.upload.addEventListener('progress', (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total); });
    xhr.addEventListener('loadend', () => state.uploads.delete(xhr));
    xhr.addEventListener('load', () => {
      const data = parseJson(xhr.responseText);
      if (xhr.status >= 200 && xhr.status < 300) resolve(data);
      else reject(failure(xhr.status, data, xhr.getResponseHeader('Retry-After')));
    });
    xhr.addEventListener('error', () => reject(new ApiError(0)));
    xhr.addEventListener('abort', () => reject(Object.assign(new Error('Upload cancelled.'), { aborted: true })));
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
}

function isTransient(error) {
  return !error.aborted && [0, 429, 502, 503, 504].includes(error.status);
}

function retryDelay(error, attempt) {
  // The server's Retry-After when it gave one (a busy or recovering service), else 1 s, 2 s, 4 s…
  return error.retryAfter != null ? Math.min(error.retryAfter, 30) * 1000 : 1000 * 2 ** attempt;
}

async function sendWithRetry(job) {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await sendFile(job.file, job.key, job.token, (fraction) => showProgress(job.item, fraction));
    } catch (error) {
      if (attempt >= UPLOAD_RETRIES || !isTransient(error)) throw error;
      setUploadState(job.item, 'uploading', 'Connection problem, retrying…');
      await sleep(retryDelay(error, attempt));
      // Logged out (or in as someone else) meanwhile: the file belongs to the session it was dropped in.
      if (state.token !== job.token) throw Object.assign(new Error('Upload cancelled.'), { aborted: true });
    }
  }
}

async function runUpload(job) {
  setUploadState(job.item, 'uploading', 'Uploading… 0%');
  try {
    const image = await sendWithRetry(job);
    job.item.querySelector('progress').value = 100;
    job.item.dataset.imageId = image.id; // polling the image keeps this row's text current
    job.item.dataset.imageStatus = image.status;
    setUploadState(job.item, 'done', uploadedText(image.status));
    addNewImage(image);
  } catch (error) {
    if (error.aborted) return;
    setUploadState(job.item, 'error', error.message);
    announce(`${job.file.name} was not uploaded: ${error.message}`);
  }
}

function uploadedText(status) {
  if (status === 'done') return 'Uploaded and tagged.';
  if (status === 'failed') return 'Uploaded, but tagging failed.';
  return 'Uploaded. Tagging…';
}

function syncUploadRow(image) {
  const row = Array.from($('upload-list').children).find((item) => item.dataset.imageId === String(image.id));
  if (!row) return;
  row.dataset.imageStatus = image.status;
  row.querySelector('[data-testid="upload-status"]').textContent = uploadedText(image.status);
}

function pollUploadsInFlight() {
  // Uploads the gallery does not show (another filter is on) are still followed, so their rows finish.
  for (const row of $('upload-list').children) {
    if (row.dataset.imageId && isInFlight(row.dataset.imageStatus)) startPolling(row.dataset.imageId);
  }
}

function pumpUploads() {
  while (state.activeUploads < MAX_PARALLEL_UPLOADS && state.queue.length) {
    const job = state.queue.shift();
    state.activeUploads += 1;
    runUpload(job).finally(() => {
      state.activeUploads -= 1;
      pumpUploads();
    });
  }
}

function enqueueFiles(fileList) {
  const files = Array.from(fileList || []);
  if (!files.length || !state.token) return;
  clearError();
  $('uploads-head').hidden = false;
  for (const file of files) {
    state.queue.push({ file, item: renderUploadItem(file), key: newIdempotencyKey(), token: state.token });
  }
  announce(`Uploading ${files.length} ${files.length === 1 ? 'file' : 'files'}.`);
  pumpUploads();
}

function clearFinishedUploads() {
  for (const item of $('upload-list').querySelectorAll('[data-state="done"], [data-state="error"]')) item.remove();
  $('uploads-head').hidden = !$('upload-list').children.length;
}

/* ---------- gallery cards ---------- */

function findCard(id) {
  return Array.from($('gallery').children).find((card) => card.dataset.imageId === String(id));
}

function describeMeta(image) {
  const parts = [];
  if (image.width && image.height) parts.push(`${image.width}×${image.height}`);
  if (Number.isFinite(image.size_bytes)) parts.push(formatBytes(image.size_bytes));
  const created = new Date(image.created_at);
  if (!Number.isNaN(created.getTime())) parts.push(created.toLocaleString());
  return parts.join(' · ');
}

function renderTags(list, image) {
  const tags = Array.isArray(image.tags) ? image.tags : [];
  const items = tags.map((tag) => el('li', { 'data-testid': 'image-tag', 'data-label': tag.label, 'data-confidence': tag.confidence }, [
    el('button', { type: 'button', class: 'chip chip-button', 'aria-label': `Show images tagged ${tag.label} (${percent(tag.confidence)})` }, [
      el('span', { class: 'chip-label', text: tag.label }),
      el('span', { class: 'chip-count', text: percent(tag.confidence) }),
    ]),
  ]));
  if (!items.length && image.status !== 'failed') {
    const text = image.status === 'done' ? 'No tags found' : 'Waiting for tags…';
    items.push(el('li', { class: 'chip chip-placeholder', text }));
  }
  list.replaceChildren(...items);
}

function updateCard(card, image) {
  const known = STATUS_LABELS.has(image.status);
  card.dataset.status = image.status;
  const badge = card.querySelector('[data-testid="image-status"]');
  badge.textContent = known ? STATUS_LABELS.get(image.status) : String(image.status);
  badge.className = `badge badge-${known ? image.status : 'unknown'}`;
  renderTags(card.querySelector('[data-testid="image-tags"]'), image);
  const error = card.querySelector('[data-testid="image-error"]');
  error.textContent = image.error || (image.status === 'failed' ? 'Tagging failed.' : '');
  error.hidden = !error.textContent;
  const labels = (image.tags || []).map((tag) => tag.label).join(', ');
  card.querySelector('img').alt = labels ? `${image.filename}, tagged ${labels}` : image.filename;
  syncUploadRow(image);
}

function renderCard(image) {
  const img = el('img', { class: 'thumb', alt: image.filename, 'data-testid': 'image-thumb', decoding: 'async' });
  const card = el('li', { class: 'image-card', 'data-testid': 'image-card', 'data-image-id': image.id }, [
    el('div', { class: 'thumb-frame' }, [img]),
    el('div', { class: 'card-body' }, [
      el('div', { class: 'card-title-row' }, [
        el('h3', { class: 'filename', title: image.filename, 'data-testid': 'image-filename', text: image.filename }),
        el('span', { 'data-testid': 'image-status' }),
      ]),
      el('p', { class: 'meta muted small', text: describeMeta(image) }),
      el('ul', { class: 'chips', 'data-testid': 'image-tags', 'aria-label': `Tags for ${image.filename}` }),
      el('p', { class: 'image-error small', 'data-testid': 'image-error', hidden: true }),
      el('button', { type: 'button', class: 'btn btn-ghost btn-small btn-delete', 'data-testid': 'delete-button', 'aria-label': `Delete ${image.filename}`, text: 'Delete' }),
    ]),
  ]);
  updateCard(card, image);
  loadThumb(card, image.id, img);
  if (isInFlight(image.status)) startPolling(image.id);
  return card;
}

async function loadThumb(card, id, img) {
  for (let attempt = 0; ; attempt += 1) {
    try {
      const url = await fetchBlobUrl(id);
      if (!card.isConnected) return URL.revokeObjectURL(url); // deleted or list reset meanwhile
      state.thumbs.set(String(id), url);
      img.addEventListener('load', () => { img.dataset.loaded = 'true'; }, { once: true });
      img.src = url;
      return;
    } catch (error) {
      // Many thumbnails load at once, just when a busy server sheds some requests: those are worth a retry.
      if (!isTransient(error) || attempt >= THUMB_RETRIES || !card.isConnected) break;
      await sleep(retryDelay(error, attempt));
    }
  }
  if (card.isConnected) card.querySelector('.thumb-frame').classList.add('thumb-missing');
}

function removeCard(id) {
  stopPolling(id);
  const url = state.thumbs.get(String(id));
  if (url) URL.revokeObjectURL(url);
  state.thumbs.delete(String(id));
  findCard(id)?.remove();
  updateEmpty();
}

/* ---------- polling for tags ---------- */

function isInFlight(status) {
  return status === 'pending' || status === 'processing';
}

function startPolling(id) {
  if (!state.pollers.has(String(id))) schedulePoll(String(id), POLL_FIRST_MS, {});
}

function stopPolling(id) {
  clearTimeout(state.pollers.get(String(id))?.timer);
  state.pollers.delete(String(id));
}

function schedulePoll(id, delay, ticket) {
  state.pollers.set(id, ticket);
  ticket.timer = setTimeout(() => poll(id, delay, ticket), delay);
}

async function poll(id, delay, ticket) {
  const next = Math.min(delay * POLL_FACTOR, POLL_MAX_MS);
  if (state.pollers.get(id) !== ticket) return; // stopped or superseded while the timer ran
  if (document.hidden) return schedulePoll(id, delay, ticket); // no one is looking: do not spend requests
  try {
    const image = await api(`/images/${encodeURIComponent(id)}`);
    if (state.pollers.get(id) !== ticket) return;
    const card = findCard(id);
    if (card) updateCard(card, image);
    else syncUploadRow(image); // an upload the current filter hides
    if (isInFlight(image.status)) return schedulePoll(id, next, ticket);
    stopPolling(id);
    announce(image.status === 'done' ? `${image.filename} is tagged.` : `Tagging ${image.filename} failed.`);
    scheduleTagRefresh();
  } catch (error) {
    if (state.pollers.get(id) !== ticket) return;
    if (error.status === 404) removeCard(id);
    else if (error.status !== 401) schedulePoll(id, next, ticket); // transient: retry, more slowly
  }
}

function stopAllPolling() {
  for (const ticket of state.pollers.values()) clearTimeout(ticket.timer);
  state.pollers.clear();
}

/* ---------- gallery list, filters, load more ---------- */

function updateEmpty() {
  $('gallery-empty').hidden = $('gallery').children.length > 0 || $('gallery').getAttribute('aria-busy') === 'true'
    || state.pageFailed;
}

function setGalleryBusy(busy) {
  $('gallery').setAttribute('aria-busy', String(busy));
  $('load-more').disabled = busy;
  updateEmpty();
}

function clearGallery() {
  state.generation += 1;
  state.cursor = null;
  stopAllPolling();
  for (const url of state.thumbs.values()) URL.revokeObjectURL(url);
  state.thumbs.clear();
  $('gallery').replaceChildren();
  setPageFailed(false);
  $('load-more').hidden = true;
}

function setPageFailed(failed) {
  state.pageFailed = failed;
  $('load-more').textContent = failed ? 'Try again' : 'Load more'; // the same button asks for the same page
}

function galleryQuery() {
  const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (state.filter.tag) params.set('tag', state.filter.tag);
  if (state.filter.status) params.set('status', state.filter.status);
  if (state.cursor) params.set('cursor', state.cursor);
  return params;
}

async function loadPage() {
  const generation = state.generation;
  setGalleryBusy(true);
  try {
    const page = await api(`/images?${galleryQuery()}`);
    if (generation !== state.generation) return;
    for (const image of page.items || []) {
      if (!findCard(image.id)) $('gallery').append(renderCard(image));
    }
    state.cursor = page.next_cursor || null;
    setPageFailed(false);
    $('load-more').hidden = !state.cursor;
  } catch (error) {
    if (generation === state.generation && error.status !== 401) {
      showError(error.message);
      setPageFailed(true);
      $('load-more').hidden = false;
    }
  } finally {
    if (generation === state.generation) setGalleryBusy(false);
  }
}

function resetGallery() {
  clearGallery();
  pollUploadsInFlight();
  loadPage();
}

function matchesFilter(image) {
  return !state.filter.tag && (!state.filter.status || state.filter.status === image.status);
}

function addNewImage(image) {
  if (image && !matchesFilter(image)) {
    if (isInFlight(image.status)) startPolling(image.id); // not shown, but its upload row follows it
    else scheduleTagRefresh();
    return;
  }
  if (!image || findCard(image.id)) return;
  $('gallery').prepend(renderCard(image));
  updateEmpty();
}

function tagChip(label, tag, count, testid) {
  const pressed = state.filter.tag === tag;
  return el('li', {}, [
    el('button', { type: 'button', class: 'chip chip-button', 'data-testid': testid, 'data-tag': tag, 'aria-pressed': String(pressed) }, [
      el('span', { class: 'chip-label', text: label }),
      count == null ? '' : el('span', { class: 'chip-count', text: String(count) }),
    ]),
  ]);
}

function renderTagFilter(items) {
  const chips = items.map((item) => tagChip(item.label, item.label, item.count, 'tag-filter-chip'));
  // Keep the active filter visible even when its last image was deleted.
  if (state.filter.tag && !items.some((item) => item.label === state.filter.tag)) {
    chips.push(tagChip(state.filter.tag, state.filter.tag, 0, 'tag-filter-chip'));
  }
  $('tag-filter').replaceChildren(tagChip('All', '', null, 'tag-filter-all'), ...chips);
}

async function loadTags() {
  try {
    const data = await api('/tags');
    if (state.token) renderTagFilter(data.items || []);
  } catch (error) {
    if (error.status !== 401) showError(error.message);
  }
}

function scheduleTagRefresh() {
  clearTimeout(state.tagRefreshTimer);
  state.tagRefreshTimer = setTimeout(loadTags, 800); // several images finish together: ask once
}

function setTagFilter(tag, toggle = true) {
  state.filter.tag = toggle && state.filter.tag === tag ? '' : tag; // clicking the active chip clears it
  for (const button of $('tag-filter').querySelectorAll('button')) {
    button.setAttribute('aria-pressed', String(button.dataset.tag === state.filter.tag));
  }
  announce(state.filter.tag ? `Showing images tagged ${state.filter.tag}.` : 'Showing all images.');
  resetGallery();
}

/* ---------- delete ---------- */

function askToDelete(filename) {
  const dialog = $('confirm-dialog');
  $('confirm-text').textContent = `“${filename}” and its tags will be deleted. This cannot be undone.`;
  dialog.returnValue = '';
  dialog.showModal(); // focus lands on Cancel, the first button: the safe choice
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'delete'), { once: true });
  });
}

async function deleteImage(card) {
  const id = card.dataset.imageId;
  const filename = card.querySelector('[data-testid="image-filename"]').textContent;
  if (!(await askToDelete(filename))) return;
  const button = card.querySelector('[data-testid="delete-button"]');
  button.disabled = true;
  try {
    await api(`/images/${encodeURIComponent(id)}`, { method: 'DELETE' });
  } catch (error) {
    if (error.status !== 404) {
      button.disabled = false;
      return showError(error.message);
    }
  }
  const neighbour = card.nextElementSibling || card.previousElementSibling;
  removeCard(id);
  announce(`Deleted ${filename}.`);
  scheduleTagRefresh();
  (neighbour?.querySelector('[data-testid="delete-button"]') || $('gallery-heading')).focus();
}

function onGalleryClick(event) {
  const target = event.target.closest('button');
  const card = target?.closest('[data-testid="image-card"]');
  if (!card) return;
  if (target.dataset.testid === 'delete-button') return deleteImage(card);
  const tag = target.closest('[data-testid="image-tag"]');
  if (tag) setTagFilter(tag.dataset.label, false);
}

/* ---------- wiring ---------- */

function hasFiles(event) {
  return Array.from(event.dataTransfer?.types || []).includes('Files');
}

function wireDropZone() {
  const zone = $('drop-zone');
  let depth = 0; // dragenter/dragleave also fire for the zone's children
  zone.addEventListener('dragenter', (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    depth += 1;
    zone.classList.add('is-dragging');
  });
  zone.addEventListener('dragover', (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
  });
  zone.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (!depth) zone.classList.remove('is-dragging');
  });
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    depth = 0;
    zone.classList.remove('is-dragging');
    enqueueFiles(e.dataTransfer?.files);
  });
  // A file dropped beside the zone would otherwise make the browser navigate to it.
  window.addEventListener('dragover', (e) => e.preventDefault());
  window.addEventListener('drop', (e) => e.preventDefault());
}

function wireEvents() {
  $('auth-form').addEventListener('submit', onAuthSubmit);
  $('logout-button').addEventListener('click', () => endSession());
  $('error-dismiss').addEventListener('click', clearError);
  $('choose-files').addEventListener('click', () => $('file-input').click());
  $('file-input').addEventListener('change', (e) => {
    enqueueFiles(e.target.files);
    e.target.value = ''; // picking the same file again must fire "change" again
  });
  $('clear-uploads').addEventListener('click', clearFinishedUploads);
  $('status-filter').addEventListener('change', (e) => {
    state.filter.status = e.target.value;
    resetGallery();
  });
  $('tag-filter').addEventListener('click', (e) => {
    const button = e.target.closest('button');
    if (button) setTagFilter(button.dataset.tag || '');
  });
  $('gallery').addEventListener('click', onGalleryClick);
  $('load-more').addEventListener('click', loadPage);
  wireDropZone();
}

async function boot() {
  wireEvents();
  state.token = sessionStorage.getItem(TOKEN_KEY);
  if (!state.token) return showAuth();
  try {
    await startSession();
  } catch (error) {
    showAuth();
    if (error.status !== 401) showError(error.message);
  }
}

boot();
