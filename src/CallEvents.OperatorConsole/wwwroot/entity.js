// One call or workflow execution: its reconciled snapshot, its events in provider-time order with their raw payloads,
// and its follow-ups (decisions, actions, attempts) with cancel, retry and erase.

import { api, entityPath, ApiError } from './api.js';
import { h, replace, append, time, duration, badge, toneOf, facts, json } from './dom.js';

const MAX_EVENT_PAGES = 4;
const EVENT_PAGE = 500;
const WATCH_PERIOD_MS = 1000;
const WATCH_LIMIT = 30;

export function entityView(main, context, route) {
  const entity = route.entity;
  const isCall = entity.kind === 'call';
  const key = isCall ? `${entity.source}/${entity.id}` : `subverse/${entity.id}`;
  const noun = isCall ? 'call' : 'workflow execution';
  const path = entityPath(entity);
  const openPayloads = new Set();
  const rendered = { snapshot: null, events: null, followUps: null };
  let watching = null;
  let disposed = false;

  const message = h('p', { class: 'flash hidden', role: 'status', testid: 'entity-message' });
  const snapshotBody = h('div', { testid: 'snapshot' }, h('p', { class: 'state' }, 'Loading…'));
  const timelineBody = h('div', { testid: 'timeline' });
  const followUpsBody = h('div', { testid: 'follow-ups' });
  const eraseButton = h('button', { type: 'button', class: 'danger', testid: 'erase' }, `Erase ${noun}`);
  const sections = h('div', { class: 'sections' },
    h('section', { class: 'card', 'aria-labelledby': 'snapshot-title' }, h('h2', { id: 'snapshot-title' }, 'Snapshot'), snapshotBody),
    h('section', { class: 'card', 'aria-labelledby': 'timeline-title' }, h('h2', { id: 'timeline-title' }, 'Timeline'), timelineBody),
    h('section', { class: 'card', 'aria-labelledby': 'follow-ups-title' }, h('h2', { id: 'follow-ups-title' }, 'Emissions and follow-ups'), followUpsBody));
  const notFound = h('div', { class: 'state empty hidden', testid: 'not-found' },
    h('p', { class: 'state-title' }, `No ${noun} ${key}.`),
    h('p', { class: 'help' }, 'It was never received, or it was erased.'));
  const dialog = eraseDialog();

  replace(main,
    h('nav', { class: 'crumbs' }, h('a', { href: context.listHash(isCall ? 'calls' : 'workflows'), testid: 'back' }, isCall ? '← All calls' : '← All workflow executions')),
    h('div', { class: 'entity-head' },
      h('h1', { testid: 'entity-title' }, h('span', { class: 'kind' }, noun), ' ', key),
      eraseButton),
    message,
    notFound,
    sections,
    dialog);
  eraseButton.addEventListener('click', () => dialog.showModal());

  async function refresh(signal) {
    let snapshot;
    let followUps;
    let events;
    try {
      [snapshot, followUps, events] = await Promise.all([
        api(path, { signal }),
        api(`${path}/follow-ups`, { signal }),
        loadEvents(signal),
      ]);
    } catch (error) {
      if (error.status === 404) {
        showNotFound();
        return;
      }
      throw error;
    }

    notFound.classList.add('hidden');
    sections.classList.remove('hidden');
    eraseButton.hidden = false;
    // A refresh that brings nothing new leaves the page as it is: open payloads, selections and scroll stay.
    renderIfChanged('snapshot', snapshot, () => renderSnapshot(snapshot));
    renderIfChanged('events', events, () => renderTimeline(events));
    renderIfChanged('followUps', followUps, () => renderFollowUps(followUps));
  }

  async function loadEvents(signal) {
    const all = [];
    let cursor = null;
    let total = 0;
    for (let pageNumber = 0; pageNumber < MAX_EVENT_PAGES; pageNumber++) {
      const answer = await api(`${path}/events?limit=${EVENT_PAGE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { signal });
      all.push(...answer.events);
      total = answer.total;
      cursor = answer.nextCursor;
      if (!cursor) {
        break;
      }
    }
    return { events: all, total };
  }

  function renderIfChanged(part, value, render) {
    const text = JSON.stringify(value);
    if (rendered[part] !== text) {
      rendered[part] = text;
      render();
    }
  }

  function showNotFound() {
    notFound.classList.remove('hidden');
    sections.classList.add('hidden');
    eraseButton.hidden = true;
    rendered.snapshot = rendered.events = rendered.followUps = null;
  }

  function renderSnapshot(s) {
    const phases = Object.entries(s.phases ?? {});
    const missing = new Set(s.missingPhases ?? []);
    const outcome = s.outcome && s.outcome !== 'None' ? badge(s.outcome, toneOf(s.outcome), 'snapshot-outcome') : null;
    const stalled = s.stalled
      ? badge(`stalled: ${s.stalled.reason} since ${time(s.stalled.waitingSince)}`, 'warn', 'snapshot-stalled')
      : null;

    replace(snapshotBody,
      h('div', { class: 'headline' },
        badge(s.status, toneOf(s.status), 'snapshot-status'),
        outcome,
        stalled,
        (s.anomalies ?? []).map((a) => badge(a.code, 'bad', 'snapshot-anomaly'))),
      facts(isCall
        ? [
          ['Source', s.source],
          ['Call id', s.callId],
          ['Failure reason', s.failureReason],
          ['Agent', [s.agentName, s.agentId].filter(Boolean).join(' · ')],
          ['Organization', s.organizationId],
          ['Customer', s.customerNumber],
          ['Direction', s.callDirection],
          ['Events', `${s.eventCount} distinct · ${s.duplicateCount} duplicate deliveries · ${s.unrecognizedCount} unrecognized`],
          ['First received', time(s.firstReceivedAt)],
          ['Last received', time(s.lastReceivedAt)],
          ['Truncated', s.truncated ? `${s.truncated.events} events kept without payload (${s.truncated.bytes} bytes)` : null],
        ]
        : [
          ['Execution id', s.executionId],
          ['Workflow', [s.workflowName, s.workflowId].filter(Boolean).join(' · ')],
          ['Failure reason', s.failureReason],
          ['Nodes', `${s.nodeExecutions} executed${s.lastNode ? `, latest ${s.lastNode}` : ''}${s.reportedNodesExecuted != null ? ` (provider reports ${s.reportedNodesExecuted})` : ''}`],
          ['Organization', s.organizationId],
          ['Events', `${s.eventCount} distinct · ${s.duplicateCount} duplicate deliveries · ${s.unrecognizedCount} unrecognized`],
          ['First received', time(s.firstReceivedAt)],
          ['Last received', time(s.lastReceivedAt)],
          ['Truncated', s.truncated ? `${s.truncated.events} events kept without payload (${s.truncated.bytes} bytes)` : null],
        ], 'snapshot-facts'),
      h('h3', null, 'Phases (provider time)'),
      h('ul', { class: 'phases', testid: 'phases' },
        phases.map(([phase, at]) => {
          const name = phase.charAt(0).toUpperCase() + phase.slice(1);
          if (at) {
            return h('li', { class: 'seen' }, h('span', { class: 'phase' }, name), h('span', null, time(at)));
          }
          if (missing.has(name)) {
            return h('li', { class: 'missing', testid: 'missing-phase' }, h('span', { class: 'phase' }, name), badge('missing', 'warn'));
          }
          return null;
        })),
      (s.anomalies ?? []).length > 0 && [
        h('h3', null, 'Anomalies'),
        h('ul', { class: 'anomalies' }, s.anomalies.map((a) => h('li', null, h('strong', null, a.code), ': ', a.detail))),
      ],
      s.pca && [
        h('h3', null, 'Post-call analysis'),
        facts([
          ['Status', s.pca.status],
          ['Reason', s.pca.reason],
          ['Completed', s.pca.completedAt ? time(s.pca.completedAt) : null],
          ['Sentiment', s.pca.analysis?.sentiment],
          ['Summary', s.pca.analysis?.summary],
          ...Object.entries(s.pca.analysis?.customFields ?? {}).map(([name, value]) => [name, value]),
        ], 'pca'),
      ],
      h('details', { class: 'raw' }, h('summary', null, 'Snapshot as JSON'), json(s)));
  }

  function renderTimeline({ events, total }) {
    if (events.length === 0) {
      replace(timelineBody, h('p', { class: 'state', testid: 'no-events' }, 'No events.'));
      return;
    }

    // Provider time tells what happened when; arrival order is the sequence number shown on each event.
    const ordered = [...events].sort((a, b) => {
      const x = a.providerTime ? Date.parse(a.providerTime) : Infinity;
      const y = b.providerTime ? Date.parse(b.providerTime) : Infinity;
      return x === y ? a.sequence - b.sequence : x - y;
    });
    replace(timelineBody,
      h('p', { class: 'help' },
        `${total} event${total === 1 ? '' : 's'} in provider-time order`,
        events.length < total ? ` (the first ${events.length} received are shown)` : '',
        '. Late: it arrived after a later phase had been seen. Duplicates: redeliveries answered as duplicates.'),
      h('ol', { class: 'timeline' }, ordered.map(eventItem)));
  }

  function eventItem(e) {
    const payload = h('details', { class: 'payload', testid: 'payload', open: openPayloads.has(e.sequence) },
      h('summary', null, e.payloadKept ? 'Raw payload' : 'Payload not kept (past the entity\'s caps)'));
    const fill = () => {
      if (payload.open && e.payloadKept && !payload.querySelector('pre')) {
        append(payload, json(e.payload, 'payload-json'));
      }
    };
    payload.addEventListener('toggle', () => {
      if (payload.open) {
        openPayloads.add(e.sequence);
      } else {
        openPayloads.delete(e.sequence);
      }
      fill();
    });
    fill();

    return h('li', { class: e.late ? 'event late' : 'event', testid: 'event', 'data-sequence': e.sequence, 'data-event-name': e.eventName },
      h('div', { class: 'event-head' },
        h('span', { class: 'event-time' }, time(e.providerTime)),
        h('strong', { class: 'event-name', testid: 'event-name' }, e.eventName),
        h('span', { class: 'event-type' }, e.type),
        e.late && badge('late', 'warn', 'late'),
        e.duplicates > 0 && badge(`${e.duplicates} duplicate${e.duplicates === 1 ? '' : 's'}`, 'info', 'duplicates')),
      h('div', { class: 'event-meta' }, `#${e.sequence} received ${time(e.receivedAt)} · dedup key ${e.dedupKey}`),
      payload);
  }

  function renderFollowUps(answer) {
    const records = answer.followUps ?? [];
    if (records.length === 0) {
      replace(followUpsBody, h('p', { class: 'state', testid: 'no-follow-ups' }, 'No follow-ups: nothing was emitted for this ' + noun + ' yet, or no follow-up acted on it.'));
      return;
    }
    replace(followUpsBody, records.map((record) => h('article', { class: 'follow-up', testid: 'follow-up' },
      h('h3', { title: record.followUp }, record.followUp.split('.').pop()),
      h('h4', null, 'Decisions'),
      record.decisions.length === 0
        ? h('p', { class: 'help' }, 'None.')
        : h('ul', { class: 'decisions' }, record.decisions.map((d) => h('li', { testid: 'decision' },
          h('div', null, h('strong', null, d.namespace), ' · ', time(d.decidedAt)),
          h('div', null, d.summary),
          h('div', { class: 'meta' }, `emission ${d.emissionId}${d.actionId ? ` → action ${d.actionId}` : ''}`)))),
      h('h4', null, 'Actions'),
      record.actions.length === 0
        ? h('p', { class: 'help' }, 'None.')
        : record.actions.map(actionCard))));
  }

  function actionCard(a) {
    const buttons = [];
    if (a.status === 'Scheduled') {
      buttons.push(h('button', { type: 'button', testid: 'action-cancel', on: { click: (event) => act(event.currentTarget, a, 'cancel') } }, 'Cancel'));
    }
    if (a.status === 'Failed') {
      buttons.push(h('button', { type: 'button', class: 'primary', testid: 'action-retry', on: { click: (event) => act(event.currentTarget, a, 'retry') } }, 'Retry'));
    }
    return h('div', { class: 'action', testid: 'action', 'data-action-id': a.id },
      h('div', { class: 'action-head' },
        h('strong', null, a.name),
        badge(a.status, toneOf(a.status), 'action-status'),
        h('span', { class: 'action-buttons' }, buttons)),
      facts([
        ['Id', a.id],
        ['Due', time(a.dueAt)],
        ['Target', a.target],
        ['Finished', a.finishedAt ? time(a.finishedAt) : null],
      ]),
      a.attempts.length > 0 && h('table', { class: 'attempts' },
        h('thead', null, h('tr', null, ['#', 'Started', 'Took', 'Result', 'Outcome'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', null, a.attempts.map((t) => h('tr', { testid: 'attempt' },
          h('td', { 'data-label': '#' }, t.number),
          h('td', { 'data-label': 'Started' }, time(t.startedAt)),
          h('td', { 'data-label': 'Took' }, duration(t.duration)),
          h('td', { 'data-label': 'Result' }, badge(t.succeeded ? 'succeeded' : 'failed', t.succeeded ? 'good' : 'bad')),
          h('td', { 'data-label': 'Outcome', class: 'outcome' }, t.outcome))))));
  }

  async function act(button, action, what) {
    button.disabled = true;
    const url = `${path}/follow-ups/${encodeURIComponent(action.id)}${what === 'retry' ? '/retry' : ''}`;
    try {
      await api(url, { method: what === 'retry' ? 'POST' : 'DELETE' });
      say(what === 'retry' ? `Retrying ${action.name} (${action.id}).` : `Cancelled ${action.name} (${action.id}).`);
      watch(action.id);
    } catch (error) {
      button.disabled = false;
      if (error.status === 409 || error.status === 404) {
        say(error.message, 'warn');
        rendered.followUps = null;
        context.refreshNow();
      } else {
        context.handleError(error);
      }
    }
  }

  /** After a retry or a cancellation: re-reads the follow-ups every second until the action has settled. */
  function watch(actionId) {
    const mine = {};
    watching = mine;
    let polls = 0;
    const tick = async () => {
      if (disposed || watching !== mine) {
        return;
      }
      polls++;
      try {
        const answer = await api(`${path}/follow-ups`);
        if (disposed || watching !== mine) {
          return;
        }
        renderIfChanged('followUps', answer, () => renderFollowUps(answer));
        const action = answer.followUps?.flatMap((r) => r.actions).find((a) => a.id === actionId);
        if (action && action.status !== 'Scheduled') {
          say(`${action.name} (${action.id}): ${action.status}.`, action.status === 'Succeeded' || action.status === 'Cancelled' ? 'good' : 'warn');
          return;
        }
      } catch (error) {
        if (!(error instanceof ApiError) || error.status !== 503) {
          return;
        }
      }
      if (polls < WATCH_LIMIT) {
        setTimeout(tick, WATCH_PERIOD_MS);
      }
    };
    tick();
  }

  function say(text, tone = 'good') {
    message.className = `flash ${tone}`;
    message.textContent = text;
  }

  function eraseDialog() {
    const form = h('form', { method: 'dialog', class: 'dialog-body' },
      h('h2', { id: 'erase-title' }, `Erase ${key}?`),
      h('p', null, `Its events, payloads, snapshot and follow-ups are deleted; only the deduplication keys stay, so a provider's late retry is answered as a duplicate and does not bring the ${noun} back. This cannot be undone.`),
      h('div', { class: 'dialog-actions' },
        h('button', { type: 'submit', value: 'cancel', testid: 'erase-cancel' }, 'Keep it'),
        h('button', { type: 'submit', value: 'erase', class: 'danger', testid: 'erase-confirm' }, 'Erase')));
    const element = h('dialog', { class: 'confirm', testid: 'erase-dialog', 'aria-labelledby': 'erase-title' }, form);
    element.addEventListener('close', async () => {
      if (element.returnValue !== 'erase') {
        return;
      }
      eraseButton.disabled = true;
      try {
        await api(path, { method: 'DELETE' });
        context.flash(`Erased ${key}.`);
        context.navigate(context.listHash(isCall ? 'calls' : 'workflows'));
      } catch (error) {
        eraseButton.disabled = false;
        if (error.status === 404) {
          context.flash(`${key} was already gone.`);
          context.navigate(context.listHash(isCall ? 'calls' : 'workflows'));
        } else {
          context.handleError(error);
        }
      }
    });
    return element;
  }

  return {
    refresh,
    dispose() {
      disposed = true;
      if (dialog.open) {
        dialog.close('cancel');
      }
    },
  };
}
