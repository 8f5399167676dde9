// The operator console: login with an operator token (form or #token= in the URL
// fragment), then the fleet map and list with live updates, and a vehicle's view.
import 'leaflet/dist/leaflet.css';
import 'leaflet.markercluster/dist/MarkerCluster.css';
import 'leaflet.markercluster/dist/MarkerCluster.Default.css';
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { Api, openLive, Unauthorized, type Feature, type PositionProps } from './api.js';
import { createMap, readConfig } from './basemap.js';
import { Fleet } from './fleet.js';
import { VehicleView } from './vehicle.js';

const TOKEN_KEY = 'geostream-token';
const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;

let session: { stop: () => void } | null = null;

function showLogin(error: string | null): void {
  session?.stop();
  session = null;
  sessionStorage.removeItem(TOKEN_KEY);
  $('app').hidden = true;
  $('login').hidden = false;
  const e = $('login-error');
  e.hidden = error === null;
  e.textContent = error ?? '';
  $<HTMLInputElement>('token').focus();
}

/** Checks the token against the API; nothing of the fleet is shown before it passes. */
async function signIn(token: string): Promise<void> {
  const api = new Api(token);
  let first;
  try {
    first = await api.vehicles();
  } catch (err) {
    showLogin(err instanceof Unauthorized ? 'The server refused this token (wrong or revoked).' : `Cannot reach the API: ${(err as Error).message}`);
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  $('login').hidden = true;
  $('app').hidden = false;
  session = start(api, first.vehicles);
}

function start(api: Api, initial: Parameters<Fleet['setVehicles']>[0]): { stop: () => void } {
  const map = createMap($('map'), readConfig(), api.token);
  const fleet = new Fleet(map, { tbody: $('vehicle-list').querySelector('tbody')!, thead: $('vehicle-list').querySelector('thead')!, filter: $<HTMLInputElement>('filter'), stateFilter: $<HTMLSelectElement>('state-filter'), more: $('list-more'), stats: $('fleet-stats') });
  const view = new VehicleView(map, api, fleet, () => showLogin('The session ended: the token was refused.'));
  fleet.onSelect = (id) => void view.open(id);
  fleet.setVehicles(initial);
  const refresh = async () => {
    try {
      fleet.setVehicles((await api.vehicles()).vehicles);
      view.refreshHealth();
    } catch (err) {
      if (err instanceof Unauthorized) showLogin('The session ended: the token was refused.');
    }
  };
  let opened = false;
  const liveState = $('live-state');
  const stopLive = openLive(api, {
    onEvent(e) {
      if (e.event !== 'position') return;
      const f = JSON.parse(e.data) as Feature<PositionProps>;
      fleet.live(f.properties);
      view.live(f.properties);
    },
    onOpen() {
      // A reconnect may have missed records: re-read the list.
      if (opened) void refresh();
      opened = true;
    },
    onState(s) {
      liveState.textContent = s === 'open' ? 'live' : 'live: reconnecting';
      liveState.className = s === 'open' ? 'live-on' : 'live-off';
    },
    onUnauthorized: () => showLogin('The session ended: the token was refused.'),
  });
  const flush = setInterval(() => fleet.flush(), 500);
  const poll = setInterval(() => void refresh(), 30_000);
  const onHash = () => {
    const id = /^#vehicle=(.+)$/.exec(location.hash)?.[1];
    if (id) void view.open(decodeURIComponent(id));
  };
  window.addEventListener('hashchange', onHash);
  onHash();
  return {
    stop() {
      stopLive();
      clearInterval(flush);
      clearInterval(poll);
      window.removeEventListener('hashchange', onHash);
      view.close();
      map.remove();
    },
  };
}

function main(): void {
  $('login-form').addEventListener('submit', (e) => {
    e.preventDefault();
    void signIn($<HTMLInputElement>('token').value.trim());
  });
  $('logout').addEventListener('click', () => showLogin(null));
  // A wall screen opens /#token=...: take it and drop it from the address bar.
  const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (m) {
    history.replaceState(null, '', location.pathname + location.search);
    void signIn(decodeURIComponent(m[1]!));
    return;
  }
  const saved = sessionStorage.getItem(TOKEN_KEY);
  if (saved) void signIn(saved);
  else showLogin(null);
}

main();
