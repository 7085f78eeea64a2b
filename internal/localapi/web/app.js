// The residents' web app: log in with a PIN, run the devices the grant
// allows, see when the cloud is away. Plain JavaScript, no build step, no
// inline script (the Content-Security-Policy forbids it).
'use strict';
(function () {
  const STR = {
    en: {
      title: 'Home', login_title: 'Log in to your home hub', user: 'Name', pin: 'PIN', login: 'Log in',
      logout: 'Log out', events: 'Recent events', signed_in: 'Logged in as {u} ({r})',
      role_owner: 'owner', role_resident: 'resident', role_guest: 'guest', role_service: 'service',
      wrong_pin: 'Wrong name or PIN.',
      locked_out: 'Too many wrong PINs. Locked: try again in {m} min.',
      rate_limited: 'Too many attempts. Try again in {s} s.',
      expired: 'Your access has expired.', revoked: 'Your access has been revoked.',
      not_yet_valid: 'Your access is not valid yet.',
      untrusted_time: 'The hub cannot confirm the time; this access is paused until it can.',
      outside_schedule: 'Not allowed at this time.', device_not_allowed: 'Your access does not cover this device.',
      action_not_allowed: 'Your access does not allow this.', unknown_grant: 'The hub no longer knows your access.',
      unauthenticated: 'Please log in.', session_expired: 'Your session has ended. Please log in again.',
      csrf_missing: 'Please reload the page.', csrf_invalid: 'Please reload the page.',
      network: 'The hub does not answer. Check the Wi-Fi.',
      audit_failed: 'The hub could not record this, so nothing was done. Try again.',
      not_recorded: 'Done, but the hub could not record it.', bad_value: 'That value is out of range.',
      error: 'Something went wrong ({c}).',
      cloud_offline: 'Cloud unreachable since {t}. Your home works locally; {n} events wait to sync.',
      since_start: 'start-up',
      st_locked: 'Locked', st_unlocked: 'Unlocked', st_on: 'On', st_off: 'Off', st_heating: 'Heating',
      st_idle: 'Idle', st_fault: 'Sensor fault', st_open: 'Open', st_closed: 'Closed', st_opening: 'Opening',
      st_closing: 'Closing', st_stopped: 'Stopped', door_open: 'door open', door_closed: 'door closed',
      a_lock: 'Lock', a_unlock: 'Unlock', a_on: 'On', a_off: 'Off', a_open: '▲ Up', a_stop: '■ Stop',
      a_close: '▼ Down', a_heat_on: 'Heating on', a_heat_off: 'Heating off',
      temp: 'Now {v} °C, set to {s} °C', position: '{v} % open', alarm: 'Alarm: {a}',
      ev_unlocked: 'unlocked', ev_locked: 'locked', ev_switched_on: 'switched on', ev_switched_off: 'switched off',
      ev_door_opened: 'door opened', ev_door_closed: 'door closed', ev_door_forced: 'door forced!',
      ev_auth_decision: 'access', ev_auth_pin: 'PIN login', ev_auth_import: 'credential received',
      ev_door_left_open: 'door left open!', ev_boiler_on: 'heating on', ev_boiler_off: 'heating off',
      ev_mode: 'mode', ev_setpoint: 'set to', ev_cover_moving: 'moving', ev_cover_stopped: 'stopped',
      ev_alarm_raised: 'alarm!', ev_alarm_cleared: 'alarm cleared'
    },
    ko: {
      title: '우리 집', login_title: '홈 허브 로그인', user: '이름', pin: 'PIN', login: '로그인',
      logout: '로그아웃', events: '최근 기록', signed_in: '{u} ({r}) 로그인됨',
      role_owner: '소유자', role_resident: '거주자', role_guest: '손님', role_service: '서비스',
      wrong_pin: '이름 또는 PIN이 틀렸습니다.',
      locked_out: 'PIN을 너무 많이 틀렸습니다. 잠금: {m}분 후에 다시 시도하세요.',
      rate_limited: '시도가 너무 많습니다. {s}초 후에 다시 시도하세요.',
      expired: '접근 권한이 만료되었습니다.', revoked: '접근 권한이 취소되었습니다.',
      not_yet_valid: '접근 권한이 아직 유효하지 않습니다.',
      untrusted_time: '허브가 시간을 확인할 수 없어 이 권한은 잠시 중지되었습니다.',
      outside_schedule: '지금은 허용된 시간이 아닙니다.', device_not_allowed: '이 기기에 대한 권한이 없습니다.',
      action_not_allowed: '이 동작에 대한 권한이 없습니다.', unknown_grant: '허브가 더 이상 이 권한을 알지 못합니다.',
      unauthenticated: '로그인하세요.', session_expired: '세션이 끝났습니다. 다시 로그인하세요.',
      csrf_missing: '페이지를 새로 고치세요.', csrf_invalid: '페이지를 새로 고치세요.',
      network: '허브가 응답하지 않습니다. Wi-Fi를 확인하세요.',
      audit_failed: '허브가 기록하지 못해 아무것도 하지 않았습니다. 다시 시도하세요.',
      not_recorded: '실행했지만 허브가 기록하지 못했습니다.', bad_value: '허용 범위를 벗어난 값입니다.',
      error: '문제가 발생했습니다 ({c}).',
      cloud_offline: '{t}부터 클라우드에 연결할 수 없습니다. 집은 로컬로 계속 작동하며, 동기화를 기다리는 기록이 {n}건 있습니다.',
      since_start: '시작',
      st_locked: '잠김', st_unlocked: '열림', st_on: '켜짐', st_off: '꺼짐', st_heating: '난방 중',
      st_idle: '대기', st_fault: '센서 고장', st_open: '열림', st_closed: '닫힘', st_opening: '여는 중',
      st_closing: '닫는 중', st_stopped: '멈춤', door_open: '문 열림', door_closed: '문 닫힘',
      a_lock: '잠그기', a_unlock: '열기', a_on: '켜기', a_off: '끄기', a_open: '▲ 올리기', a_stop: '■ 정지',
      a_close: '▼ 내리기', a_heat_on: '난방 켜기', a_heat_off: '난방 끄기',
      temp: '현재 {v} °C, 설정 {s} °C', position: '{v}% 열림', alarm: '경보: {a}',
      ev_unlocked: '열림', ev_locked: '잠김', ev_switched_on: '켜짐', ev_switched_off: '꺼짐',
      ev_door_opened: '문 열림', ev_door_closed: '문 닫힘', ev_door_forced: '강제 개방!',
      ev_auth_decision: '접근', ev_auth_pin: 'PIN 로그인', ev_auth_import: '권한 수신',
      ev_door_left_open: '문이 열려 있음!', ev_boiler_on: '난방 켜짐', ev_boiler_off: '난방 꺼짐',
      ev_mode: '모드', ev_setpoint: '설정', ev_cover_moving: '움직이는 중', ev_cover_stopped: '멈춤',
      ev_alarm_raised: '경보!', ev_alarm_cleared: '경보 해제'
    }
  };
  // The server sets <html lang> from Accept-Language; the browser's own
  // language is the fallback.
  const lang = (document.documentElement.lang || navigator.language || 'en').toLowerCase().startsWith('ko') ? 'ko' : 'en';
  const S = STR[lang];
  const POLL_MS = 2000;

  function t(key, vars) {
    let s = S[key] || STR.en[key] || key;
    for (const k in vars || {}) s = s.split('{' + k + '}').join(String(vars[k]));
    return s;
  }
  const $ = (id) => document.getElementById(id);
  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  let csrf = '';
  let me = null;
  let devs = [];
  let shown = '';
  let timer = 0;
  let tick = 0;

  async function api(method, path, body) {
    const opts = { method, headers: {}, credentials: 'same-origin', cache: 'no-store' };
    if (body !== undefined) {
      opts.headers['Content-Type'] = 'application/json';
      opts.body = JSON.stringify(body);
    }
    if (method !== 'GET') opts.headers['X-CSRF-Token'] = csrf;
    let res;
    try {
      res = await fetch(path, opts);
    } catch (e) {
      return { ok: false, status: 0, data: { error: { code: 'network' } } };
    }
    let data = {};
    try { data = await res.json(); } catch (e) { /* an empty or non-JSON answer */ }
    return { ok: res.ok, status: res.status, data };
  }

  function code(d) { return (d && d.error && d.error.code) || 'error'; }
  function errText(d) {
    const c = code(d);
    if (c === 'locked_out') return t(c, { m: Math.max(1, Math.ceil((d.retry_after_s || 60) / 60)) });
    if (c === 'rate_limited') return t(c, { s: d.retry_after_s || 1 });
    return S[c] ? t(c) : t('error', { c });
  }
  function say(id, d) {
    const m = $(id);
    m.textContent = d ? errText(d) : '';
    m.dataset.code = d ? code(d) : '';
  }

  function fmtTime(iso) {
    const d = new Date(iso);
    const o = { hour: '2-digit', minute: '2-digit' };
    if (new Date().toDateString() !== d.toDateString()) { o.month = 'short'; o.day = 'numeric'; }
    return d.toLocaleString(lang === 'ko' ? 'ko-KR' : undefined, o);
  }

  // --- login and logout
  function showLogin(d) {
    me = null; csrf = ''; devs = []; shown = '';
    clearTimeout(timer);
    $('app').hidden = true; $('logout').hidden = true; $('banner').hidden = true;
    $('login').hidden = false;
    say('login-msg', d);
    $('user').focus();
  }
  function enter(info) {
    me = info; csrf = info.csrf;
    $('login').hidden = true; $('app').hidden = false; $('logout').hidden = false;
    $('who').textContent = t('signed_in', { u: info.user, r: t('role_' + info.role) });
    say('action-msg');
    poll();
  }
  $('login').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const btn = $('login-btn');
    btn.disabled = true;
    say('login-msg');
    const r = await api('POST', '/api/v1/login', { user: $('user').value.trim(), pin: $('pin').value });
    btn.disabled = false;
    $('pin').value = '';
    if (r.ok) enter(r.data); else say('login-msg', r.data);
  });
  $('logout').addEventListener('click', async () => {
    await api('POST', '/api/v1/logout');
    showLogin();
  });

  // --- polling
  async function poll() {
    clearTimeout(timer);
    if (!me) return;
    if (!document.hidden) await refresh();
    if (me) timer = setTimeout(poll, POLL_MS);
  }
  document.addEventListener('visibilitychange', () => { if (!document.hidden && me) poll(); });

  function lost(r) { return r.status === 401 || (r.status === 403 && ['revoked', 'expired', 'unknown_grant'].includes(code(r.data))); }

  async function refresh() {
    const [d, s] = await Promise.all([api('GET', '/api/v1/devices'), api('GET', '/api/v1/status')]);
    if (lost(d)) { showLogin(d.data); return; }
    if (d.ok) {
      devs = d.data;
      render();
      if ($('action-msg').dataset.code === 'network') say('action-msg'); // the hub answers again
    } else {
      say('action-msg', d.data);
    }
    if (s.ok) banner(s.data);
    if (tick++ % 2 === 0) {
      const e = await api('GET', '/api/v1/events?limit=15');
      if (e.ok) events(e.data);
    }
  }

  function banner(s) {
    const b = $('banner');
    const c = s.cloud;
    if (!c || c.reachable) { b.hidden = true; b.textContent = ''; return; }
    b.textContent = t('cloud_offline', { t: c.since ? fmtTime(c.since) : t('since_start'), n: c.waiting });
    b.hidden = false;
  }

  // --- devices
  function render() {
    const key = JSON.stringify(devs);
    if (key === shown) return; // unchanged: keep the buttons under the finger
    shown = key;
    $('devices').replaceChildren(...devs.map(card));
  }

  function card(d) {
    const c = el('article', 'card');
    c.dataset.device = d.id;
    c.dataset.state = d.state;
    const a = d.attrs || {};
    let state = t('st_' + d.state);
    if (a.door) state += ' · ' + t('door_' + a.door);
    const st = el('p', 'state', state);
    st.dataset.state = d.state;
    c.append(el('h3', '', d.name || d.id), st);
    if (d.kind === 'boiler' && a.temperature !== undefined) c.append(el('p', 'detail', t('temp', { v: a.temperature.toFixed(1), s: a.setpoint })));
    if (d.kind === 'cover') c.append(el('p', 'detail', t('position', { v: a.position })));
    if (a.alarms) c.append(el('p', 'alarm', t('alarm', { a: a.alarms.join(', ') })));

    const may = new Set(d.actions);
    let row = null;
    const newRow = () => { row = el('div', 'actions'); c.append(row); };
    const btn = (action, label, value, pressed) => {
      if (!may.has(action)) return;
      const b = el('button', '', label);
      b.type = 'button';
      b.dataset.action = action;
      if (pressed !== undefined) b.setAttribute('aria-pressed', String(pressed));
      b.addEventListener('click', () => act(d.id, action, value, b));
      row.append(b);
    };
    newRow();
    switch (d.kind) {
      case 'lock':
        if (d.state === 'locked') btn('unlock', t('a_unlock')); else btn('lock', t('a_lock'));
        if (row.firstChild) row.firstChild.classList.add('primary');
        break;
      case 'switch':
        btn('on', t('a_on'), '', d.state === 'on');
        btn('off', t('a_off'), '', d.state === 'off');
        break;
      case 'boiler': {
        const sp = Number(a.setpoint) || 20;
        btn('set-setpoint', '−', (sp - 0.5).toFixed(1));
        btn('set-setpoint', '+', (sp + 0.5).toFixed(1));
        newRow();
        btn('on', t('a_heat_on'), '', a.mode === 'heat');
        btn('off', t('a_heat_off'), '', a.mode === 'off');
        break;
      }
      case 'cover':
        btn('open', t('a_open'));
        btn('stop', t('a_stop'));
        btn('close', t('a_close'));
        break;
    }
    c.querySelectorAll('.actions:empty').forEach((r) => r.remove());
    return c;
  }

  async function act(id, action, value, b) {
    b.disabled = true;
    say('action-msg');
    const body = { action };
    if (value) body.value = value;
    const r = await api('POST', '/api/v1/devices/' + encodeURIComponent(id) + '/action', body);
    b.disabled = false;
    if (lost(r)) { showLogin(r.data); return; }
    if (!r.ok) { say('action-msg', r.data); return; }
    const st = r.data.state;
    devs = devs.map((x) => (x.id === st.id ? Object.assign({}, x, st, { actions: x.actions }) : x));
    render();
  }

  // --- events
  function evText(e) {
    const d = e.data || {};
    let s = t('ev_' + e.type);
    if (s === 'ev_' + e.type) s = e.type.replace(/_/g, ' ');
    const who = d.name || d.user;
    if (who) s += ' · ' + who;
    if (d.action) s += ' · ' + d.action;
    if (d.setpoint !== undefined) s += ' · ' + d.setpoint + ' °C';
    if (d.mode) s += ' · ' + d.mode;
    if (d.position !== undefined) s += ' · ' + d.position + ' %';
    if (d.reason && d.reason !== 'granted' && d.reason !== 'accepted') s += ' · ' + d.reason;
    return s;
  }
  function events(list) {
    const names = new Map(devs.map((d) => [d.id, d.name || d.id]));
    $('events').replaceChildren(...list.map((e) => {
      const li = el('li');
      li.dataset.type = e.type;
      const tm = el('time', '', fmtTime(e.time));
      tm.dateTime = e.time;
      li.append(tm, el('span', 'dev', e.device ? names.get(e.device) || e.device : ''), el('span', '', evText(e)));
      return li;
    }));
  }

  // --- start
  document.querySelectorAll('[data-i18n]').forEach((e) => { e.textContent = t(e.dataset.i18n); });
  document.title = t('title');
  api('GET', '/api/v1/session').then((r) => { if (r.ok) enter(r.data); else showLogin(); });
})();
