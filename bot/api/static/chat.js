const log = document.getElementById('log');
// The sender id is this browser's secret (144 random bits): whoever knows it can speak as this resident.
// crypto.getRandomValues works over plain HTTP too, unlike crypto.randomUUID.
function secret(bytes) {
  const b = new Uint8Array(bytes); crypto.getRandomValues(b);
  return btoa(String.fromCharCode(...b)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
const sender = localStorage.linliSender || (localStorage.linliSender = 'web-' + secret(18));
let conv = null, token = null, lastId = 0;
function add(text, cls, buttons) {
  const d = document.createElement('div'); d.className = 'msg ' + cls; d.textContent = text;
  if (buttons && buttons.length) {
    const b = document.createElement('div'); b.className = 'buttons';
    for (const btn of buttons) { const e = document.createElement('button'); e.textContent = btn.title; e.onclick = () => send(btn.payload, btn.title); b.appendChild(e); }
    d.appendChild(b);
  }
  log.appendChild(d); log.scrollTop = log.scrollHeight;
}
async function send(text, shown) {
  add(shown || text, 'me');
  const r = await fetch('/api/v1/messages', {method: 'POST', headers: {'Content-Type': 'application/json'},
    body: JSON.stringify({sender, text, channel: 'web', message_id: secret(12)})});
  if (!r.ok) { add('网络不太好，请稍后再试。', 'bot'); return; }
  const data = await r.json(); conv = data.conversation_id; token = data.conversation_token;
  for (const rep of data.replies) add(rep.text, 'bot', rep.buttons);
  await poll(true);
}
async function poll(skip) {
  if (!conv) return;
  const r = await fetch(`/api/v1/conversations/${conv}/messages?token=${encodeURIComponent(token)}&after=${lastId}`);
  if (!r.ok) return;
  for (const m of await r.json()) { lastId = Math.max(lastId, m.id); if (!skip && m.sender !== 'resident' && m.sender !== 'bot') add(m.text, 'staff', m.buttons); }
}
setInterval(() => poll(false), 3000);
document.getElementById('f').onsubmit = e => { e.preventDefault(); const t = document.getElementById('t'); if (t.value.trim()) send(t.value.trim()); t.value = ''; };
add('您好，我是邻里社区助手。可以问办事材料、预约服务、报修投诉、查进度，也可以转人工。', 'bot');
