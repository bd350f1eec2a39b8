// The Studio's one graphql-ws socket (the `graphql-transport-ws` protocol): it follows the
// `videoProcessing` of each video the page asks for and reports every update. It reconnects
// with backoff after a drop (not after the server closed it for a spent session, 4401/4403),
// and says when it is up or down so the page polls only while it is down.
const cfg = await dioxus.recv();
const send = (m) => { try { dioxus.send(m); } catch (_) { /* the page is gone */ } };
const QUERY = 'subscription($id: ID!) { videoProcessing(id: $id) { videoId state progress failureReason } }';
const followed = new Set();
let ws = null;
let up = false;
let retry = 500;
let closed = false;

function subscribe(id) {
  if (up) ws.send(JSON.stringify({ id, type: 'subscribe', payload: { query: QUERY, variables: { id } } }));
}

function connect() {
  if (closed) return;
  ws = new WebSocket(cfg.url, 'graphql-transport-ws');
  ws.onopen = () => ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${cfg.token}` } }));
  ws.onmessage = (m) => {
    let v;
    try { v = JSON.parse(m.data); } catch (_) { return; }
    switch (v.type) {
      case 'connection_ack':
        up = true; retry = 500;
        send({ ev: 'up' });
        for (const id of followed) subscribe(id);
        break;
      case 'ping': ws.send(JSON.stringify({ type: 'pong' })); break;
      case 'next': {
        const u = v.payload && v.payload.data && v.payload.data.videoProcessing;
        if (u) send({ ev: 'update', id: v.id, state: u.state, progress: u.progress, failure: u.failureReason });
        else send({ ev: 'refused', id: v.id, message: (v.payload.errors || [{}])[0].message || 'refused' });
        break;
      }
      case 'error': send({ ev: 'refused', id: v.id, message: (v.payload[0] || {}).message || 'refused' }); followed.delete(v.id); break;
      case 'complete': send({ ev: 'complete', id: v.id }); followed.delete(v.id); break;
      default: break;
    }
  };
  ws.onclose = (e) => {
    const was = up;
    up = false;
    if (was || retry === 500) send({ ev: 'down' });
    if (e.code === 4401 || e.code === 4403) return;
    setTimeout(connect, retry);
    retry = Math.min(retry * 2, 30000);
  };
}
connect();

for (;;) {
  const c = await dioxus.recv();
  if (c.op === 'follow' && !followed.has(c.id)) { followed.add(c.id); subscribe(c.id); }
  if (c.op === 'close') { closed = true; if (ws) ws.close(1000); return; }
}
