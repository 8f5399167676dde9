// The map's base: raster tiles when the server names a tile URL or a PMTiles archive; otherwise a plain
// Web Mercator view (Leaflet's EPSG:3857, the projection tiles use) with a graticule
// labelled in degrees and a scale bar, so positions and distances read true offline.
import L from './leaflet.js';
import { addPmtilesLayer } from './pmtiles-layer.js';

export interface ConsoleConfig {
  tiles: string | null;
  pmtiles: string | null;
  attribution: string | null;
}

export function readConfig(): ConsoleConfig {
  const raw = document.querySelector('meta[name="geostream-config"]')?.getAttribute('content') ?? '{}';
  const c = JSON.parse(raw) as Partial<ConsoleConfig>;
  return { tiles: c.tiles ?? null, pmtiles: c.pmtiles ?? null, attribution: c.attribution ?? null };
}

const STEPS = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30];

/** Lines of latitude and longitude about 6-12 per screen, redrawn as the view changes. */
class Graticule {
  private readonly layer = L.layerGroup();

  constructor(private readonly map: L.Map) {
    this.layer.addTo(map);
    map.on('moveend', () => this.draw());
  }

  draw(): void {
    this.layer.clearLayers();
    const b = this.map.getBounds();
    const span = Math.max(b.getNorth() - b.getSouth(), b.getEast() - b.getWest());
    const step = STEPS.find((s) => span / s <= 12) ?? 30;
    const decimals = Math.max(0, -Math.floor(Math.log10(step)));
    const style = { color: '#9aa7b4', weight: 1, opacity: 0.6, interactive: false };
    const south = Math.max(-85, b.getSouth());
    const north = Math.min(85, b.getNorth());
    for (let lat = Math.ceil(south / step) * step; lat <= north; lat += step) {
      this.layer.addLayer(L.polyline([[lat, b.getWest()], [lat, b.getEast()]], style));
      this.layer.addLayer(L.marker([lat, b.getWest()], { interactive: false, keyboard: false, icon: L.divIcon({ className: 'gs-grid-label', html: `${lat.toFixed(decimals)}°`, iconSize: [60, 14], iconAnchor: [-2, 14] }) }));
    }
    for (let lon = Math.ceil(b.getWest() / step) * step; lon <= b.getEast(); lon += step) {
      this.layer.addLayer(L.polyline([[south, lon], [north, lon]], style));
      this.layer.addLayer(L.marker([north, lon], { interactive: false, keyboard: false, icon: L.divIcon({ className: 'gs-grid-label', html: `${lon.toFixed(decimals)}°`, iconSize: [60, 14], iconAnchor: [-2, 0] }) }));
    }
  }
}

/** The map in `el` on the configured base; `token` reads the server's own PMTiles archive. */
export function createMap(el: HTMLElement, cfg: ConsoleConfig, token: string): L.Map {
  const map = L.map(el, { preferCanvas: true, worldCopyJump: true, minZoom: 2, maxZoom: 19 }).setView([50, 10], 4);
  if (cfg.pmtiles) {
    addPmtilesLayer(map, cfg.pmtiles, token, cfg.attribution);
  } else if (cfg.tiles) {
    L.tileLayer(cfg.tiles, { maxZoom: 19, attribution: cfg.attribution ?? '', crossOrigin: false }).addTo(map);
  } else {
    el.classList.add('no-base-map');
    map.attributionControl.addAttribution('no base map configured (--http-tiles, --http-pmtiles); Web Mercator grid');
    new Graticule(map).draw();
  }
  L.control.scale({ metric: true, imperial: false, maxWidth: 160 }).addTo(map);
  return map;
}
