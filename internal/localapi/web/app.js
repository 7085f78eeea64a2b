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
      hk_title: 'Add to Apple Home', hk_help: 'In the Home app, add an accessory and scan this code, or type the setup code {c}. Only owners see this, until the first iPhone or iPad has paired.',
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
      ev_alarm_raised: 'alarm!', ev_alarm_cleared: 'alarm cleared',
      use_key: 'Use this phone as a key', pin_login: 'Log in with a PIN instead', key_forget: 'Remove the key from this phone',
      enrol_title: 'Make this phone a key',
      enrol_help: 'This phone made a key that never leaves it. Show the code or send the text below to whoever gives keys (the owner, or the authority: edgeagent grant issue --holder -). Then add the grant you get back.',
      key_pub: 'This phone\'s public key', grant_in: 'The grant you received (a link or its text)', grant_add: 'Add the grant',
      key_who: 'Key of {u} ({r}){d}', key_until: ', until {t}', key_from: ', from {o}',
      guest_title: 'Give a guest key', guest_pub: 'The guest\'s public key (paste, or scan their code)', scan: 'Scan the guest\'s code',
      guest_name: 'Guest\'s name', guest_devices: 'Devices', guest_days: 'Days (none: every day)',
      guest_from: 'From', guest_to: 'To', guest_until: 'Valid until', guest_issue: 'Make the guest key',
      guest_send: 'Send this link (any messenger, SMS or mail) or show the code to the guest. It opens their key on their phone.',
      share: 'Share', copied: 'Copied.',
      d_sun: 'Sun', d_mon: 'Mon', d_tue: 'Tue', d_wed: 'Wed', d_thu: 'Thu', d_fri: 'Fri', d_sat: 'Sat',
      delegation_too_wide: 'This is more than your own key allows: {m}.', delegation_too_deep: 'A guest key cannot give keys.',
      delegator_not_owner: 'Only an owner can give guest keys.', delegator_revoked: 'The owner key this guest key comes from has been revoked.',
      bad_request: 'Please check the form: {m}.', bad_key: 'That is not a public key of a phone.', bad_text: 'That is not a link or a grant.',
      bad_message: 'That is not a grant.', not_my_key: 'That grant is for another phone\'s key.',
      chain_mismatch: 'The guest key and its owner grant do not match.', missing_delegator: 'The link is incomplete: ask for it again.',
      bad_proof: 'The hub did not accept this phone\'s signature.', unknown_authority: 'The hub does not trust whoever signed this key.',
      hub_key_changed: 'This is not your hub: it signs with another identity. Nothing was sent.',
      no_webcrypto: 'This browser cannot hold a key here (it needs a secure page).',
      path_lan: 'Connected to your hub over the home network.',
      path_lan_ble: 'Connected to your hub over the home network. Bluetooth is available too.',
      path_ble: 'The hub does not answer over the network. Bluetooth is available: stand near the door and use it.',
      path_none: 'The hub does not answer over the network, and this browser has no Bluetooth (e.g. Safari on iPhone). Connect to the home Wi-Fi to use your key.',
      path_none_off: 'The hub does not answer over the network, and Bluetooth is off or unavailable. Connect to the home Wi-Fi, or turn Bluetooth on near the door.',
      tofu_first: 'Hub certificate pinned on first use: {f}. Compare it with edgeagent status on the hub.',
      tofu_ok: 'Hub certificate {f} (pinned).',
      tofu_changed: 'Refused: this hub\'s certificate is not the one this phone pinned ({o}; now {n}). Someone may be pretending to be your hub, or the hub was replaced. Nothing was sent. If the hub was replaced, check its new fingerprint with edgeagent status before trusting it.',
      tofu_reset: 'The hub was replaced: trust its new certificate',
      ble_missing: 'This browser has no Bluetooth (e.g. Safari on iPhone). Connect to the home Wi-Fi to use your key.',
      ble_cancelled: 'No hub was chosen. Press again and choose your hub.',
      ble_lost: 'The Bluetooth connection to the hub broke off before it answered. Check the door, stand closer and try again.',
      ble_timeout: 'The hub did not answer over Bluetooth. Check the door, stand closer and try again.',
      ble_failed: 'Bluetooth failed ({m}). Stand closer and try again.',
      via_ble: 'Your buttons use Bluetooth: your browser asks which hub to use the first time.',
      unknown_device: 'The hub has no such device.', no_buttons: 'Connect to the home Wi-Fi once to see this key\'s buttons.'
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
      hk_title: 'Apple 홈에 추가', hk_help: '홈 앱에서 액세서리 추가를 누르고 이 코드를 스캔하거나 설정 코드 {c}를 입력하세요. 첫 iPhone 또는 iPad가 페어링할 때까지 소유자에게만 보입니다.',
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
      ev_alarm_raised: '경보!', ev_alarm_cleared: '경보 해제',
      use_key: '이 휴대폰을 열쇠로 사용', pin_login: 'PIN으로 로그인', key_forget: '이 휴대폰에서 열쇠 삭제',
      enrol_title: '이 휴대폰을 열쇠로 만들기',
      enrol_help: '이 휴대폰에서만 쓰는 열쇠를 만들었습니다. 아래 코드를 보여 주거나 텍스트를 열쇠를 발급하는 사람(소유자 또는 관리 기관: edgeagent grant issue --holder -)에게 보내세요. 그런 다음 받은 권한을 추가하세요.',
      key_pub: '이 휴대폰의 공개 키', grant_in: '받은 권한 (링크 또는 텍스트)', grant_add: '권한 추가',
      key_who: '{u}의 열쇠 ({r}){d}', key_until: ', {t}까지', key_from: ', {o}에게서',
      guest_title: '손님 열쇠 주기', guest_pub: '손님의 공개 키 (붙여 넣거나 코드를 스캔)', scan: '손님의 코드 스캔',
      guest_name: '손님 이름', guest_devices: '기기', guest_days: '요일 (선택 안 함: 매일)',
      guest_from: '시작', guest_to: '종료', guest_until: '유효 기한', guest_issue: '손님 열쇠 만들기',
      guest_send: '이 링크를 메신저, 문자 또는 메일로 보내거나 코드를 손님에게 보여 주세요. 손님의 휴대폰에서 열쇠가 열립니다.',
      share: '공유', copied: '복사했습니다.',
      d_sun: '일', d_mon: '월', d_tue: '화', d_wed: '수', d_thu: '목', d_fri: '금', d_sat: '토',
      delegation_too_wide: '내 열쇠가 허용하는 범위를 넘습니다: {m}.', delegation_too_deep: '손님 열쇠로는 열쇠를 줄 수 없습니다.',
      delegator_not_owner: '소유자만 손님 열쇠를 줄 수 있습니다.', delegator_revoked: '이 손님 열쇠를 준 소유자의 열쇠가 취소되었습니다.',
      bad_request: '입력을 확인하세요: {m}.', bad_key: '휴대폰의 공개 키가 아닙니다.', bad_text: '링크나 권한이 아닙니다.',
      bad_message: '권한이 아닙니다.', not_my_key: '다른 휴대폰의 열쇠에 대한 권한입니다.',
      chain_mismatch: '손님 열쇠와 소유자 권한이 맞지 않습니다.', missing_delegator: '링크가 불완전합니다. 다시 요청하세요.',
      bad_proof: '허브가 이 휴대폰의 서명을 받아들이지 않았습니다.', unknown_authority: '허브가 이 열쇠의 서명자를 신뢰하지 않습니다.',
      hub_key_changed: '우리 집 허브가 아닙니다: 다른 신원으로 서명합니다. 아무것도 보내지 않았습니다.',
      no_webcrypto: '이 브라우저는 여기서 열쇠를 보관할 수 없습니다 (보안 페이지가 필요합니다).',
      path_lan: '집 네트워크로 허브에 연결되었습니다.',
      path_lan_ble: '집 네트워크로 허브에 연결되었습니다. 블루투스도 사용할 수 있습니다.',
      path_ble: '허브가 네트워크로 응답하지 않습니다. 블루투스를 사용할 수 있으니 문 가까이에서 사용하세요.',
      path_none: '허브가 네트워크로 응답하지 않고, 이 브라우저에는 블루투스가 없습니다 (예: iPhone의 Safari). 열쇠를 쓰려면 집 Wi-Fi에 연결하세요.',
      path_none_off: '허브가 네트워크로 응답하지 않고, 블루투스가 꺼져 있거나 사용할 수 없습니다. 집 Wi-Fi에 연결하거나 문 가까이에서 블루투스를 켜세요.',
      tofu_first: '처음 사용할 때 허브 인증서를 고정했습니다: {f}. 허브에서 edgeagent status와 비교하세요.',
      tofu_ok: '허브 인증서 {f} (고정됨).',
      tofu_changed: '거부됨: 이 허브의 인증서가 이 휴대폰에 고정된 것과 다릅니다 ({o}; 지금 {n}). 누군가 허브를 사칭하거나 허브가 교체되었을 수 있습니다. 아무것도 보내지 않았습니다. 허브를 교체했다면 신뢰하기 전에 edgeagent status로 새 지문을 확인하세요.',
      tofu_reset: '허브를 교체했습니다: 새 인증서 신뢰',
      ble_missing: '이 브라우저에는 블루투스가 없습니다 (예: iPhone의 Safari). 열쇠를 쓰려면 집 Wi-Fi에 연결하세요.',
      ble_cancelled: '허브를 선택하지 않았습니다. 다시 눌러 우리 집 허브를 선택하세요.',
      ble_lost: '허브가 응답하기 전에 블루투스 연결이 끊어졌습니다. 문을 확인하고 더 가까이에서 다시 시도하세요.',
      ble_timeout: '허브가 블루투스로 응답하지 않았습니다. 문을 확인하고 더 가까이에서 다시 시도하세요.',
      ble_failed: '블루투스 오류 ({m}). 더 가까이에서 다시 시도하세요.',
      via_ble: '버튼은 블루투스를 사용합니다: 처음에는 브라우저가 어느 허브를 쓸지 묻습니다.',
      unknown_device: '허브에 그런 기기가 없습니다.', no_buttons: '이 열쇠의 버튼을 보려면 한 번 집 Wi-Fi에 연결하세요.'
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
    return S[c] ? t(c, { m: (d.error && d.error.message) || '' }) : t('error', { c });
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
    $('app').hidden = true; $('logout').hidden = true; $('banner').hidden = true; $('key').hidden = true;
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
    if (!(await pinned())) { showRefused(); return; }
    const [d, s] = await Promise.all([api('GET', '/api/v1/devices'), api('GET', '/api/v1/status')]);
    if (lost(d)) { showLogin(d.data); return; }
    if (d.ok) {
      devs = d.data;
      render();
      if ($('action-msg').dataset.code === 'network') say('action-msg'); // the hub answers again
    } else {
      say('action-msg', d.data);
    }
    if (s.ok) { banner(s.data); homekit(s.data.homekit); }
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

  // The HomeKit setup: the hub sends it to owners only, until a controller
  // has paired.
  function homekit(h) {
    const sec = $('homekit');
    if (!h) { sec.hidden = true; return; }
    if ($('hk-qr').dataset.text !== h.setup_uri) qr($('hk-qr'), h.setup_uri);
    $('hk-help').textContent = t('hk_help', { c: h.setup_code });
    $('hk-code').textContent = h.setup_code;
    $('hk-uri').textContent = h.setup_uri;
    sec.hidden = false;
  }

  // --- devices
  function render() {
    const key = JSON.stringify(devs);
    if (key === shown) return; // unchanged: keep the buttons under the finger
    shown = key;
    $('devices').replaceChildren(...devs.map((d) => card(d)));
  }

  function card(d, run) {
    run = run || act;
    const c = el('article', 'card');
    c.dataset.device = d.id;
    c.dataset.state = d.state;
    const a = d.attrs || {};
    let state = d.state ? t('st_' + d.state) : '';
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
      b.addEventListener('click', () => run(d.id, action, value, b));
      row.append(b);
    };
    newRow();
    switch (d.kind) {
      case 'lock':
        // A key's card is not polled (no session): its state may be
        // stale, so it offers both.
        if (d.state !== 'unlocked' || run !== act) btn('unlock', t('a_unlock'));
        if (d.state !== 'locked' || run !== act) btn('lock', t('a_lock'));
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

  // --- trust on first use of the hub's certificate. The hub tells its
  // certificate's fingerprint and identity key (GET /api/v1/hub, over the
  // same TLS connection); the first answer is pinned, later ones must
  // match. What this does and does not stop: docs/security.md.
  let hub = null; // the last /api/v1/hub answer
  let refusedFP = '';
  async function pinned() {
    const r = await api('GET', '/api/v1/hub');
    if (!r.ok) return true; // the hub does not answer: nothing is sent to it either
    hub = r.data;
    const pin = JSON.parse(localStorage.getItem('hub-pin') || 'null');
    const keep = () => localStorage.setItem('hub-catalogue', JSON.stringify(hub.devices || []));
    if (!pin) {
      localStorage.setItem('hub-pin', JSON.stringify({ fingerprint: hub.fingerprint, hub_key: hub.hub_key }));
      keep();
      $('hub-pin').textContent = t('tofu_first', { f: hub.fingerprint });
      return true;
    }
    if (pin.fingerprint !== hub.fingerprint || pin.hub_key !== hub.hub_key) {
      refusedFP = hub.fingerprint;
      $('tofu-text').textContent = t('tofu_changed', { o: pin.fingerprint, n: hub.fingerprint });
      return false;
    }
    keep();
    if (!$('hub-pin').textContent) $('hub-pin').textContent = t('tofu_ok', { f: hub.fingerprint });
    return true;
  }
  function pinnedHubKey() {
    const pin = JSON.parse(localStorage.getItem('hub-pin') || 'null');
    return pin ? EA.unb64(pin.hub_key) : null;
  }
  function showRefused() {
    me = null; clearTimeout(timer);
    ['app', 'login', 'key', 'logout'].forEach((id) => { $(id).hidden = true; });
    $('tofu').hidden = false;
  }
  $('tofu-reset').addEventListener('click', () => {
    if (!refusedFP) return;
    localStorage.removeItem('hub-pin');
    localStorage.removeItem('hub-catalogue');
    location.reload();
  });

  // --- which way to the hub: the LAN, Bluetooth, or neither
  let route = 'lan';
  async function paths() {
    let lan = false;
    // A hub that answers "too many requests" is there on the LAN all the
    // same: only no answer at all sends the key's buttons to Bluetooth.
    try {
      const res = await fetch('/healthz', { cache: 'no-store' });
      lan = res.ok || res.status === 429;
    } catch (e) { lan = false; }
    let ble = 'missing';
    if (navigator.bluetooth) {
      try { ble = (await navigator.bluetooth.getAvailability()) ? 'on' : 'off'; } catch (e) { ble = 'off'; }
    }
    const path = lan ? (ble === 'on' ? 'lan_ble' : 'lan') : ble === 'on' ? 'ble' : ble === 'off' ? 'none_off' : 'none';
    // The key's buttons go over the LAN when the hub answers there, else
    // over Bluetooth where the browser has it (on, or unknown: the chooser
    // then says what is wrong).
    route = lan ? 'lan' : ble === 'missing' ? 'none' : 'ble';
    const p = $('paths');
    p.textContent = t('path_' + path);
    p.dataset.path = path.startsWith('none') ? 'none' : path;
    p.dataset.lan = String(lan);
    p.dataset.ble = ble;
    return { lan, ble };
  }

  // --- the phone key
  let key = null; // {pair, spki, kid} from IndexedDB
  let chain = null; // [grant] or [delegation, owner grant]
  let grant = null; // EA.grantInfo(chain[0])

  function keyMsg(id, code, m) {
    const e = $(id);
    e.textContent = code ? (S[code] ? t(code, { m: m || '' }) : t('error', { c: code })) : '';
    e.dataset.code = code || '';
  }
  function qr(canvas, text) {
    const q = qrcodegen.QrCode.encodeText(text, qrcodegen.QrCode.Ecc.LOW);
    const scale = 4;
    const border = 4;
    const n = q.size + 2 * border;
    canvas.width = canvas.height = n * scale;
    const g = canvas.getContext('2d');
    g.fillStyle = '#fff';
    g.fillRect(0, 0, n * scale, n * scale);
    g.fillStyle = '#000';
    for (let y = 0; y < q.size; y++) {
      for (let x = 0; x < q.size; x++) if (q.getModule(x, y)) g.fillRect((x + border) * scale, (y + border) * scale, scale, scale);
    }
    canvas.dataset.text = text;
  }

  async function openKey() {
    $('login').hidden = true; $('app').hidden = true; $('logout').hidden = true; $('banner').hidden = true;
    $('key').hidden = false;
    if (!window.crypto || !crypto.subtle || !window.indexedDB) { keyMsg('key-msg', 'no_webcrypto'); return; }
    key = (await EA.load('key')) || (await EA.newKey());
    chain = await EA.load('chain');
    grant = chain ? await EA.grantInfo(chain[0]) : null;
    const pending = takeFragment();
    if (pending) await addChain(pending);
    else showKey();
  }

  function showKey() {
    $('enrol').hidden = !!grant;
    $('keyapp').hidden = !grant;
    if (!grant) {
      const pub = EA.pem(key.spki);
      $('key-pub').value = pub;
      qr($('key-qr'), pub);
      return;
    }
    let d = '';
    if (grant.exp) d += t('key_until', { t: fmtTime(new Date(grant.exp * 1000).toISOString()) });
    $('key-who').textContent = t('key_who', { u: grant.name, r: t('role_' + grant.role), d });
    const mine = keyDevices();
    $('key-devices').replaceChildren(...mine.map((x) => card(x, keyAct)));
    $('key-via').textContent = route === 'ble' ? t('via_ble') : '';
    keyMsg('key-msg', mine.length || !grant ? '' : 'no_buttons');
    const owner = grant.role === 'owner' && !grant.delegator;
    $('guest').hidden = !owner;
    if (owner) guestForm(mine);
  }
  const keyStates = {};

  // keyDevices is what the key may use: the grant's own devices and actions
  // (its claims, held here), named and typed by the hub's catalogue (ids,
  // names, kinds, offered actions; public, no state). The catalogue is
  // kept with the pin (the app cannot open its first time without the
  // hub), so that with no network (Bluetooth) the key still has its
  // buttons. No device state is kept: a stale state must not pass for the
  // hub's.
  function keyDevices() {
    const cat = (hub && hub.devices) || JSON.parse(localStorage.getItem('hub-catalogue') || '[]');
    return cat.filter((x) => EA.allows(grant.devices, x.id))
      .map((x) => ({ id: x.id, name: x.name, kind: x.kind, state: keyStates[x.id] || '', actions: x.actions.filter((a) => EA.allows(grant.actions, a)) }));
  }

  // takeFragment reads a grant handed over in the link's fragment and
  // removes it from the address bar and the history.
  function takeFragment() {
    if (!location.hash.includes('grant=')) return null;
    const text = location.hash;
    history.replaceState(null, '', location.pathname);
    try { return EA.chainFromText(text); } catch (e) { keyMsg('key-msg', e.code || 'bad_text'); return null; }
  }
  async function addChain(c) {
    keyMsg('key-msg');
    try {
      grant = await EA.takeChain(key, c);
      chain = c;
    } catch (e) {
      keyMsg('key-msg', e.code || 'bad_message', e.message);
    }
    showKey();
  }
  $('grant-add').addEventListener('click', async () => {
    let c;
    try {
      const f = $('grant-file').files[0];
      c = f ? [new Uint8Array(await f.arrayBuffer())] : EA.chainFromText($('grant-in').value);
    } catch (e) { keyMsg('key-msg', e.code || 'bad_text'); return; }
    await addChain(c);
  });
  $('key-start').addEventListener('click', openKey);
  // A guest link opened while the app is open changes only the fragment.
  window.addEventListener('hashchange', () => { if (location.hash.includes('grant=')) openKey(); });
  $('key-pin').addEventListener('click', () => showLogin());
  $('key-forget').addEventListener('click', async () => {
    await EA.forget('chain'); await EA.forget('key');
    key = chain = grant = null;
    showLogin();
  });

  // keyAct acts with the key over the LAN, or over Bluetooth when the hub
  // does not answer on the network: a challenge from the hub, checked
  // against the pinned hub key; the holder proof signed here; the action
  // with the chain and the proof. It returns the hub's answer. Each call is
  // one press of a button: nothing unlocks without the person's gesture.
  async function keyAct(id, action, value, b) {
    if (b) b.disabled = true;
    keyMsg('key-msg');
    let r;
    try {
      // Bluetooth first thing: the browser's chooser needs the gesture.
      if (route === 'ble') r = await EABLE.act(key, chain, id, action, value, pinnedHubKey());
      else if (route === 'none') r = { ok: false, data: { error: { code: 'ble_missing' } } };
      else r = await keyPath(id, action, value);
    } catch (e) {
      r = { ok: false, data: { error: { code: e.code || 'error', message: e.message } } };
    }
    if (b) b.disabled = false;
    // The LAN went away: the next press may go over Bluetooth.
    if (route === 'lan' && code(r.data) === 'network') await paths().then(showKey);
    if (!r.ok) { say('key-msg', r.data); return r; } // the hub's answer: its retry time, its message
    keyStates[id] = r.data.state.state;
    const c = document.querySelector('#key-devices article[data-device="' + CSS.escape(id) + '"]');
    const x = keyDevices().find((v) => v.id === id);
    if (c && x) c.replaceWith(card(Object.assign(x, { attrs: r.data.state.attrs }), keyAct));
    return r;
  }
  async function keyPath(id, action, value) {
    const c = await api('POST', '/api/v1/challenge', { device: id, action });
    if (!c.ok) return c;
    const ch = await EA.checkChallenge(c.data, id, action, pinnedHubKey());
    const proof = await EA.proof(key, ch, id, action);
    const body = { action, chain: chain.map(EA.b64), proof: EA.b64(proof) };
    if (value) body.value = value;
    return api('POST', '/api/v1/devices/' + encodeURIComponent(id) + '/action', body);
  }

  // --- guest keys: an owner signs a delegation here, for the guest's
  // public key, and hands it over as a link or a QR code.
  const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
  function guestForm(mine) {
    const box = (name, value, label) => {
      const l = el('label');
      const i = el('input');
      i.type = 'checkbox'; i.name = name; i.value = value;
      l.append(i, document.createTextNode(label));
      return l;
    };
    const devs = $('guest-devices');
    if (!devs.querySelector('input')) {
      devs.append(...mine.map((x) => box('device', x.id, x.name || x.id)));
      $('guest-days').append(...DAYS.map((d, i) => box('day', String(i), t('d_' + d))));
    }
    $('guest-scan').hidden = !('BarcodeDetector' in window);
  }
  const minutes = (v) => { const [h, m] = v.split(':').map(Number); return h * 60 + m; };
  // guestSpec reads the form into what EA.delegate takes.
  function guestSpec() {
    const checked = (name) => [...$('guest').querySelectorAll('input[name="' + name + '"]:checked')].map((i) => i.value);
    let days = checked('day').reduce((m, d) => m | (1 << Number(d)), 0);
    const from = $('guest-from').value;
    const to = $('guest-to').value;
    if ((from || to) && !days) days = 0x7f;
    const schedule = days ? EA.windows(days, from ? minutes(from) : 0, to ? minutes(to) : 1440) : [];
    const until = $('guest-until').value ? Math.floor(new Date($('guest-until').value).getTime() / 1000) : 0;
    return { name: $('guest-name').value.trim(), devices: checked('device'), notAfter: until, schedule };
  }
  $('guest').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    keyMsg('guest-msg');
    $('guest-out').hidden = true;
    try {
      const guestKey = EA.parsePEM($('guest-pub').value);
      const d = await EA.delegate(key, chain[0], guestKey, guestSpec());
      const url = EA.link(location.origin, [d, chain[0]]);
      $('guest-link').value = url;
      qr($('guest-qr'), url);
      $('guest-out').hidden = false;
    } catch (e) {
      keyMsg('guest-msg', e.code || 'error', e.message);
    }
  });
  $('guest-share').addEventListener('click', async () => {
    const url = $('guest-link').value;
    if (navigator.share) { try { await navigator.share({ url }); return; } catch (e) { /* cancelled: copy instead */ } }
    try { await navigator.clipboard.writeText(url); keyMsg('guest-msg', 'copied'); } catch (e) { $('guest-link').select(); }
  });
  // Scanning the guest's code: BarcodeDetector (Chrome on Android) on
  // the camera; elsewhere the guest sends the text and the owner pastes it.
  $('guest-scan').addEventListener('click', async () => {
    const v = $('scan-video');
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
      v.srcObject = stream; v.hidden = false;
      await v.play();
      const det = new BarcodeDetector({ formats: ['qr_code'] });
      for (let i = 0; i < 300; i++) { // about 30 s
        const codes = await det.detect(v);
        if (codes.length) { $('guest-pub').value = codes[0].rawValue; break; }
        await new Promise((ok) => setTimeout(ok, 100));
      }
    } catch (e) {
      keyMsg('guest-msg', 'error', e.message);
    } finally {
      if (stream) stream.getTracks().forEach((tr) => tr.stop());
      v.hidden = true;
    }
  });

  // For tests and the benchmark: the key path without the buttons.
  EA.act = keyAct;

  // --- start
  document.querySelectorAll('[data-i18n]').forEach((e) => { e.textContent = t(e.dataset.i18n); });
  document.title = t('title');
  if ('serviceWorker' in navigator) {
    // The page goes into the worker's cache (sw.js: CACHE) from here, in
    // this resident's language.
    // EA.offline settles true once the app opens with no network.
    EA.offline = navigator.serviceWorker.register('/sw.js')
      .then(() => navigator.serviceWorker.ready)
      .then(() => Promise.all([caches.open('edgeagent-shell-v1'), fetch('/', { cache: 'no-store' })]))
      .then(([c, r]) => (r.ok ? c.put('/', r).then(() => true) : false))
      .catch(() => false); // no offline copy: the app still works online
  }
  (async function start() {
    const p = await paths();
    if (!(await pinned())) { showRefused(); return; }
    const haveKey = window.indexedDB && (await EA.load('key').catch(() => null));
    if (haveKey || location.hash.includes('grant=')) { await openKey(); return; }
    if (!p.lan) { showLogin(); return; }
    const r = await api('GET', '/api/v1/session');
    if (r.ok) enter(r.data); else showLogin();
  })();
})();
