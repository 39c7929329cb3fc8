import { defineCommand } from '@foresight/cli';

export const validationCli = defineCommand({
  run: 'npm run bench:validation --',
  summary:
    'Cost of checking a typical PUT body on the write path: the compiled contract schemas (gateway body and shard ' +
    'command) against the hand-written checks they replaced; prints a table and writes .bench-results/validation.json.',
  options: {
    iterations: { type: 'integer', description: 'checks per measurement', default: 200_000, min: 1000 },
    rounds: { type: 'integer', description: 'measurements per validator (the median is reported)', default: 7, min: 1 },
  },
  examples: ['npm run bench:validation', 'npm run bench:validation -- --iterations 500000 --rounds 11'],
});
