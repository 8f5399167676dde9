// Leaflet with the marker-cluster plugin, which extends the global L it finds.
import L from 'leaflet';

(globalThis as unknown as { L: typeof L }).L = L;

export default L;
