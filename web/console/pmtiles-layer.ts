// A PMTiles archive of raster tiles as the map's base layer (the pmtiles package's
// Leaflet adapter): the server's own archive is read with the operator token, a remote
// one without (the token never leaves the server's origin). The attribution is the
// server's --http-attribution, else the archive metadata's, shown as plain text.
import { FetchSource, leafletRasterLayer, PMTiles } from 'pmtiles';
import L from './leaflet.js';
import { escapeHtml } from './state.js';

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
      leafletRasterLayer(archive, { minNativeZoom: h.minZoom, maxNativeZoom: h.maxZoom, maxZoom: 19, ...bounds }).addTo(map);
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
