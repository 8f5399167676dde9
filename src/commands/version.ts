import type { Command } from './command.js';
import { VERSION } from '../base/version.js';

export const versionCommand: Command = {
  name: 'version',
  summary: 'print the version and runtime',
  usage: 'Usage: geostream version\n\nPrints the geostream version, Node.js version and architecture.',
  async run(_argv, io) {
    io.stdout.write(`geostream ${VERSION} (node ${process.version}, ${process.platform}-${process.arch})\n`);
    return 0;
  },
};
