// The list of calls or workflow executions: filters kept in the URL fragment (so a reload or a shared link shows the
// same list), keyset pages (the service's nextCursor; earlier cursors are kept to go back), refreshed by the shell.

import { api, query } from './api.js';
import { h, replace, time, badge, toneOf } from './dom.js';

const STATUSES = {
  calls: ['Queued', 'Placed', 'Started', 'Ended', 'Failed', 'PcaReady'],
  workflows: ['Queued', 'Started', 'Completed', 'Failed'],
};
const OUTCOMES = ['None', 'Succeeded', 'Errored', 'Canceled', 'Expired'];
const ANOMALIES = ['conflicting-terminals', 'agent-mismatch', 'organization-mismatch'];
const FILTERS = ['source', 'status', 'outcome', 'stalled', 'anomaly', 'organizationId', 'since', 'until', 'limit'];
const NOUN = { calls: ['call', 'calls'], workflows: ['workflow execution', 'workflow executions'] };

export function listView(main, context, route) {
  const kind = route.kind;
  const filters = Object.fromEntries(FILTERS.map((name) => [name, route.params.get(name) ?? '']));
  if (kind === 'workflows') {
    filters.outcome = '';
  }
  const filtered = FILTERS.some((name) => name !== 'limit' && filters[name]);
  const cursors = [null];
  let page = 0;
  let nextCursor = null;

  const flash = context.takeFlash();
  const results = h('div', { class: 'results', testid: 'results' }, h('p', { class: 'state' }, 'Loading…'));
  const pageLabel = h('span', { class: 'page-label', testid: 'page-label' });
  const previous = h('button', { type: 'button', testid: 'page-previous', disabled: true }, '← Previous page');
  const next = h('button', { type: 'button', testid: 'page-next', disabled: true }, 'Next page →');
  previous.addEventListener('click', () => { page--; context.refreshNow(); });
  next.addEventListener('click', () => {
    cursors[page + 1] = nextCursor;
    page++;
    context.refreshNow();
  });

  replace(main,
    h('nav', { class: 'tabs', 'aria-label': 'Lists' },
      tab('calls', 'Calls'),
      tab('workflows', 'Workflow executions')),
    flash && h('p', { class: 'flash', role: 'status', testid: 'flash' }, flash),
    filterForm(),
    results,
    h('div', { class: 'pager' }, previous, pageLabel, next));

  function tab(name, label) {
    return h('a', { href: context.listHash(name), class: name === kind ? 'tab current' : 'tab', 'aria-current': name === kind ? 'page' : null, testid: `tab-${name}` }, label);
  }

  function filterForm() {
    const field = (label, control) => h('label', { class: 'field' }, h('span', null, label), control);
    const select = (name, options, any = 'any') => {
      const control = h('select', { name, testid: `filter-${name}` },
        h('option', { value: '' }, any),
        options.map(([value, text]) => h('option', { value, selected: filters[name] === value }, text)));
      return control;
    };
    const text = (name, placeholder, list) => h('input', { name, value: filters[name], placeholder, list, testid: `filter-${name}`, autocomplete: 'off' });
    const when = (name) => h('input', { name, type: 'datetime-local', step: '1', value: toLocalInput(filters[name]), testid: `filter-${name}` });

    const form = h('form', { class: 'filters card', testid: 'filters', 'aria-label': 'Filters' },
      field('Source', select('source', [['subverse', 'SubVerse'], ['verbex', 'Verbex']])),
      field('Status', select('status', STATUSES[kind].map((s) => [s, s]))),
      kind === 'calls' && field('Outcome', select('outcome', OUTCOMES.map((o) => [o, o]))),
      field('Stalled', select('stalled', [['true', 'stalled'], ['false', 'not stalled']])),
      field('Anomaly', text('anomaly', 'code', 'anomaly-codes')),
      h('datalist', { id: 'anomaly-codes' }, ANOMALIES.map((code) => h('option', { value: code }))),
      field('Organization', text('organizationId', 'id')),
      field('First event since (UTC)', when('since')),
      field('until (UTC)', when('until')),
      field('Per page', select('limit', [['25', '25'], ['100', '100'], ['500', '500']], '50')),
      h('div', { class: 'filter-actions' },
        h('button', { type: 'submit', class: 'primary', testid: 'filter-apply' }, 'Apply'),
        h('button', { type: 'button', testid: 'filter-clear', on: { click: () => context.navigate(`#/${kind}`) } }, 'Clear')));

    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const data = new FormData(form);
      const chosen = {};
      for (const name of FILTERS) {
        const value = String(data.get(name) ?? '').trim();
        chosen[name] = name === 'since' || name === 'until' ? fromLocalInput(value) : value;
      }
      context.navigate(`#/${kind}${query(chosen)}`);
    });
    return form;
  }

  async function refresh(signal) {
    const answer = await api(`${kind}${query({ ...filters, cursor: cursors[page] })}`, { signal });
    nextCursor = answer.nextCursor ?? null;
    render(answer.items ?? []);
  }

  function render(items) {
    previous.disabled = page === 0;
    next.disabled = !nextCursor;
    pageLabel.textContent = page === 0 && !nextCursor ? '' : `Page ${page + 1}`;

    if (items.length === 0) {
      const [, plural] = NOUN[kind];
      replace(results, h('div', { class: 'state empty', testid: 'empty' },
        h('p', { class: 'state-title' }, page > 0 ? `No more ${plural}.` : filtered ? `No ${plural} match these filters.` : `No ${plural} yet.`),
        !filtered && page === 0 && h('p', { class: 'help' },
          'They appear here as providers post webhooks to /webhooks/subverse and /webhooks/verbex. ',
          'To send a sample: dotnet run --project tools/CallEvents.Send -- <service URL> subverse call.completed')));
      return;
    }

    const calls = kind === 'calls';
    const header = calls
      ? ['Call', 'Status', 'Outcome', 'Flags', 'Organization', 'First event', 'Latest event', 'Events']
      : ['Execution', 'Status', 'Flags', 'Organization', 'First event', 'Latest event', 'Events'];
    const rows = items.map((item) => {
      const href = calls
        ? `#/calls/${encodeURIComponent(item.source)}/${encodeURIComponent(item.id)}`
        : `#/workflows/${encodeURIComponent(item.id)}`;
      const cells = [
        h('td', { 'data-label': header[0], class: 'id-cell' },
          h('a', { href, testid: 'open' }, item.id),
          h('span', { class: 'source' }, item.source)),
        h('td', { 'data-label': 'Status' }, badge(item.status, toneOf(item.status), 'status')),
        calls && h('td', { 'data-label': 'Outcome' }, item.outcome && item.outcome !== 'None' ? badge(item.outcome, toneOf(item.outcome)) : '—'),
        h('td', { 'data-label': 'Flags' }, h('div', { class: 'flags' }, flags(item))),
        h('td', { 'data-label': 'Organization', class: 'org' }, item.organizationId ?? '—'),
        h('td', { 'data-label': 'First event', class: 'when' }, time(item.firstReceivedAt)),
        h('td', { 'data-label': 'Latest event', class: 'when' }, time(item.lastReceivedAt)),
        h('td', { 'data-label': 'Events', class: 'number' }, item.eventCount),
      ];
      return h('tr', { testid: 'row', 'data-key': item.key }, cells);
    });
    // A very long value scrolls inside the table's box, never the page.
    replace(results, h('div', { class: 'table-scroll' }, h('table', { class: 'list', testid: 'list' },
      h('thead', null, h('tr', null, header.map((title) => h('th', { scope: 'col' }, title)))),
      h('tbody', null, rows))));
  }

  function flags(item) {
    const list = [];
    if (item.stalled) {
      list.push(badge(`stalled: ${item.stalled}`, 'warn', 'stalled'));
    }
    for (const anomaly of item.anomalies ?? []) {
      list.push(badge(anomaly, 'bad', 'anomaly'));
    }
    if (!item.finished) {
      list.push(badge('in progress', 'info'));
    }
    return list.length ? list : '—';
  }

  return { refresh };
}

/** "2026-08-01T09:00:00Z" → "2026-08-01T09:00:00" for a datetime-local input that shows UTC. */
function toLocalInput(iso) {
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?)/.exec(iso ?? '');
  return match ? match[1] : '';
}

/** The datetime-local input's value (read as UTC) → ISO 8601 with Z; '' when empty. */
function fromLocalInput(value) {
  if (!value) {
    return '';
  }
  return `${value.length === 16 ? `${value}:00` : value}Z`;
}
