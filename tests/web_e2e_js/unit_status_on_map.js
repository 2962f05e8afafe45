// True once the map's units source shows unit `uid` with status `on_scene`.
async (uid) => {
  const src = window.__xunfangMap && window.__xunfangMap.getSource('units');
  if (!src) return false;
  const data = await src.getData();
  return data.features.some((f) => String(f.properties.id) === uid && f.properties.status === 'on_scene');
}
