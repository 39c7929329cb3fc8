import { AFFINITY_STREAM_DUPLICATE_WINDOW_MS, AFFINITY_STREAM_MAX_AGE_MS, affinitySubjects } from './affinity-subjects';
import { PREDICTION_STREAM_DUPLICATE_WINDOW_MS, PREDICTION_STREAM_MAX_AGE_MS, predictionSubjects } from './prediction-subjects';
import { subjects } from './subjects';
import { TOKEN_STREAM_DUPLICATE_WINDOW_MS, TOKEN_STREAM_MAX_AGE_MS, tokenSubjects } from './token-subjects';

/** One JetStream stream as Foresight declares it (replicas come from the deployment). */
export interface StreamDeclaration {
  readonly name: string;
  readonly subjects: readonly string[];
  /** How long events stay on the stream (Postgres keeps them for ever). */
  readonly maxAgeMs: number;
  /** Window in which a repeated Nats-Msg-Id is dropped as a duplicate. */
  readonly duplicateWindowMs: number;
}

export interface StreamDeclarations {
  readonly sessions: StreamDeclaration;
  readonly cluster: StreamDeclaration;
  readonly tokens: StreamDeclaration;
  readonly prediction: StreamDeclaration;
  readonly affinity: StreamDeclaration;
}

const WEEK_MS = 7 * 86_400_000;

/**
 * Every stream, defined once. Creating or changing a stream is a privilege (a stream's subjects and
 * its republish setting can capture or emit any subject of the account), so only the metadata
 * service declares them; the other services wait for the streams they use (ADR 0005).
 */
export function streamDeclarations(namespace = 'fs'): StreamDeclarations {
  const s = subjects(namespace);
  const t = tokenSubjects(namespace);
  const p = predictionSubjects(namespace);
  const a = affinitySubjects(namespace);
  return {
    sessions: { name: s.sessionStream, subjects: [s.sessionEventsWildcard], maxAgeMs: WEEK_MS, duplicateWindowMs: 120_000 },
    cluster: { name: s.clusterStream, subjects: [s.clusterEventsWildcard], maxAgeMs: WEEK_MS, duplicateWindowMs: 120_000 },
    tokens: { name: t.tokenStream, subjects: [t.tokenEventsWildcard], maxAgeMs: TOKEN_STREAM_MAX_AGE_MS, duplicateWindowMs: TOKEN_STREAM_DUPLICATE_WINDOW_MS },
    prediction: {
      name: p.predictionStream,
      subjects: [p.predictionEventsWildcard],
      maxAgeMs: PREDICTION_STREAM_MAX_AGE_MS,
      duplicateWindowMs: PREDICTION_STREAM_DUPLICATE_WINDOW_MS,
    },
    affinity: {
      name: a.affinityStream,
      subjects: [a.affinityEventsWildcard],
      maxAgeMs: AFFINITY_STREAM_MAX_AGE_MS,
      duplicateWindowMs: AFFINITY_STREAM_DUPLICATE_WINDOW_MS,
    },
  };
}
