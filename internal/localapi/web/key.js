// The phone key of the web app (window.EA): a P-256 key made by WebCrypto
// that never leaves the browser (extractable: false, kept in IndexedDB),
// the CBOR and COSE_Sign1 encoding the hub speaks (docs/protocol.md), the
// holder proof for a challenge, and the guest delegations an owner signs.
// No network here: app.js carries the bytes. Same bytes as the Go issuer
// (internal/wire): CBOR core deterministic encoding, the protected header
// {1: alg, 4: kid, 16: typ}, and ECDSA signatures as raw r||s (what
// WebCrypto makes and what COSE wants).
'use strict';
window.EA = (function () {
  const te = new TextEncoder();
  const td = new TextDecoder('utf-8', { fatal: true });

  const TYPE_GRANT = 'application/edgeagent-grant+cbor';
  const TYPE_CHALLENGE = 'application/edgeagent-challenge+cbor';
  const TYPE_PROOF = 'application/edgeagent-proof+cbor';
  // Claim keys (internal/wire/claims.go).
  const C = {
    aud: 3, exp: 4, nbf: 5, iat: 6, cti: 7, cnf: 8, role: -65537, name: -65538, devices: -65539,
    actions: -65540, schedule: -65541, trusted: -65542, pin: -65543, delegator: -65544,
    nonce: -65548, hub: -65549, device: -65550, action: -65551
  };
  const ID_SIZE = 16;
  const MAX_NAME = 64;

  function fail(code, msg) { const e = new Error(msg); e.code = code; return e; }

  // --- CBOR (RFC 8949): core deterministic encoding of the types the
  // protocol uses: integers, byte and text strings, arrays, maps (Map,
  // keys sorted by their encoding), booleans and tags ({tag, value}).
  function head(out, major, n) {
    const m = major << 5;
    if (n < 24) out.push(m | n);
    else if (n < 0x100) out.push(m | 24, n);
    else if (n < 0x10000) out.push(m | 25, n >> 8, n & 255);
    else if (n < 0x100000000) out.push(m | 26, n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
    else {
      const hi = Math.floor(n / 0x100000000);
      const lo = n >>> 0;
      out.push(m | 27, hi >>> 24, (hi >>> 16) & 255, (hi >>> 8) & 255, hi & 255, lo >>> 24, (lo >>> 16) & 255, (lo >>> 8) & 255, lo & 255);
    }
  }
  function push(out, b) { for (let i = 0; i < b.length; i++) out.push(b[i]); }
  function cmp(a, b) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
    return a.length - b.length;
  }
  function enc(v, out) {
    if (typeof v === 'number') {
      if (!Number.isSafeInteger(v)) throw fail('cbor', 'cbor: ' + v + ' is not an integer');
      if (v >= 0) head(out, 0, v); else head(out, 1, -1 - v);
    } else if (typeof v === 'string') {
      const b = te.encode(v);
      head(out, 3, b.length); push(out, b);
    } else if (v instanceof Uint8Array) {
      head(out, 2, v.length); push(out, v);
    } else if (typeof v === 'boolean') {
      out.push(v ? 0xf5 : 0xf4);
    } else if (Array.isArray(v)) {
      head(out, 4, v.length);
      v.forEach((x) => enc(x, out));
    } else if (v instanceof Map) {
      const kv = [...v].map(([k, x]) => [encode(k), x]).sort((a, b) => cmp(a[0], b[0]));
      head(out, 5, kv.length);
      kv.forEach(([k, x], i) => {
        if (i > 0 && cmp(kv[i - 1][0], k) === 0) throw fail('cbor', 'cbor: duplicate map key');
        push(out, k); enc(x, out);
      });
    } else if (v && typeof v.tag === 'number') {
      head(out, 6, v.tag); enc(v.value, out);
    } else {
      throw fail('cbor', 'cbor: cannot encode ' + typeof v);
    }
  }
  function encode(v) { const out = []; enc(v, out); return Uint8Array.from(out); }

  // decode reads one item and refuses trailing bytes, indefinite lengths,
  // duplicate map keys and floats: what the hub's decoder refuses too.
  // answer: true reads a hub's answer over Bluetooth (ble.js), whose device
  // state may hold floats (a temperature) and nulls; signed messages never do.
  function decode(b, answer) {
    let i = 0;
    const need = (n) => { if (i + n > b.length) throw fail('cbor', 'cbor: truncated'); };
    function arg(ai) {
      if (ai < 24) return ai;
      const n = { 24: 1, 25: 2, 26: 4, 27: 8 }[ai];
      if (!n) throw fail('cbor', 'cbor: indefinite or reserved length');
      need(n);
      let v = 0;
      for (let k = 0; k < n; k++) v = v * 256 + b[i++];
      if (!Number.isSafeInteger(v)) throw fail('cbor', 'cbor: integer too large');
      return v;
    }
    function item(depth) {
      if (depth > 16) throw fail('cbor', 'cbor: nested too deep');
      need(1);
      const ib = b[i++];
      const major = ib >> 5;
      if (major === 7) {
        if (ib === 0xf4) return false;
        if (ib === 0xf5) return true;
        if (answer && ib === 0xf6) return null;
        if (answer && ib >= 0xf9 && ib <= 0xfb) return float(ib);
        throw fail('cbor', 'cbor: unsupported simple value or float');
      }
      const n = arg(ib & 31);
      switch (major) {
        case 0: return n;
        case 1: return -1 - n;
        case 2: need(n); i += n; return b.slice(i - n, i);
        case 3: need(n); i += n; return td.decode(b.subarray(i - n, i));
        case 4: { const a = []; for (let k = 0; k < n; k++) a.push(item(depth + 1)); return a; }
        case 5: {
          const m = new Map();
          for (let k = 0; k < n; k++) {
            const key = item(depth + 1);
            if (m.has(key)) throw fail('cbor', 'cbor: duplicate map key');
            m.set(key, item(depth + 1));
          }
          return m;
        }
        default: return { tag: n, value: item(depth + 1) };
      }
    }
    function float(ib) {
      const n = { 0xf9: 2, 0xfa: 4, 0xfb: 8 }[ib];
      need(n);
      const dv = new DataView(b.buffer, b.byteOffset + i, n);
      i += n;
      if (n === 4) return dv.getFloat32(0);
      if (n === 8) return dv.getFloat64(0);
      const h = dv.getUint16(0);
      const e = (h >> 10) & 31;
      const m = h & 1023;
      const v = e === 0 ? m * 2 ** -24 : e === 31 ? (m ? NaN : Infinity) : (m + 1024) * 2 ** (e - 25);
      return h & 0x8000 ? -v : v;
    }
    const v = item(0);
    if (i !== b.length) throw fail('cbor', 'cbor: trailing bytes');
    return v;
  }

  // --- bytes as text
  function b64(bytes) { let s = ''; bytes.forEach((x) => { s += String.fromCharCode(x); }); return btoa(s); }
  function b64url(bytes) { return b64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''); }
  // unb64 reads standard or URL-safe base64, padded or not.
  function unb64(s) {
    s = s.replace(/\s+/g, '').replace(/-/g, '+').replace(/_/g, '/');
    while (s.length % 4) s += '=';
    let bin;
    try { bin = atob(s); } catch (e) { throw fail('bad_text', 'not base64'); }
    return Uint8Array.from(bin, (c) => c.charCodeAt(0));
  }
  const hex = (b) => [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  const eq = (a, b) => a instanceof Uint8Array && b instanceof Uint8Array && cmp(a, b) === 0;

  // --- keys: SPKI (DER) of P-256 and Ed25519, the PEM the CLI reads
  // (edgeagent grant issue --holder), COSE_Key maps, key ids.
  const P256_SPKI = Uint8Array.from([0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04]);
  const ED25519_SPKI = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);
  const prefixed = (b, p, n) => b.length === n && eq(b.slice(0, p.length), p);
  function cat(...parts) {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    parts.forEach((p) => { out.set(p, o); o += p.length; });
    return out;
  }

  function pem(spki) {
    const lines = b64(spki).match(/.{1,64}/g).join('\n');
    return '-----BEGIN PUBLIC KEY-----\n' + lines + '\n-----END PUBLIC KEY-----\n';
  }
  // parsePEM takes a pasted public key: PEM, or its base64 alone.
  function parsePEM(text) {
    const m = /-----BEGIN PUBLIC KEY-----([\s\S]*?)-----END PUBLIC KEY-----/.exec(text);
    const der = unb64(m ? m[1] : text.trim());
    coseKeyOf(der); // refuses other keys
    return der;
  }
  function coseKeyOf(spki) {
    if (prefixed(spki, P256_SPKI, 91)) return new Map([[1, 2], [-1, 1], [-2, spki.slice(27, 59)], [-3, spki.slice(59)]]);
    if (prefixed(spki, ED25519_SPKI, 44)) return new Map([[1, 1], [-1, 6], [-2, spki.slice(12)]]);
    throw fail('bad_key', 'not a P-256 or Ed25519 public key');
  }
  function spkiOf(ck) {
    if (!(ck instanceof Map)) throw fail('bad_key', 'no holder key');
    const x = ck.get(-2);
    if (ck.get(1) === 2 && ck.get(-1) === 1) return cat(P256_SPKI, x, ck.get(-3));
    if (ck.get(1) === 1 && ck.get(-1) === 6) return cat(ED25519_SPKI, x);
    throw fail('bad_key', 'holder key of an unsupported type');
  }
  async function kidOf(spki) { return new Uint8Array(await crypto.subtle.digest('SHA-256', spki)).slice(0, ID_SIZE); }

  // --- COSE_Sign1_Tagged (RFC 9052)
  function sigStructure(prot, payload) { return encode(['Signature1', prot, new Uint8Array(0), payload]); }
  async function sign1(key, typ, payload) {
    const prot = encode(new Map([[1, -7], [4, key.kid], [16, typ]]));
    const sig = new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key.pair.privateKey, sigStructure(prot, payload)));
    return encode({ tag: 18, value: [prot, new Map(), payload, sig] });
  }
  // parse1 reads a signed message of type typ, not verifying it: claims
  // is its decoded payload.
  function parse1(b, typ) {
    let v, h, claims;
    try {
      v = decode(b);
      if (v.tag !== 18 || !Array.isArray(v.value) || v.value.length !== 4) throw fail('bad_message', 'not a COSE_Sign1');
      h = decode(v.value[0]);
      claims = decode(v.value[2]);
    } catch (e) {
      throw fail('bad_message', e.message);
    }
    if (!(h instanceof Map) || h.get(16) !== typ) throw fail('bad_message', 'not a ' + typ);
    if (!(claims instanceof Map)) throw fail('bad_message', 'payload is not a map');
    const [prot, , payload, sig] = v.value;
    return { prot, payload, sig, alg: h.get(1), kid: h.get(4), claims };
  }

  // --- the key, kept in IndexedDB: {pair, spki, kid} and the chain
  // (the holder's grant, then for a delegation the owner's).
  function idb(mode, fn) {
    return new Promise((resolve, reject) => {
      const open = indexedDB.open('edgeagent', 1);
      open.onupgradeneeded = () => open.result.createObjectStore('kv');
      open.onerror = () => reject(open.error);
      open.onsuccess = () => {
        const db = open.result;
        const tx = db.transaction('kv', mode);
        const r = fn(tx.objectStore('kv'));
        tx.oncomplete = () => { db.close(); resolve(r.result); };
        tx.onerror = tx.onabort = () => { db.close(); reject(tx.error); };
      };
    });
  }
  const load = (k) => idb('readonly', (s) => s.get(k));
  const save = (k, v) => idb('readwrite', (s) => s.put(v, k));
  const forget = (k) => idb('readwrite', (s) => s.delete(k));

  async function newKey() {
    // extractable: false covers the private key; a public key is always
    // exportable.
    const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
    const spki = new Uint8Array(await crypto.subtle.exportKey('spki', pair.publicKey));
    const key = { pair, spki, kid: await kidOf(spki) };
    await save('key', key);
    return key;
  }

  // grantInfo reads a signed grant: what the app shows and checks.
  async function grantInfo(bytes) {
    const m = parse1(bytes, TYPE_GRANT);
    const c = m.claims;
    const holder = spkiOf((c.get(C.cnf) || new Map()).get(1));
    return {
      bytes, id: c.get(C.cti), site: c.get(C.aud), role: c.get(C.role), name: c.get(C.name),
      devices: c.get(C.devices) || [], actions: c.get(C.actions) || [], nbf: c.get(C.nbf) || 0, exp: c.get(C.exp) || 0,
      iat: c.get(C.iat), schedule: c.get(C.schedule) || [], trusted: c.get(C.trusted) === true,
      delegator: c.get(C.delegator), pin: c.has(C.pin), holder, holderKid: await kidOf(holder), signerKid: m.kid, claims: c
    };
  }

  // takeChain checks that a chain (a grant, or a delegation and its owner
  // grant) is for this key and hangs together, and keeps it.
  async function takeChain(key, chain) {
    const g = await grantInfo(chain[0]);
    if (!eq(g.holderKid, key.kid)) throw fail('not_my_key', 'the grant is for another key (' + hex(g.holderKid) + ')');
    if (g.delegator) {
      if (chain.length !== 2) throw fail('missing_delegator', 'a delegation comes with its owner grant');
      const o = await grantInfo(chain[1]);
      if (!eq(o.id, g.delegator) || !eq(o.holderKid, g.signerKid)) throw fail('chain_mismatch', 'the owner grant does not match the delegation');
    } else if (chain.length !== 1) {
      throw fail('chain_mismatch', 'an authority grant comes alone');
    }
    await save('chain', chain);
    return g;
  }

  // --- the key path: the hub's challenge checked, the holder proof signed
  async function checkChallenge(answer, device, action, pinnedHubKey) {
    const hubKey = unb64(answer.hub_key);
    const ch = unb64(answer.challenge);
    if (pinnedHubKey && !eq(hubKey, pinnedHubKey)) throw fail('hub_key_changed', 'the hub answered with another identity key');
    const m = parse1(ch, TYPE_CHALLENGE);
    const hubKid = await kidOf(cat(ED25519_SPKI, hubKey));
    const c = m.claims;
    if (!eq(m.kid, hubKid) || !eq(c.get(C.hub), hubKid)) throw fail('hub_key_changed', 'the challenge names another hub');
    if (c.get(C.device) !== device || c.get(C.action) !== action) throw fail('challenge_mismatch', 'the challenge is for another device or action');
    // Ed25519 in WebCrypto: Chrome 137+, Safari 17+, Firefox 129+. Where
    // it is missing the hub still checks everything that matters (the
    // proof binds its id); the phone just cannot tell its hub from another.
    let ok = null;
    try {
      const k = await crypto.subtle.importKey('raw', hubKey, { name: 'Ed25519' }, false, ['verify']);
      ok = await crypto.subtle.verify({ name: 'Ed25519' }, k, m.sig, sigStructure(m.prot, m.payload));
    } catch (e) { ok = null; }
    if (ok === false) throw fail('hub_key_changed', 'the challenge is not signed by the hub key');
    return { nonce: c.get(C.nonce), hub: c.get(C.hub), hubKey, verified: ok === true };
  }
  async function proof(key, ch, device, action) {
    const p = new Map([[C.nonce, ch.nonce], [C.hub, ch.hub], [C.device, device], [C.action, action]]);
    return sign1(key, TYPE_PROOF, encode(p));
  }

  // --- guest delegations: the rules of localauth.Delegate and narrower.
  function scheduleCovers(parent, child) {
    if (parent.length === 0) return true;
    if (child.length === 0) return false;
    for (let d = 0; d < 7; d++) {
      const on = new Uint8Array(1440);
      parent.forEach(([days, s, e]) => { if (days & (1 << d)) on.fill(1, s, e); });
      for (const [days, s, e] of child) {
        if ((days & (1 << d)) && on.subarray(s, e).includes(0)) return false;
      }
    }
    return true;
  }
  const allows = (list, s) => (list.length === 1 && list[0] === '*') || list.includes(s);

  // narrower is the hub's check: a delegation gives no more than its owner
  // grant. It names the first wider dimension.
  function narrower(c, p) {
    const wide = (m) => fail('delegation_too_wide', m);
    if (c.get(C.role) !== 'guest') return wide('an owner delegates guest grants only');
    if (c.get(C.aud) !== p.site) return wide('another site');
    for (const d of c.get(C.devices)) if (!allows(p.devices, d)) return wide('device ' + d + ' is not in your grant');
    for (const a of c.get(C.actions)) if (!allows(p.actions, a)) return wide('action ' + a + ' is not in your grant');
    if ((c.get(C.nbf) || 0) < p.nbf) return wide('starts before your grant does');
    if (p.exp && (c.get(C.exp) || Infinity) > p.exp) return wide('ends after your grant does');
    if (!scheduleCovers(p.schedule, c.get(C.schedule) || [])) return wide('its times are outside your grant\'s schedule');
    if (p.trusted && c.get(C.trusted) !== true) return wide('your grant requires trusted time');
    return null;
  }

  // windows turns days (bit 0 Sunday) and a time range in minutes into
  // schedule windows; a range over midnight becomes two, as the CLI's
  // parser does.
  function windows(days, start, end) {
    if (!days) return [];
    if (start < end) return [[days, start, end]];
    if (start === end) throw fail('bad_request', 'empty time range');
    const ws = [[days, start, 1440]];
    if (end > 0) ws.push([((days << 1) | (days >> 6)) & 0x7f, 0, end]);
    return ws;
  }

  function checkName(what, s) {
    const n = te.encode(s).length;
    if (n === 0 || n > MAX_NAME || /[\u0000-\u001f\u007f-\u009f]/.test(s)) throw fail('bad_request', what + ': 1 to ' + MAX_NAME + ' bytes, no control characters');
  }

  // delegate signs a guest grant for guestSPKI with the owner's key, like
  // edgeagent grant delegate. spec: name, devices, actions (default the
  // owner's), notAfter (Unix seconds, required), notBefore, schedule
  // (windows), and for tests id and issuedAt. check: false skips the
  // app's own narrower check (tests only: the hub must refuse it too).
  async function delegate(key, ownerGrant, guestSPKI, spec, check) {
    const o = await grantInfo(ownerGrant);
    if (o.delegator) throw fail('delegation_too_deep', 'a guest key cannot delegate');
    if (o.role !== 'owner') throw fail('delegator_not_owner', 'only an owner can give guest keys');
    if (!eq(o.holderKid, key.kid)) throw fail('not_my_key', 'the owner grant is for another key');
    checkName('name', spec.name);
    if (!spec.devices || !spec.devices.length) throw fail('bad_request', 'choose at least one device');
    spec.devices.forEach((d) => checkName('device', d));
    if (!spec.notAfter) throw fail('bad_request', 'a guest key needs an end');
    const iat = spec.issuedAt || Math.floor(Date.now() / 1000);
    let nbf = spec.notBefore || iat;
    if (!spec.notBefore && nbf < o.nbf) nbf = o.nbf;
    if (spec.notAfter <= nbf) throw fail('bad_request', 'the end is not after the start');
    const c = new Map([
      [C.cti, spec.id || crypto.getRandomValues(new Uint8Array(ID_SIZE))], [C.aud, o.site], [C.exp, spec.notAfter],
      [C.nbf, nbf], [C.iat, iat], [C.cnf, new Map([[1, coseKeyOf(guestSPKI)]])], [C.role, 'guest'],
      [C.name, spec.name], [C.devices, spec.devices], [C.actions, spec.actions || o.actions], [C.delegator, o.id]
    ]);
    if (spec.schedule && spec.schedule.length) c.set(C.schedule, spec.schedule);
    if (spec.trusted || o.trusted) c.set(C.trusted, true);
    if (check !== false) {
      const wide = narrower(c, o);
      if (wide) throw wide;
    }
    return sign1(key, TYPE_GRANT, encode(c));
  }

  // --- links: the grant (and its owner grant) in the URL fragment, which
  // browsers never send to a server.
  function link(origin, chain) {
    return origin + '/#grant=' + b64url(chain[0]) + (chain[1] ? '&owner=' + b64url(chain[1]) : '');
  }
  // chainFromText reads a pasted link, or a pasted grant in base64.
  function chainFromText(s) {
    s = s.trim();
    const frag = s.includes('#') ? s.slice(s.indexOf('#') + 1) : s.startsWith('grant=') ? s : '';
    if (frag) {
      const q = new URLSearchParams(frag);
      if (!q.get('grant')) throw fail('bad_text', 'no grant in the link');
      return q.get('owner') ? [unb64(q.get('grant')), unb64(q.get('owner'))] : [unb64(q.get('grant'))];
    }
    return [unb64(s)];
  }

  return {
    encode, decode, b64, b64url, unb64, hex, eq, pem, parsePEM, coseKeyOf, kidOf, sign1, parse1,
    load, save, forget, newKey, grantInfo, takeChain, checkChallenge, proof, delegate, narrower,
    scheduleCovers, windows, link, chainFromText, allows, TYPE_GRANT
  };
})();
