// The resident web chat: one renderer for everything the server keeps in the conversation.
// Answers, staff replies, status changes and rating requests all arrive as messages of the conversation,
// by Server-Sent Events (resumed with Last-Event-ID) or, where those fail, by polling; each is shown once,
// by its id. The conversation id and token are kept, so a reload shows the history again.
const log = document.getElementById('log');
// The sender id is this browser's secret (144 random bits): whoever knows it can speak as this resident.
// crypto.getRandomValues works over plain HTTP too, unlike crypto.randomUUID.
function secret(bytes) {
  const b = new Uint8Array(bytes); crypto.getRandomValues(b);
  return btoa(String.fromCharCode(...b)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
const store = window.localStorage;
const sender = store.linliSender || (store.linliSender = 'web-' + secret(18));
let conv = Number(store.linliConversation) || null, token = store.linliToken || null;
let lastId = 0, events = null, polling = null, failures = 0;
const shown = new Set();

function add(text, cls, buttons) {
  const d = document.createElement('div'); d.className = 'msg ' + cls; d.textContent = text;
  if (buttons && buttons.length) {
    const b = document.createElement('div'); b.className = 'buttons';
    for (const btn of buttons) {
      const e = document.createElement('button'); e.textContent = btn.title;
      e.onclick = () => send(btn.payload, btn.title); b.appendChild(e);
    }
    d.appendChild(b);
  }
  log.appendChild(d); log.scrollTop = log.scrollHeight;
}

// One stored message; the resident's own lines are drawn when typed, so only history repeats them.
function show(m, history) {
  if (shown.has(m.id)) return;
  shown.add(m.id); lastId = Math.max(lastId, m.id);
  if (m.sender === 'resident') { if (history) add(m.text, 'me'); return; }
  add(m.text, m.sender === 'staff' ? 'staff' : 'bot', m.buttons);
}

const messagesUrl = () => `/api/v1/conversations/${conv}/messages?token=${encodeURIComponent(token)}&after=${lastId}`;

async function catchUp(history) {
  if (!conv) return;
  const r = await fetch(messagesUrl());
  if (r.status === 404) { forget(); return; }
  if (!r.ok) return;
  for (const m of await r.json()) show(m, history);
}

function listen() {
  if (!conv || events) return;
  if (!window.EventSource) { startPolling(); return; }
  events = new EventSource(`/api/v1/conversations/${conv}/events?token=${encodeURIComponent(token)}&after=${lastId}`);
  events.addEventListener('message', e => { failures = 0; show(JSON.parse(e.data), false); });
  events.onerror = () => {
    // The browser reconnects by itself with Last-Event-ID; after repeated failures, poll instead.
    if (++failures >= 3) { events.close(); events = null; startPolling(); }
  };
}

function startPolling() {
  if (!polling) polling = setInterval(() => catchUp(false), 3000);
}

function forget() {
  conv = token = null; delete store.linliConversation; delete store.linliToken;
  if (events) { events.close(); events = null; }
}

async function send(text, label) {
  add(label || text, 'me');
  let r;
  try {
    r = await fetch('/api/v1/messages', {method: 'POST', headers: {'Content-Type': 'application/json'},
      body: JSON.stringify({sender, text, channel: 'web', message_id: secret(12)})});
  } catch (e) { r = null; }
  if (!r || !r.ok) { add(r && r.status === 429 ? '您发得太快了，请稍等一下再发。' : '网络不太好，请稍后再试。', 'bot'); return; }
  const data = await r.json();
  if (data.conversation_id !== conv) {
    forget();
    conv = data.conversation_id; token = data.conversation_token;
    store.linliConversation = String(conv); store.linliToken = token;
  }
  await catchUp(false);
  listen();
}

document.getElementById('f').onsubmit = e => {
  e.preventDefault(); const t = document.getElementById('t');
  if (t.value.trim()) send(t.value.trim()); t.value = '';
};
add('您好，我是邻里社区助手。可以问办事材料、预约服务、报修投诉、查进度，也可以转人工。', 'bot');
if (conv) catchUp(true).then(listen);
