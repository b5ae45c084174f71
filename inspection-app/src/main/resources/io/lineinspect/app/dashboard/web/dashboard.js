// The operator's screen (docs/dashboard.md): one event stream of snapshots, drawn into the page's
// elements by id. No library. The credential typed in stays in this page's memory only and is
// forgotten after writeIdleSeconds without a write action.
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  const ROLES = ['viewer', 'operator', 'engineer'];
  let token = null;
  let role = null;
  let idleSeconds = 300;
  let idleTimer = null;
  let last = null;
  const frames = {}; // camera -> {seq, url}
  const shots = {}; // part key -> element

  function headers(extra) {
    const h = Object.assign({}, extra || {});
    if (token) h['Authorization'] = 'Bearer ' + token;
    return h;
  }
  function canWrite() { return role && ROLES.indexOf(role) >= 1; }
  function say(text, bad) { const m = $('message'); m.textContent = text; m.style.color = bad ? '#ff8080' : '#9fd39f'; }
  function us(v) { return v == null ? '–' : v >= 10000 ? (v / 1000).toFixed(1) + ' ms' : v + ' µs'; }
  function time(atUs) { return new Date(atUs / 1000).toLocaleTimeString(); }
  function esc(s) { return String(s == null ? '' : s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c])); }

  // ------------------------------------------------------------------ session
  async function signIn(t) {
    const r = await fetch('/dashboard/api/session', { headers: { Authorization: 'Bearer ' + t } });
    if (r.status !== 200) { say(r.status === 401 ? 'wrong token' : 'sign-in failed: ' + r.status, true); return; }
    const s = await r.json();
    token = t; role = s.role; idleSeconds = s.writeIdleSeconds || 300;
    touch(); session(); restart();
  }
  function signOut(why) {
    token = null; role = null; if (idleTimer) clearTimeout(idleTimer);
    session(); if (why) say(why); restart();
  }
  function touch() {
    if (idleTimer) clearTimeout(idleTimer);
    if (canWrite()) idleTimer = setTimeout(() => signOut('signed out: idle for ' + idleSeconds + ' s'), idleSeconds * 1000);
  }
  function session() {
    $('who').textContent = role ? 'signed in: ' + role : 'viewing';
    $('token').hidden = !!role; $('signin').hidden = !!role; $('signout').hidden = !role;
    document.body.classList.toggle('writer', !!canWrite());
  }
  async function post(path, body) {
    const r = await fetch(path, { method: 'POST', headers: headers({ 'Content-Type': 'application/json' }), body: JSON.stringify(body || {}) });
    let j = {};
    try { j = await r.json(); } catch (e) { /* no body */ }
    if (r.status === 200) { touch(); return j; }
    throw new Error(r.status + ': ' + (j.error || r.statusText));
  }

  // ------------------------------------------------------------------ stream
  let controller = null;
  function restart() { if (controller) controller.abort(); }
  async function stream() {
    for (;;) {
      controller = new AbortController();
      try {
        const r = await fetch('/dashboard/api/events', { headers: headers(), signal: controller.signal });
        if (r.status === 401 || r.status === 403) { pill('sign in (viewer credential)', false); await sleep(2000); continue; }
        if (r.status !== 200) { pill('stream: ' + r.status, false); await sleep(1000); continue; }
        pill('live', true);
        const reader = r.body.getReader();
        const dec = new TextDecoder();
        let buf = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += dec.decode(value, { stream: true });
          let i;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const ev = buf.slice(0, i); buf = buf.slice(i + 2);
            let name = 'message', data = '';
            for (const line of ev.split('\n')) {
              if (line.startsWith('event: ')) name = line.slice(7);
              else if (line.startsWith('data: ')) data += line.slice(6);
            }
            if (name === 'snapshot' && data) render(JSON.parse(data));
          }
        }
      } catch (e) { /* aborted or lost: reconnect */ }
      pill('reconnecting…', false);
      await sleep(500);
    }
  }
  function pill(text, on) { const p = $('stream'); p.textContent = text; p.className = 'pill ' + (on ? 'on' : 'off'); }
  function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }

  // Images are fetched one after the other, so that a page holds at most two connections to the
  // admin endpoint (the stream and one keep-alive connection): several pages must never take the
  // connections /health and /metrics need.
  let queue = Promise.resolve();
  function blobUrl(path) {
    const p = queue.then(async () => {
      const r = await fetch(path, { headers: headers() });
      if (r.status !== 200) return null;
      return URL.createObjectURL(await r.blob());
    });
    queue = p.catch(() => null);
    return p;
  }

  // ------------------------------------------------------------------ render
  // Each panel renders on its own: an error in one (logged to the console, counted in
  // window.dashboardPanelErrors) never freezes the others or the stream.
  window.dashboardPanelErrors = 0;
  function panel(name, f) {
    try { f(); } catch (e) { window.dashboardPanelErrors++; console.error('dashboard panel ' + name, e); }
  }
  function render(s) {
    last = s;
    window.dashboardSnapshot = s; // for tests and the curious
    panel('line', () => { $('line').textContent = s.line; $('clock').textContent = time(s.atUs); });
    panel('shift', () => renderShift(s.shift));
    panel('cameras', () => renderCameras(s));
    panel('timing', () => renderTiming(s.timing));
    panel('alarms', () => renderAlarms(s.alarms));
    panel('filmstrip', () => renderFilm(s.filmstrip));
    panel('trend', () => drawTrend(s.trend));
    panel('scores', () => drawHistogram(s.scores));
    panel('model', () => renderModel(s.model));
  }

  function renderCameras(s) {
    const box = $('cameras');
    for (const c of s.cameras) {
      let el = box.querySelector('[data-camera="' + CSS.escape(c.id) + '"]');
      if (!el) {
        el = document.createElement('div');
        el.className = 'camera'; el.dataset.camera = c.id;
        el.innerHTML = '<div class="head"><b class="name"></b><span class="state"></span></div>' +
          '<div class="frame"><div class="banner"></div><img alt=""></div>' +
          '<div class="info small"></div>';
        box.appendChild(el);
      }
      el.querySelector('.name').textContent = c.id;
      const st = el.querySelector('.state');
      const silent = c.connected && c.lastAgeMs != null && c.lastAgeMs > 2000;
      st.textContent = !c.connected ? 'OFFLINE' : silent ? 'online · no frames for ' + Math.round(c.lastAgeMs / 1000) + ' s' : 'online · ' + c.fps + ' fps';
      st.className = 'state ' + (!c.connected ? 'offline' : silent ? 'silent' : 'online');
      el.classList.toggle('offline', !c.connected);
      const b = el.querySelector('.banner');
      const l = c.last;
      if (l) {
        const kind = l.failSafe ? 'FAILSAFE' : l.verdict;
        b.className = 'banner ' + kind;
        b.textContent = (l.failSafe ? 'FAIL-SAFE ' + l.reason : l.verdict) + ' #' + l.seq;
        el.querySelector('.info').innerHTML =
          'score <b>' + (l.score == null ? '–' : l.score.toFixed(3)) + '</b> / threshold ' + (l.threshold == null ? '–' : l.threshold) +
          ' · model <b>' + esc(l.model ? l.model + '@' + l.version : 'none') + '</b>' +
          (l.detail ? '<br>' + esc(l.detail) : '');
      } else { b.className = 'banner'; b.textContent = 'no part yet'; }
      const f = frames[c.id] || (frames[c.id] = { seq: null, url: null, busy: false });
      if (c.imageSeq != null && c.imageSeq !== f.seq && !f.busy) {
        f.busy = true;
        blobUrl('/dashboard/api/frame?camera=' + encodeURIComponent(c.id)).then((u) => {
          f.busy = false;
          if (!u) return;
          if (f.url) URL.revokeObjectURL(f.url);
          f.url = u; f.seq = c.imageSeq; el.querySelector('img').src = u;
        });
      }
    }
  }

  function renderShift(sh) {
    $('shift-start').textContent = 'since ' + time(sh.startUs);
    $('shift-total').textContent = sh.total;
    $('shift-ok').textContent = sh.ok;
    $('shift-ng').textContent = sh.ng;
    $('shift-failsafe').textContent = sh.failSafeTotal;
    $('shift-yield').textContent = sh.yieldPct == null ? '–' : sh.yieldPct.toFixed(1) + ' %';
    $('shift-failsafe-reasons').textContent = Object.keys(sh.failSafe).length
      ? 'fail-safe: ' + Object.entries(sh.failSafe).map(([k, v]) => k + ' ' + v).join(', ') : 'fail-safe: none';
    $('rejects-delivered').textContent = sh.rejects.delivered;
    $('rejects-missed').textContent = sh.rejects.missedTotal;
    $('rejects-missed-causes').textContent = Object.entries(sh.rejects.missed).filter(([, v]) => v > 0).map(([k, v]) => k + ' ' + v).join(', ');
  }

  function renderTiming(t) {
    $('budget').textContent = us(t.budgetUs);
    for (const w of ['minute', 'hour']) {
      const cells = $('timing-' + w).querySelectorAll('td');
      const x = t[w];
      [x.p50Us, x.p99Us, x.maxUs].forEach((v, i) => { cells[i].textContent = us(v); cells[i].classList.toggle('over', v != null && v > t.budgetUs); });
      cells[3].textContent = x.deadlineMisses; cells[3].classList.toggle('over', x.deadlineMisses > 0);
    }
  }

  // Alarms are updated in place, keyed by id (never rebuilt), so that an Ack click is never lost
  // to a snapshot arriving at the same moment.
  const alarmEls = {};
  function renderAlarms(alarms) {
    const ul = $('alarms');
    $('alarm-count').textContent = alarms.filter((a) => a.active && !a.ackedBy).length + ' unacknowledged';
    const keep = new Set();
    alarms.forEach((a, i) => {
      keep.add(a.id);
      let li = alarmEls[a.id];
      if (!li) {
        li = document.createElement('li');
        li.dataset.alarm = a.id;
        li.innerHTML = '<span class="text"></span>';
        const btn = document.createElement('button');
        btn.className = 'ack'; btn.textContent = 'Ack';
        btn.onclick = () => post('/dashboard/api/alarms/ack', { id: a.id }).then(() => say('acknowledged ' + a.id)).catch((e) => say(e.message, true));
        li.appendChild(btn);
        alarmEls[a.id] = li;
      }
      li.dataset.kind = a.kind;
      li.className = 'alarm' + (a.active ? '' : ' cleared') + (a.ackedBy ? ' acked' : '');
      li.querySelector('.text').innerHTML = esc(a.text) + ' <small>' + time(a.sinceUs) + (a.active ? '' : ' · cleared') +
        (a.ackedBy ? ' · ack ' + esc(a.ackedBy) : '') + '</small>';
      const btn = li.querySelector('.ack');
      if (a.ackedBy) { btn.remove(); } else {
        btn.disabled = !canWrite();
        btn.title = canWrite() ? 'acknowledge (audited)' : 'sign in as operator to acknowledge';
      }
      if (ul.children[i] !== li) ul.insertBefore(li, ul.children[i] || null);
    });
    for (const id of Object.keys(alarmEls)) {
      if (!keep.has(id)) { alarmEls[id].remove(); delete alarmEls[id]; }
    }
  }

  function renderFilm(items) {
    const box = $('filmstrip');
    const keep = new Set();
    items.forEach((p, i) => {
      const key = p.camera + '/' + p.seq + '/' + p.captureUs;
      keep.add(key);
      let el = shots[key];
      if (!el) {
        el = document.createElement('div');
        el.className = 'shot'; el.dataset.part = key;
        el.innerHTML = '<img alt=""><div>' + esc(p.camera) + ' #' + p.seq + '</div><div>' + esc(p.failSafe ? p.reason : (p.score == null ? '' : p.score.toFixed(2))) + '</div>';
        el.onclick = () => openDetail(p);
        shots[key] = el;
        blobUrl('/dashboard/api/image?camera=' + encodeURIComponent(p.camera) + '&seq=' + p.seq + '&captureUs=' + p.captureUs)
          .then((u) => { if (u) el.querySelector('img').src = u; });
      }
      if (box.children[i] !== el) box.insertBefore(el, box.children[i] || null);
    });
    for (const k of Object.keys(shots)) {
      if (!keep.has(k)) { const img = shots[k].querySelector('img'); if (img.src) URL.revokeObjectURL(img.src); shots[k].remove(); delete shots[k]; }
    }
  }

  function canvas(id) {
    const c = $(id);
    const r = c.getBoundingClientRect();
    c.width = Math.max(10, r.width); c.height = Math.max(10, r.height);
    const g = c.getContext('2d');
    g.clearRect(0, 0, c.width, c.height);
    g.font = '10px system-ui'; g.fillStyle = '#8fa0b0'; g.strokeStyle = '#8fa0b0';
    return [g, c.width, c.height];
  }

  function drawTrend(t) {
    $('trend-minutes').textContent = t.bucketMinutes;
    $('pbar').textContent = (t.pBar * 100).toFixed(2) + ' %';
    const [g, w, h] = canvas('trend');
    const b = t.buckets;
    if (!b.length) { g.fillText('no parts yet this shift', 8, 14); return; }
    const top = Math.max(0.01, ...b.map((x) => Math.max(x.p, x.ucl))) * 1.1;
    const pad = 22, n = Math.max(b.length, 12), dx = (w - pad - 4) / n;
    const y = (p) => h - 12 - (p / top) * (h - 20);
    g.fillText((top * 100).toFixed(1) + '%', 0, 10); g.fillText('0', 0, h - 12);
    const step = (key, color, dash) => {
      g.strokeStyle = color; g.setLineDash(dash); g.beginPath();
      b.forEach((x, i) => { const x0 = pad + i * dx; g.lineTo(x0, y(x[key])); g.lineTo(x0 + dx, y(x[key])); });
      g.stroke(); g.setLineDash([]);
    };
    step('ucl', '#d9a520', [4, 3]); step('lcl', '#d9a520', [4, 3]);
    g.strokeStyle = '#5f89c9'; g.beginPath(); g.moveTo(pad, y(t.pBar)); g.lineTo(pad + b.length * dx, y(t.pBar)); g.stroke();
    b.forEach((x, i) => {
      const cx = pad + (i + 0.5) * dx;
      g.fillStyle = x.p > x.ucl || x.p < x.lcl ? '#ff5050' : '#dde3ea';
      g.beginPath(); g.arc(cx, y(x.p), 3, 0, 7); g.fill();
    });
    g.fillStyle = '#8fa0b0'; g.fillText(time(b[0].startUs), pad, h - 1);
  }

  function drawHistogram(s) {
    $('threshold').textContent = s.threshold == null ? '–' : s.threshold;
    const [g, w, h] = canvas('histogram');
    const bins = s.bins, max = Math.max(1, ...bins), dx = (w - 4) / bins.length;
    bins.forEach((v, i) => {
      const bh = (Math.log1p(v) / Math.log1p(max)) * (h - 16);
      g.fillStyle = (i + 0.5) / bins.length >= (s.threshold == null ? 2 : s.threshold) ? '#c84646' : '#4f8f5f';
      g.fillRect(2 + i * dx, h - 12 - bh, dx - 1, bh);
    });
    g.fillStyle = '#8fa0b0'; g.fillText('0', 2, h - 1); g.fillText('1', w - 8, h - 1); g.fillText('log count', w / 2 - 20, 10);
    if (s.threshold != null) {
      const x = 2 + s.threshold * (w - 4);
      g.strokeStyle = '#ffd040'; g.lineWidth = 2; g.beginPath(); g.moveTo(x, 0); g.lineTo(x, h - 12); g.stroke(); g.lineWidth = 1;
    }
  }

  function renderModel(m) {
    const el = $('model');
    if (!m) { el.textContent = 'no model lifecycle'; return; }
    const sv = m.served || {};
    const parts = ['served <b>' + esc(sv.id || 'none') + '</b>' + (sv.how ? ' (' + esc(sv.how) + (sv.since ? ' ' + esc(String(sv.since).slice(0, 19).replace('T', ' ')) : '') + ')' : '')];
    parts.push('rollback to ' + (m.rollbackTo ? '<b>' + esc(m.rollbackTo) + '</b>' : 'none'));
    const sh = m.shadow && m.shadow.candidate ? m.shadow : null;
    if (sh) {
      const st = sh.stats || {};
      const agree = st.judged ? (100 * st.agreed / st.judged).toFixed(1) + ' %' : '–';
      parts.push('shadow <b>' + esc(sh.candidate) + '</b>: agreement <b id="shadow-agreement">' + agree + '</b> of ' + (st.judged || 0));
    } else parts.push('shadow: none');
    if (m.last) parts.push('last operation: <b>' + esc(m.last.outcome) + '</b> ' + esc(m.last.message));
    el.innerHTML = parts.join('<br>');
  }

  // ------------------------------------------------------------------ detail and labels
  let shown = null;
  // Each opening (and each close) gets a new generation: an opening still awaiting its record or
  // image when the detail was closed or opened again does nothing when it resumes.
  let detailGen = 0;
  async function openDetail(p) {
    const gen = ++detailGen;
    const q = 'camera=' + encodeURIComponent(p.camera) + '&seq=' + p.seq + '&captureUs=' + p.captureUs;
    const r = await fetch('/dashboard/api/part?' + q, { headers: headers() });
    const d = await r.json();
    if (gen !== detailGen) return;
    if (r.status !== 200) { say(d.error || r.status, true); return; }
    shown = { camera: p.camera, seq: p.seq, captureUs: p.captureUs };
    $('detail-title').textContent = p.camera + ' frame ' + p.seq;
    $('detail-record').textContent = JSON.stringify(d.record, null, 1);
    $('detail-labels').textContent = d.labels.length ? 'labels: ' + d.labels.map((l) => l.label + ' by ' + l.role).join(', ') : 'no label yet';
    const src = d.image ? (await blobUrl(d.image)) || '' : '';
    if (gen !== detailGen) return;
    $('detail-image').src = src;
    document.querySelectorAll('#detail .actions button').forEach((b) => { b.disabled = !canWrite(); });
    $('detail').hidden = false;
  }
  function label(kind, part) {
    return post('/dashboard/api/labels', Object.assign({ label: kind }, part))
      .then((l) => { say('labelled ' + l.camera + ' #' + l.seq + ': ' + l.label); return l; })
      .catch((e) => { say(e.message, true); throw e; });
  }

  // ------------------------------------------------------------------ wiring
  $('signin').onclick = () => { const t = $('token').value.trim(); $('token').value = ''; if (t) signIn(t); };
  $('token').onkeydown = (e) => { if (e.key === 'Enter') $('signin').onclick(); };
  $('signout').onclick = () => signOut('signed out');
  let resetArmed = 0;
  $('reset').onclick = () => {
    if (Date.now() - resetArmed > 3000) { resetArmed = Date.now(); $('reset').textContent = 'Confirm reset?'; setTimeout(() => { $('reset').textContent = 'Reset shift'; }, 3000); return; }
    resetArmed = 0; $('reset').textContent = 'Reset shift';
    post('/dashboard/api/shift/reset').then(() => say('new shift started')).catch((e) => say(e.message, true));
  };
  $('detail-close').onclick = () => { detailGen++; $('detail').hidden = true; };
  $('detail').onclick = (e) => { if (e.target === $('detail')) { detailGen++; $('detail').hidden = true; } };
  document.querySelectorAll('#detail .actions button').forEach((b) => {
    // Refresh the detail after the label only if it is still open (a close meanwhile wins).
    b.onclick = () => { if (shown) label(b.dataset.label, shown).then(() => { if (!$('detail').hidden) openDetail(shown); }).catch(() => {}); };
  });
  $('escaped').onsubmit = (e) => {
    e.preventDefault();
    label('escaped-defect', { camera: $('escaped-camera').value.trim(), seq: Number($('escaped-seq').value) }).catch(() => {});
  };
  window.addEventListener('resize', () => { if (last) { drawTrend(last.trend); drawHistogram(last.scores); } });
  session();
  stream();
})();
