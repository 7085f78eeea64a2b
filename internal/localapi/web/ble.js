// The key path over Web Bluetooth (window.EABLE): the same frames as a
// phone app's (internal/ble, docs/protocol.md "Bluetooth LE transport"),
// for a phone near the door with no network. A frame is a 2-byte length
// and a CBOR map {1: type, 2: request id, 3: device, 4: body}; the app cuts
// it into writes without response of FRAGMENT bytes, in order, and joins
// the hub's notifications that carry its request id. Where the browser has
// no navigator.bluetooth (Safari on iPhone), app.js offers the LAN.
'use strict';
window.EABLE = (function () {
  const SERVICE = '6e0a7c52-5b1f-4d8e-9c3a-2f7d1e40b001';
  const REQUEST = '6e0a7c52-5b1f-4d8e-9c3a-2f7d1e40b002'; // written without response
  const RESPONSE = '6e0a7c52-5b1f-4d8e-9c3a-2f7d1e40b003'; // notifies
  const T = { challengeRequest: 1, challenge: 2, action: 3, decision: 4, error: 8 };
  // Web Bluetooth does not tell the ATT MTU it negotiated, and a write
  // without response longer than MTU − 3 fails or is cut by some stacks
  // (nothing comes back to say which). 20 bytes fit the smallest MTU (23)
  // every device supports: an unlock is 30 to 50 writes, sent back to back
  // with no round trip each, still 2 round trips in all.
  const FRAGMENT = 20;
  const PREFIX = 2;
  const ID_SIZE = 4;
  const MAX_FRAME = 8192; // the hub's default frame limit; its answers are far smaller
  const opts = { answerMs: 10000 }; // how long to wait for the hub's answer

  function fail(code, msg) { const e = new Error(msg); e.code = code; return e; }

  // frame returns the prefixed frame: the bytes internal/ble EncodeFrame
  // makes for the same values (CBOR core deterministic encoding).
  function frame(type, id, device, body) {
    const m = new Map([[1, type], [2, id], [4, body]]);
    if (device) m.set(3, device);
    const f = EA.encode(m);
    if (f.length > MAX_FRAME) throw fail('ble_failed', 'frame of ' + f.length + ' bytes');
    const out = new Uint8Array(PREFIX + f.length);
    out[0] = f.length >> 8;
    out[1] = f.length & 255;
    out.set(f, PREFIX);
    return out;
  }

  // reassembler joins notification fragments into one frame, like the Go
  // Reassembler: the prefix may be split, the length is checked before
  // anything is kept.
  function reassembler() {
    let head = [];
    let buf = null;
    let got = 0;
    return function feed(p) {
      let i = 0;
      while (i < p.length) {
        if (!buf) {
          head.push(p[i++]);
          if (head.length < PREFIX) continue;
          const n = (head[0] << 8) | head[1];
          if (n === 0 || n > MAX_FRAME) throw fail('ble_failed', 'answer of ' + n + ' bytes');
          buf = new Uint8Array(n);
          continue;
        }
        const take = Math.min(buf.length - got, p.length - i);
        buf.set(p.subarray(i, i + take), got);
        got += take;
        i += take;
        if (got === buf.length) {
          if (i !== p.length) throw fail('ble_failed', 'bytes after the answer');
          return buf;
        }
      }
      return null;
    };
  }

  // plain turns a decoded answer's maps with text keys into objects (a
  // key "__proto__" from the air would otherwise set the object's prototype).
  function plain(v) {
    if (v instanceof Map) {
      const o = {};
      v.forEach((x, k) => { if (k !== '__proto__') o[String(k)] = plain(x); });
      return o;
    }
    return Array.isArray(v) ? v.map(plain) : v;
  }

  // One connection to the hub's GATT service. At most one request waits
  // at a time: the app acts on one button press.
  class Link {
    constructor(device, req, rsp) {
      this.device = device;
      this.req = req;
      this.rsp = rsp;
      this.waiting = null;
      this.onNote = (ev) => this.note(ev.target.value);
      this.onGone = () => this.gone();
      rsp.addEventListener('characteristicvaluechanged', this.onNote);
      device.addEventListener('gattserverdisconnected', this.onGone);
    }

    note(dv) {
      const w = this.waiting;
      const v = new Uint8Array(dv.buffer, dv.byteOffset, dv.byteLength);
      // Every subscribed phone gets every answer: keep this request's.
      if (!w || v.length < ID_SIZE || new DataView(v.buffer, v.byteOffset).getUint32(0) !== w.id) return;
      let f;
      try {
        f = w.feed(v.subarray(ID_SIZE));
      } catch (e) { this.settle(e); return; }
      if (f) this.settle(null, f);
    }

    settle(err, f) {
      const w = this.waiting;
      if (!w) return;
      this.waiting = null;
      clearTimeout(w.timer);
      if (err) w.reject(err); else w.resolve(f);
    }

    gone() {
      this.closed = true;
      this.rsp.removeEventListener('characteristicvaluechanged', this.onNote);
      this.device.removeEventListener('gattserverdisconnected', this.onGone);
      this.settle(fail('ble_lost', 'the hub dropped the connection'));
    }

    // request sends one frame and returns the body of the answer of type
    // want; an error frame is thrown as its code.
    async request(type, device, body, want) {
      if (this.closed) throw fail('ble_lost', 'not connected');
      const id = crypto.getRandomValues(new Uint32Array(1))[0];
      const b = frame(type, id, device, body);
      const answer = new Promise((resolve, reject) => {
        this.waiting = {
          id, feed: reassembler(), resolve, reject,
          timer: setTimeout(() => this.settle(fail('ble_timeout', 'no answer in ' + opts.answerMs + ' ms')), opts.answerMs)
        };
      });
      answer.catch(() => {}); // awaited below; a write failure comes first
      try {
        for (let i = 0; i < b.length; i += FRAGMENT) await this.req.writeValueWithoutResponse(b.subarray(i, i + FRAGMENT));
      } catch (e) {
        this.settle(fail('ble_lost', 'writing: ' + e.message));
      }
      const ans = EA.decode(await answer, true);
      if (!(ans instanceof Map) || ans.get(2) !== id) throw fail('ble_failed', 'an answer to another request');
      const out = plain(ans.get(4));
      if (ans.get(1) === T.error) throw fail((out && out.code) || 'error', (out && out.message) || '');
      if (ans.get(1) !== want || !out || typeof out !== 'object') throw fail('ble_failed', 'answer of type ' + ans.get(1));
      return out;
    }

    close() {
      if (!this.closed && this.device.gatt.connected) this.device.gatt.disconnect();
      this.gone();
    }
  }

  let link = null;
  let chosen = null; // the hub the person chose: reconnected without the chooser

  // connect opens the GATT connection. The first time it shows the
  // browser's chooser, which needs the person's gesture: it must be the
  // first thing a button's handler awaits.
  async function connect() {
    if (link && !link.closed) return link;
    if (!navigator.bluetooth) throw fail('ble_missing', 'no navigator.bluetooth');
    let device = chosen;
    if (!device) {
      try {
        device = await navigator.bluetooth.requestDevice({ filters: [{ services: [SERVICE] }] });
      } catch (e) {
        throw fail(e.name === 'NotFoundError' ? 'ble_cancelled' : 'ble_failed', e.message);
      }
    }
    try {
      const server = await device.gatt.connect();
      const svc = await server.getPrimaryService(SERVICE);
      const req = await svc.getCharacteristic(REQUEST);
      const rsp = await svc.getCharacteristic(RESPONSE);
      await rsp.startNotifications();
      chosen = device;
      link = new Link(device, req, rsp);
      return link;
    } catch (e) {
      if (device.gatt.connected) device.gatt.disconnect();
      throw fail('ble_failed', e.message);
    }
  }

  // act runs one action with the phone key: the hub's challenge, checked
  // against the pinned hub key; the proof signed here; the action with the
  // chain and the proof; the decision. It answers as app.js's LAN calls do:
  // {ok, data}. After a failure the connection is closed, so the next press
  // starts clean (the hub drops a half-sent frame anyway).
  async function act(key, chain, id, action, value, hubKey) {
    let l;
    try {
      l = await connect();
      const c = await l.request(T.challengeRequest, '', new Map([['device', id], ['action', action]]), T.challenge);
      const ch = await EA.checkChallenge({ challenge: EA.b64(c.challenge), hub_key: EA.b64(c.hub_key) }, id, action, hubKey);
      const proof = await EA.proof(key, ch, id, action);
      const body = new Map([['action', action], ['chain', chain], ['proof', proof]]);
      if (value) body.set('value', value);
      const d = await l.request(T.action, id, body, T.decision);
      if (d.error) return { ok: false, data: { error: d.error, decision: d.decision } };
      return { ok: true, data: { state: d.state, decision: d.decision } };
    } catch (e) {
      if (l && ['ble_lost', 'ble_timeout', 'ble_failed'].includes(e.code)) l.close();
      throw e;
    }
  }

  return { act, frame, reassembler, opts, SERVICE, REQUEST, RESPONSE, FRAGMENT };
})();
