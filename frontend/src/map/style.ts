// A map style with no remote sources at all: a dark background; every layer is GeoJSON that the
// app loads from its own API. No glyphs or sprites, so labels are HTML (popups, panels), which
// also lets the system's CJK fonts render Chinese.
import type { StyleSpecification } from "maplibre-gl";

export const BASE_STYLE: StyleSpecification = {
  version: 8,
  sources: {},
  layers: [{ id: "background", type: "background", paint: { "background-color": "#0a111f" } }],
};
