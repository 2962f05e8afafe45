// 1,000 units, each moving once a second (1,000 positions per second) for 3 s through the live-feed code path; resolves when the
// map's units source shows the last of them (lag in ms since the last update).
async () => {
  const x = window.__xunfang, map = window.__xunfangMap;
  // A thousand units: the demo's real ones plus synthetic ones announced through the same feed
  // path (a unit event), so that every unit moves once a second.
  const real = [...x.store.units.keys()];
  for (let k = real.length; k < 1000; k++) {
    const r = x.store.units.get(real[k % real.length]);
    x.ingest({kind: 'unit', id: `E2E-SIM-${k}`, force_type: r.force_type, status: 'available',
              lon: r.lon ?? -87.65, lat: r.lat ?? 41.85}, 'unit');
  }
  const ids = [...x.store.units.keys()];
  const base = ids.map((id) => x.store.units.get(id));
  // Positions arrive at 1,000 per second of wall-clock time for 3 s, in the batches a
  // browser event loop would see; the map must show the last of them within 1 s.
  const t0 = performance.now();
  let sent = 0, flushes = 0, last = {}, tLast = t0;
  const off = x.store.subscribe('units', () => flushes++);
  while (performance.now() - t0 < 3000) {
    const due = Math.floor(performance.now() - t0);
    for (; sent < due; sent++) {
      const i = sent % ids.length, u = base[i], d = 0.0005 * Math.sin(sent / 50);
      const lon = (u.lon ?? -87.65) + d, lat = (u.lat ?? 41.85) + d;
      x.ingest({kind: 'unit', unit_id: ids[i], lon, lat, at: new Date().toISOString()}, 'unit');
      last[ids[i]] = [lon, lat];
    }
    tLast = performance.now();
    await new Promise((r) => setTimeout(r, 20));
  }
  off();
  const tEnd = performance.now();
  for (;;) {
    const data = await map.getSource('units').getData();
    const ok = data.features.every((f) => !last[f.properties.id] ||
      (f.geometry.coordinates[0] === last[f.properties.id][0] && f.geometry.coordinates[1] === last[f.properties.id][1]));
    if (ok) return {sent, flushes, seconds: (tLast - t0) / 1000, lagMs: performance.now() - tLast, units: ids.length};
    if (performance.now() - tEnd > 15000) return {sent, flushes, seconds: (tLast - t0) / 1000, lagMs: -1, units: ids.length};
    await new Promise((r) => requestAnimationFrame(r));
  }
}
