// A PMTiles archive of raster tiles as the map's base layer (read by the pmtiles
// package, drawn by a Leaflet grid layer of its own): the server's own archive is read
// with the operator token, a remote one without (the token never leaves the server's origin). The attribution is the
// server's --http-attribution, else the archive metadata's, shown as plain text.
import { FetchSource, PMTiles } from 'pmtiles';
import { RASTER_TILES } from '../../src/server/console/raster-tiles.js';
import L from './leaflet.js';
import { escapeHtml } from './state.js';

/**
 * The archive's raster tiles as a Leaflet grid layer, drawn as the pmtiles package's
 * leafletRasterLayer draws them, except that a tile which cannot be read (an HTTP
 * error, a network failure, bytes that do not decode as an image) is handed to
 * Leaflet as an error tile ('tileerror', then hidden and classed gs-tile-error)
 * instead of ending in an unhandled rejection. A tile dropped before its bytes came
 * is cancelled (its fetch aborted).
 */
class PmtilesRasterLayer extends L.GridLayer {
  constructor(
    private readonly archive: PMTiles,
    private readonly mime: string,
    options: L.GridLayerOptions,
  ) {
    super(options);
    this.on('tileunload', (e: L.TileEvent) => (e.tile as HTMLElement & { cancel?: () => void }).cancel?.());
    // An error tile is left out (no broken-image icon) and marked, the map's other tiles unaffected.
    this.on('tileerror', (e: L.TileErrorEvent) => {
      e.tile.classList.add('gs-tile-error');
      e.tile.style.visibility = 'hidden';
    });
  }

  protected override createTile(coords: L.Coords, done: L.DoneCallback): HTMLElement {
    const el: HTMLImageElement & { cancel?: () => void } = document.createElement('img');
    el.alt = '';
    const controller = new AbortController();
    el.cancel = () => controller.abort();
    this.archive.getZxy(coords.z, coords.x, coords.y, controller.signal).then(
      (tile) => {
        el.cancel = undefined;
        if (controller.signal.aborted) return;
        if (!tile) {
          el.style.visibility = 'hidden';
          return done(undefined, el);
        }
        const src = URL.createObjectURL(new Blob([tile.data], { type: this.mime }));
        const settled = (err?: Error) => {
          URL.revokeObjectURL(src);
          done(err, el);
        };
        el.onload = () => settled();
        el.onerror = () => settled(new Error(`tile ${coords.z}/${coords.x}/${coords.y} is not an image`));
        el.src = src;
      },
      (err: Error) => {
        el.cancel = undefined;
        if (err.name !== 'AbortError') done(err, el);
      },
    );
    return el;
  }
}

/** The text of an attribution that may carry HTML (parsed inert: no script runs, nothing loads). */
function plainText(html: string): string {
  return (new DOMParser().parseFromString(html, 'text/html').body.textContent ?? '').replace(/\s+/g, ' ').trim().slice(0, 300);
}

/** Adds the archive at `url` under everything else on `map`; a failure to read it shows in the map's corner. */
export function addPmtilesLayer(map: L.Map, url: string, token: string, attribution: string | null): void {
  const sameOrigin = new URL(url, location.href).origin === location.origin;
  const headers = new Headers(sameOrigin ? { authorization: `Bearer ${token}` } : {});
  const archive = new PMTiles(new FetchSource(url, headers));
  const note = (text: string) => map.attributionControl.addAttribution(escapeHtml(text));
  void (async () => {
    try {
      const h = await archive.getHeader();
      // An extract's bounds: no tile is asked for outside them (unless the archive left them unset).
      const bounds = h.minLon < h.maxLon && h.minLat < h.maxLat ? { bounds: L.latLngBounds([h.minLat, h.minLon], [h.maxLat, h.maxLon]) } : {};
      new PmtilesRasterLayer(archive, RASTER_TILES[h.tileType]?.mime ?? 'image/png', { minNativeZoom: h.minZoom, maxNativeZoom: h.maxZoom, maxZoom: 19, ...bounds }).addTo(map);
      if (attribution !== null) map.attributionControl.addAttribution(attribution);
      else {
        const meta = (await archive.getMetadata()) as { attribution?: unknown } | null;
        if (typeof meta?.attribution === 'string' && meta.attribution.trim()) note(plainText(meta.attribution));
      }
    } catch (err) {
      console.warn(`base map: cannot read the PMTiles archive ${url}: ${(err as Error).message}`);
      note(`base map unavailable (${(err as Error).message})`);
    }
  })();
}
