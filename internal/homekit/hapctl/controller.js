// One session of an independent HomeKit controller (npm hap-controller):
// reads a JSON request on stdin, writes a JSON answer on stdout. Pair-setup
// with req.pin, or pair-verify with req.pairing; then the accessory
// database, writes one by one (each with its own status) and reads, all
// over the encrypted session. Numbers that hap-controller parses as
// BigNumber (aid, iid) are turned into plain numbers.
'use strict';
const { HttpClient, PairMethods } = require('hap-controller');

function plain(v) {
  return JSON.parse(JSON.stringify(v, (k, x) => (x && typeof x === 'object' && x._isBigNumber) ? Number(x.toString()) : x));
}

async function main(req) {
  const out = {};
  const client = new HttpClient(req.id, req.host, req.port, req.pairing || undefined);
  try {
    if (req.pin) {
      await client.pairSetup(req.pin, PairMethods.PairSetup);
      out.pairing = client.getLongTermData();
    }
    if (req.accessories) {
      const db = plain(await client.getAccessories());
      out.characteristics = [];
      for (const a of db.accessories) {
        for (const s of a.services) {
          for (const c of s.characteristics) {
            out.characteristics.push({ aid: a.aid, iid: c.iid, service: s.type, type: c.type, value: c.value === undefined ? null : c.value });
          }
        }
      }
    }
    out.writes = [];
    for (const w of req.writes || []) {
      try {
        const res = plain(await client.setCharacteristics({ [w.aid + '.' + w.iid]: w.value }));
        const c = (res.characteristics || [])[0] || {};
        out.writes.push({ status: c.status || 0 });
      } catch (e) {
        out.writes.push({ status: -1, error: String(e && e.message || e) });
      }
    }
    if (req.reads && req.reads.length) {
      const r = plain(await client.getCharacteristics(req.reads.map((x) => x.aid + '.' + x.iid)));
      out.reads = r.characteristics.map((c) => ({ aid: c.aid, iid: c.iid, value: c.value === undefined ? null : c.value, status: c.status || 0 }));
    }
  } catch (e) {
    out.error = String(e && e.message || e);
  } finally {
    try { await client.close(); } catch (e) { /* closing a failed session */ }
  }
  return out;
}

let input = '';
process.stdin.on('data', (d) => { input += d; });
process.stdin.on('end', () => {
  main(JSON.parse(input)).then((out) => {
    process.stdout.write(JSON.stringify(out));
    process.exit(0); // hap-controller may keep a persistent connection's timer
  });
});
