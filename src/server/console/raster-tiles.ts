/**
 * The raster tile types of a PMTiles archive the console draws: each one's name (in
 * the server's messages) and image type (of the tiles the page draws). No Node
 * imports: the page in web/console/ uses the same table.
 */
import { TileType } from 'pmtiles';

export const RASTER_TILES: Partial<Record<TileType, { name: string; mime: string }>> = {
  [TileType.Png]: { name: 'PNG', mime: 'image/png' },
  [TileType.Jpeg]: { name: 'JPEG', mime: 'image/jpeg' },
  [TileType.Webp]: { name: 'WebP', mime: 'image/webp' },
  [TileType.Avif]: { name: 'AVIF', mime: 'image/avif' },
};
