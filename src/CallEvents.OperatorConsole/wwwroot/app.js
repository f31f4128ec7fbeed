// The console's shell: routing on the URL fragment, the signed-in session, live refresh, and the error states every
// view shares (401: back to sign-in; 503 or no answer: "busy, retrying"; anything else: said in the banner).

import { session } from './api.js';
import { h, replace } from './dom.js';
import { signInView } from './signin.js';
import { listView } from './list.js';
import { entityView } from './entity.js';

const PERIOD_MS = 5000;
const LIVE_ITEM = 'callevents.live';

const main = document.getElementById('main');
const banner = document.getElementById('banner');
const tools = document.getElementById('tools');
const liveToggle = document.getElementById('live-toggle');
const lastUpdated = document.getElementById('last-updated');

let view = null;
let generation = 0;
let controller = null;
let timer = null;
let running = null;
let flashMessage = null;
let signInMessage = null;
let returnTo = null;
const lastLists = { calls: '#/calls', workflows: '#/workflows' };

const live = {
  get on() { return sessionStorage.getItem(LIVE_ITEM) !== 'paused'; },
  set on(value) { sessionStorage.setItem(LIVE_ITEM, value ? 'on' : 'paused'); },
};

/** What views get from the shell. */
const context = {
  navigate(hash) {
    if (location.hash === hash) {
      route();
    } else {
      location.hash = hash;
    }
  },
  flash(message) { flashMessage = message; },
  takeFlash() {
    const message = flashMessage;
    flashMessage = null;
    return message;
  },
  listHash(kind) { return lastLists[kind]; },
  /** Where to go once signed in: the page the operator was sent away from, else the page asked for, else the list. */
  signedIn() {
    const target = returnTo ?? (location.hash && location.hash !== '#/signin' ? location.hash : '#/calls');
    returnTo = null;
    context.navigate(target);
  },
  refreshNow() { return refresh(); },
  handleError,
};

function parseRoute() {
  const fragment = location.hash.slice(1) || '/calls';
  const mark = fragment.indexOf('?');
  const path = mark < 0 ? fragment : fragment.slice(0, mark);
  const params = new URLSearchParams(mark < 0 ? '' : fragment.slice(mark + 1));
  let segments;
  try {
    segments = path.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    segments = [];
  }

  if (!session.signedIn || segments[0] === 'signin') {
    return { name: 'signin' };
  }
  if (segments[0] === 'calls' && segments.length === 3) {
    return { name: 'entity', entity: { kind: 'call', source: segments[1], id: segments[2] } };
  }
  if (segments[0] === 'workflows' && segments.length === 2) {
    return { name: 'entity', entity: { kind: 'workflow', source: 'subverse', id: segments[1] } };
  }
  const kind = segments[0] === 'workflows' ? 'workflows' : 'calls';
  lastLists[kind] = `#/${kind}${params.size ? `?${params}` : ''}`;
  return { name: 'list', kind, params };
}

function route() {
  generation++;
  controller?.abort();
  controller = new AbortController();
  clearTimeout(timer);
  view?.dispose?.();
  hideBanner();

  const current = parseRoute();
  tools.hidden = current.name === 'signin';
  if (current.name === 'signin') {
    const message = signInMessage;
    signInMessage = null;
    view = signInView(main, context, message);
    return;
  }

  view = current.name === 'list' ? listView(main, context, current) : entityView(main, context, current);
  main.focus({ preventScroll: true });
  refresh();
}

/** Loads the current view's data now; while live, again every PERIOD_MS after that. */
async function refresh() {
  if (!view?.refresh) {
    return;
  }
  if (running) {
    // One load at a time; a request for another one while a load runs is served by the load that follows it.
    running.again = true;
    return;
  }

  const mine = generation;
  clearTimeout(timer);
  running = { again: false };
  try {
    await view.refresh(controller.signal);
    if (mine !== generation) {
      return;
    }
    hideBanner();
    lastUpdated.textContent = `Updated ${new Date().toISOString().slice(11, 19)}Z`;
    if (live.on) {
      timer = setTimeout(refresh, PERIOD_MS);
    }
  } catch (error) {
    if (mine === generation && error.name !== 'AbortError') {
      handleError(error);
    }
  } finally {
    const again = running?.again && mine === generation;
    running = null;
    if (again) {
      refresh();
    }
  }
}

/** The shared answers to a failed call. Views handle what is theirs (404, 409) before this. */
function handleError(error) {
  const status = error.status;
  if (status === 401) {
    session.signOut();
    signInMessage = 'The service refused the operator key (401). Sign in again.';
    returnTo = location.hash;
    context.navigate('#/signin');
    return;
  }

  clearTimeout(timer);
  if (status === 503 || status === 0) {
    // The service asks to be retried (or did not answer): keep the page and try again, live or not.
    const seconds = Math.min(Math.max(error.retryAfter ?? 5, 1), 30);
    showBanner(status === 503
      ? `The service is busy, retrying in ${seconds} s…`
      : `The service cannot be reached, retrying in ${seconds} s…`, 'busy');
    timer = setTimeout(refresh, seconds * 1000);
    return;
  }

  if (status === 403) {
    showBanner('This operator key may not use this page (403): it is bound to an organization.', 'error');
  } else {
    const title = error.problem?.title ?? (status ? `HTTP ${status}` : 'Error');
    showBanner(`${title}: ${error.message}`, 'error');
  }
  if (live.on) {
    timer = setTimeout(refresh, PERIOD_MS);
  }
}

function showBanner(text, tone) {
  banner.hidden = false;
  banner.className = `banner ${tone}`;
  replace(banner, h('span', { testid: `banner-${tone}` }, text));
}

function hideBanner() {
  banner.hidden = true;
  replace(banner);
}

function renderLiveToggle() {
  liveToggle.setAttribute('aria-pressed', String(live.on));
  liveToggle.textContent = live.on ? 'Live · every 5 s' : 'Paused';
  liveToggle.title = live.on ? 'Pause the automatic refresh' : 'Resume the automatic refresh';
  liveToggle.classList.toggle('paused', !live.on);
}

liveToggle.addEventListener('click', () => {
  live.on = !live.on;
  renderLiveToggle();
  if (live.on) {
    refresh();
  } else {
    clearTimeout(timer);
  }
});

document.getElementById('sign-out').addEventListener('click', () => {
  session.signOut();
  signInMessage = 'Signed out.';
  context.navigate('#/signin');
});

window.addEventListener('hashchange', route);
renderLiveToggle();
route();
