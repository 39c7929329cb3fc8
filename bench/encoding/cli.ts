import { defineCommand } from '@foresight/cli';

export const encodingCli = defineCommand({
  run: 'npm run bench:encoding --',
  summary:
    'Bytes per event and encode/decode cost, MessagePack (the wire and the event store) against JSON, for the event ' +
    'shapes Foresight publishes; prints a table and writes .bench-results/encoding.json. Takes no options.',
  options: {},
  examples: ['npm run bench:encoding'],
});
