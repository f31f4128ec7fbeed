// Building the page. Every value that came from the service (and so, often, from a webhook sender) is put in the
// DOM as a text node or an attribute value, never parsed as markup: h() cannot set markup, refuses event handler
// attributes and accepts only in-page links.

/**
 * h('tag', {class, testid, text, on: {event: fn}, ...attributes}, ...children): an element whose children are
 * nodes or text (strings, numbers); null, undefined and false children are skipped.
 */
export function h(tag, props, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) {
      continue;
    }
    if (name === 'class') {
      element.className = value;
    } else if (name === 'testid') {
      element.dataset.testid = value;
    } else if (name === 'text') {
      element.textContent = String(value);
    } else if (name === 'on') {
      for (const [event, handler] of Object.entries(value)) {
        element.addEventListener(event, handler);
      }
    } else if (name.toLowerCase().startsWith('on')) {
      throw new Error(`h(): use {on: {...}} for ${name}`);
    } else if (name === 'href' && !String(value).startsWith('#')) {
      throw new Error('h(): only in-page links');
    } else {
      element.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(element, children);
  return element;
}

/** Appends nodes and text. */
export function append(element, ...children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) {
      continue;
    }
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

/** Replaces an element's children. */
export function replace(element, ...children) {
  element.replaceChildren();
  return append(element, children);
}

/** A UTC time to the millisecond, e.g. 2026-08-01 09:00:00.250Z; '—' when there is none. */
export function time(value) {
  if (!value) {
    return '—';
  }
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) {
    return String(value);
  }
  return date.toISOString().replace('T', ' ').replace('.000Z', 'Z');
}

/** A .NET TimeSpan ("[d.]hh:mm:ss[.fffffff]") in words: 120 ms, 3.4 s, 2 min 5 s. */
export function duration(value) {
  const match = /^(?:(\d+)\.)?(\d+):(\d+):(\d+)(?:\.(\d+))?$/.exec(String(value ?? ''));
  if (!match) {
    return String(value ?? '—');
  }
  const [, days, hours, minutes, seconds, fraction] = match;
  const total = (Number(days ?? 0) * 86400) + (Number(hours) * 3600) + (Number(minutes) * 60) + Number(seconds) + Number(`0.${fraction ?? '0'}`);
  if (total < 1) {
    return `${Math.round(total * 1000)} ms`;
  }
  if (total < 60) {
    return `${total.toFixed(1)} s`;
  }
  return `${Math.floor(total / 60)} min ${Math.round(total % 60)} s`;
}

/** A small coloured label; `tone` is one of good, bad, warn, info, muted. */
export function badge(text, tone = 'muted', testid) {
  return h('span', { class: `badge ${tone}`, testid }, text);
}

/** The tone of a status or outcome. */
export function toneOf(value) {
  switch (value) {
    case 'PcaReady': case 'Succeeded': case 'Completed': case 'Ended':
      return 'good';
    case 'Failed': case 'Errored': case 'Canceled': case 'Expired': case 'Cancelled':
      return 'bad';
    case 'Scheduled':
      return 'info';
    default:
      return 'muted';
  }
}

/** A definition list from [term, value] pairs, skipping pairs whose value is null, undefined or ''. */
export function facts(pairs, testid) {
  return h('dl', { class: 'facts', testid },
    pairs.filter(([, value]) => value !== null && value !== undefined && value !== '')
      .map(([term, value]) => h('div', { class: 'fact' }, h('dt', null, term), h('dd', null, value))));
}

/** JSON pretty-printed into a <pre> as text. */
export function json(value, testid) {
  return h('pre', { class: 'json', testid }, JSON.stringify(value, null, 2));
}
