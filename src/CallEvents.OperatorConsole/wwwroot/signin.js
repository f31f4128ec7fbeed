// Signing in: the key is tried on the list endpoint before it is kept, so a wrong key is said here, not on the next
// page. An empty key is allowed for a service that runs its operator API open (development).

import { api, session } from './api.js';
import { h, replace } from './dom.js';

export function signInView(main, context, message) {
  const input = h('input', {
    id: 'operator-key', type: 'password', name: 'key', autocomplete: 'off', spellcheck: 'false',
    testid: 'key-input', placeholder: 'operator key', 'aria-describedby': 'key-help',
  });
  const note = h('p', { class: message ? 'note' : 'note hidden', role: 'alert', testid: 'signin-message' }, message ?? '');
  const button = h('button', { type: 'submit', class: 'primary', testid: 'sign-in' }, 'Sign in');

  const form = h('form', { class: 'signin card', testid: 'signin-form', novalidate: true },
    h('h1', null, 'Sign in'),
    h('label', { for: 'operator-key' }, 'Operator key'),
    input,
    h('p', { id: 'key-help', class: 'help' },
      'A key from Security:OperatorKeys. It stays in this browser tab (session storage) and is sent as a Bearer ',
      'header with every request. Leave it empty if the service runs its operator API open.'),
    note,
    button);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const key = input.value.trim();
    button.disabled = true;
    note.className = 'note';
    note.textContent = 'Checking the key…';
    try {
      await api('calls?limit=1', { key });
      session.signIn(key);
      context.signedIn();
    } catch (error) {
      note.textContent = error.status === 401
        ? (key ? 'That key was refused (401).' : 'This service needs an operator key (401).')
        : error.status === 503 || error.status === 0
          ? 'The service is busy or unreachable; try again in a moment.'
          : `The service answered ${error.status}: ${error.message}`;
      button.disabled = false;
      input.focus();
    }
  });

  replace(main, form);
  input.focus();
  return {};
}
